"""The pinned programme every chat keeps: one message per event day, edited in place.

A chat connector is a *document sink*: whatever sessions changed, it re-renders the days they
touch and brings each chat's day messages up to date (edit in place where the platform allows,
otherwise a replacement), then pins the day that matters now (today during the event, the next
day before it). What each chat shows is remembered as :class:`Posted` records (message id, when
it was sent, digest of the text) so that a rerun with nothing changed makes no request and a
change costs one edit per affected part.

A new message is the one write that cannot be repeated safely: before each post the board notes
that it is posting (target, day, part), and clears the note with the new id. A note found by a
later run means the process stopped in between: the message may be there without the board
knowing it, so the day is posted again and the possible double is handed to the engine as a
:class:`~sync.protocol.Doubt` (flagged ``in_doubt``, shown by ``hub status``), never silently.
So is a post whose connection broke after sending (:class:`~sync.errors.DeliveryUnknown`).

That memory must survive restarts. It is returned to the engine in each op's ``RemoteRef``
(``remote_id`` = the session's day) and kept in a small JSON mapping (:class:`BoardStore`)
next to the configuration until the engine's state store offers connectors a place of their
own; see :meth:`Board.export` / :meth:`Board.load`.

``apply([], programme)`` does no op but still brings every chat up to date: the pin moves to
the new day, and a chat added to the configuration gets its day messages. A daemon calls it
once a day (the engine only calls ``apply`` when sessions changed).

Pacing lives here too (:class:`Pacer`): each chat has its own clock, so one chat being slowed
or paused by the server never delays another.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from connectors.chat_render import (
    event_days,
    local_day,
    pinned_day,
    render_day,
    say,
    sessions_by_day,
    split_message,
)
from sync.announce import Format
from sync.errors import AuthError, BreakerOpen, ConnectorError, DeliveryUnknown, PermanentError, TransientError
from sync.i18n import log_texts
from sync.model import Programme
from sync.protocol import ConnectorContext, ConnectorState, Doubt, Op, OpResult, RemoteRef

log = logging.getLogger(__name__)
LOG_TEXTS = log_texts({
    "%d day message(s) in doubt kept until the next write to this chat connector":
        "%d message(s) du jour incertain(s) gardé(s) jusqu'à la prochaine écriture de ce connecteur de discussion",
})


@dataclass(frozen=True, slots=True)
class Posted:
    """One message the hub posted in a chat: its id, when (unix seconds), the text's digest."""

    id: str
    sent_at: float
    digest: str


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ChatPlatform(Protocol):
    """What the board needs from a chat connector."""

    fmt: Format
    limit: int

    async def post(self, target: str, text: str, *, silent: bool) -> Posted: ...

    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        """Show ``text`` instead of ``old``: an edit (same id) or a replacement (new id)."""

    async def retire(self, target: str, old: Posted) -> None:
        """Remove a part that is no longer needed (delete, or blank it out)."""

    async def pin(self, target: str, posted: Posted) -> None: ...


class BoardStore:
    """The board mapping as a small JSON file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data

    def save(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True, indent=1), encoding="utf-8")
        tmp.replace(self.path)


class StateBoardStore:
    """The board mapping in the hub's state store (what the engine hands connectors)."""

    def __init__(self, state: ConnectorState, key: str = "board") -> None:
        self.state = state
        self.key = key

    def load(self) -> dict[str, Any]:
        return self.state.load(self.key)

    def save(self, data: Mapping[str, Any]) -> None:
        self.state.save(self.key, data)


def board_store(
    ctx: ConnectorContext, name: str, board_file: str | None, key: str = "board"
) -> BoardStore | StateBoardStore:
    """Where a chat connector keeps its message ids: the state store when the engine runs it,
    else (or when ``board_file`` is set) a JSON file next to the configuration."""
    if board_file is None and ctx.state is not None:
        return StateBoardStore(ctx.state, key)
    path = Path(board_file) if board_file else Path(".hub-state") / f"{name}.board.json"
    return BoardStore(path if path.is_absolute() else ctx.base_dir / path)


class SentParts:
    """Which parts of a long announcement already went out, per (target, announcement).

    Saved after each part (in the state store when the engine runs the connector), so a pause
    or a restart goes on with the next part instead of sending the first ones again.
    """

    KEY = "announcement-parts"

    def __init__(self, state: ConnectorState | None) -> None:
        self.state = state
        self.memory: dict[str, list[str]] = {}

    def _all(self) -> dict[str, list[str]]:
        return self.state.load(self.KEY) if self.state is not None else self.memory

    def sent(self, target: str, announcement_id: str) -> list[str]:
        return list(self._all().get(f"{target}|{announcement_id}", []))

    def record(self, target: str, announcement_id: str, message_id: str) -> None:
        data = self._all()
        data.setdefault(f"{target}|{announcement_id}", []).append(message_id)
        self._store(data)

    def finish(self, target: str, announcement_id: str) -> None:
        data = self._all()
        data.pop(f"{target}|{announcement_id}", None)
        self._store(data)

    def _store(self, data: dict[str, list[str]]) -> None:
        if self.state is not None:
            self.state.save(self.KEY, data)
        else:
            self.memory = data


