"""Say "nothing to do" for a sync without running it, only when that is certain.

``hub sync`` with nothing new costs, through the engine, its imports (SQLAlchemy, the
connectors' libraries) and the reading of the state: about a second before any request.
:func:`nothing_to_do` answers first, with the standard library's ``sqlite3`` and what it reads
of the validated settings (:class:`QuickInputs`, plain data that :mod:`hub.quickstart` keeps
between commands so that a later ``hub sync`` can :func:`check` before loading the settings'
models). It answers yes only when all of these hold, read in one snapshot of the state:

- the state is a SQLite file at the newest schema (PostgreSQL, a hosted collective, a state to
  migrate: the full sync), and the last sync ended with nothing left to do, with settings of
  the same digest (:mod:`sync.inputs`: the configuration file, its environment variables and
  defaults; every sync forgets the digest when it starts, records it when it ends clean) and
  the same version of the hub's code;
- the programme file is byte for byte what the last pull read (its cursor is the sha256 of its
  bytes, as :mod:`connectors.programme_file` compares it);
- nothing is waiting: no outbox entry other than done or superseded (pending, sending, failed,
  in doubt), no held batch open or decided, no open conflict, no connector held by its breaker,
  no announcement waiting for its quiet period, the first publication made;
- every sink has been planned up to the last change of the programme (a resolved conflict or
  an edit from elsewhere bumps the change counter);
- every synced connector is of a type known to have no time-driven work and to need no request
  when nothing changed (:data:`QUIET_TYPES`), or of a source type with a lean probe that
  answers "unchanged" (:class:`ProbeModule`: a CalDAV calendar's one sync-token REPORT, the
  request the full sync would send first). Any other type (a chat with a day board, an e-mail digest,
  a source without a probe) means the full sync, as does a probe that says "changed".

Anything unknown, unreadable or unexpected means the full sync, which is always correct; this
module only ever saves its cost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sync.inputs import CODE, SETTINGS, running_code_digest
from sync.state_reader import StateReader, open_reader, sqlite_file

#: The name the programme file goes by in cursors and reports (``hub.runtime.PROGRAMME_SOURCE``).
PROGRAMME = "programme"

#: Connector types whose no-op sync makes no request and that do nothing as time passes: a sink
#: that is written only when the programme changes. ``tests/engine/test_quick.py`` checks that
#: each has no ``refresh`` and cannot be read. A type not listed here means the full sync.
QUIET_TYPES: frozenset[str] = frozenset({"files"})

#: Outbox states that leave nothing to do.
SETTLED = ("done", "superseded")


@dataclass(frozen=True)
class SourceState:
    """What the state holds of one source for its probe, read in the check's snapshot."""

    #: The cursor its last pull stored (None: never pulled).
    cursor: str | None
    #: Its small per-connector mappings (``connector_state``), by key.
    mappings: Mapping[str, Any]
    #: The remote id of each of its links, with the remote version it was last seen at.
    linked: Mapping[str, str | None]


class Probe(Protocol):
    """A source type's lean question: True only when a full pull would find nothing new. It
    makes at most one cheap request and never raises (an error is False: the full sync).
    ``facts`` are what :class:`ProbeFacts` took of its settings; ``secret`` gives a secret of
    its section by name (``"password"``), or None."""

    def __call__(self, facts: Mapping[str, Any], seen: SourceState,
                 secret: Callable[[str], str | None]) -> bool: ...


class ProbeFacts(Protocol):
    """What a source type's probe needs of its validated settings, as plain JSON data with no
    secret in it (its address, user name, time-out...), or None: this section cannot be probed.
    The facts are kept between commands (:mod:`hub.quickstart`), so that a later ``hub sync``
    can probe before the settings' models are even loaded."""

    def __call__(self, config: Any, settings: Any) -> Mapping[str, Any] | None: ...


class ProbeModule(Protocol):
    """A module holding a source type's probe: ``facts`` and ``probe``, and the names of the
    secrets the probe asks for (``SECRETS``)."""

    facts: ProbeFacts
    probe: Probe
    SECRETS: tuple[str, ...]


