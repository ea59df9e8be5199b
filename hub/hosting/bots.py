"""The chat bots of a hosting deployment: webhooks routed by collective, answered by workers.

* **The web front** (``hub daemon --hosting``) takes ``POST /webhooks/<collective>/<kind>`` (``telegram``,
  ``talk``: the kinds a chat connector's front-end takes by webhook). It checks the request
  against the secrets of *that* collective's chat sections only, read from its configuration
  (:meth:`chat_webhook` of each connector class: Telegram's secret token, the Talk bot's HMAC
  signature), and queues a ``hub.bot_answer`` job carrying the update (at most
  :data:`MAX_UPDATE` bytes; the job's arguments are the collective, the chat section's name and
  the update, never a header nor a secret: jobs are rows in PostgreSQL). A wrong secret is 403
  and queues nothing; a paused collective's update is acknowledged (200) and not queued, so the
  chat platform does not keep sending it, and nobody gets an answer hours late.
* **The job** (any worker) reads that collective's configuration and state (its schema) and
  answers through the same code as the single daemon: the connector's chat front-end
  (:meth:`accept`: the inbox, so an update Telegram sent twice is answered once) and
  :class:`bots.service.Bot`, with the collective's own connector and token. A paused or refused
  collective does not answer; an error is that job's, logged under its collective.
* **No lock shared with the syncs.** An answer reads the live programme as the last committed
  sync left it (PostgreSQL gives it a consistent snapshot) and writes only the bot's tables and
  the inbox, which no sync touches: it takes neither the collective's writer lock nor the
  ``collective:<id>`` job lock, so it never waits behind a sync of 10,000 sessions. Its own lock,
  ``bot:<id>``, keeps one collective's answers in order and one at a time (the inbox is drained
  by one job at a time). Bot answers have their own queue, ``bots``, which each worker serves in
  its own slots (``hub worker --bots N``, beside the ``--concurrency`` slots of syncs and
  probes), so long syncs filling every job slot never hold an answer back.
* **The programme's index** (:mod:`bots.index`) is built once per programme version per
  collective and kept in the worker (:func:`bots.index.keep`), read back from the file ``hub
  ask`` keeps when another worker built it already; a new version (the state's sequence or the
  programme's meta changed) replaces it. A worker keeps the bots of its :data:`KEEP` most recent
  collectives.

Chats that are only polled (Signal's receive, Telegram or Talk without a webhook) are not
answered in hosting mode: a long poll per collective and chat would hold a worker slot or a
connection for good (a thousand collectives, a thousand open polls), and a periodic short poll
would cost each collective requests every few seconds whether anyone writes or not, the steady
load the probes already are. Those chats stay the single-collective daemon's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select, text
from sqlalchemy.dialects.postgresql import insert

from bots.follow import SystemClock
from bots.inbox import SqlInbox
from bots.index import ProgrammeIndex, index_for, keep, let_go, load_index, save_index
from bots.live import index_path, live_programme, programme_version
from bots.run import HubOperations, _poster
from bots.service import Bot
from bots.store import SqlFollowStore
from hub.hosting import jobs
from hub.hosting.registry import SCHEMA, Collective, Registry
from hub.runtime import Verify, announcing_connectors, chat_webhooks
from sync.chat import ChannelPolicy, Incoming, Outgoing
from sync.errors import HubError
from sync.i18n import Catalogue, log_texts
from sync.protocol import RequestCounter

if TYPE_CHECKING:
    import procrastinate
    from starlette.requests import Request
    from starlette.responses import Response

    from config.settings import Settings
    from sync.model import Programme
    from sync.protocol import Connector
    from sync.state import StateStore

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "[%s] chat update refused (%s): %s": "[%s] message de discussion refusé (%s) : %s",
    "[%s] paused: the chat update is not answered": "[%s] en pause : le message de discussion reste sans réponse",
    "[%s] bot answer failed: %s": "[%s] réponse du bot en échec : %s",
    "[%s] configuration refused, no answer: %s": "[%s] configuration refusée, pas de réponse : %s",
    "[%s] no chat %s takes webhooks here": "[%s] aucune discussion %s ne prend de webhook ici",
    "[%s] webhook of %s set to %s": "[%s] webhook de %s réglé sur %s",
})

TEXTS = Catalogue({
    "set": {"fr": "{id} : {channel} reçoit ses messages sur {url}",
            "en": "{id}: {channel} gets its messages at {url}"},
    "talk": {"fr": "{id} : {channel} : installez le bot Talk avec cette adresse et son secret "
                   "(occ talk:bot:install … {url} …)",
             "en": "{id}: {channel}: install the Talk bot with this address and its secret "
                   "(occ talk:bot:install … {url} …)"},
    "none": {"fr": "{id} : aucune discussion avec un secret de webhook (webhook_secret, talk_bot_secret)",
             "en": "{id}: no chat with a webhook secret (webhook_secret, talk_bot_secret)"},
    "failed": {"fr": "{id} : {channel} : webhook non réglé : {error}",
               "en": "{id}: {channel}: webhook not set: {error}"},
})

#: The queue of bot answers (each worker serves it in slots of its own).
BOT_QUEUE = "bots"
#: Ahead of syncs and probes (procrastinate takes the highest priority first).
BOT_PRIORITY = 10
#: The largest update taken (a Telegram message of 4,096 characters, its entities and the one it
#: replies to are well under it).
MAX_UPDATE = 64 * 1024
#: Collectives whose bot (connectors, index) a worker keeps at once.
KEEP = 64

metadata = MetaData(schema=SCHEMA)
#: What the workers' answers did, per collective (the web front's /metrics reads it).
bot_counts = Table(
    "bot_answers", metadata,
    Column("collective", String(40), primary_key=True),
    Column("updates", Integer, nullable=False, default=0),
    Column("replies", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("last_at", Float, nullable=True),
    Column("last_delay", Float, nullable=True),
)


#: Advisory lock held while the counts' table is made (the web front and workers start together).
COUNTS_KEY = 0x68756262  # "hubb"


def create_counts(registry: Registry) -> None:
    with registry.transaction() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COUNTS_KEY})
        metadata.create_all(conn, checkfirst=True)


def record(registry: Registry, collective: str, *, updates: int = 0, replies: int = 0, failures: int = 0,
           skipped: int = 0, delay: float | None = None) -> None:
    """Add one job's figures to the collective's row."""
    now = time.time()
    values = {"collective": collective, "updates": updates, "replies": replies, "failures": failures,
              "skipped": skipped, "last_at": now, "last_delay": delay}
    statement = insert(bot_counts).values(**values)
    c = bot_counts.c
    changes: dict[str, Any] = {"updates": c.updates + updates, "replies": c.replies + replies,
                               "failures": c.failures + failures, "skipped": c.skipped + skipped,
                               "last_at": now}
    if delay is not None:
        changes["last_delay"] = delay
    with registry.transaction() as conn:
        conn.execute(statement.on_conflict_do_update(index_elements=[c.collective], set_=changes))


# --- the web front -------------------------------------------------------------------------------


class BotFront:
    """``POST /webhooks/<collective>/<kind>`` of the hosting web front, and its counts."""

    def __init__(self, registry: Registry, queue: procrastinate.App) -> None:
        self.registry = registry
        self.queue = queue
        self._hooks: dict[str, tuple[object, dict[str, list[tuple[str, Verify]]]]] = {}
        #: (collective, kind, status) -> requests, for /metrics.
        self.counts: dict[tuple[str, str, int], int] = {}
        create_counts(registry)

    def hooks(self, row: Collective) -> dict[str, list[tuple[str, Verify]]]:
        """The collective's webhooks, read again when its configuration changes; none when it
        is refused (so nothing of it is taken)."""
        try:
            settings, _redact = jobs.collective_settings(row)
        except HubError:
            return {}
        cached = self._hooks.get(row.id)
        if cached is not None and cached[0] is settings:
            return cached[1]
        try:
            hooks = chat_webhooks(settings)
        except HubError:
            hooks = {}
        self._hooks[row.id] = (settings, hooks)
        return hooks

    def _count(self, collective: str, kind: str, status: int) -> None:
        key = (collective, kind, status)
        self.counts[key] = self.counts.get(key, 0) + 1

    async def webhook(self, request: Request) -> Response:
        from starlette.responses import JSONResponse, PlainTextResponse

        collective, kind = request.path_params["collective"], request.path_params["kind"]
        row = await asyncio.to_thread(self.registry.find, collective)
        hooks = {} if row is None else await asyncio.to_thread(self.hooks, row)
        candidates = hooks.get(kind, [])
        if row is None or not candidates:
            return PlainTextResponse("no such collective, or no chat of it takes this webhook", status_code=404)
        body = await _bounded_body(request)
        if body is None:
            self._count(collective, kind, 413)
            log.warning("[%s] chat update refused (%s): %s", collective, kind, "too large")
            return PlainTextResponse("too large", status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        for channel, verify in candidates:
            status = verify(headers, body)
            if status == 403:
                continue  # another section of this collective may hold the secret
            self._count(collective, kind, status)
            if status != 200:
                return PlainTextResponse("not an update", status_code=status)
            if row.paused:
                log.info("[%s] paused: the chat update is not answered", collective)
                return JSONResponse({"queued": False, "paused": True})
            await defer_answer(self.queue, collective, channel, json.loads(body))
            return JSONResponse({"queued": True})
        self._count(collective, kind, 403)
        log.warning("[%s] chat update refused (%s): %s", collective, kind, "wrong or missing secret or signature")
        return PlainTextResponse("forbidden", status_code=403)

    def series(self) -> list[tuple[str, str, str, Any]]:
        """The bots' lines of /metrics, labelled by collective: (name, type, labels, value)."""
        with self.registry.engine.connect() as conn:
            rows = list(conn.execute(select(bot_counts).order_by(bot_counts.c.collective)))
        out: list[tuple[str, str, str, Any]] = []
        for r in rows:
            label = f'collective="{r.collective}"'
            out += [
                ("hub_collective_bot_updates_total", "counter", label, r.updates),
                ("hub_collective_bot_replies_total", "counter", label, r.replies),
                ("hub_collective_bot_failures_total", "counter", label, r.failures),
                ("hub_collective_bot_skipped_total", "counter", label, r.skipped),
                ("hub_collective_bot_last_answer_timestamp_seconds", "gauge", label, r.last_at or 0),
                ("hub_collective_bot_last_delay_seconds", "gauge", label, r.last_delay or 0),
            ]
        for (collective, kind, status), n in sorted(self.counts.items()):
            out.append(("hub_collective_chat_webhooks_total", "counter",
                         f'collective="{collective}",kind="{kind}",status="{status}"', n))
        return out


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None past :data:`MAX_UPDATE` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > MAX_UPDATE:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPDATE:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def defer_answer(app: procrastinate.App, collective: str, channel: str, update: dict[str, Any]) -> None:
    """Queue the answer to one update (its own queue and priority; one collective's in order)."""
    task = app.tasks["hub.bot_answer"].configure(lock=f"bot:{collective}", queue=BOT_QUEUE, priority=BOT_PRIORITY)
    await task.defer_async(collective=collective, channel=channel, update=update, queued_at=time.time())


