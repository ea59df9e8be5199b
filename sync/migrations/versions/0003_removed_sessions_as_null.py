"""Removed sessions are SQL NULL (earlier versions could store the JSON text 'null').

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE sessions SET record = NULL WHERE CAST(record AS TEXT) = 'null'")


def downgrade() -> None:
    """Nothing to undo: NULL is what 'null' always meant."""
