"""status callbacks that come before the worker stored the sid are kept a few minutes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_status_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_status_callbacks")),
    )
    op.create_index(
        op.f("ix_early_status_callbacks_sid"), "early_status_callbacks", ["sid"], unique=False
    )
    op.create_index(
        op.f("ix_early_status_callbacks_received_at"),
        "early_status_callbacks",
        ["received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_early_status_callbacks_received_at"), "early_status_callbacks")
    op.drop_index(op.f("ix_early_status_callbacks_sid"), "early_status_callbacks")
    op.drop_table("early_status_callbacks")
