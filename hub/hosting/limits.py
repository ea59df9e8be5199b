"""Rate limits toward the servers collectives share, held across every worker on every machine.

Two token buckets per request, both rows of ``hub_hosting.rate_buckets`` in the hosting
database (the one thing every worker shares), each taken in one atomic statement:

- the collective's own share of the server: ``(collective, host)``, at ``share`` requests per
  second (``share_burst`` at once). One collective cannot take the whole server, and since each
  collective has its own credentials, this is also a per-token limit (a Telegram bot's);
- the server's whole limit: ``('', host)``, at ``rate`` requests per second (``burst``), for
  all collectives together, so a thousand collectives on one Nextcloud cannot flood it.

The collective's bucket is taken first and waited on, then the server's: a collective over its
share waits in its own bucket and does not hold the server's tokens meanwhile, so it does not
slow the others. A bucket may go below zero: a take books the next free moment (the
bucket's debt over its rate) and the request sleeps until then, so waiting requests are served
in order, one statement each, without polling. A request whose turn would come more than
``max_wait`` seconds later is not booked: it raises :class:`TransientError` with the wait in
``retry_after``, and the engine defers that connector's work as after a server's 429 (the
outbox retries, the next sync reads again): nothing is dropped.

The buckets' clock is PostgreSQL's (``clock_timestamp()``), so workers on machines whose clocks
differ share one time. A host is a URL's host name, with its port when not the scheme's own.

The limits are the deployment's, in ``hub_hosting.rate_limits`` (``hub collective limits``),
read again by each worker every :data:`RELOAD` seconds; a host without its own row takes the
``*`` row, else the built-in :data:`DEFAULTS`. Waits and deferrals are counted on the
collective's bucket row, for /metrics (:func:`metric_lines`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from connectors.gate import GATE
from hub.hosting.registry import SCHEMA, postgresql_url
from sync.errors import TransientError, UsageError
from sync.i18n import Catalogue, log_texts

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "[%s] %s: over its rate limit, tried again in %.0f s":
        "[%s] %s : limite de débit atteinte, nouvel essai dans %.0f s",
})

TEXTS = Catalogue({
    "deferred": {"fr": "{host} : limite de débit de l'hébergement atteinte, nouvel essai dans {seconds} s",
                 "en": "{host}: the host's rate limit is reached, tried again in {seconds} s"},
    "row": {"fr": "{host} : {whole} en tout, {each} par collectif{mark}",
            "en": "{host}: {whole} in all, {each} per collective{mark}"},
    "per_second": {"fr": "{rate:g} requêtes/s (d'un coup : {burst:g})",
                   "en": "{rate:g} requests/s ({burst:g} at once)"},
    "none": {"fr": "sans limite", "en": "no limit"},
    "mark.default": {"fr": " (par défaut)", "en": " (default)"},
    "reset.needs_host": {"fr": "--reset et les réglages veulent un serveur (HOST, ou * pour tout autre)",
                         "en": "--reset and the settings need a server (HOST, or * for any other)"},
    "reset.and.set": {"fr": "--reset s'emploie seul, sans --rate, --burst, --share ni --share-burst",
                      "en": "--reset goes alone, without --rate, --burst, --share or --share-burst"},
})

#: The host name that stands for every host without a row of its own.
ANY_HOST = "*"
#: Seconds a request may wait for its turn before its connector's work is deferred instead.
MAX_WAIT = 30.0
#: Seconds between two readings of the limits table by a worker.
RELOAD = 10.0


@dataclass(frozen=True)
class Limit:
    """A server's limits: requests per second in all (``rate``, 0 for none) and per collective
    (``share``, 0 for none), each with the requests that may go at once after a quiet spell."""

    rate: float
    burst: float
    share: float
    share_burst: float

    def as_json(self) -> dict[str, float]:
        return {"rate": self.rate, "burst": self.burst, "share": self.share, "share_burst": self.share_burst}


#: What a deployment gets before it sets its own. Any server: 30 requests a second in all (a
#: small Nextcloud's PHP workers keep up with that), 10 per collective, so three collectives at
#: full speed leave room for the others. Telegram's Bot API: its own limit is per bot token
#: (about 30 messages a second), and each collective has its own bot: no limit for the host as
#: a whole, 30 a second per collective.
DEFAULTS: dict[str, Limit] = {
    ANY_HOST: Limit(rate=30.0, burst=60.0, share=10.0, share_burst=30.0),
    "api.telegram.org": Limit(rate=0.0, burst=0.0, share=30.0, share_burst=30.0),
}

metadata = MetaData(schema=SCHEMA)
rate_limits = Table(
    "rate_limits", metadata,
    Column("host", String(255), primary_key=True),
    Column("rate", Float, nullable=False),
    Column("burst", Float, nullable=False),
    Column("share", Float, nullable=False),
    Column("share_burst", Float, nullable=False),
)
rate_buckets = Table(
    "rate_buckets", metadata,
    Column("collective", String(40), primary_key=True),  # '' for the host's whole bucket
    Column("host", String(255), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("stamp", Float, nullable=False),
    Column("taken", Integer, nullable=False, default=1),
    Column("waits", Integer, nullable=False, default=0),
    Column("waited", Float, nullable=False, default=0.0),
    Column("deferred", Integer, nullable=False, default=0),
)

#: One take, atomic: refill by the time since the last take (PostgreSQL's clock), book one token
#: unless the debt would then exceed what ``bound`` seconds refill; tell the level and whether
#: it was booked.
TAKE = text(f"""
WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t)
INSERT INTO {SCHEMA}.rate_buckets AS b (collective, host, tokens, stamp, taken, waits, waited, deferred)
SELECT :collective, :host, :burst - 1, now.t, 1, 0, 0, 0 FROM now
ON CONFLICT (collective, host) DO UPDATE SET
    tokens = LEAST(:burst, b.tokens + GREATEST(0, EXCLUDED.stamp - b.stamp) * :rate)
             - CASE WHEN LEAST(:burst, b.tokens + GREATEST(0, EXCLUDED.stamp - b.stamp) * :rate) - 1
                         >= -(:bound * :rate) THEN 1 ELSE 0 END,
    taken = CASE WHEN LEAST(:burst, b.tokens + GREATEST(0, EXCLUDED.stamp - b.stamp) * :rate) - 1
                      >= -(:bound * :rate) THEN 1 ELSE 0 END,
    stamp = EXCLUDED.stamp
