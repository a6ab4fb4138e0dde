"""lead scores: each lead's score and its parts move from ``leads`` to a narrow table of their own

A model change rescores every lead, and an update of a ``leads`` row is expensive: the row is wide and the
table carries a dozen indexes (the trigram index among them), every one of which gets a new entry because
``score`` itself is indexed (no HOT update is possible). Measured on a million leads, rewriting the scores in
place cost ~60-80 µs per lead, a narrow table with two indexes ~7 µs. So ``lead_scores`` holds, one row per
lead, the total (``score``, whole points, which lists sort by), the fit and behaviour parts, the temperature,
when it was scored and by which model version. The ORM maps ``Lead`` over ``leads JOIN lead_scores``, so
``Lead.score`` reads as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_POINTS = sa.Numeric(precision=8, scale=1, asdecimal=False)
COLUMNS = ("score", "score_fit", "score_behaviour", "temperature", "scored_at", "score_model_id")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "lead_scores",
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("score_fit", _POINTS, nullable=True),
        sa.Column("score_behaviour", _POINTS, nullable=True),
        sa.Column("temperature", sa.String(length=10), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=True),
        sa.Column("score_model_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_scores_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["score_model_id"],
            ["scoring_models.id"],
            name=op.f("fk_lead_scores_score_model_id_scoring_models"),
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_scores")),
    )
    names = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO lead_scores (lead_id, {names}) SELECT id, {names} FROM leads")  # noqa: S608
    op.create_index("ix_lead_scores_score", "lead_scores", ["score", "lead_id"])
    op.drop_index("ix_leads_score", table_name="leads")
    if sqlite:
        # SQLite 3.35+ drops a column in place; a batch rebuild would also drop the FTS triggers of 0003.
        for column in COLUMNS:
            op.execute(f"ALTER TABLE leads DROP COLUMN {column}")
    else:
        op.execute("ALTER TABLE leads " + ", ".join(f"DROP COLUMN {c}" for c in COLUMNS))
        op.execute("ALTER TABLE leads RESET (fillfactor)")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("leads", sa.Column("score", sa.Integer(), server_default="0", nullable=False))
    op.add_column("leads", sa.Column("score_fit", _POINTS, nullable=True))
    op.add_column("leads", sa.Column("score_behaviour", _POINTS, nullable=True))
    op.add_column("leads", sa.Column("temperature", sa.String(length=10), nullable=True))
    op.add_column("leads", sa.Column("scored_at", sa.DateTime(), nullable=True))
    if sqlite:
        op.add_column(
            "leads",
            sa.Column(
                "score_model_id",
                sa.Integer(),
                sa.ForeignKey("scoring_models.id", name=op.f("fk_leads_score_model_id_scoring_models")),
                nullable=True,
            ),
            inline_references=True,
        )
    else:
        op.add_column("leads", sa.Column("score_model_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_leads_score_model_id_scoring_models"),
            "leads",
            "scoring_models",
            ["score_model_id"],
            ["id"],
        )
        op.execute("ALTER TABLE leads SET (fillfactor = 85)")
    sets = ", ".join(f"{c} = s.{c}" for c in COLUMNS)
    op.execute(f"UPDATE leads SET {sets} FROM lead_scores AS s WHERE s.lead_id = leads.id")  # noqa: S608
    if not sqlite:  # SQLite keeps the default: removing it would rebuild the table (and its FTS triggers)
        op.alter_column("leads", "score", server_default=None)
    op.create_index("ix_leads_score", "leads", ["score", "id"])
    op.drop_index("ix_lead_scores_score", table_name="lead_scores")
    op.drop_table("lead_scores")
