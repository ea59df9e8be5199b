"""The state store: canonical programme, links, cursors, change log, conflicts and outbox.

SQLite by default (one file, WAL), PostgreSQL by URL. The schema is created and upgraded by
Alembic migrations when the store opens. Everything the engine commits for one step goes through
one ``transaction()``, so a crash leaves either the old state or the new one, never half.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Update,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from sync.errors import ConfigError, LockBusy, StateUnreadable
from sync.i18n import Catalogue
from sync.lazy import Lazy, LinkHead
from sync.model import Conflict
from sync.protocol import ConnectorState, Link
from sync.review import LoggedChange
from sync.schema import (
    breakers,
    changes,
    conflicts,
    connector_state,
    cursors,
    held,
    links,
    meta,
    outbox,
    published,
    sessions,
    sync_inputs,
    syncs,
)
from sync.state_reader import MIGRATIONS, schema_head
from sync.state_reader import HeldBatch as HeldBatch
from sync.state_reader import HistoryRow as HistoryRow
from sync.state_reader import OutboxEntry as OutboxEntry

#: A schema name a store accepts (it goes into ``search_path`` and ``CREATE SCHEMA`` as is).
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


#: What a person reads when the state database cannot be used, in French and English.
STATE_TEXTS = Catalogue({
    "not_url": {"fr": "hub.database : « {url} » n'est pas une adresse de base de données",
                "en": "hub.database: '{url}' is not a database URL"},
    "cannot_open": {"fr": "hub.database : impossible d'ouvrir {url} ({reason})",
                    "en": "hub.database: cannot open {url} ({reason})"},
    "unreadable": {"fr": "la base d'état {url} ne peut pas être lue ({reason})",
                   "en": "the state database {url} cannot be read ({reason})"},
    "newer": {
        "fr": "la base d'état {url} a été écrite par une version plus récente du hub : installez cette version "
        "(ou une plus récente), ou remettez une sauvegarde faite avant qu'elle ne tourne",
        "en": "the state database {url} was written by a newer version of the hub: install that version "
        "(or newer), or restore a backup made before it ran",
    },
    "damaged": {
        "fr": "la base d'état {file} est endommagée ({reason}) : {hint} ; voir « The state database » dans le README",
        "en": "the state database {file} is damaged ({reason}): {hint}; see 'The state database' in the README",
    },
    "hint.copy": {"fr": "remettez la copie faite avant la dernière mise à jour ({copy}) ou votre propre sauvegarde",
                  "en": "put back the copy made before the last upgrade ({copy}) or your own backup"},
    "hint.backup": {"fr": "remettez une sauvegarde", "en": "put back a backup"},
})


class _NewerSchema(Exception):
    """The database is at a revision this version does not know (a newer hub wrote it)."""


def _current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new one), as Alembic records it."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class StateStore:
    """Typed access to the state tables. Open with :meth:`open`; close with :meth:`close`."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self.engine = engine
        #: The PostgreSQL schema holding this store's tables (one hosted collective's), or None.
        self.schema = schema

    @classmethod
    def open(cls, url: str, *, lang: str = "en", schema: str | None = None) -> StateStore:
        """Connect and bring the schema to the newest migration; a database that cannot be used
        is one clear error said in ``lang``. With ``schema`` (PostgreSQL only), the tables live
        in that schema, created when missing: every connection's ``search_path`` names it alone,
        so several stores share one database without seeing each other's rows."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError(STATE_TEXTS.say("not_url", lang, url=_safe_url(url))) from None
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {}
        if schema is not None:
            if not parsed.drivername.startswith("postgresql") or not SCHEMA_NAME.fullmatch(schema):
                raise ConfigError(STATE_TEXTS.say("not_url", lang, url=f"{_safe_url(url)} ({schema})"))
            connect_args["options"] = f"-c search_path={schema}"
        engine = create_engine(parsed, future=True, connect_args=connect_args)
        if schema is not None:
            try:
                with engine.begin() as connection:
                    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            except DatabaseError:
                pass  # a concurrent creation, or a database that cannot be reached: said just below
        if parsed.drivername.startswith("sqlite"):
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, schema)
        file = Path(parsed.database) if parsed.drivername.startswith("sqlite") and parsed.database \
            not in (None, "", ":memory:") else None
        try:
            store.migrate(file)
        except OperationalError as exc:
            engine.dispose()
            raise ConfigError(
                STATE_TEXTS.say("cannot_open", lang, url=_safe_url(url), reason=exc.orig.__class__.__name__)
            ) from None
        except DatabaseError as exc:
            engine.dispose()
            raise _damaged(file, str(exc.orig), lang) if file is not None else StateUnreadable(
                STATE_TEXTS.say("unreadable", lang, url=_safe_url(url), reason=exc.orig)) from None
        except _NewerSchema:
            engine.dispose()
            raise StateUnreadable(STATE_TEXTS.say("newer", lang, url=_safe_url(url))) from None
        return store

    def migrate(self, file: Path | None = None) -> None:
        """Bring the schema to the newest migration; a SQLite file is copied first
        (``<name>.before-<revision>``) when an upgrade is due, so it can be put back."""
        head = schema_head()
        with self.engine.connect() as connection:
            current = _current_revision(connection)
        if current == head:
            return  # every command but the first after an upgrade: Alembic is not even imported
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.util.exc import CommandError

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        # Several hub processes may open a new database at once (two `hub sync`, the daemon):
        # one migrates, the others wait for it and then find the schema current.
        with self._migration_lock(file):
            with self.engine.connect() as connection:
                current = _current_revision(connection)
            if current == head:
                return
            if current is not None and file is not None and file.exists():
                backup = file.with_name(f"{file.name}.before-{head}")
                if not backup.exists():
                    # SQLite's online backup: a consistent copy, even of a database in WAL mode.
                    with contextlib.closing(sqlite3.connect(file)) as source, \
                            contextlib.closing(sqlite3.connect(backup)) as target:
                        source.backup(target)
            with self.engine.begin() as connection:
                if self.engine.dialect.name == "sqlite":
                    # SQLite's driver opens a transaction only before a data change, so each
                    # CREATE or ALTER would commit on its own: a process killed mid-upgrade would
                    # leave tables without the version that names them, a database no later run
                    # can open. One explicit transaction makes the upgrade all or nothing.
                    connection.exec_driver_sql("BEGIN")
                config.attributes["connection"] = connection
                try:
                    command.upgrade(config, "head")
                except CommandError as exc:  # a revision this version does not know: a newer hub's
                    raise _NewerSchema(str(exc)) from None

    @contextlib.contextmanager
    def _migration_lock(self, file: Path | None) -> Iterator[None]:
        """Held while the schema is upgraded: PostgreSQL's session advisory lock (so processes on
        other machines wait too), or an ``flock`` on a file beside the SQLite database."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_KEY})
                holder.commit()
                try:
                    yield
                finally:
                    holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_KEY})
                    holder.commit()
            return
        if file is None:
            yield
            return
        fd = os.open(file.with_name(f"{file.name}.migrating"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None, conn: Connection | None = None, *,
                 for_update: bool = False) -> Any:
        """A meta value. ``for_update`` (inside a transaction about to write it back) makes two
        processes' read-modify-write of one key wait for each other instead of losing an update:
        the row is locked on PostgreSQL; on SQLite the transaction takes the database's write
        lock before reading (Python's sqlite3 would otherwise read outside any transaction and
        begin one only at the write)."""
        query = select(meta.c.value).where(meta.c.key == key)
        if for_update:
            query = query.with_for_update()
        with self._conn(conn) as c:
            raw = c.connection.dbapi_connection if for_update and c.dialect.name == "sqlite" else None
            if raw is not None and not getattr(raw, "in_transaction", True):
                c.exec_driver_sql("BEGIN IMMEDIATE")
            row = c.execute(query).first()
        return default if row is None else row[0]

    def set_meta(self, conn: Connection, key: str, value: Any) -> None:
        if conn.execute(select(meta.c.key).where(meta.c.key == key)).first():
            conn.execute(update(meta).where(meta.c.key == key).values(value=value))
        else:
            conn.execute(insert(meta).values(key=key, value=value))

    # canonical sessions ---------------------------------------------------------------------
    def load_sessions(self) -> dict[str, dict[str, Any]]:
        """Every live session record, by id."""
        with self._conn() as c:
            rows = c.execute(select(sessions.c.id, sessions.c.record).where(sessions.c.record.is_not(None)))
            return {row.id: row.record for row in rows if row.record is not None}

    def stored_sessions(self) -> Lazy[dict[str, Any]]:
        """Every live session record, by id, read only as far as it is looked at (its hash is
        the cheap column: :meth:`Lazy.light`)."""

        def keys() -> dict[str, Any]:
            with self._conn() as c:
                # Fetched at once and unpacked: a row's attribute access costs more than the read
                # at 10,000 sessions, and every sync reads these.
                rows = c.execute(select(sessions.c.id, sessions.c.hash).where(sessions.c.record.is_not(None))).all()
                return dict(rows)

        def fetch(wanted: Collection[str] | None) -> dict[str, dict[str, Any]]:
            if wanted is None:
                return self.load_sessions()
            found: dict[str, dict[str, Any]] = {}
            with self._conn() as c:
                for chunk in _chunks(sorted(wanted)):
                    rows = c.execute(select(sessions.c.id, sessions.c.record).where(
                        sessions.c.id.in_(chunk), sessions.c.record.is_not(None)))
                    found.update({row.id: row.record for row in rows if row.record is not None})
            return found

        return Lazy(keys, fetch)

    def max_seq(self, conn: Connection | None = None) -> int:
        with self._conn(conn) as c:
            return int(c.execute(select(func.coalesce(func.max(sessions.c.seq), 0))).scalar_one())

    def changed_since(self, seq: int) -> dict[str, dict[str, Any] | None]:
        """Sessions (None for removed ones) changed after ``seq``: what a sink must look at."""
        with self._conn() as c:
            rows = c.execute(select(sessions.c.id, sessions.c.record).where(sessions.c.seq > seq))
            return {row.id: row.record for row in rows}

    def write_session(
        self, conn: Connection, session_id: str, record: Mapping[str, Any] | None, hash_: str | None, seq: int
    ) -> None:
        values = {"record": dict(record) if record is not None else None, "hash": hash_, "seq": seq}
        done = conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(sessions).values(id=session_id, **values))

    def write_sessions(
        self, conn: Connection, rows: Sequence[tuple[str, Mapping[str, Any] | None, str | None]], seq: int
    ) -> None:
        """Write many sessions at once (delete then insert, in chunks): one round trip per chunk."""
        for chunk in _chunks(rows):
            conn.execute(delete(sessions).where(sessions.c.id.in_([r[0] for r in chunk])))
            conn.execute(insert(sessions), [
                {"id": key, "record": dict(record) if record is not None else None, "hash": digest, "seq": seq}
                for key, record, digest in chunk
            ])

    def log_changes(
        self, conn: Connection, rows: Sequence[tuple[str, str, Any, Any, str]], *,
        sync: int | None = None, at: datetime | None = None,
    ) -> None:
        now = at or utcnow()
        for chunk in _chunks(rows):
            conn.execute(insert(changes), [
                {"session": k, "field": f, "old": o, "new": n, "origin": origin, "at": now, "sync": sync}
                for k, f, o, n, origin in chunk
            ])

    def log_change(
        self, conn: Connection, session: str, field: str, old: Any, new: Any, origin: str, *,
        sync: int | None = None,
    ) -> None:
        conn.execute(insert(changes).values(session=session, field=field, old=old, new=new, origin=origin,
                                            at=utcnow(), sync=sync))

    # runs, history and review -----------------------------------------------------------------
    def new_sync(self, conn: Connection, kind: str, at: datetime | None = None, note: str | None = None) -> int:
        """Number a run that changes the programme (``sync``, ``revert``, ``resolution``)."""
        result = conn.execute(insert(syncs).values(kind=kind, note=note, at=at or utcnow()))
        return _new_id(result)

    def sync_run(self, sync_id: int) -> tuple[str, datetime, str | None] | None:
        """(kind, when, note) of one numbered run, or None."""
        with self._conn() as c:
            row = c.execute(select(syncs).where(syncs.c.id == sync_id)).first()
        return None if row is None else (row.kind, _aware(row.at), row.note)

    def history(
        self, *, session: str | None = None, since: datetime | None = None, sync: int | None = None,
        limit: int | None = None,
    ) -> list[HistoryRow]:
        """Merged field changes, oldest first (the newest ``limit`` of them when given)."""
        with self._conn() as c:
            query = select(changes).order_by(changes.c.seq.desc())
            if session is not None:
                query = query.where(changes.c.session == session)
            if since is not None:
                query = query.where(changes.c.at >= since)
            if sync is not None:
                query = query.where(changes.c.sync == sync)
            if limit is not None:
                query = query.limit(limit)
            rows = [HistoryRow(r.sync, _aware(r.at), r.origin, r.session, r.field, r.old, r.new)
                    for r in c.execute(query)]
        rows.reverse()
        return rows

    def sync_changes(self, sync_id: int) -> list[LoggedChange]:
        """What one run changed, in the order it was logged."""
        return [LoggedChange(r.session, r.field, r.old, r.new) for r in self.history(sync=sync_id)]

    def touched_by(self, origin: str, since: datetime) -> set[str]:
        """Sessions ``origin`` changed since ``since`` (a review window), leaving out the first
        import and what an organiser accepted (both were looked at by a person)."""
        with self._conn() as c:
            reviewed = c.execute(select(func.max(held.c.updated_at)).where(
                held.c.connector == origin, held.c.state == "merged")).scalar()
            query = (
                select(changes.c.session).distinct()
                .select_from(changes.outerjoin(syncs, changes.c.sync == syncs.c.id))
                .where(changes.c.origin == origin, changes.c.at >= since,
                       (syncs.c.kind.is_(None)) | (syncs.c.kind != "import"))
            )
            if reviewed is not None:
                query = query.where(changes.c.at > reviewed)
            rows = c.execute(query)
            return {row.session for row in rows}

    def held_batches(self, states: Sequence[str] = ("open", "accepted", "rejected")) -> list[HeldBatch]:
        with self._conn() as c:
            rows = c.execute(select(held).where(held.c.state.in_(list(states))).order_by(held.c.id))
            return [HeldBatch(r.id, r.connector, r.state, r.reason, r.digest, r.summary,
                              _aware(r.created_at), _aware(r.updated_at)) for r in rows]

    def hold(
        self, conn: Connection, connector: str, reason: str, digest: str, summary: Mapping[str, Any],
        at: datetime | None = None,
    ) -> tuple[int, bool]:
        """Record a source's held changes: (batch number, True when the batch is new).

        A source has at most one batch waiting: a later pull of the same source replaces its
        content (and puts an accepted batch back to review when what it holds changed).
        """
        now = at or utcnow()
        row = conn.execute(select(held.c.id, held.c.digest, held.c.state).where(
            held.c.connector == connector, held.c.state.in_(("open", "accepted")))).first()
        if row is not None:
            if row.digest != digest:
                conn.execute(update(held).where(held.c.id == row.id).values(
                    state="open", reason=reason, digest=digest, summary=dict(summary), updated_at=now))
            return int(row.id), False
        result = conn.execute(insert(held).values(
            connector=connector, state="open", reason=reason, digest=digest, summary=dict(summary),
            created_at=now, updated_at=now))
        return _new_id(result), True

    def set_held_state(self, conn: Connection, batch_id: int, state: str, at: datetime | None = None) -> None:
        conn.execute(update(held).where(held.c.id == batch_id).values(state=state, updated_at=at or utcnow()))

    def rejected_digest(self, connector: str, digest: str) -> bool:
        """True when a person already rejected exactly these changes from this source."""
        with self._conn() as c:
            return c.execute(select(held.c.id).where(
                held.c.connector == connector, held.c.digest == digest,
                held.c.state.in_(("rejected", "restored")))).first() is not None

    # published versions ---------------------------------------------------------------------
    def published_records(self, ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        with self._conn() as c:
            query = select(published.c.id, published.c.record)
            if ids is not None:
                query = query.where(published.c.id.in_(list(ids)))
            return {row.id: row.record for row in c.execute(query)}

    def publish(self, conn: Connection, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Replace the published records of these sessions (None: no longer published), a few
        statements per 500 sessions rather than two per session (a first sync publishes all)."""
        for chunk in _chunks(list(records)):
            conn.execute(delete(published).where(published.c.id.in_(chunk)))
            rows = [{"id": key, "record": dict(record)} for key in chunk if (record := records[key]) is not None]
            if rows:
                conn.execute(insert(published), rows)

    # links and cursors ----------------------------------------------------------------------
    def links(self, connector: str, collection: str, keys: Collection[str] | None = None) -> dict[str, Link]:
        """The links of one connector's collection (only those of ``keys`` when given)."""
        where = (links.c.connector == connector) & (links.c.collection == collection)
        found: dict[str, Link] = {}
        with self._conn() as c:
            for chunk in [None] if keys is None else _chunks(sorted(keys)):
                query = select(links).where(where if chunk is None else where & links.c.key.in_(chunk))
                found.update({
                    row.key: Link(
                        connector=row.connector,
                        collection=row.collection,
                        key=row.key,
                        remote_id=row.remote_id,
                        remote_version=row.remote_version,
                        pushed_hash=row.pushed_hash,
                        seen_hash=row.seen_hash,
                        base=row.base,
                        sequence=row.sequence or 0,
                    )
                    for row in c.execute(query)
                })
        return found

    def stored_links(self, connector: str, collection: str) -> Lazy[Link]:
        """One connector's links, read only as far as they are looked at (where each item is and
        its version are the cheap column: :meth:`Lazy.light`)."""

        def keys() -> dict[str, Any]:
            with self._conn() as c:
                rows = c.execute(select(links.c.key, links.c.remote_id, links.c.remote_version).where(
                    links.c.connector == connector, links.c.collection == collection)).all()
                return {key: LinkHead(remote_id, version) for key, remote_id, version in rows}

        return Lazy(keys, lambda wanted: self.links(connector, collection, wanted))

    def save_link(self, conn: Connection, link: Link) -> None:
        values = {
            "remote_id": link.remote_id,
            "remote_version": link.remote_version,
            "pushed_hash": link.pushed_hash,
            "seen_hash": link.seen_hash,
            "base": dict(link.base) if link.base is not None else None,
            "sequence": link.sequence,
        }
        where = (
            (links.c.connector == link.connector)
            & (links.c.collection == link.collection)
            & (links.c.key == link.key)
        )
        if conn.execute(update(links).where(where).values(**values)).rowcount == 0:
            conn.execute(
                insert(links).values(connector=link.connector, collection=link.collection, key=link.key, **values)
            )

    def save_links(self, conn: Connection, new_links: Sequence[Link]) -> None:
        """Save many links of one or more connectors at once."""
        for chunk in _chunks(new_links):
            for connector, collection in {(link.connector, link.collection) for link in chunk}:
                keys = [link.key for link in chunk if (link.connector, link.collection) == (connector, collection)]
                conn.execute(delete(links).where(
                    links.c.connector == connector, links.c.collection == collection, links.c.key.in_(keys)))
            conn.execute(insert(links), [
                {
                    "connector": link.connector, "collection": link.collection, "key": link.key,
                    "remote_id": link.remote_id, "remote_version": link.remote_version,
                    "pushed_hash": link.pushed_hash, "seen_hash": link.seen_hash,
                    "base": dict(link.base) if link.base is not None else None, "sequence": link.sequence,
                }
                for link in chunk
            ])

    def acknowledge(self, conn: Connection, connector: str, key: str, field: str, value: Any) -> None:
        """Record that ``connector``'s value of ``field`` has been seen and decided on, so the
        same edit is not raised as a conflict again."""
        rows = conn.execute(select(links).where(links.c.connector == connector, links.c.key == key)).all()
        for row in rows:
            base = dict(row.base or {})
            base[field] = value
            conn.execute(update(links).where(
                links.c.connector == connector, links.c.collection == row.collection, links.c.key == key
            ).values(base=base))

    def drop_link(self, conn: Connection, connector: str, collection: str, key: str) -> None:
        conn.execute(
            delete(links).where(
                links.c.connector == connector, links.c.collection == collection, links.c.key == key
            )
        )

    # what the last clean sync read (the quick no-op check) -----------------------------------
    def forget_inputs(self, conn: Connection) -> None:
        """A sync starts: what the last one read no longer vouches for the state."""
        conn.execute(delete(sync_inputs))

    def record_inputs(self, conn: Connection, digests: Mapping[str, str]) -> None:
        """A sync ended with nothing left to do: what it read, by name (``settings``...)."""
        conn.execute(delete(sync_inputs))
        if digests:
            conn.execute(insert(sync_inputs), [{"name": k, "digest": v} for k, v in sorted(digests.items())])

    def inputs(self) -> dict[str, str]:
        with self._conn() as c:
            return {row.name: row.digest for row in c.execute(select(sync_inputs.c.name, sync_inputs.c.digest))}

    def cursor(self, connector: str, collection: str) -> tuple[str | None, int]:
        """(remote cursor token, last canonical seq planned for this connector)."""
        with self._conn() as c:
            row = c.execute(
                select(cursors.c.token, cursors.c.synced_seq).where(
                    cursors.c.connector == connector, cursors.c.collection == collection
                )
            ).first()
        return (None, 0) if row is None else (row.token, row.synced_seq or 0)

    def save_cursor(
        self, conn: Connection, connector: str, collection: str, *, token: str | None = None,
        synced_seq: int | None = None, keep_token: bool = False,
    ) -> None:
        where = (cursors.c.connector == connector) & (cursors.c.collection == collection)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if not keep_token:
            values["token"] = token
        if synced_seq is not None:
            values["synced_seq"] = synced_seq
        if conn.execute(update(cursors).where(where).values(**values)).rowcount == 0:
            conn.execute(
                insert(cursors).values(
                    connector=connector, collection=collection, token=values.get("token"),
                    synced_seq=synced_seq or 0, updated_at=values["updated_at"],
                )
            )

    # conflicts ------------------------------------------------------------------------------
    def open_conflicts(self) -> list[Conflict]:
        with self._conn() as c:
            rows = c.execute(select(conflicts).where(conflicts.c.state == "open").order_by(conflicts.c.id))
            return [
                Conflict(r.session, r.field, r.connector, r.base, r.ours, r.theirs, r.id, r.created_at)
                for r in rows
            ]

    def add_conflict(self, conn: Connection, conflict: Conflict) -> bool:
        """Record a conflict unless the same one is already open; True if it is new."""
        session, field, connector = conflict.session, conflict.field, conflict.connector
        base, ours, theirs = conflict.base, conflict.ours, conflict.theirs
        existing = conn.execute(
            select(conflicts.c.id, conflicts.c.theirs).where(
                conflicts.c.session == session,
                conflicts.c.field == field,
                conflicts.c.connector == connector,
                conflicts.c.state == "open",
            )
        ).first()
        if existing is not None:
            conn.execute(update(conflicts).where(conflicts.c.id == existing.id).values(theirs=theirs, ours=ours))
            return False
        conn.execute(
            insert(conflicts).values(
                session=session, field=field, connector=connector, base=base, ours=ours,
                theirs=theirs, state="open", created_at=utcnow(),
            )
        )
        return True

    def close_conflict(self, conn: Connection, conflict_id: int, state: str = "resolved") -> None:
        conn.execute(
            update(conflicts).where(conflicts.c.id == conflict_id).values(state=state, resolved_at=utcnow())
        )

    # outbox ---------------------------------------------------------------------------------
    def enqueue(
        self, conn: Connection, *, idem_key: str, connector: str, target: str, op: str, key: str,
        payload: Mapping[str, Any] | None, supersede: bool, state: str = "pending", error: str | None = None,
    ) -> bool:
        """Add an outbox entry unless ``idem_key`` is known. With ``supersede``, a pending entry for
        the same (connector, target, key) is marked superseded first (no stale pushes). ``state``
        other than pending records what already happened (a message ``in_doubt``, with ``error``)."""
        if conn.execute(select(outbox.c.id).where(outbox.c.idem_key == idem_key)).first():
            return False
        now = utcnow()
        if supersede:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.connector == connector,
                    outbox.c.target == target,
                    outbox.c.key == key,
                    outbox.c.state.in_(("pending", "failed")),
                )
                .values(state="superseded", updated_at=now)
            )
        conn.execute(
            insert(outbox).values(
                idem_key=idem_key, connector=connector, target=target, op=op, key=key,
                payload=dict(payload) if payload is not None else None, state=state, error=error,
                attempts=0, next_at=0.0, created_at=now, updated_at=now,
            )
        )
        return True

    def enqueue_many(
        self, conn: Connection, entries: Sequence[Mapping[str, Any]], *, supersede: bool
    ) -> int:
        """Add many outbox entries (same keys as :meth:`enqueue`); returns how many were new."""
        added = 0
        now = utcnow()
        for chunk in _chunks(entries):
            known = {row[0] for row in conn.execute(
                select(outbox.c.idem_key).where(outbox.c.idem_key.in_([e["idem_key"] for e in chunk])))}
            fresh = [e for e in chunk if e["idem_key"] not in known]
            if not fresh:
                continue
            if supersede:
                # Looked up among the entries still to do (the state index: a few rows), not among
                # the connector's (every entry it ever had: a daemon's outbox only grows).
                wanted = {(e["connector"], e["target"], e["key"]) for e in fresh}
                stale = [row.id for row in conn.execute(
                    select(outbox.c.id, outbox.c.connector, outbox.c.target, outbox.c.key)
                    .where(outbox.c.state.in_(("pending", "failed"))))
                    if (row.connector, row.target, row.key) in wanted]
                if stale:
                    self.mark(conn, stale, "superseded")
            conn.execute(insert(outbox), [
                {**e, "payload": dict(e["payload"]) if e.get("payload") is not None else None,
                 "state": "pending", "attempts": 0, "next_at": 0.0, "created_at": now, "updated_at": now}
                for e in fresh
            ])
            added += len(fresh)
        return added

    def outbox_entries(
        self, connector: str | None = None, states: Sequence[str] = ("pending",), due_before: float | None = None
    ) -> list[OutboxEntry]:
        with self._conn() as c:
            query = select(outbox).where(outbox.c.state.in_(list(states))).order_by(outbox.c.id)
            if connector is not None:
                query = query.where(outbox.c.connector == connector)
            if due_before is not None:
                query = query.where(outbox.c.next_at <= due_before)
            return [
                OutboxEntry(
                    r.id, r.idem_key, r.connector, r.target, r.op, r.key, r.payload, r.state,
                    r.attempts, r.next_at, r.remote_ref, r.error,
                )
                for r in c.execute(query)
            ]

    def mark(
        self, conn: Connection, entry_ids: Sequence[int], state: str, *, remote_ref: str | None = None,
        error: str | None = None, next_at: float | None = None, attempt: bool = False,
    ) -> None:
        values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
        if remote_ref is not None:
            values["remote_ref"] = remote_ref
        if error is not None:
            values["error"] = error
        if next_at is not None:
            values["next_at"] = next_at
        ids = list(entry_ids)
        parameters = {f"new_{k}": v for k, v in values.items()}
        if len(ids) == 1:  # one message (sending, then done): a comparison, no list to expand
            conn.execute(_mark_statement(tuple(values), attempt, True), {"entry_id": ids[0], **parameters})
            return
        statement = _mark_statement(tuple(values), attempt, False)
        for chunk in _chunks(ids):
            conn.execute(statement, {"entry_ids": list(chunk), **parameters})

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        with self._conn() as c:
            rows = c.execute(
                select(outbox.c.connector, outbox.c.state, func.count()).group_by(outbox.c.connector, outbox.c.state)
            )
            counts: dict[str, dict[str, int]] = {}
            for connector, state, count in rows:
                counts.setdefault(connector, {})[state] = count
            return counts

    # breakers -------------------------------------------------------------------------------
    def open_breakers(self) -> dict[str, str]:
        with self._conn() as c:
            return {row.connector: row.reason for row in c.execute(select(breakers))}

    def open_breaker(self, conn: Connection, connector: str, reason: str) -> None:
        conn.execute(delete(breakers).where(breakers.c.connector == connector))
        conn.execute(insert(breakers).values(connector=connector, reason=reason, opened_at=utcnow()))

    def reset_breaker(self, connector: str) -> bool:
        with self.transaction() as c:
            return bool(c.execute(delete(breakers).where(breakers.c.connector == connector)).rowcount)

    # connector state ------------------------------------------------------------------------
    def load_connector_state(self, connector: str, key: str) -> dict[str, Any]:
        with self._conn() as c:
            row = c.execute(select(connector_state.c.value).where(
                connector_state.c.connector == connector, connector_state.c.key == key)).first()
        return dict(row[0]) if row is not None and row[0] else {}

    def save_connector_state(self, connector: str, key: str, value: Mapping[str, Any]) -> None:
        with self.transaction() as c:
            c.execute(delete(connector_state).where(
                connector_state.c.connector == connector, connector_state.c.key == key))
            c.execute(insert(connector_state).values(connector=connector, key=key, value=dict(value)))

    # helpers --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _conn(self, conn: Connection | None = None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as c:
                yield c


