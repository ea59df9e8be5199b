"""``hub bots``: every configured chat's bot in one foreground process.

Runs, over the connectors it is given: one :class:`~bots.service.Bot` over the programme of the
latest sync, the chat front-end each chat connector offers (:meth:`~sync.protocol.Connector.chat_frontend`,
with its :meth:`~sync.protocol.Connector.chat_policy`), the follow store and inbox in the state
store, the reminders, and the notices to followers when a sync publishes changes (watched in
the state store, so a ``hub sync`` run elsewhere counts too). Admin commands run the engine in
this process; their announcements go out through each chat's
:meth:`~sync.protocol.Connector.post_text`. No connector type is named here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bots.follow import Clock, FollowStore, Reminders, SystemClock, change_notices
from bots.inbox import SqlInbox
from bots.live import live_programme
from bots.service import Bot, HubStatus, SyncSummary
from bots.signin import SignInLinks, admin_url
from bots.store import SqlFollowStore, create_tables
from config.settings import Settings
from sync.announce import diff_versions
from sync.chat import ChannelPolicy, ChatFrontend, Incoming, Outgoing, Responder
from sync.model import Programme, canonical_json
from sync.protocol import Connector
from sync.report import Report
from sync.state import StateStore

log = logging.getLogger(__name__)


class LiveProgramme:
    """The programme of the latest sync, re-read only when the state store says it changed."""

    def __init__(self, settings: Settings, store: StateStore) -> None:
        self.settings = settings
        self.store = store
        self._key: tuple[int, str] | None = None
        self._programme: Programme | None = None

    def __call__(self) -> Programme:
        key = (self.store.max_seq(), canonical_json(self.store.get_meta("programme")))
        if self._programme is None or key != self._key:
            self._programme = live_programme(self.settings, self.store)
            self._key = key
        return self._programme


class HubOperations:
    """What admins may do from a chat, carried out by the engine and the chat connectors."""

    def __init__(self, store: StateStore, announcers: Mapping[str, Announcer], run_sync: RunSync) -> None:
        self.store = store
        self.announcers = announcers
        self.run_sync = run_sync

    async def sync_now(self) -> SyncSummary | None:
        report = await self.run_sync()
        with self.store.transaction() as conn:
            self.store.set_meta(conn, "last_report", {**report.to_json(), "at": datetime.now(UTC).isoformat()})
        failed = sum(1 for r in report.connectors.values() if r.error or r.failed)
        return SyncSummary(changes=len(report.changes), failed=failed, conflicts=len(report.conflicts))

    async def announce(self, text: str, *, by: str) -> int:
        log.info("announcement from %s", by)
        reached = 0
        for name, send in self.announcers.items():
            try:
                reached += await send(text)
            except Exception as exc:  # one channel down must not stop the others
                log.warning("[%s] announcement not sent: %s", name, exc)
        return reached

    async def status(self) -> HubStatus:
        last = (self.store.get_meta("last_report") or {}).get("at")
        counts = self.store.outbox_counts()
        pending = sum(
            n for states in counts.values() for state, n in states.items() if state not in ("done", "in_doubt")
        )
        in_doubt = sum(states.get("in_doubt", 0) for states in counts.values())
        return HubStatus(
            datetime.fromisoformat(last) if last else None,
            pending=pending,
            in_doubt=in_doubt,
            held=tuple(sorted(self.store.open_breakers())),
        )


async def watch_changes(
    store: StateStore,
    programme: Callable[[], Programme],
    follows: FollowStore,
    send: Callable[[Outgoing], Awaitable[None]],
    stop: asyncio.Event,
    clock: Clock,
    every: float = 30.0,
) -> None:
    """Tell followers when a sync publishes changes to their sessions.

    Compares what is published (the announcements' baseline) between two looks at the state
    store, so changes published by a ``hub sync`` in another process count too.
    """
    published = store.published_records()
    while not stop.is_set():
        await clock.sleep(every, stop)
        now = store.published_records()
        changes = diff_versions(published, now)
        published = now
        if not changes:
            continue
        for message in change_notices(changes, follows, programme().venues):
            try:
                await send(message)
            except Exception as exc:
                log.warning("[%s] change notice not sent: %s", message.channel, exc)


async def run_bots(
    settings: Settings,
    stop: asyncio.Event,
    *,
    connectors: Sequence[Connector[Any]],
    run_sync: RunSync,
    clock: Clock | None = None,
    register: Callable[[str, ChatFrontend], None] | None = None,
    on_question: Callable[[str], None] | None = None,
) -> None:
    """Run the bot of every chat among ``connectors`` until ``stop`` is set.

    ``run_sync`` runs one sync (an admin's ``/sync``); the connectors are closed at the end.
    ``register`` is told each chat's front-end (the daemon routes webhooks to those that take
    them); ``on_question`` is told the channel of each message a front-end hands the bot.
    """
    clock = clock or SystemClock()
    store = StateStore.open(settings.database_url, lang=settings.hub.language)
    create_tables(store.engine)
    follows = SqlFollowStore(store.engine)
    inbox = SqlInbox(store.engine)
    programme = LiveProgramme(settings, store)
    policies: dict[str, ChannelPolicy] = {}
    frontends: dict[str, ChatFrontend] = {}
    announcers: dict[str, Announcer] = {}
    bot = Bot(policies, follows, programme, clock, None, settings.hub.language)
    bot.changes = lambda since: store.history(since=since)  # "what changed since yesterday?"
    bot.links = SignInLinks(store, admin_url(settings.daemon.listen, settings.daemon.admin_url))

    for connector in connectors:
        policy = connector.chat_policy()
        responder: Responder = bot if on_question is None else _Counted(bot, on_question)
        frontend = connector.chat_frontend(responder, inbox)
        if policy is None or frontend is None:
            continue  # not a chat the bots answer in
        policies[connector.name] = policy
        frontends[connector.name] = frontend
        announcers[connector.name] = _poster(connector)
        if register is not None:
            register(connector.name, frontend)
    bot.operations = HubOperations(store, announcers, run_sync)

    async def send(message: Outgoing) -> None:
        frontend = frontends.get(message.channel)
        if frontend is not None:
            await frontend.send(message)

    tasks = [asyncio.create_task(Reminders(follows, programme, send, clock).run(stop))]
    tasks.append(asyncio.create_task(watch_changes(store, programme, follows, send, stop, clock)))
    tasks += [asyncio.create_task(_supervised(name, f.run, stop)) for name, f in frontends.items()]
    log.info("bots running on %s", ", ".join(frontends) or "no chat connector")
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connector in connectors:
            with contextlib.suppress(Exception):
                await connector.close()
            await connector.ctx.close_http()
        store.close()


class _Counted:
    """The bot, with each message it is handed counted (the daemon's metrics)."""

    def __init__(self, bot: Responder, count: Callable[[str], None]) -> None:
        self.bot = bot
        self.count = count

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.count(incoming.channel)
        return await self.bot.handle(incoming)


Announcer = Callable[[str], Awaitable[int]]
RunSync = Callable[[], Awaitable[Report]]


async def _supervised(name: str, run: Callable[[asyncio.Event], Awaitable[None]], stop: asyncio.Event) -> None:
    """Keep one chat's loop running: a crash is logged and the loop restarted, never silent."""
    while not stop.is_set():
        try:
            await run(stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # One line with the reason; the traceback only when asked for (hub --debug).
            log.warning("[%s] the bot stopped on an error (%s: %s); restarting in 10 s", name,
                        type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 10)


def _poster(connector: Connector[Any]) -> Announcer:
    """Post an admin's text, made inert for the chat's format, to every chat configured there."""

    async def announce(text: str) -> int:
        targets = connector.targets()
        for target in targets:
            await connector.post_text(target, text)
        return len(targets)

    return announce


def main(settings: Settings, connectors: Sequence[Connector[Any]], run_sync: RunSync) -> None:
    """Run until SIGINT or SIGTERM."""

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await run_bots(settings, stop, connectors=connectors, run_sync=run_sync)

    asyncio.run(go())
