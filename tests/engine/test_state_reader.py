"""The sqlite3 reader (``hub status``, ``hub ask``) returns what the state store returns, row for
row, and steps aside whenever the full store is needed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sync.model import Conflict
from sync.state import StateStore
from sync.state_reader import StateReader, open_reader, sqlite_file


def filled_store(path: Path) -> StateStore:
    store = StateStore.open(f"sqlite:///{path}")
    with store.transaction() as conn:
        store.set_meta(conn, "programme", {"event": {"id": "e", "title": "É", "timezone": "Europe/Paris"}})
        store.set_meta(conn, "last_report", {"connectors": {"site": {"created": 3}}, "at": "2026-12-04T10:00:00+01:00"})
        store.write_session(conn, "a", {"id": "a", "title": "Atelier « droit »"}, "h1", 3)
        store.write_session(conn, "b", None, None, 5)
        store.write_session(conn, "c", {"id": "c", "title": "Plénière", "hosts": ["X"]}, "h3", 4)
        for n, (state, error) in enumerate([("pending", None), ("in_doubt", "cut"), ("done", None),
                                            ("in_doubt", None)]):
            store.enqueue(conn, idem_key=f"k{n}", connector="chat" if n % 2 else "site", target=f"t{n}",
                          op="message" if n % 2 else "update", key=f"s{n}", payload={"n": n, "é": [1, None]},
                          supersede=False, state=state, error=error)
        store.open_breaker(conn, "pad", "mass deletion")
        store.add_conflict(conn, Conflict("a", "title", "pad", "old", "ours", "theirs"))
        store.add_conflict(conn, Conflict("c", "start", "agenda", None, {"x": 1}, [2]))
        store.hold(conn, "pad", "mass", "d1", {"sessions": 4, "fields": {"a": {"title": ["x", "y"]}}},
                   at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC))
        held, _ = store.hold(conn, "agenda", "deletions", "d2", {"sessions": 1})
        store.set_held_state(conn, held, "rejected")
    store.save_connector_state("polls", "polls", {"ids": ["p1"]})
    store.save_connector_state("polls", "poll:p1", {"flags": {"a": 12}, "options": [{"session": "a"}]})
    return store


def test_the_reader_reads_what_the_store_reads(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "hub.db")
    reader = open_reader(f"sqlite:///{tmp_path / 'hub.db'}")
    assert isinstance(reader, StateReader)
    try:
        for key in ("programme", "last_report", "absent"):
            assert reader.get_meta(key) == store.get_meta(key)
        assert reader.get_meta("absent", 7) == 7
        assert reader.load_sessions() == store.load_sessions()
        assert reader.max_seq() == store.max_seq() == 5
        assert reader.outbox_counts() == store.outbox_counts()
        for states in (("pending",), ("in_doubt",), ("pending", "done", "in_doubt")):
            assert reader.outbox_entries(states=states) == store.outbox_entries(states=states)
            assert reader.outbox_entries("chat", states) == store.outbox_entries("chat", states)
        assert reader.open_breakers() == store.open_breakers() == {"pad": "mass deletion"}
        assert reader.open_conflicts() == store.open_conflicts()
        assert len(reader.open_conflicts()) == 2
        assert reader.held_batches() == store.held_batches()
        assert reader.held_batches(("open",)) == store.held_batches(("open",))
        assert reader.held_batches()[0].created_at == datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
        for key in ("polls", "poll:p1", "absent"):
            assert reader.load_connector_state("polls", key) == store.load_connector_state("polls", key)
    finally:
        reader.close()
        store.close()


def test_the_reader_steps_aside_when_the_store_is_needed(tmp_path: Path) -> None:
    assert open_reader("postgresql://hub@127.0.0.1/hub") is None
    assert open_reader("sqlite://") is None
    assert open_reader("sqlite:///:memory:") is None
    assert open_reader(f"sqlite:///{tmp_path / 'none.db'}") is None  # the store creates it
    assert not (tmp_path / "none.db").exists()
    old = tmp_path / "old.db"
    StateStore.open(f"sqlite:///{old}").close()
    with sqlite3.connect(old) as db:
        db.execute("UPDATE alembic_version SET version_num = 'older'")
    assert open_reader(f"sqlite:///{old}") is None  # the store upgrades it (or says it is newer)
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert open_reader(f"sqlite:///{tmp_path / 'junk.db'}") is None  # the store says it is damaged


def test_sqlite_file_reads_the_url_as_sqlalchemy_does(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    for url in (f"sqlite:///{tmp_path}/a b.db", "sqlite:///relative/hub.db", "sqlite+pysqlite:////abs/hub.db"):
        assert sqlite_file(url) == Path(str(make_url(url).database))
