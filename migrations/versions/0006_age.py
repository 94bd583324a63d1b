"""age

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_asked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("under_18", sa.Boolean(), nullable=True))

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_question_for", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("age_question_for")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("under_18")
        batch_op.drop_column("age_asked_at")