def _new_id(result: Any) -> int:
    """The primary key an ``INSERT`` just made."""
    return int(result.inserted_primary_key[0])


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=64)
def _mark_statement(fields: tuple[str, ...], attempt: bool, single: bool) -> Update:
    """The outbox update :meth:`StateStore.mark` runs for these fields, for one entry or a list,
    built once: a chat message is marked twice (sending, then done), and building the
    statement anew each time cost more than running it."""
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in fields}
    if attempt:
        values["attempts"] = outbox.c.attempts + 1
    which = outbox.c.id == bindparam("entry_id") if single else outbox.c.id.in_(bindparam("entry_ids", expanding=True))
    return update(outbox).where(which).values(**values)


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Slices small enough for any database's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _damaged(file: Path, reason: str, lang: str) -> StateUnreadable:
    backups = sorted(file.parent.glob(f"{file.name}.before-*"))
    hint = (STATE_TEXTS.say("hint.copy", lang, copy=backups[-1].name) if backups
            else STATE_TEXTS.say("hint.backup", lang))
    return StateUnreadable(STATE_TEXTS.say("damaged", lang, file=file, reason=reason, hint=hint))


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


class StoredConnectorState(ConnectorState):
    """A connector's :class:`ConnectorState`, kept in the state store (each save committed)."""

    def __init__(self, store: StateStore, connector: str) -> None:
        self.store = store
        self.connector = connector

    def load(self, key: str) -> dict[str, Any]:
        return self.store.load_connector_state(self.connector, key)

    def save(self, key: str, value: Mapping[str, Any]) -> None:
        self.store.save_connector_state(self.connector, key, value)


