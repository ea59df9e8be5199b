"""Following sessions: a private reminder before they start, a message when they change.

The logic is here; the storage is behind :class:`FollowStore`, which the state store backs
(:class:`bots.store.SqlFollowStore`; the tests keep one in memory). What the store must keep
(one row per person and followed session, plus who may be written to privately) is small:

``bot_follows(channel, person, session_id, lang, created_at, reminded_start)``
    primary key (channel, person, session_id), index on session_id. ``reminded_start`` is the
    start time (ISO) a reminder was sent for: a session moved to a new time is reminded again,
    one reminded already is not, even across restarts or two running bots (claiming is a
    conditional update).
``bot_contacts(channel, person, private_chat, first_seen)``
    primary key (channel, person): people who wrote to the bot in private, the only ones it
    may write to first (reminders, change notices).

Reminders fire from a :class:`Clock`, so tests move time by hand and nothing sleeps. The
messages sent are :class:`~sync.chat.Outgoing` (the chat side of the connector protocol).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bots.answer import Answer, Line, Message
from bots.index import index_for
from sync.announce import Change, Format, render_change
from sync.chat import Outgoing as Outgoing  # the messages sent, re-exported for the bots
from sync.chat import Renderable as Renderable
from sync.model import Programme, Session, Venue, format_time

log = logging.getLogger(__name__)

#: How long before a followed session its reminder goes out.
REMINDER_LEAD = timedelta(minutes=15)


# -- storage --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Follow:
    """One person following one session, on one channel."""

    channel: str
    person: str
    session_id: str
    lang: str
    reminded_start: str | None = None


class FollowStore(Protocol):
    """What the bots need kept; every method is one small statement on the state store."""

    def follow(self, channel: str, person: str, session_id: str, lang: str) -> bool:
        """Start following; False if already followed (the language is updated)."""
        ...

    def unfollow(self, channel: str, person: str, session_id: str | None = None) -> list[str]:
        """Stop following one session, or all of them (None); the ids stopped."""
        ...

    def following(self, channel: str, person: str) -> list[str]:
        """The session ids a person follows."""
        ...

    def followers(self, session_ids: Iterable[str]) -> list[Follow]:
        """Everyone following any of these sessions."""
        ...

    def claim_reminder(self, follow: Follow, start: str) -> bool:
        """Record that the reminder for ``start`` is being sent; False if it already was."""
        ...

    def release_reminder(self, follow: Follow, start: str) -> None:
        """Undo a claim whose message could not be sent, so a later tick retries."""
        ...

    def followed_ids(self) -> set[str]:
        """Every session someone follows (to know when the next reminder falls due)."""
        ...

    def remember_contact(self, channel: str, person: str, private_chat: str) -> None:
        """The person wrote in private: the bot may write to them there."""
        ...

    def private_chat(self, channel: str, person: str) -> str | None:
        """Where to write to a person privately, if they ever wrote first."""
        ...


# -- time -----------------------------------------------------------------------------------


class Clock(Protocol):
    """Where "now" comes from, so tests can move it."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


# -- what is sent ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """'A session you follow changed': the change said as in announcements."""

    change: Change
    venues: Mapping[str, Venue]
    lang: str

    def render(self, fmt: Format = "text") -> str:
        heading = Message("followed.changed").render(self.lang, fmt)
        if fmt == "html":
            heading = f"<b>{heading}</b>"
        elif fmt == "markdown":
            heading = f"**{heading}**"
        return f"{heading}\n{render_change(self.change, self.venues, self.lang, fmt)}"


def reminder_answer(programme: Programme, session: Session, lang: str, lead: timedelta) -> Answer:
    """'Starting in 15 minutes: <session> · <time> · <venue, address>'."""
    minutes = str(int(lead.total_seconds() // 60))
    line = Line(session, programme.venue_of(session), with_date=False, with_address=True)
    return Answer(lang, "reminder", Message("reminder", {"minutes": minutes}), (line,))


def due_reminders(
    programme: Programme, store: FollowStore, now: datetime, lead: timedelta = REMINDER_LEAD
) -> list[tuple[Follow, Session]]:
    """Followed sessions starting within ``lead`` of ``now`` whose reminder is not yet sent.

    Only the sessions starting in that window are looked at (a bisection in the index), so the
    cost does not grow with the programme. A session already started is never reminded late.
    """
    index = index_for(programme)
    soon: dict[str, Session] = {}
    for session in index.starting_from(now, strictly=True):
        if session.start > now + lead:
            break
        if session.status != "cancelled":
            soon[session.id] = session
    return [
        (follow, soon[follow.session_id])
        for follow in store.followers(soon)
        if follow.reminded_start != format_time(soon[follow.session_id].start)
    ]


def change_notices(changes: Sequence[Change], store: FollowStore, venues: Mapping[str, Venue]) -> list[Outgoing]:
    """Private messages to the followers of sessions that changed in a published batch.

    A removed session is also unfollowed: there is nothing left to remind.
    """
    by_id = {change.session: change for change in changes}
    out: list[Outgoing] = []
    for follow in store.followers(by_id):
        chat = store.private_chat(follow.channel, follow.person)
        if chat is not None:
            out.append(
                Outgoing(
                    follow.channel,
                    chat,
                    ChangeNotice(by_id[follow.session_id], venues, follow.lang),
                )
            )
    for change in changes:
        if change.kind == "removed":
            for follow in store.followers([change.session]):
                store.unfollow(follow.channel, follow.person, change.session)
    return out


Send = Callable[[Outgoing], Awaitable[None]]


class Reminders:
    """Sends reminders when they fall due; ``tick`` once per wake-up, or ``run`` forever."""

    def __init__(
        self,
        store: FollowStore,
        programme: Callable[[], Programme],
        send: Send,
        clock: Clock,
        lead: timedelta = REMINDER_LEAD,
    ) -> None:
        self.store = store
        self.programme = programme
        self.send = send
        self.clock = clock
        self.lead = lead

    async def tick(self) -> list[Outgoing]:
        """Send every reminder due now; each at most once (claimed before it is sent)."""
        programme = self.programme()
        sent: list[Outgoing] = []
        for follow, session in due_reminders(programme, self.store, self.clock.now(), self.lead):
            chat = self.store.private_chat(follow.channel, follow.person)
            start = format_time(session.start)
            if chat is None or not self.store.claim_reminder(follow, start):
                continue
            message = Outgoing(follow.channel, chat, reminder_answer(programme, session, follow.lang, self.lead))
            try:
                await self.send(message)
            except Exception as exc:  # one chat failing must not stop the others' reminders
                self.store.release_reminder(follow, start)  # retried at the next tick, if still due
                log.warning("reminder to %s on %s not sent: %s", follow.person, follow.channel, exc)
                continue
            sent.append(message)
        return sent

    def next_due(self) -> datetime | None:
        """When the next reminder falls due (the start of a session, minus the lead)."""
        now = self.clock.now()
        sessions = self.programme().sessions
        starts = [
            s.start - self.lead
            for i in self.store.followed_ids()
            if (s := sessions.get(i)) is not None and s.status != "cancelled" and s.start - self.lead > now
        ]
        return min(starts, default=None)

    async def run(self, stop: asyncio.Event, *, max_sleep: float = 60.0) -> None:
        """Tick, then sleep until the next reminder (at most ``max_sleep``: the programme moves)."""
        while not stop.is_set():
            await self.tick()
            if stop.is_set():
                break
            due = self.next_due()
            wait = max_sleep if due is None else (due - self.clock.now()).total_seconds()
            await self.clock.sleep(min(max(wait, 0.0), max_sleep) or 1.0, stop)
