"""A new SQLite state made from the kept schema (:mod:`sync.sqlite_schema`) is the state the
migrations make, and is made without Alembic; a kept schema of another migration is not used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync import sqlite_schema
from sync.state import StateStore
from sync.state_reader import schema_head


def objects(file: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(file) as raw:
        return raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def version(file: Path) -> list[tuple[str]]:
    with sqlite3.connect(file) as raw:
        return raw.execute("SELECT version_num FROM alembic_version").fetchall()


def test_the_kept_schema_is_what_the_migrations_give() -> None:
    # In any order: the migrations create a table's indexes in an order that varies from run to run.
    head = schema_head()
    kept = sqlite_schema.statements(head)
    assert kept is not None, "the kept schema is not the newest migration's: `python -m sync.sqlite_schema`"
    assert sorted(kept) == sorted(sqlite_schema.statements(head, sqlite_schema.migrated_dump()) or []), (
        "the migrations changed: write the kept schema again with `python -m sync.sqlite_schema`")


def test_a_new_state_from_the_kept_schema_is_the_one_the_migrations_make(tmp_path: Path) -> None:
    plain, migrated = tmp_path / "plain.db", tmp_path / "migrated.db"
    for file, use_plain in ((plain, True), (migrated, False)):
        store = StateStore.open(f"sqlite:///{file}", plain=use_plain)
        with store.transaction() as conn:
            store.set_meta(conn, "probe", {"ok": 1})
        assert store.get_meta("probe") == {"ok": 1}
        store.close()
    assert objects(plain) == objects(migrated)
    assert version(plain) == version(migrated) == [(schema_head(),)]
    again = StateStore.open(f"sqlite:///{plain}")  # current: opened as it is
    assert again.get_meta("probe") == {"ok": 1}
    again.close()


def test_a_kept_schema_of_another_migration_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = sqlite_schema.SCHEMA_FILE.read_text(encoding="utf-8")
    assert sqlite_schema.statements(schema_head(), text)
    stale = text.replace(f"-- head: {schema_head()}", "-- head: 0000")
    assert sqlite_schema.statements(schema_head(), stale) is None
    kept = tmp_path / "stale.sql"
    kept.write_text(stale.replace("CREATE TABLE meta", "CREATE TABLE meta_of_long_ago"), encoding="utf-8")
    monkeypatch.setattr(sqlite_schema, "SCHEMA_FILE", kept)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")  # Alembic makes it
    store.close()
    assert "meta_of_long_ago" not in {name for _, name, _, _ in objects(tmp_path / "state.db")}
    assert version(tmp_path / "state.db") == [(schema_head(),)]


def test_a_database_that_is_not_empty_is_left_to_the_migrations(tmp_path: Path) -> None:
    file = tmp_path / "other.db"
    with sqlite3.connect(file) as raw:
        raw.execute("CREATE TABLE notes (text TEXT)")
    with sqlite3.connect(file) as raw:
        assert not sqlite_schema.create(raw, schema_head())
