"""Held batches for review, and sync runs in the change log (history and revert).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "syncs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("changes") as batch:
        batch.add_column(sa.Column("sync", sa.Integer, nullable=True))
        batch.create_index("ix_changes_sync", ["sync"])
        batch.create_index("ix_changes_origin_at", ["origin", "at"])
    op.create_table(
        "held",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("connector", sa.String(100), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("held")
    with op.batch_alter_table("changes") as batch:
        batch.drop_index("ix_changes_origin_at")
        batch.drop_index("ix_changes_sync")
        batch.drop_column("sync")
    op.drop_table("syncs")