class Board:
    """Per target, per day: the posted parts; per target: the pinned message id."""

    def __init__(
        self,
        platform: ChatPlatform,
        targets: Sequence[str],
        lang: str,
        store: BoardStore | StateBoardStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.targets = list(targets)
        self.lang = lang
        self.store = store
        self.clock = clock
        self.days: dict[str, dict[str, list[Posted]]] = {}
        self.pins: dict[str, str] = {}
        #: Per target, the day message being posted now: {"day", "part", "at"}.
        self.posting: dict[str, dict[str, Any]] = {}
        #: Day messages that may show twice, not yet handed to the engine: {"target", "day", ...}.
        self.doubts: list[dict[str, Any]] = []
        if store is not None:
            self.load(store.load())

    # persistence -----------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return {
            "days": {
                t: {d: [asdict(p) for p in parts] for d, parts in days.items()}
                for t, days in self.days.items()
            },
            "pins": dict(self.pins),
            "posting": dict(self.posting),
            "doubts": list(self.doubts),
        }

    def load(self, data: Mapping[str, Any]) -> None:
        self.days = {
            t: {d: [Posted(**p) for p in parts] for d, parts in days.items()}
            for t, days in data.get("days", {}).items()
        }
        self.pins = dict(data.get("pins", {}))
        self.doubts = list(data.get("doubts", []))
        # A post still noted when the board is read was cut short by the end of an earlier
        # process: it may have arrived.
        self.doubts += [{"target": t, **note} for t, note in data.get("posting", {}).items()]
        self.posting = {}

    def _save(self) -> None:
        if self.store is not None:
            self.store.save(self.export())

    # the sink ----------------------------------------------------------------------------------
    def due(self, programme: Programme) -> bool:
        """Whether time alone asks for work: a chat lacks a day message (newly configured), or
        another day's message should now be pinned. Answered without any request."""
        days = event_days(programme)
        today = datetime.fromtimestamp(self.clock(), programme.tz).date()
        want_pin = pinned_day(days, today)
        for target in self.targets:
            known = self.days.get(target, {})
            if any(day.isoformat() not in known for day in days):
                return True
            parts = known.get(want_pin.isoformat()) if want_pin is not None else None
            if parts and self.pins.get(target) != parts[0].id:
                return True
        return False

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """Re-render the days ``ops`` touch in every configured chat; one result per op."""
        grouped = sessions_by_day(programme)
        days = event_days(programme)
        touched = {d for op in ops for d in _days_of(op, programme)}
        texts = {
            d: render_day(programme, d, grouped.get(d, []), self.lang, self.platform.fmt)
            for d in set(days) | touched
        }
        today = datetime.fromtimestamp(self.clock(), programme.tz).date()
        want_pin = pinned_day(days, today)

        async def one(target: str) -> None:
            known = self.days.setdefault(target, {})
            for day in sorted(texts):
                if day.isoformat() in known and day not in touched:
                    continue  # untouched and already shown: nothing to do
                if day not in days and day.isoformat() not in known:
                    continue  # a day that emptied out and was never shown
                await self._sync_day(target, day, texts[day])
                self._save()
            if want_pin is not None:
                parts = known.get(want_pin.isoformat())
                if parts and self.pins.get(target) != parts[0].id:
                    await self.platform.pin(target, parts[0])
                    self.pins[target] = parts[0].id
                    self._save()

        outcomes = await asyncio.gather(*(one(t) for t in self.targets), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        for error in errors:
            if not isinstance(error, ConnectorError):
                raise error
        # A chat that must wait (rate limit) or is held keeps its ops pending for a later run;
        # the chats that are current stay current, since unchanged parts are never re-sent.
        for kind in (BreakerOpen, AuthError, TransientError):
            for error in errors:
                if isinstance(error, kind):
                    raise error
        if errors:
            # A chat that refused (a group that no longer exists, a right missing): the ops are
            # not done, they wait for the next run and the run says it failed.
            raise errors[0]
        results: list[OpResult] = [RemoteRef(_day_key(op, programme), _version(texts, op, programme)) for op in ops]
        if self.doubts and results:
            doubts = tuple(Doubt(str(d["target"]), str(d["day"]),
                                 say("board.in_doubt", self.lang, target=d["target"], day=d["day"]))
                           for d in self.doubts)
            first = results[0]
            assert isinstance(first, RemoteRef)
            results[0] = replace(first, doubts=doubts)
            self.doubts = []
            self._save()
        elif self.doubts:
            log.warning("%d day message(s) in doubt kept until the next write to this chat connector",
                        len(self.doubts))
        return results

    async def _sync_day(self, target: str, day: date, text: str) -> None:
        known = self.days.setdefault(target, {})
        key = day.isoformat()
        parts = split_message(text, self.platform.limit, self.platform.fmt, stable=True)
        posted = list(known.get(key, []))
        result: list[Posted] = []
        for index, part in enumerate(parts):
            if index < len(posted):
                old = posted[index]
                if old.digest == digest(part):
                    result.append(old)
                    continue
                new = await self.platform.revise(target, old, part)
            else:
                new = await self._post(target, key, index, part)
            result.append(new)
            known[key] = result + posted[len(result) :]
            self._save()  # remember each message as soon as it exists: no repost after a stop
        for old in posted[len(parts) :]:
            try:
                await self.platform.retire(target, old)
            except PermanentError as exc:  # already gone: nothing left to remove
                log.info("old programme part not removed: %s", exc)
        known[key] = result


    async def _post(self, target: str, day: str, index: int, text: str) -> Posted:
        """Post one part of a day, noted while it is under way (see the module's docstring)."""
        note = {"day": day, "part": index, "at": self.clock()}
        self.posting[target] = note
        self._save()
        try:
            posted = await self.platform.post(target, text, silent=True)
        except BaseException as exc:
            self.posting.pop(target, None)
            # Only the hub's errors that mean "refused" say nothing went out; a lost answer, or a
            # library's own error while reading it (a connection cut mid-answer), may hide a post.
            if not isinstance(exc, ConnectorError) or isinstance(exc, DeliveryUnknown):
                self.doubts.append({"target": target, **note})  # sent, perhaps: flagged, posted again
            self._save()
            raise
        self.posting.pop(target, None)  # saved by the caller with the new message's id
        return posted


def _days_of(op: Op, programme: Programme) -> set[date]:
    """Days an op touches: where the session is now and where it was last shown."""
    days: set[date] = set()
    for record in (op.projection, op.link.base if op.link else None):
        if record and record.get("start"):
            days.add(local_day(datetime.fromisoformat(str(record["start"])), programme))
    if op.link is not None and op.link.remote_id:
        with contextlib.suppress(ValueError):
            days.add(date.fromisoformat(op.link.remote_id))
    return days


def _day_key(op: Op, programme: Programme) -> str:
    record = op.projection or (op.link.base if op.link else None)
    if record and record.get("start"):
        return local_day(datetime.fromisoformat(str(record["start"])), programme).isoformat()
    return op.link.remote_id if op.link and op.link.remote_id else op.key


def _version(texts: Mapping[date, str], op: Op, programme: Programme) -> str | None:
    key = _day_key(op, programme)
    try:
        text = texts.get(date.fromisoformat(key))
    except ValueError:
        return None
    return digest(text) if text is not None else None


class Pacer:
    """Per-chat pacing: at least ``interval`` seconds between writes, at most ``per_minute``
    writes in any minute (groups), and pauses the server asked for (429 ``retry_after``); with
    ``per_second``, at most that many writes in any second over all chats together (Telegram's
    overall limit), which matters once several chats are written to at once."""

    def __init__(
        self,
        interval: float,
        per_minute: int,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        per_second: int = 0,
    ) -> None:
        self.interval, self.per_minute, self.max_wait = interval, per_minute, max_wait
        self.per_second = per_second
        self.clock, self.sleep = clock, sleep
        self._recent: dict[str, deque[float]] = {}
        self._paused: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._overall: deque[float] = deque()
        self._overall_turn = asyncio.Lock()

    def lock(self, target: str) -> asyncio.Lock:
        return self._locks.setdefault(target, asyncio.Lock())

    def pause(self, target: str, seconds: float) -> None:
        self._paused[target] = max(self._paused.get(target, 0.0), self.clock() + seconds)

    def paused_for(self, target: str) -> float:
        return max(0.0, self._paused.get(target, 0.0) - self.clock())

    async def wait(self, target: str, group: bool, connector: str) -> None:
        """Wait for this chat's turn; a pause longer than ``max_wait`` is raised, not slept."""
        pause = self.paused_for(target)
        if pause > self.max_wait:
            raise TransientError(
                f"chat {target} is rate limited for {pause:.0f} s",
                connector=connector,
                retry_after=pause,
            )
        recent = self._recent.setdefault(target, deque())
        now = self.clock()
        delay = pause
        if recent:
            delay = max(delay, recent[-1] + self.interval - now)
        if group and self.per_minute and len(recent) >= self.per_minute:
            delay = max(delay, recent[-self.per_minute] + 60.0 - now)
        if delay > self.max_wait:
            raise TransientError(
                f"chat {target} is at its message rate limit",
                connector=connector,
                retry_after=delay,
            )
        if delay > 0:
            await self.sleep(delay)
        if self.per_second:
            await self._overall_slot()
        recent.append(self.clock())
        while len(recent) > max(self.per_minute, 1):
            recent.popleft()

    async def _overall_slot(self) -> None:
        """Wait until a write keeps the last second's writes, all chats together, within
        ``per_second``. One waiter at a time, so two chats never take the same free slot."""
        async with self._overall_turn:
            if len(self._overall) >= self.per_second:
                delay = self._overall[-self.per_second] + 1.0 - self.clock()
                if delay > 0:
                    await self.sleep(delay)
            self._overall.append(self.clock())
            while len(self._overall) > self.per_second:
                self._overall.popleft()
