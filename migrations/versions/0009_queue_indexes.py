"""queue indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_queue",
            ["state", sa.text("priority DESC"), "queued_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_claimed_at"), ["claimed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_claimed_at"))
        batch_op.drop_index("ix_conversations_queue")
