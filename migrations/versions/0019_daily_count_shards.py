"""daily counts kept in shards summed on read, so no day's figure is one hot row

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BREAKDOWN = ["day", "metric", "detail", "country", "language", "channel"]


def upgrade() -> None:
    # Existing counts all become shard 0: each figure stays exactly what it was.
    with op.batch_alter_table("daily_counts") as batch_op:
        batch_op.add_column(
            sa.Column("shard", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint(op.f("uq_daily_counts_day"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_daily_counts_day"), [*BREAKDOWN, "shard"])


def downgrade() -> None:
    # Fold every figure back into one row before the shard column goes.
    counts = sa.table(
        "daily_counts",
        sa.column("id", sa.Integer),
        sa.column("count", sa.BigInteger),
        sa.column("shard", sa.SmallInteger),
        *(sa.column(name, sa.String) for name in BREAKDOWN),
    )
    first = sa.select(sa.func.min(counts.c.id)).group_by(*(counts.c[n] for n in BREAKDOWN))
    totals = (
        op.get_bind()
        .execute(
            sa.select(sa.func.min(counts.c.id), sa.func.sum(counts.c["count"])).group_by(
                *(counts.c[n] for n in BREAKDOWN)
            )
        )
        .all()
    )
    op.execute(counts.delete().where(counts.c.id.not_in(first)))
    for row_id, total in totals:
        op.execute(counts.update().where(counts.c.id == row_id).values({"count": total}))
    with op.batch_alter_table("daily_counts") as batch_op:
        batch_op.drop_constraint(op.f("uq_daily_counts_day"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_daily_counts_day"), BREAKDOWN)
        batch_op.drop_column("shard")