@dataclass(frozen=True)
class ProbeCall:
    """One synced source to probe: its section's name, its probe's module and its facts."""

    name: str
    module: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class QuickInputs:
    """What the quick check reads of the validated settings, as plain data: enough to answer
    without the settings' models (:mod:`hub.quickstart` keeps it between commands)."""

    #: :func:`sync.inputs.settings_digest` of the settings.
    settings_digest: str
    database_url: str
    #: The programme file, absolute.
    programme: str
    max_programme_bytes: int
    write_back: bool
    language: str
    #: Every synced connector's name (sinks and probed sources).
    synced: tuple[str, ...]
    probes: tuple[ProbeCall, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "probes": [dataclasses.asdict(p) for p in self.probes]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuickInputs:
        """The inputs :meth:`to_json` gave; ``KeyError``/``TypeError`` on anything else."""
        probes = tuple(ProbeCall(str(p["name"]), str(p["module"]), dict(p["facts"])) for p in data["probes"])
        return cls(str(data["settings_digest"]), str(data["database_url"]), str(data["programme"]),
                   int(data["max_programme_bytes"]), bool(data["write_back"]), str(data["language"]),
                   tuple(str(n) for n in data["synced"]), probes)


def load_probe(module: str) -> ProbeModule:
    """The probe module named ``module`` (a connector's, named by the registry)."""
    loaded: ProbeModule = importlib.import_module(module)
    return loaded


@dataclass
class NoOp:
    """What a sync with nothing to do would report: per connector, its unchanged sessions and
    the requests the check made."""

    unchanged: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report ``hub sync --json`` prints for a sync that changed nothing."""
        zero = {"created": 0, "updated": 0, "deleted": 0}
        return {
            "connectors": {name: {**zero, "unchanged": n, "failed": 0, "requests": self.requests.get(name, 0)}
                           for name, n in self.unchanged.items()},
            "changes": [], "conflicts": [], "operations": [], "problems": [], "held": [],
        }


def programme_path(settings: Any) -> Path | None:
    """The programme file as the programme source opens it, or None: no programme file."""
    name = settings.hub.programme
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else settings.base_dir / path


def file_digest(path: Path, limit: int) -> str | None:
    """The sha256 of the file's bytes, or None: missing, unreadable or over ``limit`` bytes."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return None if len(data) > limit else hashlib.sha256(data).hexdigest()


def inputs_of(settings: Any, probe_for: Callable[[str], str | None] = lambda _type: None) -> QuickInputs | None:
    """What the check needs of ``settings``, or None when a sync with them always runs whole: a
    hosted collective, no programme file, a synced connector neither quiet nor probed (or whose
    probe cannot take its settings), a state database other than a SQLite file (the check reads
    only those; and a server's URL may carry its password, which must not be kept).
    ``probe_for`` names a source type's probe module (None: the type has none)."""
    from sync.inputs import settings_digest  # its digest needs pydantic: the validated settings have it

    if settings.state_schema is not None or sqlite_file(settings.database_url) is None:
        return None
    programme = programme_path(settings)
    if programme is None:
        return None
    synced = [s for s in settings.connectors if s.config.sync]
    probes: list[ProbeCall] = []
    for section in synced:
        if section.config.type in QUIET_TYPES:
            continue
        module = probe_for(section.config.type)
        if module is None:
            return None
        try:
            facts = load_probe(module).facts(section.config, settings)
        except (ImportError, AttributeError):
            return None
        if facts is None:
            return None
        probes.append(ProbeCall(section.name, module, facts))
    hub = settings.hub
    return QuickInputs(settings_digest(settings), settings.database_url, str(programme), hub.max_programme_bytes,
                       bool(hub.programme_write_back), hub.language, tuple(s.name for s in synced), tuple(probes))


def nothing_to_do(settings: Any, probe_for: Callable[[str], str | None] = lambda _type: None) -> NoOp | None:
    """A :class:`NoOp` when a sync with ``settings`` now is certain to change nothing, else None
    (run the full sync). ``probe_for`` names a source type's probe module (None: no probe)."""
    inputs = inputs_of(settings, probe_for)
    return None if inputs is None else check(inputs, section_secrets(settings))


def section_secrets(settings: Any) -> Callable[[str, str], str | None]:
    """``secret(section, name)``: a connector section's secret, read as its connector reads it
    (the setting, or its ``*_file``); raises ``ConfigError`` when the file cannot be read."""
    configs = {section.name: section.config for section in settings.connectors}

    def secret(section: str, name: str) -> str | None:
        value: str | None = configs[section].secret(name, settings.base_dir, lang=settings.hub.language)
        return value

    return secret


def check(inputs: QuickInputs, secret: Callable[[str, str], str | None]) -> NoOp | None:
    """The check itself, on plain inputs: a :class:`NoOp`, or None (run the full sync).
    ``secret(section, name)`` gives a probed section's secret; it may raise (the probe then
    says "changed")."""
    reader = open_reader(inputs.database_url)
    if reader is None:
        return None
    try:
        with reader.snapshot():
            noop = _check(reader, inputs)
            seen = {p.name: _source_state(reader, p.name) for p in inputs.probes} if noop is not None else {}
    except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError):
        return None  # a state this check does not understand: the full sync will say
    finally:
        with contextlib.suppress(sqlite3.Error):
            reader.close()
    if noop is None:
        return None
    # The sources are asked once the state is read: no read transaction stays open meanwhile.
    for call in inputs.probes:
        state = seen[call.name]
        if state is None:
            return None
        noop.requests[call.name] = 1
        try:
            if not load_probe(call.module).probe(call.facts, state, functools.partial(secret, call.name)):
                return None
        except Exception:  # a probe that fails says nothing: the full sync will
            return None
    return noop


