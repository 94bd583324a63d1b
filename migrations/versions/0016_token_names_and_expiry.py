"""API tokens have a name, an expiry, and can be revoked

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Tokens issued before expiries existed get the default lifetime from the upgrade on.
LIFETIME = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        tokens.update().values(
            name=sa.literal("token-") + sa.cast(tokens.c.id, sa.String),
            expires_at=datetime.now(UTC) + LIFETIME,
        )
    )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_unique_constraint(
            op.f("uq_api_tokens_counsellor_id"), ["counsellor_id", "name"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_constraint(op.f("uq_api_tokens_counsellor_id"), type_="unique")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
