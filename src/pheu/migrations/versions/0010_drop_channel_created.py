"""leads: drop ``ix_leads_channel_created``, which ``ix_leads_report`` (channel_id, created_at, …) makes redundant

Every index on ``leads`` costs each insert and each stage move an entry (a move changes the indexed
``stage``, so it is never a HOT update). ``ix_leads_report`` begins with the same two columns, so every query
the dropped index served is served by that one, as a range over its first two columns.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 20:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_leads_channel_created", table_name="leads")


def downgrade() -> None:
    op.create_index("ix_leads_channel_created", "leads", ["channel_id", "created_at"])