# --- the workers ---------------------------------------------------------------------------------


class KeptProgramme:
    """A collective's live programme for its bot: read from its state and indexed once per
    version, the index kept for the collective (:func:`bots.index.keep`) and in the file ``hub
    ask`` keeps, so another worker (or this one after a restart) reads it back instead of
    building it again."""

    def __init__(self, owner: str, settings: Settings, store: StateStore) -> None:
        self.owner = owner
        self.settings = settings
        self.store = store
        self._version: str | None = None
        self._programme: Programme | None = None
        self.builds = 0

    def __call__(self) -> Programme:
        version = programme_version(self.store)
        if version is None:  # nothing synced yet: the programme file, as the single daemon reads it
            version = f"file:{jobs.programme_stamp(self.settings)}"
            if self._programme is None or version != self._version:
                self._remember(version, self._index(live_programme(self.settings, self.store)))
        elif self._programme is None or version != self._version:
            path = index_path(self.settings)
            index = load_index(path, version)
            if index is None:
                index = self._index(live_programme(self.settings, self.store))
                with contextlib.suppress(OSError):  # a read-only folder: each worker builds its own
                    save_index(index, path, version)
            self._remember(version, index)
        assert self._programme is not None
        return self._programme

    def _index(self, programme: Programme) -> ProgrammeIndex:
        self.builds += 1
        return index_for(programme)

    def _remember(self, version: str, index: ProgrammeIndex) -> None:
        keep(self.owner, index)
        self._version, self._programme = version, index.programme


