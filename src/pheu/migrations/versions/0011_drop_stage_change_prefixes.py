"""stage_changes: drop ``ix_stage_changes_lead_at`` and ``ix_stage_changes_to_at``, prefixes of wider indexes

``ix_stage_changes_report`` is (lead_id, at, to_stage) and ``ix_stage_changes_moves`` is (to_stage, at,
lead_id): each begins with the columns of one of the dropped indexes, in the same order, so every lookup or
range the narrow one served the wide one serves too. Every move (a million of them in a big import) paid an
entry in all four.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 23:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_stage_changes_lead_at", table_name="stage_changes")
    op.drop_index("ix_stage_changes_to_at", table_name="stage_changes")


def downgrade() -> None:
    op.create_index("ix_stage_changes_to_at", "stage_changes", ["to_stage", "at"])
    op.create_index("ix_stage_changes_lead_at", "stage_changes", ["lead_id", "at"])
