"""The bot every chat connector runs: who may be answered, and what each command does.

A connector's chat front-end turns a platform update into an :class:`~sync.chat.Incoming` and
sends back the :class:`~sync.chat.Outgoing` messages :meth:`Bot.handle` returns, rendered in its
format (:class:`Bot` is the :class:`~sync.chat.Responder` of every chat).
Rules, the same on every channel:

- the bot speaks only in the group chats configured for the channel, and in private to people
  who wrote to it; anything else is ignored without a word;
- in groups it answers commands and messages addressed to it (mention, reply), not the
  chatter; in private it answers everything;
- ``/sync``, ``/annonce``, ``/statut``, ``/connexion`` run only for the channel's configured admins, matched on
  the identity the platform vouches for (the connector's ``Incoming.sender``); anyone else gets
  a polite refusal, and the log names the identity refused, which is how an organiser finds
  what to put in the configuration;
- ``/connexion`` (``/login``) answers an admin, in private only, with a one-time link to the
  organisers' web page (:mod:`bots.signin`);
- ``/suivre`` needs a private chat to send reminders to: in a group, the person is asked to
  write to the bot first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bots.answer import Answer, Line, Message
from bots.answering import MAX_LINES, ChangeReader, answer, find_sessions
from bots.follow import REMINDER_LEAD, Clock, FollowStore
from bots.index import index_for
from bots.memory import Conversations
from bots.query import split_command
from bots.signin import LIFETIME, SignInLinks
from bots.text import detect_language, fold
from sync.chat import ChannelPolicy, Incoming, Outgoing
from sync.i18n import say_moment
from sync.model import Programme, Session

__all__ = ["ADMIN_COMMANDS", "Bot", "ChannelPolicy", "HubStatus", "Incoming", "Operations", "SyncSummary"]

log = logging.getLogger(__name__)

ADMIN_COMMANDS = frozenset({"sync", "announce", "status", "signin"})


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What a sync started from a chat did, in the few numbers an admin wants."""

    changes: int
    failed: int
    conflicts: int = 0


@dataclass(frozen=True, slots=True)
class HubStatus:
    """The state an admin asks about with ``/statut``."""

    last_sync: datetime | None
    pending: int = 0
    in_doubt: int = 0
    held: tuple[str, ...] = ()


class Operations(Protocol):
    """What the hub lets admins do from a chat (the engine implements it)."""

    async def sync_now(self) -> SyncSummary | None:
        """Run a sync and say what it did; None when it was queued for later (a hosting
        deployment's bot answers while a worker syncs)."""
        ...

    async def announce(self, text: str, *, by: str) -> int:
        """Send ``text`` to every chat target; returns how many were reached."""
        ...

    async def status(self) -> HubStatus: ...


