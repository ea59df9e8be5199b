"""A new SQLite state created from the migrations' schema as plain SQL, without Alembic.

Creating the state through Alembic costs its import and SQLAlchemy's, most of a newcomer's
first ``hub sync`` (about half a second of its second and a half). The schema the migrations
give a new SQLite database is kept in ``sqlite_schema.sql``, beside this module, as SQLite itself
records it (``sqlite_master``), for the migration it stands for; a new, empty SQLite state is
created from it in one transaction, ``alembic_version`` included, so later upgrades run through
Alembic as always. A file for another migration than the newest is not used (Alembic creates the
state), and ``tests/engine/test_sqlite_schema.py`` checks that the file is what the migrations
give. After a new migration: ``python -m sync.sqlite_schema`` writes it again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: The migrations' schema on SQLite, with the revision it is at on its ``-- head:`` line.
SCHEMA_FILE = Path(__file__).with_name("sqlite_schema.sql")
_HEAD = "-- head: "


def statements(head: str, text: str | None = None) -> list[str] | None:
    """The statements that create the schema at migration ``head``; None when the kept file is
    missing or stands for another migration."""
    try:
        text = SCHEMA_FILE.read_text(encoding="utf-8") if text is None else text
    except OSError:
        return None
    lines = text.splitlines()
    marks = [line[len(_HEAD):].strip() for line in lines if line.startswith(_HEAD)]
    if marks != [head]:
        return None
    body = "\n".join(line for line in lines if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


def create(raw: sqlite3.Connection, head: str) -> bool:
    """Create the schema at ``head`` in the empty database of ``raw``, in one transaction, and
    record ``head`` as Alembic does; False (nothing done) when the database is not empty or the
    kept schema is not ``head``'s."""
    found = statements(head)
    if found is None or raw.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return False
    raw.execute("BEGIN IMMEDIATE")
    try:
        for statement in found:
            raw.execute(statement)
        raw.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    return True


def dump(raw: sqlite3.Connection, head: str) -> str:
    """The file's text for the database of ``raw``: every object SQLite records, in the order
    it was created."""
    rows = raw.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY rowid").fetchall()
    head_line = f"{_HEAD}{head}"
    return "\n".join([
        "-- The state store's schema on SQLite, as the migrations create it (sync/sqlite_schema.py).",
        "-- Written by `python -m sync.sqlite_schema`; tests/engine/test_sqlite_schema.py compares.",
        head_line, *(f"{row[0]};" for row in rows)]) + "\n"


def migrated_dump() -> str:
    """:func:`dump` of a new SQLite database brought to the newest migration by Alembic, as the
    state store runs the migrations (on the connection it hands over)."""
    import tempfile

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from sync.state_reader import MIGRATIONS, schema_head

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "state.db"
        engine = create_engine(f"sqlite:///{file}")
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            engine.dispose()
        with sqlite3.connect(file) as raw:
            return dump(raw, schema_head())


if __name__ == "__main__":
    SCHEMA_FILE.write_text(migrated_dump(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
