"""What a run reports, per connector and overall, and the live connector a run works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.announce import Announcement, Change
from sync.model import Conflict
from sync.protocol import Capability, Connector, Op


@dataclass
class ConnectorReport:
    """Per connector figures, as ``--json`` prints them."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    requests: int = 0
    sent: int = 0
    #: Sessions this source changed in the programme (its edits merged).
    merged: int = 0
    #: Sessions this source would have changed, held for review (``hub review``).
    held: int = 0
    #: Its edits that could not be merged (``hub conflicts``).
    conflicts: int = 0
    #: Messages whose delivery is unknown after a broken answer (``hub status``).
    in_doubt: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "requests": self.requests,
        }
        if self.sent:
            data["sent"] = self.sent
        for name in ("merged", "held", "conflicts", "in_doubt"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class Report:
    """What a plan or sync did (or would do).

    ``planned`` holds, per connector, the operations the plan decided: the same objects the
    outbox stores and apply carries out, so ``hub plan`` and the ``hub sync`` after it list
    the same operations.
    """

    connectors: dict[str, ConnectorReport] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    announcement: Announcement | None = None
    problems: list[str] = field(default_factory=list)
    planned: dict[str, list[Op]] = field(default_factory=dict)
    #: Batches held for review this run: batch number, connector, reason, sessions, new.
    held: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.error or r.failed or r.in_doubt for r in self.connectors.values())

    @property
    def up_to_date(self) -> bool:
        """Nothing failed, nothing waits for a person: what the closing line may call up to date."""
        return not (self.failed or self.conflicts or self.held or self.problems
                    or any(r.held or r.conflicts for r in self.connectors.values()))

    def operations(self, *, projections: bool = False) -> list[dict[str, Any]]:
        """The planned operations in a stable order; with their projections when asked."""
        rows = []
        for name, ops in self.planned.items():
            for op in ops:
                row: dict[str, Any] = {"connector": name, "action": op.action, "session": op.key, "hash": op.hash}
                if projections:
                    row["projection"] = op.projection
                rows.append(row)
        return rows

    def to_json(self, *, projections: bool = False) -> dict[str, Any]:
        return {
            "connectors": {name: r.to_json() for name, r in self.connectors.items()},
            "changes": [c.to_json() for c in self.changes],
            "conflicts": [
                {"session": c.session, "field": c.field, "connector": c.connector,
                 "ours": c.ours, "theirs": c.theirs}
                for c in self.conflicts
            ],
            "operations": self.operations(projections=projections),
            "problems": list(self.problems),
            "held": list(self.held),
        }


@dataclass
class Runtime:
    """A live connector and its surroundings for one run."""

    name: str
    connector: Connector[Any]
    report: ConnectorReport
    failed: bool = False

    @property
    def caps(self) -> Capability:
        return self.connector.capabilities
