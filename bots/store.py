"""The :class:`~bots.follow.FollowStore` on SQL (SQLite or PostgreSQL), next to the state store.

Two tables of the state store's schema (:mod:`sync.schema`), created by its migrations (or by
:func:`create_tables` in a test). Claiming a reminder is one conditional UPDATE, so
two bot processes never send the same reminder twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import (
    Table,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import Executable

from bots.follow import Follow
from sync import schema
from sync.schema import bot_contacts, bot_follows

# The tables live in the state store's schema (sync.schema) and its migrations create them.
metadata = schema.metadata


def create_tables(engine: Engine) -> None:
    """Create the two tables if missing (migrations do this in a deployed hub)."""
    metadata.create_all(engine, tables=[bot_follows, bot_contacts])


class SqlFollowStore:
    """Follows and private contacts in the hub's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _upsert(self, table: Table, values: dict[str, object], keys: list[str], update_cols: list[str]) -> Executable:
        """INSERT ... ON CONFLICT DO UPDATE, in the dialect of the hub's database."""
        if self.engine.dialect.name == "postgresql":
            pg = pg_insert(table).values(**values)
            return pg.on_conflict_do_update(index_elements=keys, set_={c: pg.excluded[c] for c in update_cols})
        lite = sqlite_insert(table).values(**values)
        return lite.on_conflict_do_update(index_elements=keys, set_={c: lite.excluded[c] for c in update_cols})

    def follow(self, channel: str, person: str, session_id: str, lang: str) -> bool:
        key = and_(
            bot_follows.c.channel == channel,
            bot_follows.c.person == person,
            bot_follows.c.session_id == session_id,
        )
        with self.engine.begin() as conn:
            existed = conn.execute(select(bot_follows.c.session_id).where(key)).first() is not None
            values = {
                "channel": channel,
                "person": person,
                "session_id": session_id,
                "lang": lang,
                "created_at": datetime.now(UTC),
            }
            conn.execute(self._upsert(bot_follows, values, ["channel", "person", "session_id"], ["lang"]))
        return not existed

    def unfollow(self, channel: str, person: str, session_id: str | None = None) -> list[str]:
        where = and_(bot_follows.c.channel == channel, bot_follows.c.person == person)
        if session_id is not None:
            where = and_(where, bot_follows.c.session_id == session_id)
        with self.engine.begin() as conn:
            ids = [row[0] for row in conn.execute(select(bot_follows.c.session_id).where(where))]
            conn.execute(delete(bot_follows).where(where))
        return sorted(ids)

    def following(self, channel: str, person: str) -> list[str]:
        where = and_(bot_follows.c.channel == channel, bot_follows.c.person == person)
        with self.engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(select(bot_follows.c.session_id).where(where)))

    def followers(self, session_ids: Iterable[str]) -> list[Follow]:
        wanted = list(dict.fromkeys(session_ids))
        if not wanted:
            return []
        columns = (
            bot_follows.c.channel,
            bot_follows.c.person,
            bot_follows.c.session_id,
            bot_follows.c.lang,
            bot_follows.c.reminded_start,
        )
        found: list[Follow] = []
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):  # stay under the bound-parameter limits
                chunk = wanted[start : start + 500]
                rows = conn.execute(select(*columns).where(bot_follows.c.session_id.in_(chunk)))
                found += [Follow(*row) for row in rows]
        return sorted(found, key=lambda f: (f.channel, f.person, f.session_id))

    def claim_reminder(self, follow: Follow, start: str) -> bool:
        statement = (
            update(bot_follows)
            .where(
                bot_follows.c.channel == follow.channel,
                bot_follows.c.person == follow.person,
                bot_follows.c.session_id == follow.session_id,
                or_(bot_follows.c.reminded_start.is_(None), bot_follows.c.reminded_start != start),
            )
            .values(reminded_start=start)
        )
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def release_reminder(self, follow: Follow, start: str) -> None:
        statement = (
            update(bot_follows)
            .where(
                bot_follows.c.channel == follow.channel,
                bot_follows.c.person == follow.person,
                bot_follows.c.session_id == follow.session_id,
                bot_follows.c.reminded_start == start,
            )
            .values(reminded_start=follow.reminded_start)
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def followed_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(select(bot_follows.c.session_id).distinct())}

    def remember_contact(self, channel: str, person: str, private_chat: str) -> None:
        values = {
            "channel": channel,
            "person": person,
            "private_chat": private_chat,
            "first_seen": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            conn.execute(self._upsert(bot_contacts, values, ["channel", "person"], ["private_chat"]))

    def private_chat(self, channel: str, person: str) -> str | None:
        where = and_(bot_contacts.c.channel == channel, bot_contacts.c.person == person)
        with self.engine.connect() as conn:
            row = conn.execute(select(bot_contacts.c.private_chat).where(where)).first()
        return None if row is None else str(row[0])
