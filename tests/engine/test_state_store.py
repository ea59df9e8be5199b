"""The state store behaves the same on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sync.errors import LockBusy
from sync.protocol import Link
from sync.schema import metadata
from sync.state import StateStore, WriterLock


def test_migrations_create_exactly_the_declared_schema(database_url: str) -> None:
    store = StateStore.open(database_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        store.close()


def test_reopening_keeps_everything(database_url: str) -> None:
    store = StateStore.open(database_url)
    link = Link("cal", "sessions", "a", "a.ics", '"etag-1"', "h1", "h1", {"title": "A"}, 2)
    with store.transaction() as conn:
        store.write_session(conn, "a", {"id": "a", "title": "A"}, "hash-a", 1)
        store.save_link(conn, link)
        store.save_cursor(conn, "cal", "sessions", token="sync-token-1", synced_seq=1)
        store.enqueue(conn, idem_key="k1", connector="chat", target="g", op="announce", key="x",
                      payload={"id": "x"}, supersede=False)
    store.close()
    again = StateStore.open(database_url)
    try:
        assert again.load_sessions() == {"a": {"id": "a", "title": "A"}}
        assert again.links("cal", "sessions") == {"a": link}
        assert again.cursor("cal", "sessions") == ("sync-token-1", 1)
        assert [e.key for e in again.outbox_entries("chat")] == ["x"]
    finally:
        again.close()


def test_a_failed_transaction_leaves_nothing(database_url: str) -> None:
    store = StateStore.open(database_url)
    try:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.write_session(conn, "a", {"id": "a"}, "h", 1)
            store.save_cursor(conn, "cal", "sessions", token="t", synced_seq=1)
            raise RuntimeError("crash in the middle")
        assert store.load_sessions() == {}
        assert store.cursor("cal", "sessions") == (None, 0)
    finally:
        store.close()


def test_outbox_idempotency_key_and_supersede(database_url: str) -> None:
    store = StateStore.open(database_url)
    try:
        with store.transaction() as conn:
            assert store.enqueue(conn, idem_key="u1", connector="cal", target="sessions", op="update", key="a",
                                 payload=None, supersede=True)
            assert not store.enqueue(conn, idem_key="u1", connector="cal", target="sessions", op="update",
                                     key="a", payload=None, supersede=True)
            assert store.enqueue(conn, idem_key="u2", connector="cal", target="sessions", op="update", key="a",
                                 payload=None, supersede=True)
        assert [e.idem_key for e in store.outbox_entries("cal")] == ["u2"]
        assert store.outbox_counts()["cal"] == {"pending": 1, "superseded": 1}
    finally:
        store.close()


def test_a_new_plan_supersedes_only_what_is_still_to_do_for_the_same_item(database_url: str) -> None:
    """A batch of planned writes replaces the pending or failed ones for the same connector,
    collection and item; what was done, and other items or collections, stay as they are."""
    store = StateStore.open(database_url)

    def entry(idem: str, key: str, target: str = "sessions") -> dict[str, object]:
        return {"idem_key": idem, "connector": "cal", "target": target, "op": "update", "key": key, "payload": None}

    try:
        with store.transaction() as conn:
            store.enqueue_many(conn, [entry("a1", "a"), entry("b1", "b"), entry("c1", "c"), entry("t1", "a", "board")],
                               supersede=True)
        ids = {e.idem_key: e.id for e in store.outbox_entries("cal")}
        with store.transaction() as conn:
            store.mark(conn, [ids["b1"]], "failed", error="refused")
            store.mark(conn, [ids["c1"]], "done", remote_ref="c.ics")
            store.enqueue_many(conn, [entry("a2", "a"), entry("b2", "b"), entry("c2", "c")], supersede=True)
        states = {e.idem_key: e.state for e in store.outbox_entries("cal", ("pending", "failed", "done", "superseded"))}
        assert states == {"a1": "superseded", "b1": "superseded", "c1": "done", "t1": "pending",
                          "a2": "pending", "b2": "pending", "c2": "pending"}
    finally:
        store.close()


def test_only_one_writer(database_url: str, tmp_path: Path) -> None:
    first = StateStore.open(database_url)
    second = StateStore.open(database_url)
    try:
        with WriterLock(first, tmp_path / "hub.lock"), pytest.raises(LockBusy):
            WriterLock(second, tmp_path / "hub.lock").acquire()
        with WriterLock(second, tmp_path / "hub.lock"):
            pass
    finally:
        first.close()
        second.close()


def test_database_errors_hide_the_password() -> None:
    from sync.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        StateStore.open("postgresql://hub:s3cret-pass@127.0.0.1:1/none")
    assert "s3cret-pass" not in str(caught.value)


@pytest.mark.parametrize(("url", "said"), [
    ("mysql://hub:s3cret-pass@127.0.0.1/hub", "mysql is not supported (SQLite or PostgreSQL)"),
    ("not a url://", "is not a database URL"),
    ("sqlite://somehost/hub.db", "is not a database URL"),
])
def test_a_database_the_store_does_not_speak_is_one_clear_error(url: str, said: str) -> None:
    from sync.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        StateStore.open(url)
    assert said in str(caught.value) and "s3cret-pass" not in str(caught.value)


def _damaged_file(path: Path, how: str) -> None:
    store = StateStore.open(f"sqlite:///{path}")
    with store.transaction() as conn:
        store.write_session(conn, "a", {"id": "a", "title": "A"}, "hash-a", 1)
    store.close()
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "random":
        path.write_bytes(bytes(range(256)) * 40)
    else:  # newer: written by a hub that knows a later migration
        import sqlite3
        with sqlite3.connect(path) as db:
            db.execute("UPDATE alembic_version SET version_num = '9999'")


@pytest.mark.parametrize("how", ["truncated", "random", "newer"])
def test_a_damaged_or_newer_state_database_is_one_clear_error(tmp_path: Path, how: str) -> None:
    from sync.errors import StateUnreadable
    from tests.helpers import run_hub, write_config

    path = tmp_path / "state" / "hub.db"
    path.parent.mkdir()
    _damaged_file(path, how)
    with pytest.raises(StateUnreadable) as caught:
        StateStore.open(f"sqlite:///{path}")
    assert str(path) in str(caught.value) or how == "newer"
    assert ("newer version" in str(caught.value)) == (how == "newer")
    config = write_config(tmp_path, '\n[connectors.exports]\ntype = "files"\npath = "public"\n')
    for command in ("sync", "status"):
        result = run_hub(command, "--config", str(config), "--json")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        [line] = result.stdout.splitlines()  # exactly one JSON object
        assert '"error": "Base d\'état inutilisable' in line


def test_an_upgrade_keeps_a_copy_of_the_database_first(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from sync.state import MIGRATIONS

    path = tmp_path / "hub.db"
    store = StateStore.open(f"sqlite:///{path}")
    with store.transaction() as conn:
        store.write_session(conn, "a", {"id": "a", "title": "A"}, "hash-a", 1)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")  # as an older hub left it
    store.close()
    upgraded = StateStore.open(f"sqlite:///{path}")
    assert upgraded.load_sessions() == {"a": {"id": "a", "title": "A"}}
    upgraded.close()
    [backup] = tmp_path.glob("hub.db.before-*")
    old = StateStore.open(f"sqlite:///{backup}")  # the copy opens (and upgrades) too
    assert old.load_sessions() == {"a": {"id": "a", "title": "A"}}
    old.close()


def test_the_schema_head_read_from_the_files_is_alembics() -> None:
    """The head is read without importing Alembic (start-up time); it must be Alembic's own."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from sync.state import MIGRATIONS, schema_head

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert schema_head() == ScriptDirectory.from_config(config).get_current_head()


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    StateStore.open(f"sqlite:///{tmp_path}/hub.db").close()
    probe = ("import sys; from sync.state import StateStore; "
             f"StateStore.open('sqlite:///{tmp_path}/hub.db').close(); print('alembic' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


def test_a_damaged_state_database_is_said_in_the_configurations_language(tmp_path: Path) -> None:
    from sync.errors import StateUnreadable

    damaged = tmp_path / "hub.db"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateUnreadable, match=r"la base d'état .*hub\.db est endommagée .* remettez une sauvegarde"):
        StateStore.open(f"sqlite:///{damaged}", lang="fr")
    with pytest.raises(StateUnreadable, match=r"the state database .*hub\.db is damaged"):
        StateStore.open(f"sqlite:///{damaged}", lang="en")