class HostedOperations(HubOperations):
    """An admin's commands from a hosted chat: ``/sync`` queues a sync (a worker runs it; the
    answer does not wait for it), ``/annonce`` posts now, ``/statut`` reads the state."""

    def __init__(self, store: StateStore, announcers: Mapping[str, Callable[[str], Awaitable[int]]],
                 queue_sync: Callable[[], Awaitable[object]]) -> None:
        super().__init__(store, announcers, self._unused)
        self.queue_sync = queue_sync

    async def _unused(self) -> Any:
        raise RuntimeError("a hosted bot queues its syncs")

    async def sync_now(self) -> None:
        await self.queue_sync()


class _Tally:
    """The bot, with the messages it was handed and the replies it gave counted."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.questions = 0
        self.replies = 0

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.questions += 1
        replies = await self.bot.handle(incoming)
        self.replies += len(replies)
        return replies


@dataclass
class Answerer:
    """One collective's bot in a worker: its connectors (their tokens, pacing and connections
    kept between answers), front-ends, bot and programme."""

    settings: Settings
    connectors: list[Connector[Any]]
    frontends: dict[str, Any]
    tally: _Tally
    programme: KeptProgramme
    ready: set[str] = field(default_factory=set)

    async def close(self) -> None:
        for connector in self.connectors:
            with contextlib.suppress(Exception):
                await connector.close()
            with contextlib.suppress(Exception):
                await connector.ctx.close_http()


def build_answerer(row: Collective, settings: Settings, store: StateStore,
                   queue_sync: Callable[[], Awaitable[object]]) -> Answerer:
    """The collective's bot, put together as :func:`bots.run.run_bots` does for the single daemon."""
    connectors = announcing_connectors(settings, RequestCounter())
    programme = KeptProgramme(row.id, settings, store)
    policies: dict[str, ChannelPolicy] = {}
    bot = Bot(policies, SqlFollowStore(store.engine), programme, SystemClock(), None, settings.hub.language,
              reminders=False)  # no reminder loop runs for a hosted collective yet (docs/hosting.md)
    bot.changes = lambda since: store.history(since=since)
    tally = _Tally(bot)
    inbox = SqlInbox(store.engine)
    frontends: dict[str, Any] = {}
    announcers: dict[str, Callable[[str], Awaitable[int]]] = {}
    for connector in connectors:
        policy = connector.chat_policy()
        frontend = connector.chat_frontend(tally, inbox)
        if policy is None or frontend is None:
            continue
        policies[connector.name] = policy
        frontends[connector.name] = frontend
        announcers[connector.name] = _poster(connector)
    bot.operations = HostedOperations(store, announcers, queue_sync)
    return Answerer(settings, connectors, frontends, tally, programme)


