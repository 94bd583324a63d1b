"""console shift: presence, console language, wrap-up, contact flags

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("counsellors") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("console_language", sa.String(8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_conversations_closed_by_id_counsellors"),
            "counsellors",
            ["closed_by_id"],
            ["id"],
        )
    op.create_table(
        "wrapups",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("contact_type", sa.String(32), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("first_contact_platform", sa.String(64), nullable=True),
        sa.Column("threat_platform", sa.String(64), nullable=True),
        sa.Column("money_demanded", sa.String(16), nullable=True),
        sa.Column("money_paid", sa.String(16), nullable=True),
        sa.Column("images_shared", sa.String(16), nullable=True),
        sa.Column("deadline_given", sa.String(16), nullable=True),
        sa.Column("referrals", sa.JSON(), nullable=False),
        sa.Column("age_band", sa.String(16), nullable=True),
        sa.Column("gender", sa.String(32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_wrapups_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_wrapups")),
    )
    op.create_table(
        "contact_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_flags_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["counsellors.id"],
            name=op.f("fk_contact_flags_counsellor_id_counsellors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_flags")),
    )
    op.create_index(op.f("ix_contact_flags_contact_id"), "contact_flags", ["contact_id"])
    op.create_index(op.f("ix_contact_flags_expires_at"), "contact_flags", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_flags_expires_at"), table_name="contact_flags")
    op.drop_index(op.f("ix_contact_flags_contact_id"), table_name="contact_flags")
    op.drop_table("contact_flags")
    op.drop_table("wrapups")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint(op.f("fk_conversations_closed_by_id_counsellors"), type_="foreignkey")
        batch.drop_column("closed_by_id")
    with op.batch_alter_table("counsellors") as batch:
        batch.drop_column("console_language")
        batch.drop_column("last_seen_at")
