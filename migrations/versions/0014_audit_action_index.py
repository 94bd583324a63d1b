"""audit entries indexed by action, for the audit log's filter and its folded views

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_audit_entries_action"), "audit_entries", ["action"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entries_action"), table_name="audit_entries")
