"""The collectives a hosting deployment serves, in the ``hub_hosting`` schema of its database.

A collective is an id, its configuration file (the same TOML as a lone collective's, with its
secrets files beside it, on a volume every worker reaches) and its state, kept in its own
PostgreSQL schema ``c_<id>``: the state store and its migrations run there unchanged, and two
collectives are kept apart by the database's own namespaces rather than by a ``WHERE`` clause
every query would have to remember. The registry also holds what the scheduler needs (the next
probe, the next due sync, the programme file's stamp), the pause switch and the last outcome.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError

from sync.errors import ConfigError, HubError
from sync.i18n import Catalogue

if TYPE_CHECKING:
    from config.settings import Settings
    from sync.report import ConnectorReport, Report

SCHEMA = "hub_hosting"
#: A collective's id: lower-case letters, digits and ``_``; its state schema is ``c_<id>``.
COLLECTIVE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")

TEXTS = Catalogue({
    "bad_id": {"fr": "identifiant de collectif invalide « {id} » : lettres minuscules, chiffres et _ "
                     "(40 au plus), en commençant par une lettre",
               "en": "invalid collective id {id!r}: lower-case letters, digits and _ (at most 40), "
                     "starting with a letter"},
    "exists": {"fr": "le collectif « {id} » existe déjà", "en": "the collective {id!r} already exists"},
    "unknown": {"fr": "aucun collectif « {id} »", "en": "no collective {id!r}"},
    "not_postgresql": {"fr": "l'hébergement demande une base PostgreSQL (postgresql://…), pas « {url} »",
                       "en": "hosting needs a PostgreSQL database (postgresql://…), not {url!r}"},
    "no_database": {"fr": "aucune base d'hébergement : donnez --database ou HUB_HOSTING_DATABASE",
                    "en": "no hosting database: give --database or HUB_HOSTING_DATABASE"},
    "no_registry": {"fr": "la base {url} n'est pas une base d'hébergement (aucun collectif n'y a été ajouté)",
                    "en": "the database {url} is no hosting database (no collective was ever added to it)"},
    "unreachable": {"fr": "la base d'hébergement {url} ne répond pas ({reason})",
                    "en": "the hosting database {url} does not answer ({reason})"},
    "items.failed": {"fr": "{n} en échec", "en": "{n} failed"},
    "messages.in_doubt": {"fr": "{n} message(s) à l'envoi incertain", "en": "{n} message(s) in doubt"},
})

def sync_outcome(report: Report, lang: str) -> tuple[str, str | None]:
    """What a collective's row says of a sync that ran to its end, whoever ran it (a worker, a
    hand-run command): ``ok``; or ``failed`` and, per connector that failed as ``hub sync``'s
    exit status counts them (an error, items that failed, messages whose delivery is unknown),
    what went wrong."""
    failing = failing_connectors(report)
    if not failing:
        return "ok", None
    return "failed", "; ".join(f"{name}: {trouble(figures, lang)}" for name, figures in failing.items())


def failing_connectors(report: Report) -> dict[str, ConnectorReport]:
    """The connectors of ``report`` that failed (:attr:`sync.report.Report.failed`'s rule)."""
    return {name: r for name, r in report.connectors.items() if r.error or r.failed or r.in_doubt}


def trouble(figures: ConnectorReport, lang: str) -> str:
    """A failed connector's trouble in a few words: its error, else its counts."""
    if figures.error:
        return figures.error
    parts = [TEXTS.say("items.failed", lang, n=figures.failed)] if figures.failed else []
    if figures.in_doubt:
        parts.append(TEXTS.say("messages.in_doubt", lang, n=figures.in_doubt))
    return ", ".join(parts)


metadata = MetaData(schema=SCHEMA)
collectives = Table(
    "collectives", metadata,
    Column("id", String(40), primary_key=True),
    Column("config", Text, nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("added_at", Float, nullable=False),
    Column("next_probe_at", Float, nullable=False, default=0.0),
    Column("next_sync_at", Float, nullable=True),
    Column("programme_stamp", Text, nullable=True),
    Column("last_result", String(16), nullable=True),
    Column("last_at", Float, nullable=True),
    Column("last_seconds", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_changes", Integer, nullable=False, default=0),
    Column("syncs", Integer, nullable=False, default=0),
    Column("probes", Integer, nullable=False, default=0),
    Column("probe_requests", Integer, nullable=False, default=0),
    Column("requested_at", Float, nullable=True),
    # The tick looks every two seconds for what is due: an index each, not a scan of every collective.
    Index("collectives_next_probe", "next_probe_at"),
    Index("collectives_next_sync", "next_sync_at"),
)


@dataclass(frozen=True)
class Collective:
    """One row of the registry."""

    id: str
    config: str
    paused: bool
    added_at: float
    next_probe_at: float
    next_sync_at: float | None
    programme_stamp: str | None
    last_result: str | None
    last_at: float | None
    last_seconds: float | None
    last_error: str | None
    last_changes: int
    syncs: int
    probes: int
    probe_requests: int
    requested_at: float | None

    @property
    def schema(self) -> str:
        return state_schema(self.id)


def state_schema(collective_id: str) -> str:
    """The PostgreSQL schema of one collective's state."""
    return f"c_{collective_id}"


def check_id(collective_id: str, lang: str = "en") -> str:
    if not COLLECTIVE_ID.fullmatch(collective_id):
        raise ConfigError(TEXTS.say("bad_id", lang, id=collective_id))
    return collective_id


def postgresql_url(url: str | None, lang: str = "en") -> str:
    """The hosting database's URL, checked to be PostgreSQL, with the psycopg driver."""
    if not url:
        raise ConfigError(TEXTS.say("no_database", lang))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(TEXTS.say("not_postgresql", lang, url=url)) from None
    if not parsed.drivername.startswith("postgresql"):
        raise ConfigError(TEXTS.say("not_postgresql", lang, url=parsed.render_as_string(hide_password=True)))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The same database as a libpq URL (what psycopg and procrastinate take)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Registry:
    """The ``hub_hosting.collectives`` table (created on first open; with ``create=False``, a
    database without it is refused rather than made a hosting database)."""

    def __init__(self, url: str, *, lang: str = "en", create: bool = True) -> None:
        self.url = postgresql_url(url, lang)
        self.lang = lang
        self.engine: Engine = create_engine(self.url, future=True, pool_size=2, max_overflow=2)
        try:
            if not create:
                with self.engine.connect() as conn:
                    found = conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.collectives"}).scalar()
                if found is None:
                    self.engine.dispose()
                    safe = make_url(self.url).render_as_string(hide_password=True)
                    raise ConfigError(TEXTS.say("no_registry", lang, url=safe))
                return
            with self.engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
            metadata.create_all(self.engine, checkfirst=True)
        except IntegrityError:  # two processes created it at once
            metadata.create_all(self.engine, checkfirst=True)
        except DatabaseError as exc:
            self.engine.dispose()
            safe = make_url(self.url).render_as_string(hide_password=True)
            raise HubError(TEXTS.say("unreachable", lang, url=safe, reason=type(exc.orig).__name__)) from None

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # the list -------------------------------------------------------------------------------
    def add(self, collective_id: str, config: Path) -> Collective:
        check_id(collective_id, self.lang)
        try:
            with self.transaction() as conn:
                conn.execute(insert(collectives).values(
                    id=collective_id, config=str(config.resolve()), paused=False, added_at=time.time(),
                    next_probe_at=0.0, next_sync_at=0.0, last_changes=0, syncs=0, probes=0, probe_requests=0))
        except IntegrityError:
            raise ConfigError(TEXTS.say("exists", self.lang, id=collective_id)) from None
        return self.get(collective_id)

    def remove(self, collective_id: str, *, drop_state: bool = False) -> None:
        """Forget a collective; with ``drop_state``, its state schema goes too."""
        self.get(collective_id)
        with self.transaction() as conn:
            conn.execute(delete(collectives).where(collectives.c.id == collective_id))
            if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.rate_buckets"}).scalar() is not None:
                # its share of each server's rate limit and its waits in /metrics go with it
                conn.execute(text(f"DELETE FROM {SCHEMA}.rate_buckets WHERE collective = :c"), {"c": collective_id})
            if drop_state:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{state_schema(check_id(collective_id))}" CASCADE'))

    def get(self, collective_id: str) -> Collective:
        found = self.find(collective_id)
        if found is None:
            raise ConfigError(TEXTS.say("unknown", self.lang, id=collective_id))
        return found

    def find(self, collective_id: str) -> Collective | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(collectives).where(collectives.c.id == collective_id)).first()
        return None if row is None else Collective(**row._mapping)

    def all(self) -> list[Collective]:
        with self.engine.connect() as conn:
            return [Collective(**row._mapping) for row in conn.execute(select(collectives).order_by(collectives.c.id))]

    def set_paused(self, collective_id: str, paused: bool) -> None:
        self.get(collective_id)
        self.update(collective_id, paused=paused, next_sync_at=None if paused else 0.0)

    def update(self, collective_id: str, **values: Any) -> None:
        with self.transaction() as conn:
            conn.execute(update(collectives).where(collectives.c.id == collective_id).values(**values))

    def add_probe(self, collective_id: str, requests: int, next_at: float, stamp: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(update(collectives).where(collectives.c.id == collective_id).values(
                probes=collectives.c.probes + 1, probe_requests=collectives.c.probe_requests + requests,
                next_probe_at=next_at, programme_stamp=stamp))

    def due(self, now: float) -> tuple[list[Collective], list[Collective]]:
        """(collectives whose probe is due, collectives whose sync is due), paused ones left out."""
        with self.engine.connect() as conn:
            live = select(collectives).where(collectives.c.paused.is_(False))
            probes = [Collective(**r._mapping) for r in conn.execute(
                live.where(collectives.c.next_probe_at <= now).order_by(collectives.c.next_probe_at))]
            syncs = [Collective(**r._mapping) for r in conn.execute(
                live.where(collectives.c.next_sync_at.is_not(None), collectives.c.next_sync_at <= now)
                .order_by(collectives.c.next_sync_at))]
        return probes, syncs


def hosted_settings(collective_id: str, database: str | None, *, lang: str,
                    load: Callable[[str], Settings]) -> Settings:
    """A hosted collective's configuration as its own commands (``hub status --collective ID``...)
    run with it: read from the file the registry names, its ``[hub] database`` replaced by the
    hosting database and its state put in its schema ``c_<id>``. The state store then opens
    that schema, and a sync takes the writer lock of that schema, the one a worker's sync of the
    collective takes: the two never apply at once. Refused: no hosting database, not PostgreSQL,
    one that does not answer, an unknown collective."""
    check_id(collective_id, lang)
    registry = Registry(database or "", lang=lang, create=False)
    try:
        row = registry.get(collective_id)
    finally:
        registry.close()
    settings = load(row.config)
    return dataclasses.replace(settings, hub=settings.hub.model_copy(update={"database": registry.url}),
                               state_schema=row.schema)
