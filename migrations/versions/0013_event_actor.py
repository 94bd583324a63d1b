"""events name who acted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_events_actor_id_counsellors"), "counsellors", ["actor_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("fk_events_actor_id_counsellors"), type_="foreignkey")
        batch.drop_column("actor_id")