def test_what_the_store_writes_reads_back_through_sqlalchemys_column_types(database_url: str) -> None:
    """The store writes with the driver itself; the bots, the hosting and Alembic read the same
    tables through SQLAlchemy: JSON, moments and NULLs must mean the same to both."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from sync.schema import changes, meta, sessions

    store = StateStore.open(database_url)
    at = datetime(2021, 11, 13, 14, 0, 30, 123456, tzinfo=UTC)
    try:
        with store.transaction() as conn:
            store.write_session(conn, "a", {"id": "a", "title": "Culture juridique", "tags": ["droit"]}, "h", 1)
            store.write_session(conn, "b", None, None, 1)  # a removed session: SQL NULL
            store.log_changes(conn, [("a", "venue", None, "huit-pillards", "pad")], at=at)
            store.set_meta(conn, "nothing", None)
        with store.engine.connect() as c:
            records = dict(c.execute(select(sessions.c.id, sessions.c.record)).all())
            change = c.execute(select(changes)).one()
            nothing = c.execute(select(meta.c.value).where(meta.c.key == "nothing")).scalar_one()
            null_records = c.execute(select(sessions.c.id).where(sessions.c.record.is_(None))).scalars().all()
        assert records == {"a": {"id": "a", "title": "Culture juridique", "tags": ["droit"]}, "b": None}
        assert null_records == ["b"]
        assert (change.old, change.new, change.origin) == (None, "huit-pillards", "pad")
        assert change.at.replace(tzinfo=change.at.tzinfo or UTC) == at
        assert nothing is None
        assert [row.at for row in store.history()] == [at]
    finally:
        store.close()
