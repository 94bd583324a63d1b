"""a text key for every contact, that what they write is sealed under

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 11:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing contacts get their key when they next write; their earlier texts stay
    # as they were stored until retention deletes them.
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("text_key", sa.Text(), nullable=True))


def downgrade() -> None:
    # Texts sealed under these keys cannot be read without them: going back loses them.
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("text_key")
