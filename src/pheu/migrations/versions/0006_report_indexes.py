"""report indexes: covering indexes for the dashboard's queries

The report counts the leads created in a period (by channel, creation time, kind, campaign, owner and the
bought-list flag), reads the moves of the ones that moved, and finds the older leads that moved up in the
period. With these three indexes every one of those reads is answered from an index alone: a 90-day report
over a million leads reads index entries instead of a few hundred thousand table rows (``bench/reports.py``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LEADS_REPORT = ("channel_id", "created_at", "kind", "campaign_id", "owner_id", "id", "flags")
# ``at`` before ``to_stage``: SQLite 3.40 answers ``lead_id = ? AND to_stage IN (…) AND at < ?`` wrongly
# from a (lead_id, to_stage, at) index — rows after the bound come back — so the range comes second and the
# stage is checked from the index entry.
STAGE_CHANGES_REPORT = ("lead_id", "at", "to_stage")
STAGE_CHANGES_MOVES = ("to_stage", "at", "lead_id")


def upgrade() -> None:
    op.create_index("ix_leads_report", "leads", list(LEADS_REPORT))
    op.create_index("ix_stage_changes_report", "stage_changes", list(STAGE_CHANGES_REPORT))
    op.create_index("ix_stage_changes_moves", "stage_changes", list(STAGE_CHANGES_MOVES))


def downgrade() -> None:
    op.drop_index("ix_stage_changes_moves", table_name="stage_changes")
    op.drop_index("ix_stage_changes_report", table_name="stage_changes")
    op.drop_index("ix_leads_report", table_name="leads")
