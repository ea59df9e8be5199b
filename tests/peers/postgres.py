"""Throwaway databases on the machine's real PostgreSQL, for the tests that need one."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.peers.process import missing_peer

#: The server's admin URL (SQLAlchemy's form); ``HUB_TEST_POSTGRES`` names another.
POSTGRES_ADMIN = os.environ.get("HUB_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def new_database(prefix: str = "hub_test", *, libpq: bool = False) -> Iterator[str]:
    """A new, empty database named ``<prefix>_<random>``, dropped afterwards (its connections cut
    first). Its URL in SQLAlchemy's form, or with ``libpq`` the plain ``postgresql://`` form other
    libraries (procrastinate) take."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        missing_peer("postgresql", f"cannot reach {POSTGRES_ADMIN.split('@')[-1]} ({exc.orig})")
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    if libpq:
        base = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