RETURNING tokens, taken
""")

COUNT = text(f"""
INSERT INTO {SCHEMA}.rate_buckets AS b (collective, host, tokens, stamp, taken, waits, waited, deferred)
VALUES (:collective, :host, 0, 0, 0, :waits, :waited, :deferred)
ON CONFLICT (collective, host) DO UPDATE SET
    waits = b.waits + :waits, waited = b.waited + :waited, deferred = b.deferred + :deferred
""")


def create_tables(engine: Engine) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        metadata.create_all(engine, checkfirst=True)
    except IntegrityError:  # two processes made them at once
        metadata.create_all(engine, checkfirst=True)


def read_limits(conn: Connection) -> dict[str, Limit]:
    """The deployment's own rows, by host."""
    return {r.host: Limit(r.rate, r.burst, r.share, r.share_burst) for r in conn.execute(select(rate_limits))}


def limit_for(host: str, own: dict[str, Limit]) -> Limit:
    """A host's limits: its own row (with, then without its port), the built-in one for it,
    the deployment's ``*`` row, the built-in ``*``."""
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    for table, key in ((own, host), (own, bare), (DEFAULTS, host), (DEFAULTS, bare), (own, ANY_HOST)):
        if key in table:
            return table[key]
    return DEFAULTS[ANY_HOST]


class Deferred(TransientError):
    """A request whose turn is further off than the limiter waits: its connector's work waits
    for the next sync (``retry_after``)."""