#: The advisory lock key PostgreSQL holds while one process upgrades the schema.
MIGRATION_KEY = zlib.crc32(b"commons-hub schema")


class WriterLock:
    """One writer at a time (``hub sync``, the daemon): an advisory lock held for a run.

    SQLite: an ``flock`` on a file next to the database. PostgreSQL: ``pg_try_advisory_lock``
    on a dedicated connection, so two machines sharing one database also exclude each other.
    """

    KEY = zlib.crc32(b"commons-hub writer")

    def __init__(self, store: StateStore, lock_path: Path | None) -> None:
        self.store = store
        self.lock_path = lock_path
        #: One lock per store: stores in different schemas of one database do not exclude each other.
        self.key = self.KEY if store.schema is None else zlib.crc32(f"commons-hub writer {store.schema}".encode())
        self._fd: int | None = None
        self._conn: Connection | None = None

    def acquire(self, wait: float = 0.0, poll: float = 0.1) -> None:
        """Take the lock, waiting up to ``wait`` seconds for another writer to finish; then
        :class:`LockBusy`. Waiting polls (a blocking wait could not be given up on time)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self._try()
                return
            except LockBusy as busy:
                if time.monotonic() >= deadline:
                    busy.waited = wait
                    raise
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def _try(self) -> None:
        if self.store.engine.dialect.name == "postgresql":
            self._conn = self.store.engine.connect()
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            self._conn.commit()
            if not got:
                self._conn.close()
                self._conn = None
                raise LockBusy("another hub process is writing this database; try again when it ends")
            return
        if self.lock_path is None:
            return
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockBusy(f"another hub process holds {self.lock_path}; try again when it ends") from None
        self._fd = fd

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
