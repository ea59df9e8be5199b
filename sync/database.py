"""The state store's connections, through the DB-API itself: ``sqlite3`` or ``psycopg``.

Every ``hub sync`` writes its state, and importing SQLAlchemy took a third of a small sync's
time before it did any work: the store's own statements are plain SQL over these connections,
and SQLAlchemy (with Alembic) is imported only to upgrade the schema, and for the few callers
that want an engine (:attr:`sync.state.StateStore.engine`: the bots' tables, the hosting).

Values go in and come out as SQLAlchemy's column types stored them, so either can read what the
other wrote (``tests/engine/test_state_store.py`` holds them side by side): JSON columns as JSON
text in SQLite (``json`` type in PostgreSQL), a SQL NULL only where a column says so, and
moments in SQLite as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC.

A transaction is the driver's own: ``sqlite3`` begins one before the first change (so a read
that must lock first says ``BEGIN IMMEDIATE``), ``psycopg`` at the first statement; the
connection goes back to a small pool when it ends, committed or rolled back.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: ``scheme+driver://rest``, as SQLAlchemy writes database URLs.
_URL = re.compile(r"^(?P<scheme>[A-Za-z][\w]*)(?:\+(?P<driver>\w+))?://(?P<rest>.*)$", re.DOTALL)
_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)[^@]*@")


class UnsupportedDatabase(ValueError):
    """A URL of a database the store does not speak (it speaks SQLite and PostgreSQL)."""


@dataclass(frozen=True)
class Target:
    """Where a database URL points: its dialect, and the file (SQLite) or libpq URI (PostgreSQL)."""

    url: str
    dialect: str  # "sqlite" or "postgresql"
    file: Path | None = None  # None for an in-memory SQLite database
    conninfo: str = ""


def parse_url(url: str) -> Target:
    """The target of a SQLAlchemy-style URL; :class:`ValueError` when it is not one, and
    :class:`UnsupportedDatabase` for a database other than SQLite or PostgreSQL."""
    match = _URL.match(url)
    if match is None:
        raise ValueError(url)
    scheme, rest = match["scheme"].lower(), match["rest"]
    if scheme == "sqlite":
        if rest and not rest.startswith("/"):
            raise ValueError(url)  # sqlite://host/...: SQLite has no host
        path = unquote(rest[1:].split("?", 1)[0]) if rest else ""
        return Target(url, "sqlite", None if path in ("", ":memory:") else Path(path))
    if scheme == "postgresql":
        return Target(url, "postgresql", conninfo=f"postgresql://{rest}")
    raise UnsupportedDatabase(scheme)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return _PASSWORD.sub(lambda m: f"{m['head']}***@", url)


def sqlite_moment(moment: datetime) -> str:
    """A moment as SQLAlchemy's SQLite ``DateTime`` stores it: in UTC, without a zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def marks(count: int) -> str:
    """``?, ?, ?``: the placeholders of an ``IN`` list of ``count`` values."""
    return ", ".join("?" * count)


@functools.lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """The statement with psycopg's placeholders (the store writes ``?``, and never ``%``)."""
    return sql.replace("?", "%s")