class Answerers:
    """The bots a worker keeps, one per collective, the :data:`KEEP` most recently used."""

    def __init__(self, keep_at_most: int = KEEP) -> None:
        self.keep_at_most = keep_at_most
        self._by_id: OrderedDict[str, Answerer] = OrderedDict()

    async def get(self, row: Collective, settings: Settings, store: StateStore,
                  queue_sync: Callable[[], Awaitable[object]]) -> Answerer:
        found = self._by_id.get(row.id)
        if found is not None and found.settings is settings:
            self._by_id.move_to_end(row.id)
            return found
        if found is not None:  # its configuration changed: built again on it
            await self.forget(row.id)
        built = build_answerer(row, settings, store, queue_sync)
        self._by_id[row.id] = built
        while len(self._by_id) > self.keep_at_most:
            oldest = next(iter(self._by_id))
            await self.forget(oldest)
        return built

    async def forget(self, collective: str) -> None:
        found = self._by_id.pop(collective, None)
        let_go(collective)
        if found is not None:
            await found.close()

    async def close(self) -> None:
        for collective in list(self._by_id):
            await self.forget(collective)


async def answer_update(registry: Registry, stores: jobs.Stores, answerers: Answerers, collective: str,
                        channel: str, update: dict[str, Any], *, queued_at: float | None,
                        queue_sync: Callable[[], Awaitable[object]]) -> str:
    """One update of one collective's chat, answered; what happened (``answered``, ``paused``,
    ``refused``, ``unknown``). An error is raised (the job is retried: the inbox keeps the update,
    and answers it once)."""
    token = jobs.COLLECTIVE.set(collective)
    try:
        row = registry.find(collective)
        if row is None:
            return "unknown"
        if row.paused:
            log.info("[%s] paused: the chat update is not answered", collective)
            record(registry, collective, skipped=1)
            return "paused"
        try:
            settings, redact = jobs.collective_settings(row)
        except HubError as exc:
            log.warning("[%s] configuration refused, no answer: %s", collective, exc)
            record(registry, collective, failures=1)
            return "refused"
        try:
            store = stores.get(row, settings.hub.language)
            answerer = await answerers.get(row, settings, store, queue_sync)
            frontend = answerer.frontends.get(channel)
            if frontend is None:
                log.warning("[%s] no chat %s takes webhooks here", collective, channel)
                record(registry, collective, failures=1)
                return "unknown"
            if channel not in answerer.ready:
                await frontend.prepare()
                answerer.ready.add(channel)
            before = answerer.tally.replies
            await frontend.accept(update)
            delay = None if queued_at is None else max(0.0, time.time() - queued_at)
            record(registry, collective, updates=1, replies=answerer.tally.replies - before, delay=delay)
            return "answered"
        except Exception as exc:
            log.warning("[%s] bot answer failed: %s", collective, redact(f"{type(exc).__name__}: {exc}"))
            record(registry, collective, failures=1)
            stores.forget(row)
            await answerers.forget(collective)
            raise
    finally:
        jobs.COLLECTIVE.reset(token)


