"""forms: web forms and landing pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:19:31.744529
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lead_magnet", sa.String(length=40), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("submit_label", sa.String(length=100), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column(
            "consent_purposes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("thank_you_message", sa.Text(), nullable=False),
        sa.Column("redirect_url", sa.String(length=1000), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_forms_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_forms_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        sa.UniqueConstraint("slug", name=op.f("uq_forms_slug")),
    )


def downgrade() -> None:

    op.drop_table("forms")
