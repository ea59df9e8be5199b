"""The state store in a PostgreSQL schema of its own: what hosting keeps collectives apart with."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sync.errors import ConfigError, LockBusy
from sync.state import StateStore, WriterLock


def test_two_schemas_of_one_database_do_not_see_each_others_rows(hosting_url: str) -> None:
    a = StateStore.open(hosting_url, schema="c_alpha")
    b = StateStore.open(hosting_url, schema="c_beta")
    try:
        with a.transaction() as conn:
            a.set_meta(conn, "who", "alpha")
            a.write_session(conn, "s1", {"title": "alpha's"}, "h", 1)
        assert b.get_meta("who") is None
        assert b.load_sessions() == {}
        assert a.load_sessions() == {"s1": {"title": "alpha's"}}
        with a.engine.connect() as conn:
            tables = {r[0] for r in conn.execute(text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'sessions'"))}
        assert tables == {"c_alpha", "c_beta"}, "each schema has its own tables, public has none"
        again = StateStore.open(hosting_url, schema="c_alpha")  # migrated already: opens as is
        assert again.get_meta("who") == "alpha"
        again.close()
    finally:
        a.close()
        b.close()


def test_writer_locks_exclude_within_a_schema_not_across(hosting_url: str) -> None:
    a = StateStore.open(hosting_url, schema="c_alpha")
    a2 = StateStore.open(hosting_url, schema="c_alpha")
    b = StateStore.open(hosting_url, schema="c_beta")
    first = WriterLock(a, None)
    first.acquire()
    try:
        with pytest.raises(LockBusy):
            WriterLock(a2, None).acquire(wait=0)
        other = WriterLock(b, None)
        other.acquire(wait=0)  # another collective writes at the same time
        other.release()
    finally:
        first.release()
        for store in (a, a2, b):
            store.close()


@pytest.mark.parametrize("url,schema", [
    ("sqlite:///:memory:", "c_alpha"),
    ("postgresql://postgres@127.0.0.1:5432/postgres", "c_alpha; DROP TABLE x"),
    ("postgresql://postgres@127.0.0.1:5432/postgres", "Upper"),
])
def test_a_schema_is_refused_on_sqlite_or_when_not_a_plain_name(url: str, schema: str) -> None:
    with pytest.raises(ConfigError):
        StateStore.open(url, schema=schema)