@dataclass
class Bot:
    """The commands and questions of every channel, over the live programme."""

    policies: Mapping[str, ChannelPolicy]
    store: FollowStore
    programme: Callable[[], Programme]
    clock: Clock
    operations: Operations | None = None
    language: str = "fr"
    #: The change log, for "what changed since yesterday?" (None: the bot says it has none).
    changes: ChangeReader | None = None
    #: What each conversation (channel, chat, person) was about, for follow-ups.
    conversations: Conversations = field(init=False)
    #: The one-time links to the organisers' page (None: ``/connexion`` is not available).
    links: SignInLinks | None = None
    #: Whether reminders and change notices go out where this bot runs (the single daemon's
    #: long-lived loops send them); False: ``/suivre`` says so instead of recording a follow
    #: nobody would ever be reminded of.
    reminders: bool = True

    def __post_init__(self) -> None:
        self.conversations = Conversations(self.clock.now)

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        """The replies to one message (none when the bot must stay silent)."""
        policy = self.policies.get(msg.channel)
        if policy is None or not msg.text.strip():
            return []
        if not msg.private and msg.chat not in policy.chats:
            return []
        if msg.private:
            self.store.remember_contact(msg.channel, msg.sender, msg.chat)
        command, command_lang, argument = split_command(msg.text)
        if not msg.private and command is None and not msg.addressed:
            return []
        programme = self.programme()
        index = index_for(programme)
        lang = (
            detect_language(msg.text, index.is_vocabulary)
            or command_lang
            or msg.lang
            or policy.language
            or self.language
        )
        lang = lang if lang in ("fr", "en") else "fr"
        if command in ADMIN_COMMANDS:
            reply = await self._admin(command, argument, msg, policy, lang)
        elif command == "follow":
            reply = self._follow(programme, argument, msg, lang)
        elif command == "unfollow":
            reply = self._unfollow(programme, argument, msg, lang)
        else:
            key = (msg.channel, msg.chat, msg.sender)
            reply = answer(
                programme,
                msg.text,
                at=self.clock.now(),
                lang=None,
                default_lang=msg.lang or policy.language or self.language,
                context=self.conversations.recall(key),
                changes=self.changes,
            )
            self.conversations.remember(key, reply)
        return [Outgoing(msg.channel, msg.chat, reply)]

    # -- admin ------------------------------------------------------------------------------

    async def _admin(self, command: str, argument: str, msg: Incoming, policy: ChannelPolicy, lang: str) -> Answer:
        if msg.sender not in policy.admins:
            log.warning("[%s] /%s refused: %r is not one of this channel's admins", msg.channel, command, msg.sender)
            return _say(lang, "admin.refused")
        if command == "signin":
            return self._sign_in(msg, lang)
        if self.operations is None:
            return _say(lang, "admin.unavailable")
        if command == "sync":
            done = await self.operations.sync_now()
            if done is None:
                return _say(lang, "admin.sync.queued")
            return _say(
                lang,
                "admin.synced",
                changes=str(done.changes),
                failed=str(done.failed),
                conflicts=str(done.conflicts),
            )
        if command == "announce":
            if not argument:
                return _say(lang, "admin.announce.empty")
            reached = await self.operations.announce(argument, by=msg.sender)
            return _say(lang, "admin.announced", count=str(reached))
        status = await self.operations.status()
        tz = self.programme().tz
        last = say_moment(status.last_sync.astimezone(tz), lang) if status.last_sync else Message("never").plain(lang)
        notes = [
            Message("status.last", {"at": last}),
            Message("status.outbox", {"pending": str(status.pending), "in_doubt": str(status.in_doubt)}),
            Message("status.followers", {"count": str(len(self.store.followed_ids()))}),
        ]
        notes += [Message("status.held", {"name": name}) for name in status.held]
        return Answer(lang, "status", Message("status"), notes=tuple(notes))

    def _sign_in(self, msg: Incoming, lang: str) -> Answer:
        if self.links is None:
            return _say(lang, "admin.unavailable")
        if not msg.private:
            return _say(lang, "signin.private")
        url = self.links.issue(f"{msg.channel}:{msg.sender}")
        log.info("[%s] sign-in link given to %r", msg.channel, msg.sender)
        return _say(lang, "signin.link", url=url, minutes=str(int(LIFETIME // 60)))

    # -- following --------------------------------------------------------------------------

    def _follow(self, programme: Programme, argument: str, msg: Incoming, lang: str) -> Answer:
        if not argument:
            return self._following(programme, msg, lang)
        if not self.reminders:
            return _say(lang, "follow.unavailable")
        if not msg.private and self.store.private_chat(msg.channel, msg.sender) is None:
            return _say(lang, "follow.private.first")
        found = _one_session(find_sessions(programme, argument, at=self.clock.now()), argument)
        if found is None:
            return _say(lang, "not.found", query=argument)
        if isinstance(found, tuple):
            return self._which(programme, found, lang)
        self.store.follow(msg.channel, msg.sender, found.id, lang)
        minutes = str(int(REMINDER_LEAD.total_seconds() // 60))
        line = Line(found, programme.venue_of(found))
        return Answer(lang, "follow", Message("follow.done", {"minutes": minutes}), (line,))

    def _unfollow(self, programme: Programme, argument: str, msg: Incoming, lang: str) -> Answer:
        followed = set(self.store.following(msg.channel, msg.sender))
        if not argument:
            stopped = self.store.unfollow(msg.channel, msg.sender)
            return _say(lang, "unfollow.all" if stopped else "following.none")
        candidates = tuple(s for s in find_sessions(programme, argument, at=self.clock.now()) if s.id in followed)
        found = _one_session(candidates, argument)
        if found is None:
            return _say(lang, "unfollow.unknown", query=argument)
        if isinstance(found, tuple):
            return self._which(programme, found, lang)
        self.store.unfollow(msg.channel, msg.sender, found.id)
        return Answer(lang, "unfollow", Message("unfollow.done"), (Line(found, programme.venue_of(found)),))

    def _following(self, programme: Programme, msg: Incoming, lang: str) -> Answer:
        ids = self.store.following(msg.channel, msg.sender)
        sessions = sorted((programme.sessions[i] for i in ids if i in programme.sessions), key=lambda s: s.start)
        if not sessions:
            return _say(lang, "following.none")
        lines = tuple(Line(s, programme.venue_of(s)) for s in sessions[:MAX_LINES])
        return Answer(lang, "following", Message("following"), lines)

    def _which(self, programme: Programme, sessions: tuple[Session, ...], lang: str) -> Answer:
        lines = tuple(Line(s, programme.venue_of(s)) for s in sessions[:MAX_LINES])
        return Answer(lang, "which", Message("follow.which"), lines)


def _one_session(found: tuple[Session, ...], typed: str) -> Session | tuple[Session, ...] | None:
    """The one session meant, the candidates to choose from, or None."""
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    exact = [s for s in found if fold(s.title).strip() == fold(typed).strip()]
    return exact[0] if len(exact) == 1 else found


def _say(lang: str, key: str, **values: str) -> Answer:
    return Answer(lang, key, notes=(Message(key, values),))
