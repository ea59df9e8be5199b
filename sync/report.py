"""What a run reports, per connector and overall, and the live connector a run works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import Capability, Connector, PullResult
from sync.announce import Announcement, Change
from sync.merge import Conflict
from sync.plan import ConnectorPlan


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
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class Report:
    """What a plan or sync did (or would do)."""

    connectors: dict[str, ConnectorReport] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    announcement: Announcement | None = None
    problems: list[str] = field(default_factory=list)
    planned: dict[str, ConnectorPlan] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(r.error or r.failed for r in self.connectors.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "connectors": {name: r.to_json() for name, r in self.connectors.items()},
            "changes": [c.to_json() for c in self.changes],
            "conflicts": [
                {"session": c.session, "field": c.field, "connector": c.connector,
                 "ours": c.ours, "theirs": c.theirs}
                for c in self.conflicts
            ],
            "problems": list(self.problems),
        }


@dataclass
class Runtime:
    """A live connector and its surroundings for one run."""

    name: str
    connector: Connector[Any]
    report: ConnectorReport
    pull: PullResult | None = None
    failed: bool = False

    @property
    def caps(self) -> Capability:
        return self.connector.capabilities
