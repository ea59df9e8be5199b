"""In-memory stand-ins for what the bots keep in the state store, and a clock tests move by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bots.follow import Follow


@dataclass
class MemoryInbox:
    """An :class:`~sync.chat.Inbox` in memory."""

    rows: dict[tuple[str, str], tuple[dict[str, Any], bool]] = field(default_factory=dict)

    def store(self, channel: str, items: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        for key, payload in items:
            self.rows.setdefault((channel, key), (dict(payload), False))

    def pending(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, p) for (c, k), (p, done) in sorted(self.rows.items()) if c == channel and not done]

    def done(self, channel: str, key: str) -> None:
        payload, _ = self.rows[(channel, key)]
        self.rows[(channel, key)] = (payload, True)

    def last_key(self, channel: str, prefix: str = "") -> str | None:
        return max((k for c, k in self.rows if c == channel and k.startswith(prefix)), default=None)


@dataclass
class MemoryFollowStore:
    """A :class:`~bots.follow.FollowStore` in memory."""

    rows: dict[tuple[str, str, str], Follow] = field(default_factory=dict)
    contacts: dict[tuple[str, str], str] = field(default_factory=dict)

    def follow(self, channel: str, person: str, session_id: str, lang: str) -> bool:
        key = (channel, person, session_id)
        existing = self.rows.get(key)
        self.rows[key] = Follow(channel, person, session_id, lang, existing.reminded_start if existing else None)
        return existing is None

    def unfollow(self, channel: str, person: str, session_id: str | None = None) -> list[str]:
        keys = [
            key for key in self.rows if key[:2] == (channel, person) and (session_id is None or key[2] == session_id)
        ]
        for key in keys:
            del self.rows[key]
        return [key[2] for key in keys]

    def following(self, channel: str, person: str) -> list[str]:
        return sorted(key[2] for key in self.rows if key[:2] == (channel, person))

    def followers(self, session_ids: Iterable[str]) -> list[Follow]:
        wanted = set(session_ids)
        return [row for key, row in sorted(self.rows.items()) if key[2] in wanted]

    def claim_reminder(self, follow: Follow, start: str) -> bool:
        key = (follow.channel, follow.person, follow.session_id)
        row = self.rows.get(key)
        if row is None or row.reminded_start == start:
            return False
        self.rows[key] = Follow(row.channel, row.person, row.session_id, row.lang, start)
        return True

    def release_reminder(self, follow: Follow, start: str) -> None:
        key = (follow.channel, follow.person, follow.session_id)
        row = self.rows.get(key)
        if row is not None and row.reminded_start == start:
            self.rows[key] = Follow(row.channel, row.person, row.session_id, row.lang, follow.reminded_start)

    def followed_ids(self) -> set[str]:
        return {key[2] for key in self.rows}

    def remember_contact(self, channel: str, person: str, private_chat: str) -> None:
        self.contacts[(channel, person)] = private_chat

    def private_chat(self, channel: str, person: str) -> str | None:
        return self.contacts.get((channel, person))


@dataclass
class ManualClock:
    """A :class:`~bots.follow.Clock` that moves only when told (sleeping moves it too, instantly)."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    async def sleep(self, seconds: float, stop: asyncio.Event) -> None:
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)
