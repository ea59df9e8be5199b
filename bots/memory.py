"""What a conversation was about, for a few minutes: the follow-ups people type.

"Et après ?", "where is it?", « c'est qui ? » only make sense after another question. Each
chat and person has a short memory: the sessions the last answer spoke of and the venue it
showed. It lives in memory, not in the state store: it is worth a few minutes, a restart may
forget it, and nothing else reads it. The clock is passed in so tests can move it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bots.answer import Answer

#: How long a conversation is remembered after its last answer.
MEMORY_SPAN = timedelta(minutes=10)
#: At most this many conversations are kept; the oldest are forgotten first.
CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class Context:
    """What the previous answer in this conversation spoke of."""

    sessions: tuple[str, ...] = ()
    venue: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> Context | None:
        """The context an answer leaves, or None when it spoke of nothing in particular."""
        venue = answer.venue.id if answer.venue is not None else None
        if not answer.session_ids and venue is None:
            return None
        return cls(answer.session_ids, venue)


class Conversations:
    """The last context of each conversation (a chat and a person), for :data:`MEMORY_SPAN`."""

    def __init__(self, now: Callable[[], datetime], *, span: timedelta = MEMORY_SPAN, capacity: int = CAPACITY) -> None:
        self._now = now
        self._span = span
        self._capacity = capacity
        self._kept: OrderedDict[Hashable, tuple[datetime, Context]] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, key: Hashable) -> Context | None:
        """The context of this conversation, if its last answer is recent enough."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            at, context = kept
            elapsed = self._now() - at
            if elapsed > self._span or elapsed < timedelta(0):  # a clock set back: a new conversation
                del self._kept[key]
                return None
            return context

    def remember(self, key: Hashable, answer: Answer) -> None:
        """Keep what ``answer`` spoke of; an answer about nothing keeps the previous context."""
        context = Context.of(answer)
        if context is None:
            return
        with self._lock:
            self._kept[key] = (self._now(), context)
            self._kept.move_to_end(key)
            while len(self._kept) > self._capacity:
                self._kept.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._kept.pop(key, None)
