"""The state store: canonical programme, links, cursors, change log, conflicts and outbox.

SQLite by default (one file, WAL), PostgreSQL by URL. The schema is created and upgraded by
Alembic migrations when the store opens; the store's own statements are plain SQL on the driver's
connections (:mod:`sync.database`), so a sync does not import SQLAlchemy. Everything the engine
commits for one step goes through one ``transaction()``, so a crash leaves either the old state or
the new one, never half.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.database import Database, Tx, UnsupportedDatabase, error_kind, marks, parse_url, safe_url
from sync.errors import ConfigError, LockBusy, StateUnreadable
from sync.i18n import Catalogue
from sync.lazy import Lazy, LinkHead
from sync.model import Conflict
from sync.protocol import ConnectorState, Link
from sync.review import LoggedChange
from sync.state_reader import MIGRATIONS, outbox_query, schema_head
from sync.state_reader import HeldBatch as HeldBatch
from sync.state_reader import HistoryRow as HistoryRow
from sync.state_reader import OutboxEntry as OutboxEntry

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: A schema name a store accepts (it goes into ``search_path`` and ``CREATE SCHEMA`` as is).
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


#: What a person reads when the state database cannot be used, in French and English.
STATE_TEXTS = Catalogue({
    "unsupported": {"fr": "hub.database : {url} : la base {scheme} n'est pas prise en charge (SQLite ou PostgreSQL)",
                    "en": "hub.database: {url}: {scheme} is not supported (SQLite or PostgreSQL)"},
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


def _current_revision(tx: Tx) -> str | None:
    """The revision the database is at (None for a new one), as Alembic records it."""
    if tx.dialect == "sqlite":
        found = tx.first("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
    else:
        found = tx.scalar("SELECT to_regclass('alembic_version')")
    if not found:
        return None
    row = tx.first("SELECT version_num FROM alembic_version")
    return None if row is None else str(row[0])


def utcnow() -> datetime:
    return datetime.now(UTC)


class StateStore:
    """Typed access to the state tables. Open with :meth:`open`; close with :meth:`close`.

    ``db`` is the database's pool (:class:`sync.database.Database`); ``schema`` the PostgreSQL
    schema holding this store's tables (one hosted collective's), or None.
    """

    def __init__(self, db: Database, schema: str | None = None, *, owns: bool = False) -> None:
        self.db = db
        self.schema = schema
        self._owns = owns
        self._engine: Engine | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.db.dialect

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on this store's tables, made at the first use (the bots' tables,
        schema upgrades): the store's own statements never need it."""
        if self._engine is None:
            engine = self.db.sa_engine()
            if self.schema is not None and self.schema != self.db.schema:
                engine = engine.execution_options(schema_translate_map={None: self.schema})
            self._engine = engine
        return self._engine

    @classmethod
    def open(cls, url: str, *, lang: str = "en", schema: str | None = None, plain: bool = True) -> StateStore:
        """Connect and bring the schema to the newest migration; a database that cannot be used
        is one clear error said in ``lang``. With ``schema`` (PostgreSQL only), the tables live
        in that schema, created when missing: every connection's ``search_path`` names it alone,
        so several stores share one database without seeing each other's rows. ``plain``: a new
        SQLite database is created from the kept schema (:mod:`sync.sqlite_schema`), not by Alembic."""
        try:
            target = parse_url(url)
        except UnsupportedDatabase as exc:
            raise ConfigError(STATE_TEXTS.say("unsupported", lang, url=safe_url(url), scheme=str(exc))) from None
        except ValueError:
            raise ConfigError(STATE_TEXTS.say("not_url", lang, url=safe_url(url))) from None
        if schema is not None and (target.dialect != "postgresql" or not SCHEMA_NAME.fullmatch(schema)):
            raise ConfigError(STATE_TEXTS.say("not_url", lang, url=f"{safe_url(url)} ({schema})"))
        file = target.file
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        db = Database(url, schema=schema)
        store = cls(db, schema, owns=True)
        try:
            if schema is not None:
                # Errors pass: a concurrent creation, or no server (said just below).
                with contextlib.suppress(Exception), contextlib.closing(db.raw_connection(autocommit=True)) as raw:
                    raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            store.migrate(file, plain=plain)
        except _NewerSchema:
            db.close()
            raise StateUnreadable(STATE_TEXTS.say("newer", lang, url=safe_url(url))) from None
        except Exception as exc:
            db.close()
            kind = error_kind(exc)
            if kind is None:
                raise
            if kind[0] == "operational":
                raise ConfigError(
                    STATE_TEXTS.say("cannot_open", lang, url=safe_url(url), reason=kind[1].__class__.__name__)
                ) from None
            raise _damaged(file, str(kind[1]), lang) if file is not None else StateUnreadable(
                STATE_TEXTS.say("unreadable", lang, url=safe_url(url), reason=kind[1])) from None
        return store

    def migrate(self, file: Path | None = None, *, plain: bool = True) -> None:
        """Bring the schema to the newest migration; a SQLite file is copied first
        (``<name>.before-<revision>``) when an upgrade is due, so it can be put back. A new
        SQLite database is created from the kept schema when ``plain`` (:mod:`sync.sqlite_schema`)."""
        head = schema_head()
        with self._conn() as c:
            current = _current_revision(c)
        if current == head:
            return  # every command but the first after an upgrade: neither Alembic nor SQLAlchemy is imported
        if current is None and plain and self.dialect == "sqlite":
            from sync import sqlite_schema

            with self._migration_lock(file), self._conn() as c:
                if _current_revision(c) == head or sqlite_schema.create(c.raw, head):
                    return  # made by another process meanwhile, or from the kept schema now
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.util.exc import CommandError

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        # Several hub processes may open a new database at once (two `hub sync`, the daemon):
        # one migrates, the others wait for it and then find the schema current.
        with self._migration_lock(file):
            with self._conn() as c:
                current = _current_revision(c)
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
                if self.dialect == "sqlite":
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
        if self.dialect == "postgresql":
            with contextlib.closing(self.db.raw_connection(autocommit=True)) as holder:
                holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_KEY,))
                try:
                    yield
                finally:
                    holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_KEY,))
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
        """Close the connections, when this store opened them (:meth:`open`); a store on a
        shared pool leaves it to its owner."""
        if self._owns:
            self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.db.transaction(self.schema) as tx:
            yield tx

    # meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None, conn: Tx | None = None, *,
                 for_update: bool = False) -> Any:
        """A meta value. ``for_update`` (inside a transaction about to write it back) makes two
        processes' read-modify-write of one key wait for each other instead of losing an update:
        the row is locked on PostgreSQL; on SQLite the transaction takes the database's write
        lock before reading (Python's sqlite3 would otherwise read outside any transaction and
        begin one only at the write)."""
        query = "SELECT value FROM meta WHERE key = ?"
        with self._conn(conn) as c:
            if for_update and c.dialect == "postgresql":
                query += " FOR UPDATE"
            elif for_update and not c.raw.in_transaction:
                c.execute("BEGIN IMMEDIATE").close()
            row = c.first(query, (key,))
            return default if row is None else c.loads(row[0])

    def set_meta(self, conn: Tx, key: str, value: Any) -> None:
        if not conn.changed("UPDATE meta SET value = ? WHERE key = ?", (conn.json(value), key)):
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, conn.json(value))).close()

    # canonical sessions ---------------------------------------------------------------------
    def load_sessions(self) -> dict[str, dict[str, Any]]:
        """Every live session record, by id."""
        with self._conn() as c:
            rows = c.all("SELECT id, record FROM sessions WHERE record IS NOT NULL")
            return {key: record for key, raw in rows if (record := c.loads(raw)) is not None}

    def stored_sessions(self) -> Lazy[dict[str, Any]]:
        """Every live session record, by id, read only as far as it is looked at (its hash is
        the cheap column: :meth:`Lazy.light`)."""

        def keys() -> dict[str, Any]:
            with self._conn() as c:
                return dict(c.all("SELECT id, hash FROM sessions WHERE record IS NOT NULL"))

        def fetch(wanted: Collection[str] | None) -> dict[str, dict[str, Any]]:
            if wanted is None:
                return self.load_sessions()
            found: dict[str, dict[str, Any]] = {}
            with self._conn() as c:
                for chunk in _chunks(sorted(wanted)):
                    rows = c.all(f"SELECT id, record FROM sessions WHERE id IN ({marks(len(chunk))}) "
                                 "AND record IS NOT NULL", chunk)
                    found.update({key: record for key, raw in rows if (record := c.loads(raw)) is not None})
            return found

        return Lazy(keys, fetch)

    def max_seq(self, conn: Tx | None = None) -> int:
        with self._conn(conn) as c:
            return int(c.scalar("SELECT coalesce(max(seq), 0) FROM sessions"))

    def changed_since(self, seq: int) -> dict[str, dict[str, Any] | None]:
        """Sessions (None for removed ones) changed after ``seq``: what a sink must look at."""
        with self._conn() as c:
            return {key: c.loads(raw) for key, raw in c.all("SELECT id, record FROM sessions WHERE seq > ?", (seq,))}

    def write_session(
        self, conn: Tx, session_id: str, record: Mapping[str, Any] | None, hash_: str | None, seq: int
    ) -> None:
        stored = conn.json_or_null(dict(record) if record is not None else None)
        if not conn.changed("UPDATE sessions SET record = ?, hash = ?, seq = ? WHERE id = ?",
                            (stored, hash_, seq, session_id)):
            conn.execute("INSERT INTO sessions (id, record, hash, seq) VALUES (?, ?, ?, ?)",
                         (session_id, stored, hash_, seq)).close()

    def write_sessions(
        self, conn: Tx, rows: Sequence[tuple[str, Mapping[str, Any] | None, str | None]], seq: int
    ) -> None:
        """Write many sessions at once (delete then insert, in chunks): one round trip per chunk."""
        for chunk in _chunks(rows):
            conn.execute(f"DELETE FROM sessions WHERE id IN ({marks(len(chunk))})", [r[0] for r in chunk]).close()
            conn.many("INSERT INTO sessions (id, record, hash, seq) VALUES (?, ?, ?, ?)", [
                (key, conn.json_or_null(dict(record) if record is not None else None), digest, seq)
                for key, record, digest in chunk
            ])

    def log_changes(
        self, conn: Tx, rows: Sequence[tuple[str, str, Any, Any, str]], *,
        sync: int | None = None, at: datetime | None = None,
    ) -> None:
        now = conn.moment(at or utcnow())
        for chunk in _chunks(rows):
            conn.many('INSERT INTO changes (session, field, old, new, origin, at, sync) VALUES (?, ?, ?, ?, ?, ?, ?)',
                      [(k, f, conn.json(o), conn.json(n), origin, now, sync) for k, f, o, n, origin in chunk])

    def log_change(
        self, conn: Tx, session: str, field: str, old: Any, new: Any, origin: str, *,
        sync: int | None = None,
    ) -> None:
        self.log_changes(conn, [(session, field, old, new, origin)], sync=sync)

    # runs, history and review -----------------------------------------------------------------
    def new_sync(self, conn: Tx, kind: str, at: datetime | None = None, note: str | None = None) -> int:
        """Number a run that changes the programme (``sync``, ``revert``, ``resolution``)."""
        return conn.insert("INSERT INTO syncs (kind, note, at) VALUES (?, ?, ?)",
                           (kind, note, conn.moment(at or utcnow())))

    def sync_run(self, sync_id: int) -> tuple[str, datetime, str | None] | None:
        """(kind, when, note) of one numbered run, or None."""
        with self._conn() as c:
            row = c.first("SELECT kind, at, note FROM syncs WHERE id = ?", (sync_id,))
            return None if row is None else (row[0], _aware(c.when(row[1])), row[2])

    def history(
        self, *, session: str | None = None, since: datetime | None = None, sync: int | None = None,
        limit: int | None = None,
    ) -> list[HistoryRow]:
        """Merged field changes, oldest first (the newest ``limit`` of them when given)."""
        with self._conn() as c:
            where: list[str] = []
            args: list[Any] = []
            for clause, value in (("session = ?", session), ("at >= ?", since), ("sync = ?", sync)):
                if value is not None:
                    where.append(clause)
                    args.append(c.moment(value) if isinstance(value, datetime) else value)
            query = 'SELECT sync, at, origin, session, field, old, new FROM changes'
            query += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq DESC"
            if limit is not None:
                query += " LIMIT ?"
                args.append(limit)
            rows = [HistoryRow(r[0], _aware(c.when(r[1])), r[2], r[3], r[4], c.loads(r[5]), c.loads(r[6]))
                    for r in c.all(query, args)]
        rows.reverse()
        return rows

    def sync_changes(self, sync_id: int) -> list[LoggedChange]:
        """What one run changed, in the order it was logged."""
        return [LoggedChange(r.session, r.field, r.old, r.new) for r in self.history(sync=sync_id)]

    def touched_by(self, origin: str, since: datetime) -> set[str]:
        """Sessions ``origin`` changed since ``since`` (a review window), leaving out the first
        import and what an organiser accepted (both were looked at by a person)."""
        with self._conn() as c:
            reviewed = c.scalar("SELECT max(updated_at) FROM held WHERE connector = ? AND state = 'merged'",
                                (origin,))
            query = ("SELECT DISTINCT changes.session FROM changes LEFT OUTER JOIN syncs ON changes.sync = syncs.id "
                     "WHERE changes.origin = ? AND changes.at >= ? AND (syncs.kind IS NULL OR syncs.kind != 'import')")
            args: list[Any] = [origin, c.moment(since)]
            if reviewed is not None:
                query += " AND changes.at > ?"
                args.append(reviewed)
            return {row[0] for row in c.all(query, args)}

    def held_batches(self, states: Sequence[str] = ("open", "accepted", "rejected")) -> list[HeldBatch]:
        with self._conn() as c:
            rows = c.all("SELECT id, connector, state, reason, digest, summary, created_at, updated_at FROM held "
                         f"WHERE state IN ({marks(len(states))}) ORDER BY id", list(states))
            return [HeldBatch(r[0], r[1], r[2], r[3], r[4], c.loads(r[5]), _aware(c.when(r[6])),
                              _aware(c.when(r[7]))) for r in rows]

    def hold(
        self, conn: Tx, connector: str, reason: str, digest: str, summary: Mapping[str, Any],
        at: datetime | None = None,
    ) -> tuple[int, bool]:
        """Record a source's held changes: (batch number, True when the batch is new).

        A source has at most one batch waiting: a later pull of the same source replaces its
        content (and puts an accepted batch back to review when what it holds changed).
        """
        now = conn.moment(at or utcnow())
        row = conn.first("SELECT id, digest, state FROM held WHERE connector = ? AND state IN ('open', 'accepted')",
                         (connector,))
        if row is not None:
            if row[1] != digest:
                conn.execute("UPDATE held SET state = 'open', reason = ?, digest = ?, summary = ?, updated_at = ? "
                             "WHERE id = ?", (reason, digest, conn.json(dict(summary)), now, row[0])).close()
            return int(row[0]), False
        made = conn.insert("INSERT INTO held (connector, state, reason, digest, summary, created_at, updated_at) "
                           "VALUES (?, 'open', ?, ?, ?, ?, ?)",
                           (connector, reason, digest, conn.json(dict(summary)), now, now))
        return made, True

    def set_held_state(self, conn: Tx, batch_id: int, state: str, at: datetime | None = None) -> None:
        conn.execute("UPDATE held SET state = ?, updated_at = ? WHERE id = ?",
                     (state, conn.moment(at or utcnow()), batch_id)).close()

    def rejected_digest(self, connector: str, digest: str) -> bool:
        """True when a person already rejected exactly these changes from this source."""
        with self._conn() as c:
            return c.first("SELECT id FROM held WHERE connector = ? AND digest = ? "
                           "AND state IN ('rejected', 'restored')", (connector, digest)) is not None

    # published versions ---------------------------------------------------------------------
    def published_records(self, ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        with self._conn() as c:
            if ids is None:
                rows = c.all("SELECT id, record FROM published")
            else:
                rows = []
                for chunk in _chunks(list(ids)):
                    rows += c.all(f"SELECT id, record FROM published WHERE id IN ({marks(len(chunk))})", chunk)
            return {key: c.loads(raw) for key, raw in rows}

    def publish(self, conn: Tx, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Replace the published records of these sessions (None: no longer published), a few
        statements per 500 sessions rather than two per session (a first sync publishes all)."""
        for chunk in _chunks(list(records)):
            conn.execute(f"DELETE FROM published WHERE id IN ({marks(len(chunk))})", chunk).close()
            rows = [(key, conn.json(dict(record))) for key in chunk if (record := records[key]) is not None]
            if rows:
                conn.many("INSERT INTO published (id, record) VALUES (?, ?)", rows)

    # links and cursors ----------------------------------------------------------------------
    def links(self, connector: str, collection: str, keys: Collection[str] | None = None) -> dict[str, Link]:
        """The links of one connector's collection (only those of ``keys`` when given)."""
        query = ("SELECT key, remote_id, remote_version, pushed_hash, seen_hash, base, sequence FROM links "
                 "WHERE connector = ? AND collection = ?")
        found: dict[str, Link] = {}
        with self._conn() as c:
            for chunk in [None] if keys is None else _chunks(sorted(keys)):
                rows = c.all(query, (connector, collection)) if chunk is None else \
                    c.all(query + f" AND key IN ({marks(len(chunk))})", (connector, collection, *chunk))
                found.update({
                    row[0]: Link(
                        connector=connector, collection=collection, key=row[0], remote_id=row[1],
                        remote_version=row[2], pushed_hash=row[3], seen_hash=row[4], base=c.loads(row[5]),
                        sequence=row[6] or 0,
                    )
                    for row in rows
                })
        return found

    def stored_links(self, connector: str, collection: str) -> Lazy[Link]:
        """One connector's links, read only as far as they are looked at (where each item is and
        its version are the cheap column: :meth:`Lazy.light`)."""

        def keys() -> dict[str, Any]:
            with self._conn() as c:
                rows = c.all("SELECT key, remote_id, remote_version FROM links WHERE connector = ? AND collection = ?",
                             (connector, collection))
                return {key: LinkHead(remote_id, version) for key, remote_id, version in rows}

        return Lazy(keys, lambda wanted: self.links(connector, collection, wanted))

    def save_link(self, conn: Tx, link: Link) -> None:
        values = (link.remote_id, link.remote_version, link.pushed_hash, link.seen_hash,
                  conn.json(dict(link.base) if link.base is not None else None), link.sequence)
        if not conn.changed("UPDATE links SET remote_id = ?, remote_version = ?, pushed_hash = ?, seen_hash = ?, "
                            "base = ?, sequence = ? WHERE connector = ? AND collection = ? AND key = ?",
                            (*values, link.connector, link.collection, link.key)):
            conn.execute("INSERT INTO links (connector, collection, key, remote_id, remote_version, pushed_hash, "
                         "seen_hash, base, sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (link.connector, link.collection, link.key, *values)).close()

    def save_links(self, conn: Tx, new_links: Sequence[Link]) -> None:
        """Save many links of one or more connectors at once."""
        for chunk in _chunks(new_links):
            for connector, collection in {(link.connector, link.collection) for link in chunk}:
                keys = [link.key for link in chunk if (link.connector, link.collection) == (connector, collection)]
                conn.execute("DELETE FROM links WHERE connector = ? AND collection = ? "
                             f"AND key IN ({marks(len(keys))})", (connector, collection, *keys)).close()
            conn.many("INSERT INTO links (connector, collection, key, remote_id, remote_version, pushed_hash, "
                      "seen_hash, base, sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                          (link.connector, link.collection, link.key, link.remote_id, link.remote_version,
                           link.pushed_hash, link.seen_hash,
                           conn.json(dict(link.base) if link.base is not None else None), link.sequence)
                          for link in chunk
                      ])

    def acknowledge(self, conn: Tx, connector: str, key: str, field: str, value: Any) -> None:
        """Record that ``connector``'s value of ``field`` has been seen and decided on, so the
        same edit is not raised as a conflict again."""
        rows = conn.all("SELECT collection, base FROM links WHERE connector = ? AND key = ?", (connector, key))
        for collection, raw in rows:
            base = dict(conn.loads(raw) or {})
            base[field] = value
            conn.execute("UPDATE links SET base = ? WHERE connector = ? AND collection = ? AND key = ?",
                         (conn.json(base), connector, collection, key)).close()

    def drop_link(self, conn: Tx, connector: str, collection: str, key: str) -> None:
        conn.execute("DELETE FROM links WHERE connector = ? AND collection = ? AND key = ?",
                     (connector, collection, key)).close()

    # what the last clean sync read (the quick no-op check) -----------------------------------
    def forget_inputs(self, conn: Tx) -> None:
        """A sync starts: what the last one read no longer vouches for the state."""
        conn.execute("DELETE FROM sync_inputs").close()

    def record_inputs(self, conn: Tx, digests: Mapping[str, str]) -> None:
        """A sync ended with nothing left to do: what it read, by name (``settings``...)."""
        conn.execute("DELETE FROM sync_inputs").close()
        if digests:
            conn.many("INSERT INTO sync_inputs (name, digest) VALUES (?, ?)", sorted(digests.items()))

    def inputs(self) -> dict[str, str]:
        with self._conn() as c:
            return dict(c.all("SELECT name, digest FROM sync_inputs"))

    def cursor(self, connector: str, collection: str) -> tuple[str | None, int]:
        """(remote cursor token, last canonical seq planned for this connector)."""
        with self._conn() as c:
            row = c.first("SELECT token, synced_seq FROM cursors WHERE connector = ? AND collection = ?",
                          (connector, collection))
        return (None, 0) if row is None else (row[0], row[1] or 0)

    def save_cursor(
        self, conn: Tx, connector: str, collection: str, *, token: str | None = None,
        synced_seq: int | None = None, keep_token: bool = False,
    ) -> None:
        now = conn.moment(utcnow())
        sets, args = ["updated_at = ?"], [now]
        if not keep_token:
            sets.append("token = ?")
            args.append(token)
        if synced_seq is not None:
            sets.append("synced_seq = ?")
            args.append(synced_seq)
        if not conn.changed(f"UPDATE cursors SET {', '.join(sets)} WHERE connector = ? AND collection = ?",
                            (*args, connector, collection)):
            conn.execute("INSERT INTO cursors (connector, collection, token, synced_seq, updated_at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (connector, collection, None if keep_token else token, synced_seq or 0, now)).close()

    # conflicts ------------------------------------------------------------------------------
    def open_conflicts(self) -> list[Conflict]:
        with self._conn() as c:
            rows = c.all("SELECT session, field, connector, base, ours, theirs, id, created_at FROM conflicts "
                         "WHERE state = 'open' ORDER BY id")
            return [Conflict(r[0], r[1], r[2], c.loads(r[3]), c.loads(r[4]), c.loads(r[5]), r[6], c.when(r[7]))
                    for r in rows]

    def add_conflict(self, conn: Tx, conflict: Conflict) -> bool:
        """Record a conflict unless the same one is already open; True if it is new."""
        existing = conn.first("SELECT id FROM conflicts WHERE session = ? AND field = ? AND connector = ? "
                              "AND state = 'open'", (conflict.session, conflict.field, conflict.connector))
        if existing is not None:
            conn.execute("UPDATE conflicts SET theirs = ?, ours = ? WHERE id = ?",
                         (conn.json(conflict.theirs), conn.json(conflict.ours), existing[0])).close()
            return False
        conn.execute("INSERT INTO conflicts (session, field, connector, base, ours, theirs, state, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
                     (conflict.session, conflict.field, conflict.connector, conn.json(conflict.base),
                      conn.json(conflict.ours), conn.json(conflict.theirs), conn.moment(utcnow()))).close()
        return True

    def close_conflict(self, conn: Tx, conflict_id: int, state: str = "resolved") -> None:
        conn.execute("UPDATE conflicts SET state = ?, resolved_at = ? WHERE id = ?",
                     (state, conn.moment(utcnow()), conflict_id)).close()

    # outbox ---------------------------------------------------------------------------------
    def enqueue(
        self, conn: Tx, *, idem_key: str, connector: str, target: str, op: str, key: str,
        payload: Mapping[str, Any] | None, supersede: bool, state: str = "pending", error: str | None = None,
    ) -> bool:
        """Add an outbox entry unless ``idem_key`` is known. With ``supersede``, a pending entry for
        the same (connector, target, key) is marked superseded first (no stale pushes). ``state``
        other than pending records what already happened (a message ``in_doubt``, with ``error``)."""
        if conn.first("SELECT id FROM outbox WHERE idem_key = ?", (idem_key,)):
            return False
        now = conn.moment(utcnow())
        if supersede:
            conn.execute("UPDATE outbox SET state = 'superseded', updated_at = ? WHERE connector = ? AND target = ? "
                         "AND key = ? AND state IN ('pending', 'failed')", (now, connector, target, key)).close()
        conn.execute(_OUTBOX_INSERT, (idem_key, connector, target, op, key,
                                      conn.json(dict(payload) if payload is not None else None), state, error,
                                      now, now)).close()
        return True

    def enqueue_many(
        self, conn: Tx, entries: Sequence[Mapping[str, Any]], *, supersede: bool
    ) -> int:
        """Add many outbox entries (same keys as :meth:`enqueue`); returns how many were new."""
        added = 0
        now = conn.moment(utcnow())
        for chunk in _chunks(entries):
            known = {row[0] for row in conn.all(f"SELECT idem_key FROM outbox WHERE idem_key IN ({marks(len(chunk))})",
                                                [e["idem_key"] for e in chunk])}
            fresh = [e for e in chunk if e["idem_key"] not in known]
            if not fresh:
                continue
            if supersede:
                # Looked up among the entries still to do (the state index: a few rows), not among
                # the connector's (every entry it ever had: a daemon's outbox only grows).
                wanted = {(e["connector"], e["target"], e["key"]) for e in fresh}
                stale = [row[0] for row in conn.all(
                    "SELECT id, connector, target, key FROM outbox WHERE state IN ('pending', 'failed')")
                    if (row[1], row[2], row[3]) in wanted]
                if stale:
                    self.mark(conn, stale, "superseded")
            conn.many(_OUTBOX_INSERT, [
                (e["idem_key"], e["connector"], e["target"], e["op"], e["key"],
                 conn.json(dict(e["payload"]) if e.get("payload") is not None else None), "pending", e.get("error"),
                 now, now)
                for e in fresh
            ])
            added += len(fresh)
        return added

    def outbox_entries(
        self, connector: str | None = None, states: Sequence[str] = ("pending",), due_before: float | None = None
    ) -> list[OutboxEntry]:
        query, args = outbox_query(states, connector, due_before)
        with self._conn() as c:
            return [OutboxEntry(r[0], r[1], r[2], r[3], r[4], r[5], c.loads(r[6]), r[7], r[8], r[9], r[10], r[11])
                    for r in c.all(query, args)]

    def mark(
        self, conn: Tx, entry_ids: Sequence[int], state: str, *, remote_ref: str | None = None,
        error: str | None = None, next_at: float | None = None, attempt: bool = False,
    ) -> None:
        values: dict[str, Any] = {"state": state, "updated_at": conn.moment(utcnow())}
        if remote_ref is not None:
            values["remote_ref"] = remote_ref
        if error is not None:
            values["error"] = error
        if next_at is not None:
            values["next_at"] = next_at
        sets = ", ".join(f"{name} = ?" for name in values) + (", attempts = attempts + 1" if attempt else "")
        ids = list(entry_ids)
        for chunk in _chunks(ids):
            which = "id = ?" if len(chunk) == 1 else f"id IN ({marks(len(chunk))})"
            conn.execute(f"UPDATE outbox SET {sets} WHERE {which}", (*values.values(), *chunk)).close()

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        with self._conn() as c:
            counts: dict[str, dict[str, int]] = {}
            for connector, state, count in c.all("SELECT connector, state, count(*) FROM outbox "
                                                 "GROUP BY connector, state"):
                counts.setdefault(connector, {})[state] = count
            return counts

    # breakers -------------------------------------------------------------------------------
    def open_breakers(self) -> dict[str, str]:
        with self._conn() as c:
            return dict(c.all("SELECT connector, reason FROM breakers"))

    def open_breaker(self, conn: Tx, connector: str, reason: str) -> None:
        conn.execute("DELETE FROM breakers WHERE connector = ?", (connector,)).close()
        conn.execute("INSERT INTO breakers (connector, reason, opened_at) VALUES (?, ?, ?)",
                     (connector, reason, conn.moment(utcnow()))).close()

    def reset_breaker(self, connector: str) -> bool:
        with self.transaction() as c:
            return bool(c.changed("DELETE FROM breakers WHERE connector = ?", (connector,)))

    # connector state ------------------------------------------------------------------------
    def load_connector_state(self, connector: str, key: str) -> dict[str, Any]:
        with self._conn() as c:
            row = c.first("SELECT value FROM connector_state WHERE connector = ? AND key = ?", (connector, key))
            value = c.loads(row[0]) if row is not None else None
        return dict(value) if value else {}

    def save_connector_state(self, connector: str, key: str, value: Mapping[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM connector_state WHERE connector = ? AND key = ?", (connector, key)).close()
            c.execute("INSERT INTO connector_state (connector, key, value) VALUES (?, ?, ?)",
                      (connector, key, c.json(dict(value)))).close()

    # helpers --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _conn(self, conn: Tx | None = None) -> Iterator[Tx]:
        if conn is not None:
            yield conn
        else:
            with self.db.connection(self.schema) as c:
                yield c


_OUTBOX_INSERT = ("INSERT INTO outbox (idem_key, connector, target, op, key, payload, state, error, attempts, "
                  "next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0.0, ?, ?)")


def _aware(moment: datetime | None) -> datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    assert moment is not None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Slices small enough for any database's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _damaged(file: Path, reason: str, lang: str) -> StateUnreadable:
    backups = sorted(file.parent.glob(f"{file.name}.before-*"))
    hint = (STATE_TEXTS.say("hint.copy", lang, copy=backups[-1].name) if backups
            else STATE_TEXTS.say("hint.backup", lang))
    return StateUnreadable(STATE_TEXTS.say("damaged", lang, file=file, reason=reason, hint=hint))


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
        self._conn: Any = None  # PostgreSQL: the connection holding the advisory lock

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
        if self.store.dialect == "postgresql":
            self._conn = self.store.db.raw_connection(autocommit=True)
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
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
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            with contextlib.suppress(Exception):
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
