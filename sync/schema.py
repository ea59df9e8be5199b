"""The state store's tables (SQLAlchemy Core). Migrations in ``sync/migrations`` create them.

- ``meta``: programme-level data (event, days, venues) and counters, by key.
- ``sessions``: the canonical programme, one row per session; ``record`` is NULL for a session
  removed from the programme (a tombstone, so sinks still learn of it); ``seq`` is the change
  counter at its last change, which makes planning incremental.
- ``published``: each session as last announced (announcements diff against it).
- ``links``: one row per (connector, collection, session): what the remote holds (vdirsyncer's
  status). ``cursors``: per (connector, collection) the remote's cursor and the last ``seq``
  planned for that connector.
- ``changes``: append-only log of merged field changes, each with the ``sync`` run that made
  it (``syncs``: one row per run that changed something: a sync, a revert, an accepted review),
  which ``hub history`` shows and ``hub revert`` undoes. ``conflicts``: edits not merged.
- ``held``: a source's changes held for an organiser's review (``hub review``), with their
  field-by-field summary and a digest of what was held.
- ``outbox``: every write and message to make, with its delivery state.
- ``inbox``: chat updates stored before they are acknowledged. ``breakers``: held connectors.
- ``connector_state``: small per-connector mappings (chat message ids) saved as they change.
- ``bot_follows`` / ``bot_contacts``: who follows which session, and where to reach them.
- ``sync_inputs``: what the last sync that ended with nothing left to do ran with (the digests
  of its settings and of the hub's code), written by that sync and emptied when any sync starts: ``hub sync`` trusts it
  to say "nothing to do" without running (:mod:`sync.quick`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(200), primary_key=True),
    # none_as_null: a removed session is SQL NULL, not the JSON text 'null'.
    Column("record", JSON(none_as_null=True), nullable=True),
    Column("hash", String(64), nullable=True),
    Column("seq", Integer, nullable=False, index=True),
)

published = Table(
    "published",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("record", JSON, nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("collection", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("remote_id", Text, nullable=True),
    Column("remote_version", Text, nullable=True),
    Column("pushed_hash", String(64), nullable=True),
    Column("seen_hash", String(64), nullable=True),
    Column("base", JSON, nullable=True),
    Column("sequence", Integer, nullable=False, default=0),
)

cursors = Table(
    "cursors",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("collection", String(200), primary_key=True),
    Column("token", Text, nullable=True),
    Column("synced_seq", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

changes = Table(
    "changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("session", String(200), nullable=False, index=True),
    Column("field", String(50), nullable=False),
    Column("old", JSON, nullable=True),
    Column("new", JSON, nullable=True),
    Column("origin", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("sync", Integer, nullable=True, index=True),
    Index("ix_changes_origin_at", "origin", "at"),
)

syncs = Table(
    "syncs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

held = Table(
    "held",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connector", String(100), nullable=False, index=True),
    # open (waiting), accepted / rejected (decided, carried out by the next run), merged,
    # restored (carried out), superseded (the source went back to the canonical values).
    Column("state", String(20), nullable=False, index=True),
    Column("reason", String(20), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session", String(200), nullable=False),
    Column("field", String(50), nullable=False),
    Column("connector", String(100), nullable=False),
    Column("base", JSON, nullable=True),
    Column("ours", JSON, nullable=True),
    Column("theirs", JSON, nullable=True),
    Column("state", String(20), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idem_key", String(64), nullable=False, unique=True),
    Column("connector", String(100), nullable=False, index=True),
    Column("target", String(200), nullable=False),
    Column("op", String(20), nullable=False),
    Column("key", String(200), nullable=False),
    Column("payload", JSON, nullable=True),
    Column("state", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", Float, nullable=False, default=0.0),
    Column("remote_ref", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("update_id", String(100), primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("processed", Integer, nullable=False, default=0),
)

connector_state = Table(
    "connector_state",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", JSON, nullable=False),
)

# The chat bots' follows and private contacts (bots.store).
bot_follows = Table(
    "bot_follows",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("person", String(200), primary_key=True),
    Column("session_id", String(200), primary_key=True),
    Column("lang", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reminded_start", String(40), nullable=True),
    Index("ix_bot_follows_session", "session_id"),
)

bot_contacts = Table(
    "bot_contacts",
    metadata,
    Column("channel", String(100), primary_key=True),
    Column("person", String(200), primary_key=True),
    Column("private_chat", String(200), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

breakers = Table(
    "breakers",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

sync_inputs = Table(
    "sync_inputs",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("digest", String(64), nullable=False),
)