class Tx:
    """One connection of the pool, in use: the store's statements and its values' encodings."""

    def __init__(self, raw: Any, dialect: str, schema: str | None = None) -> None:
        self.raw = raw
        self.dialect = dialect
        #: The PostgreSQL schema this connection's ``search_path`` names now (None: the default).
        self.schema = schema
        #: Nesting, for an in-memory SQLite database's one connection per thread.
        self.depth = 0
        if dialect == "postgresql":
            from psycopg.types.json import Json

            self._json: Any = Json
        else:
            self._json = json.dumps

    # statements --------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; its cursor (``rowcount``, rows)."""
        if self.dialect == "postgresql":
            return self.raw.execute(_pyformat(sql), params)
        return self.raw.execute(sql, params)

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement over many rows of parameters."""
        if self.dialect == "postgresql":
            with self.raw.cursor() as cursor:
                cursor.executemany(_pyformat(sql), list(rows))
        else:
            self.raw.executemany(sql, rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self.execute(sql, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self.execute(sql, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.first(sql, params)
        return None if row is None else row[0]

    def changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an UPDATE or DELETE; how many rows it touched."""
        cursor = self.execute(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table numbered by ``id``; the number it made."""
        if self.dialect == "postgresql":
            return int(self.scalar(sql + " RETURNING id", params))
        cursor = self.execute(sql, params)
        try:
            return int(cursor.lastrowid)
        finally:
            cursor.close()

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    # values --------------------------------------------------------------------------------------
    def json(self, value: Any) -> Any:
        """A value for a JSON column (None is JSON ``null``, as SQLAlchemy's ``JSON`` stores it)."""
        return self._json(value)

    def json_or_null(self, value: Any) -> Any:
        """A value for a JSON column where None is SQL NULL (``JSON(none_as_null=True)``)."""
        return None if value is None else self._json(value)

    def loads(self, value: Any) -> Any:
        """A JSON column's value as Python (psycopg has already decoded it)."""
        if self.dialect == "postgresql" or value is None:
            return value
        return json.loads(value)

    def moment(self, value: datetime) -> Any:
        return sqlite_moment(value) if self.dialect == "sqlite" else value

    def when(self, value: Any) -> datetime | None:
        """A moment column's value: naive UTC from SQLite (as SQLAlchemy gives it), aware from
        PostgreSQL."""
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value)


def _sqlite_pragmas(connection: Any) -> None:
    """What every SQLite connection of the store runs first: WAL (readers never wait for the
    writer), a durable-enough sync, and a wait rather than an error when another process writes."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """A database's pool of connections (``sqlite3`` or ``psycopg``), shared by the stores on it.

    ``schema`` (PostgreSQL) is put in every new connection's ``search_path``; a store in another
    schema of the same pool switches the connection it takes (the hosting's workers: one pool for
    every collective's schema).
    """

    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 5) -> None:
        self.target = parse_url(url)
        self.dialect = self.target.dialect
        self.schema = schema
        self.pool_size = pool_size
        self._idle: list[Tx] = []
        self._lock = threading.Lock()
        self._local = threading.local()  # an in-memory SQLite database: one connection per thread
        self._memory: list[Tx] = []
        self._engine: Engine | None = None

    @property
    def memory(self) -> bool:
        return self.dialect == "sqlite" and self.target.file is None

    def raw_connection(self, *, autocommit: bool = False) -> Any:
        """A new DB-API connection, outside the pool (the writer lock holds one for a run)."""
        if self.dialect == "postgresql":
            import psycopg

            if self.schema:
                return psycopg.connect(self.target.conninfo, autocommit=autocommit,
                                       options=f"-c search_path={self.schema}")
            return psycopg.connect(self.target.conninfo, autocommit=autocommit)
        file = ":memory:" if self.target.file is None else str(self.target.file)
        raw = sqlite3.connect(file, timeout=10.0, check_same_thread=False)
        if autocommit:
            raw.isolation_level = None
        _sqlite_pragmas(raw)
        return raw

    def _take(self, schema: str | None) -> Tx:
        if self.memory:
            tx: Tx | None = getattr(self._local, "tx", None)
            if tx is None:
                tx = self._local.tx = Tx(self.raw_connection(), "sqlite")
                with self._lock:
                    self._memory.append(tx)
            return tx
        with self._lock:
            tx = self._idle.pop() if self._idle else None
        if tx is None:
            tx = Tx(self.raw_connection(), self.dialect, self.schema)
        wanted = schema if schema is not None else self.schema
        if self.dialect == "postgresql" and tx.schema != wanted:
            try:
                # Committed at once: a SET inside a transaction that rolls back would be undone.
                tx.raw.execute("SELECT set_config('search_path', %s, false)", (wanted or '"$user", public',))
                tx.raw.commit()
            except Exception:
                _close_quietly(tx)
                raise
            tx.schema = wanted
        return tx

    def _give_back(self, tx: Tx, broken: bool) -> None:
        """Back to the pool; a connection the server dropped is closed, and the idle ones with it
        (a restarted server dropped them all: the next use would only find out one by one)."""
        if self.memory:
            return
        if not broken and self.dialect == "postgresql" and getattr(tx.raw, "broken", False):
            broken = True
        stale: list[Tx] = []
        with self._lock:
            if not broken and len(self._idle) < self.pool_size:
                self._idle.append(tx)
                return
            if broken:
                stale, self._idle = self._idle, []
        for dropped in [tx, *stale]:
            _close_quietly(dropped)

    def connection(self, schema: str | None = None) -> contextlib.AbstractContextManager[Tx]:
        """A connection for reads; whatever it began is rolled back when it goes back."""
        return self._used(schema, commit=False)

    def transaction(self, schema: str | None = None) -> contextlib.AbstractContextManager[Tx]:
        """A connection whose changes are committed together when the block ends, or not at all."""
        return self._used(schema, commit=True)

    @contextlib.contextmanager
    def _used(self, schema: str | None, *, commit: bool) -> Iterator[Tx]:
        tx = self._take(schema)
        if tx.depth:  # an in-memory database's connection already in use by this thread
            yield tx
            return
        tx.depth += 1
        broken = committed = False
        try:
            yield tx
            if commit:
                tx.commit()
                committed = True
        except BaseException as exc:
            broken = _is_disconnect(exc)
            raise
        finally:
            tx.depth -= 1
            if not broken and not committed:
                try:
                    tx.rollback()
                except Exception:
                    broken = True
            self._give_back(tx, broken)

    def sa_engine(self) -> Engine:
        """A SQLAlchemy engine on the same database, made at the first call (Alembic's upgrades,
        the bots' tables, the hosting's own queries)."""
        if self._engine is not None:
            return self._engine
        from sqlalchemy import URL, create_engine, event
        from sqlalchemy.pool import StaticPool

        if self.dialect == "postgresql":
            connect_args = {"options": f"-c search_path={self.schema}"} if self.schema else {}
            engine = create_engine("postgresql+psycopg://" + self.target.conninfo.split("://", 1)[1], future=True,
                                   connect_args=connect_args, pool_size=self.pool_size)
        elif self.memory:
            engine = create_engine("sqlite://", future=True, poolclass=StaticPool,
                                   creator=lambda: self._take(None).raw)
        else:
            engine = create_engine(URL.create("sqlite", database=str(self.target.file)), future=True)
            event.listen(engine, "connect", lambda raw, _record: _sqlite_pragmas(raw))
        self._engine = engine
        return engine

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            memory, self._memory = self._memory, []
        for tx in idle + memory:
            _close_quietly(tx)
        self._local = threading.local()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _close_quietly(tx: Tx) -> None:
    with contextlib.suppress(Exception):
        tx.raw.close()


def _is_disconnect(exc: BaseException) -> bool:
    """An error after which the connection cannot be trusted again (the server went away)."""
    return any(kind.__name__ in ("OperationalError", "InterfaceError") for kind in type(exc).__mro__) \
        and not isinstance(exc, sqlite3.Error)


def error_kind(exc: BaseException) -> tuple[str, BaseException] | None:
    """``("operational" | "database", the driver's error)`` for a database error of either
    driver (SQLAlchemy's wrapping taken off), or None for anything else."""
    original = getattr(exc, "orig", None) if type(exc).__module__.startswith("sqlalchemy") else exc
    if not isinstance(original, BaseException):
        return None
    names = {kind.__name__ for kind in type(original).__mro__}
    if "OperationalError" in names:
        return "operational", original
    if "DatabaseError" in names:
        return "database", original
    return None
