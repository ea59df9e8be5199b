"""Reading the state store without SQLAlchemy, for the commands that only look (``hub status``,
``hub ask``).

SQLAlchemy alone takes about a quarter of a second to import, more than such a command may take
in all. :func:`open_reader` serves a SQLite state file already at the newest schema with the
standard library's ``sqlite3``, read-only; anything else (PostgreSQL, a file that does not
exist yet or needs an upgrade) gets ``None``, and the caller opens the full
:class:`~sync.state.StateStore`, which migrates. The rows come back as the store gives them
(same records, same types): ``tests/engine/test_state_reader.py`` holds the two side by side.

The records both return (:class:`HeldBatch`, :class:`OutboxEntry`, :class:`HistoryRow`) live here
so this module needs nothing heavy; :mod:`sync.state` re-exports them.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

if TYPE_CHECKING:  # the model's dataclasses cost a quick `hub sync` more than its whole check
    from sync.model import Conflict

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*[\"']?(\w+)?[\"']?", re.MULTILINE)


@dataclass(frozen=True)
class HeldBatch:
    """A source's changes waiting for an organiser's review (``hub review``)."""

    id: int
    connector: str
    state: str
    reason: str
    digest: str
    summary: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HistoryRow:
    """One merged field change, with the run that made it (``hub history``)."""

    sync: int | None
    at: datetime
    origin: str
    session: str
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class OutboxEntry:
    """One row of the outbox, as the apply step sees it."""

    id: int
    idem_key: str
    connector: str
    target: str
    op: str
    key: str
    payload: Mapping[str, Any] | None
    state: str
    attempts: int
    next_at: float
    remote_ref: str | None
    error: str | None


class ReadState(Protocol):
    """What the looking commands read of the state store: :class:`~sync.state.StateStore` and
    :class:`StateReader` both."""

    def get_meta(self, key: str, default: Any = None) -> Any: ...
    def load_sessions(self) -> dict[str, dict[str, Any]]: ...
    def max_seq(self) -> int: ...
    def load_connector_state(self, connector: str, key: str) -> dict[str, Any]: ...
    def outbox_counts(self) -> dict[str, dict[str, int]]: ...
    def outbox_entries(self, connector: str | None = None, states: Sequence[str] = ("pending",)) -> list[OutboxEntry]:
        ...
    def open_breakers(self) -> dict[str, str]: ...
    def open_conflicts(self) -> list[Conflict]: ...
    def held_batches(self, states: Sequence[str] = ("open", "accepted", "rejected")) -> list[HeldBatch]: ...
    def close(self) -> None: ...


@cache
def schema_head() -> str:
    """The newest migration's revision, read from the migration files' ``revision`` and
    ``down_revision`` lines: knowing it needs no Alembic import (a third of a second on every
    command), and ``tests/engine/test_state_store.py`` checks it is Alembic's own head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value and value != "None":
                (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def outbox_query(states: Sequence[str], connector: str | None = None,
                 due_before: float | None = None) -> tuple[str, list[Any]]:
    """The outbox entries in ``states`` (of one connector, due by a time), oldest first: the
    statement (``?`` placeholders) and its arguments, for this reader and the store alike. A row
    holds :class:`OutboxEntry`'s fields in order, the payload still JSON."""
    query = ("SELECT id, idem_key, connector, target, op, key, payload, state, attempts, next_at, remote_ref, "
             f"error FROM outbox WHERE state IN ({', '.join('?' * len(states))})")
    args: list[Any] = list(states)
    if connector is not None:
        query += " AND connector = ?"
        args.append(connector)
    if due_before is not None:
        query += " AND next_at <= ?"
        args.append(due_before)
    return query + " ORDER BY id", args


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (SQLAlchemy's form, any driver), or None for another
    database or an in-memory one."""
    match = re.match(r"^sqlite(?:\+\w+)?:///([^?]*)", url)
    if match is None or match[1] in ("", ":memory:"):
        return None
    return Path(unquote(match[1]))


def _json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _moment(value: str | None) -> datetime | None:
    """A DateTime column as SQLAlchemy stores it in SQLite (naive, in UTC)."""
    return None if value is None else datetime.fromisoformat(value)


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class StateReader:
    """The state store's tables read with ``sqlite3``, read-only (:func:`open_reader`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def close(self) -> None:
        self._db.close()

    def _rows(self, query: str, *args: Any) -> list[Any]:
        with contextlib.closing(self._db.execute(query, args)) as cursor:
            return cursor.fetchall()

    def query(self, query: str, *args: Any) -> list[Any]:
        """The rows of one read-only SQL query (the quick no-op check's own questions)."""
        return self._rows(query, *args)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the same state: one read transaction, not one per query (a
        sync committing in between cannot make two answers disagree)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", key)
        return default if not rows else _json(rows[0][0])

    def load_sessions(self) -> dict[str, dict[str, Any]]:
        """Every live session record, by id."""
        found = {}
        for row in self._rows("SELECT id, record FROM sessions WHERE record IS NOT NULL"):
            record = _json(row[1])
            if record is not None:
                found[row[0]] = record
        return found

    def max_seq(self) -> int:
        return int(self._rows("SELECT coalesce(max(seq), 0) FROM sessions")[0][0])

    def load_connector_state(self, connector: str, key: str) -> dict[str, Any]:
        rows = self._rows("SELECT value FROM connector_state WHERE connector = ? AND key = ?", connector, key)
        value = _json(rows[0][0]) if rows else None
        return dict(value) if value else {}

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for connector, state, count in self._rows(
            "SELECT connector, state, count(*) FROM outbox GROUP BY connector, state"
        ):
            counts.setdefault(connector, {})[state] = count
        return counts

    def outbox_entries(self, connector: str | None = None, states: Sequence[str] = ("pending",)) -> list[OutboxEntry]:
        query, args = outbox_query(states, connector)
        return [OutboxEntry(r[0], r[1], r[2], r[3], r[4], r[5], _json(r[6]), r[7], r[8], r[9], r[10], r[11])
                for r in self._rows(query, *args)]

    def open_breakers(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self._rows("SELECT connector, reason FROM breakers")}

    def open_conflicts(self) -> list[Conflict]:
        from sync.model import Conflict

        return [
            Conflict(r[0], r[1], r[2], _json(r[3]), _json(r[4]), _json(r[5]), r[6], _moment(r[7]))
            for r in self._rows("SELECT session, field, connector, base, ours, theirs, id, created_at FROM conflicts "
                                "WHERE state = 'open' ORDER BY id")
        ]

    def held_batches(self, states: Sequence[str] = ("open", "accepted", "rejected")) -> list[HeldBatch]:
        marks = ", ".join("?" for _ in states)
        return [
            HeldBatch(r[0], r[1], r[2], r[3], r[4], _json(r[5]), _aware(r[6]), _aware(r[7]))
            for r in self._rows("SELECT id, connector, state, reason, digest, summary, created_at, updated_at "
                                f"FROM held WHERE state IN ({marks}) ORDER BY id", *states)
        ]


def open_reader(url: str) -> StateReader | None:
    """A :class:`StateReader` over the SQLite state file of ``url``, or None when the full store
    is needed: another database, no file yet, a schema to upgrade (or written by a newer hub),
    a file sqlite3 cannot read (the store says why in words)."""
    file = sqlite_file(url)
    if file is None or not file.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        connection.close()
        return None
    if [row[0] for row in rows] != [schema_head()]:
        connection.close()
        return None
    return StateReader(connection)