def register(app: procrastinate.App, context_of: Callable[[Any], Any],
             defer_sync: Callable[[procrastinate.App, str, str], Awaitable[bool]]) -> None:
    """``hub.bot_answer``: the job the web front queues for each chat update."""
    import procrastinate as engine

    retry = engine.RetryStrategy(max_attempts=3, wait=2)

    @app.task(name="hub.bot_answer", queue=BOT_QUEUE, priority=BOT_PRIORITY, pass_context=True, retry=retry)
    async def bot_answer_task(context: engine.JobContext, collective: str, channel: str, update: dict[str, Any],
                              queued_at: float | None = None) -> str:
        hosting = context_of(context)

        async def queue_sync() -> bool:
            return await defer_sync(context.app, collective, "chat")

        with hosting.limited(collective):  # its replies wait their turn toward shared servers too
            return await answer_update(hosting.registry, hosting.stores, hosting.answerers, collective, channel,
                                       update, queued_at=queued_at, queue_sync=queue_sync)

    del bot_answer_task


# --- registering the webhooks ------------------------------------------------------------------


async def set_webhooks(url: str, collective: str, base_url: str, lang: str) -> int:
    """``hub collective webhooks ID --base-url URL``: each chat section of the collective that has a
    webhook secret is pointed at ``<base-url>/webhooks/<id>/<kind>`` (Telegram's ``setWebhook``
    with the section's secret token; a Talk bot is installed by the Nextcloud admin with the
    address said here). 0 when every one was set, 1 when one failed, 2 when none has a secret."""
    import click

    registry = Registry(url, lang=lang, create=False)
    stores = jobs.Stores(registry.url, pool_size=1)
    answerers = Answerers()
    code = 0
    try:
        row = registry.get(collective)
        settings, redact = jobs.collective_settings(row)
        hooks = chat_webhooks(settings)
        kinds = {name: kind for kind, found in hooks.items() for name, _verify in found}
        if not kinds:
            click.echo(TEXTS.say("none", lang, id=collective), err=True)
            return 2

        async def nothing() -> None:
            return None

        answerer = await answerers.get(row, settings, stores.get(row, settings.hub.language), nothing)
        for name, kind in sorted(kinds.items()):
            address = f"{base_url.rstrip('/')}/webhooks/{collective}/{kind}"
            frontend = answerer.frontends.get(name)
            register_webhook = getattr(frontend, "register_webhook", None)
            if register_webhook is None:
                click.echo(TEXTS.say("talk", lang, id=collective, channel=name, url=address))
                continue
            try:
                await register_webhook(address)
            except Exception as exc:
                click.echo(TEXTS.say("failed", lang, id=collective, channel=name, error=redact(str(exc))), err=True)
                code = 1
                continue
            log.info("[%s] webhook of %s set to %s", collective, name, address)
            click.echo(TEXTS.say("set", lang, id=collective, channel=name, url=address))
        return code
    finally:
        await answerers.close()
        stores.close()
        registry.close()
