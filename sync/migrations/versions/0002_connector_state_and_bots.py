"""Per-connector state (chat message ids) and the bots' follows and contacts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connector_state",
        sa.Column("connector", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    op.create_table(
        "bot_follows",
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("person", sa.String(200), primary_key=True),
        sa.Column("session_id", sa.String(200), primary_key=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reminded_start", sa.String(40), nullable=True),
    )
    op.create_index("ix_bot_follows_session", "bot_follows", ["session_id"])
    op.create_table(
        "bot_contacts",
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("person", sa.String(200), primary_key=True),
        sa.Column("private_chat", sa.String(200), nullable=False),
        sa.Column("first_seen", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_contacts")
    op.drop_index("ix_bot_follows_session", "bot_follows")
    op.drop_table("bot_follows")
    op.drop_table("connector_state")