def _source_state(reader: StateReader, name: str) -> SourceState | None:
    """A source's cursor, mappings and linked remote ids; None unless it has exactly one cursor."""
    cursors = reader.query("SELECT collection, token FROM cursors WHERE connector = ?", name)
    if len(cursors) != 1:
        return None
    collection, token = cursors[0]
    mappings = {key: json.loads(value) for key, value in
                reader.query("SELECT key, value FROM connector_state WHERE connector = ?", name)}
    linked = {row[0]: row[1] for row in reader.query(
        "SELECT remote_id, remote_version FROM links WHERE connector = ? AND collection = ? "
        "AND remote_id IS NOT NULL", name, collection)}
    return SourceState(token, mappings, linked)


def _one(reader: StateReader, query: str, *args: Any) -> Any:
    return reader.query(query, *args)[0][0]


def _check(reader: StateReader, inputs: QuickInputs) -> NoOp | None:
    recorded = dict(reader.query("SELECT name, digest FROM sync_inputs"))
    if recorded.get(SETTINGS) != inputs.settings_digest or recorded.get(CODE) != running_code_digest():
        return None
    marks = ", ".join("?" for _ in SETTLED)
    if _one(reader, f"SELECT count(*) FROM outbox WHERE state NOT IN ({marks})", *SETTLED):
        return None
    if _one(reader, "SELECT count(*) FROM held WHERE state IN ('open', 'accepted', 'rejected')"):
        return None
    if _one(reader, "SELECT count(*) FROM conflicts WHERE state = 'open'"):
        return None
    if _one(reader, "SELECT count(*) FROM breakers"):
        return None
    if reader.get_meta("programme") is None or reader.get_meta("published_initialized") is None:
        return None
    if reader.get_meta("announce_waiting") not in ({}, None):
        return None
    cursors = reader.query("SELECT token FROM cursors WHERE connector = ?", PROGRAMME)
    digest = file_digest(Path(inputs.programme), inputs.max_programme_bytes)
    if len(cursors) != 1 or digest is None or cursors[0][0] != digest:
        return None
    last = reader.max_seq()
    write_back = inputs.write_back
    sinks = list(inputs.synced)
    for name in [*sinks, *([PROGRAMME] if write_back else [])]:
        planned = [row[0] for row in reader.query("SELECT synced_seq FROM cursors WHERE connector = ?", name)]
        if not planned or min(planned) < last:
            return None
    live = int(_one(reader, "SELECT count(*) FROM sessions WHERE record IS NOT NULL"))
    return NoOp({PROGRAMME: live if write_back else 0, **dict.fromkeys(sinks, live)})


def record(database_url: str, noop: NoOp, at: str) -> bool:
    """Keep the no-op's report as the last sync's (``hub status`` tells when it ran), as the
    full sync does; False when the state could not take it (busy past a few seconds)."""
    file = sqlite_file(database_url)
    if file is None:
        return False
    value = json.dumps({**noop.to_json(), "at": at}, ensure_ascii=False)
    try:
        with contextlib.closing(sqlite3.connect(file, timeout=5.0)) as db, db:
            if db.execute("UPDATE meta SET value = ? WHERE key = 'last_report'", (value,)).rowcount == 0:
                db.execute("INSERT INTO meta (key, value) VALUES ('last_report', ?)", (value,))
    except sqlite3.Error:
        return False
    return True
