"""Initial state store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON, nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("record", sa.JSON, nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_sessions_seq", "sessions", ["seq"])
    op.create_table(
        "published",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("record", sa.JSON, nullable=False),
    )
    op.create_table(
        "links",
        sa.Column("connector", sa.String(100), primary_key=True),
        sa.Column("collection", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("remote_id", sa.Text, nullable=True),
        sa.Column("remote_version", sa.Text, nullable=True),
        sa.Column("pushed_hash", sa.String(64), nullable=True),
        sa.Column("seen_hash", sa.String(64), nullable=True),
        sa.Column("base", sa.JSON, nullable=True),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "cursors",
        sa.Column("connector", sa.String(100), primary_key=True),
        sa.Column("collection", sa.String(200), primary_key=True),
        sa.Column("token", sa.Text, nullable=True),
        sa.Column("synced_seq", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ, nullable=True),
    )
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session", sa.String(200), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("old", sa.JSON, nullable=True),
        sa.Column("new", sa.JSON, nullable=True),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_changes_session", "changes", ["session"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session", sa.String(200), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("base", sa.JSON, nullable=True),
        sa.Column("ours", sa.JSON, nullable=True),
        sa.Column("theirs", sa.JSON, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idem_key", sa.String(64), nullable=False, unique=True),
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("op", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("remote_ref", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_outbox_connector", "outbox", ["connector"])
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_table(
        "inbox",
        sa.Column("connector", sa.String(100), primary_key=True),
        sa.Column("update_id", sa.String(100), primary_key=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("processed", sa.Integer, nullable=False),
    )
    op.create_table(
        "breakers",
        sa.Column("connector", sa.String(100), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("breakers", "inbox", "outbox", "conflicts", "changes", "cursors", "links",
                  "published", "sessions", "meta"):
        op.drop_table(table)