class Limiter:
    """One worker process's way to the buckets (a small pool of its own)."""

    def __init__(self, url: str, *, max_wait: float = MAX_WAIT, lang: str = "en") -> None:
        # A bucket's update lost in a crash costs a few requests sent early, never data: the
        # takes do not wait for the WAL to reach the disk.
        self.engine = create_engine(postgresql_url(url), pool_size=2, max_overflow=6,
                                    connect_args={"options": "-c synchronous_commit=off"})
        self.max_wait = max_wait
        self.lang = lang
        self._limits: dict[str, Limit] = {}
        self._read_at = -RELOAD
        create_tables(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def stale(self) -> bool:
        """The limits are to be read again (every :data:`RELOAD` seconds)."""
        return time.monotonic() - self._read_at >= RELOAD

    def limits(self) -> dict[str, Limit]:
        if self.stale:
            with self.engine.connect() as conn:
                self._limits = read_limits(conn)
            self._read_at = time.monotonic()
        return self._limits

    def take(self, collective: str, host: str, rate: float, burst: float, bound: float) -> tuple[bool, float]:
        """Book one token of a bucket: (booked, seconds to wait for it, or until one could be)."""
        burst = max(1.0, burst)
        with self.engine.begin() as conn:
            row = conn.execute(TAKE, {"collective": collective, "host": host, "rate": rate, "burst": burst,
                                      "bound": max(0.0, bound)}).one()
        tokens, taken = float(row.tokens), bool(row.taken)
        if taken:
            return True, max(0.0, -tokens) / rate
        return False, (1 - tokens) / rate - bound

    def count(self, collective: str, host: str, waited: float, deferred: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(COUNT, {"collective": collective, "host": host, "waits": int(waited > 0),
                                 "waited": waited, "deferred": int(deferred)})

    def gate(self, collective: str) -> CollectiveGate:
        return CollectiveGate(self, collective)

    @contextlib.contextmanager
    def installed(self, collective: str) -> Iterator[None]:
        """Every request of the code run inside (a job of ``collective``) passes the gate."""
        token = GATE.set(self.gate(collective))
        try:
            yield
        finally:
            GATE.reset(token)


class CollectiveGate:
    """:class:`connectors.gate.RequestGate` for one collective's job."""

    def __init__(self, limiter: Limiter, collective: str) -> None:
        self.limiter = limiter
        self.collective = collective

    def _buckets(self, host: str) -> list[tuple[str, float, float]]:
        limit = limit_for(host, self.limiter.limits())
        buckets = []
        if limit.share > 0:
            buckets.append((self.collective, limit.share, limit.share_burst))
        if limit.rate > 0:
            buckets.append(("", limit.rate, limit.burst))
        return buckets

    async def wait_turn(self, host: str, connector: str | None) -> None:
        if self.limiter.stale:  # read in a thread: the event loop never waits on the database
            await asyncio.to_thread(self.limiter.limits)
        waited = 0.0
        for owner, rate, burst in self._buckets(host):
            booked, wait = await asyncio.to_thread(self.limiter.take, owner, host, rate, burst,
                                                   self.limiter.max_wait - waited)
            if not booked:
                await asyncio.to_thread(self.limiter.count, self.collective, host, waited, True)
                raise self._deferred(host, connector, waited + wait)
            if wait > 0:
                await asyncio.sleep(wait)
                waited += wait
        if waited > 0:
            await asyncio.to_thread(self.limiter.count, self.collective, host, waited, False)

    def wait_turn_blocking(self, host: str, connector: str | None) -> None:
        waited = 0.0
        for owner, rate, burst in self._buckets(host):
            booked, wait = self.limiter.take(owner, host, rate, burst, self.limiter.max_wait - waited)
            if not booked:
                self.limiter.count(self.collective, host, waited, True)
                raise self._deferred(host, connector, waited + wait)
            if wait > 0:
                time.sleep(wait)
                waited += wait
        if waited > 0:
            self.limiter.count(self.collective, host, waited, False)

    def _deferred(self, host: str, connector: str | None, seconds: float) -> Deferred:
        seconds = max(1.0, seconds)
        log.warning("[%s] %s: over its rate limit, tried again in %.0f s", self.collective, host, seconds)
        return Deferred(TEXTS.say("deferred", self.limiter.lang, host=host, seconds=f"{seconds:.0f}"),
                        connector=connector, retry_after=seconds)


# the deployment's settings (``hub collective limits``) --------------------------------------
def set_limit(engine: Engine, host: str, limit: Limit) -> None:
    create_tables(engine)
    with engine.begin() as conn:
        stmt = insert(rate_limits).values(host=host, **limit.as_json())
        conn.execute(stmt.on_conflict_do_update(index_elements=["host"], set_=limit.as_json()))


def reset_limit(engine: Engine, host: str) -> None:
    create_tables(engine)
    with engine.begin() as conn:
        conn.execute(delete(rate_limits).where(rate_limits.c.host == host))


def effective_limits(engine: Engine) -> dict[str, tuple[Limit, str]]:
    """Every host with a limit of its own or built in: its limits and where they come from
    (``set`` by the deployment, ``default`` built in)."""
    create_tables(engine)
    with engine.connect() as conn:
        own = read_limits(conn)
    shown: dict[str, tuple[Limit, str]] = {host: (limit, "default") for host, limit in DEFAULTS.items()}
    shown.update({host: (limit, "set") for host, limit in own.items()})
    return dict(sorted(shown.items()))


def limits_command(engine: Engine, host: str | None, changes: dict[str, float], *, reset: bool, as_json: bool,
                   lang: str) -> int:
    """``hub collective limits [HOST] [--rate R] [--burst N] [--share R] [--share-burst N] [--reset]``:
    set what is given (the rest kept from the limits the server has now), or go back to the
    default; then show the limits (the server's alone when named)."""
    import json

    import click

    if (reset or changes) and not host:
        raise UsageError(TEXTS.say("reset.needs_host", lang))
    if reset and changes:
        raise UsageError(TEXTS.say("reset.and.set", lang))
    host = host.strip().lower() if host else None
    create_tables(engine)
    if reset and host:
        reset_limit(engine, host)
    elif changes and host:
        with engine.connect() as conn:
            now = limit_for(host, read_limits(conn)) if host != ANY_HOST else _any(read_limits(conn))
        set_limit(engine, host, Limit(**{**now.as_json(), **changes}))
    shown = effective_limits(engine)
    if host is not None:
        with engine.connect() as conn:
            own = read_limits(conn)
        limit = _any(own) if host == ANY_HOST else limit_for(host, own)
        shown = {host: (limit, "set" if host in own else "default")}
    if as_json:
        click.echo(json.dumps({"limits": {h: {**limit.as_json(), "source": source}
                                          for h, (limit, source) in shown.items()}}, ensure_ascii=False))
        return 0
    for name, (limit, source) in shown.items():
        click.echo(TEXTS.say("row", lang, host=name, whole=_rate(limit.rate, limit.burst, lang),
                             each=_rate(limit.share, limit.share_burst, lang),
                             mark=TEXTS.say("mark.default", lang) if source == "default" else ""))
    return 0


def _any(own: dict[str, Limit]) -> Limit:
    return own.get(ANY_HOST, DEFAULTS[ANY_HOST])


def _rate(rate: float, burst: float, lang: str) -> str:
    return TEXTS.say("per_second", lang, rate=rate, burst=burst) if rate > 0 else TEXTS.say("none", lang)


# /metrics ---------------------------------------------------------------------------------
def metric_lines(engine: Engine) -> list[str]:
    """Prometheus lines: each collective's waits for its turn, by host (count and seconds) and
    the requests deferred to a later sync."""
    with engine.connect() as conn:
        found = conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.rate_buckets"}).scalar()
        if found is None:
            return []
        rows = list(conn.execute(select(rate_buckets).where(rate_buckets.c.collective != "")
                                 .order_by(rate_buckets.c.collective, rate_buckets.c.host)))
    lines: list[str] = []
    for name, column, kind, what in (
        ("hub_collective_rate_waits_total", "waits", "counter", "Requests that waited for their turn."),
        ("hub_collective_rate_wait_seconds_total", "waited", "counter", "Seconds requests waited for their turn."),
        ("hub_collective_rate_deferred_total", "deferred", "counter",
         "Requests whose turn was too far off: their connector's work was deferred."),
    ):
        lines += [f"# HELP {name} {what}", f"# TYPE {name} {kind}"]
        lines += [f'{name}{{collective="{r.collective}",host="{_label(r.host)}"}} {getattr(r, column)}' for r in rows]
    return lines


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
