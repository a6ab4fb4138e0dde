"""scoring: versioned scoring models, score parts on leads, BANT per lead and the team's BANT criteria

The score columns are added to ``leads`` in place. SQLite cannot add a foreign key to an existing table
without rebuilding it, and a rebuild would drop the FTS5 triggers of 0003, so there the new column carries
its reference inline (``ADD COLUMN … REFERENCES``); downgrading rebuilds the table and puts the triggers back.

On PostgreSQL the leads table gets a fill factor of 85: scores are rewritten in place often, and a page with
room lets PostgreSQL keep an updated row on its page without touching the table's indexes (a HOT update)
whenever only the unindexed score parts changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:12:52.048854
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_POINTS = sa.Numeric(precision=8, scale=1, asdecimal=False)
_FTS_TRIGGERS = (
    "CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
    "INSERT INTO leads_fts(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN "
    "INSERT INTO leads_fts(leads_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER leads_fts_au AFTER UPDATE OF search_key ON leads BEGIN "
    "INSERT INTO leads_fts(leads_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    "INSERT INTO leads_fts(rowid, search_key) VALUES (new.id, new.search_key); END",
)


def upgrade() -> None:
    op.create_table(
        "bant_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("min_budget_minor", sa.BigInteger(), nullable=True),
        sa.Column("min_budget_currency", sa.String(length=3), nullable=True),
        sa.Column("min_budget_level", sa.String(length=10), nullable=True),
        sa.Column(
            "authority",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("min_need_level", sa.String(length=10), nullable=True),
        sa.Column("timing_within", sa.String(length=20), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_bant_criteria_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bant_criteria")),
    )
    op.create_table(
        "scoring_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_scoring_models_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_models")),
        sa.UniqueConstraint("name", "version", name="uq_scoring_models_name_version"),
    )
    with op.batch_alter_table("scoring_models", schema=None) as batch_op:
        batch_op.create_index(
            "uq_scoring_models_active",
            ["active"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.create_table(
        "lead_bant",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("budget_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("budget_level", sa.String(length=10), nullable=True),
        sa.Column("authority", sa.String(length=20), nullable=True),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("need_level", sa.String(length=10), nullable=True),
        sa.Column("timing_window", sa.String(length=20), nullable=True),
        sa.Column("timing_date", sa.Date(), nullable=True),
        sa.Column("opportunity_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("opportunity_currency", sa.String(length=3), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_bant_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_lead_bant_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_bant")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_lead_bant_lead_id")),
    )
    op.add_column("leads", sa.Column("score_fit", _POINTS, nullable=True))
    op.add_column("leads", sa.Column("score_behaviour", _POINTS, nullable=True))
    op.add_column("leads", sa.Column("temperature", sa.String(length=10), nullable=True))
    op.add_column("leads", sa.Column("scored_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
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


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute("ALTER TABLE leads RESET (fillfactor)")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        if not sqlite:
            batch_op.drop_constraint(batch_op.f("fk_leads_score_model_id_scoring_models"), type_="foreignkey")
        batch_op.drop_column("score_model_id")
        batch_op.drop_column("scored_at")
        batch_op.drop_column("temperature")
        batch_op.drop_column("score_behaviour")
        batch_op.drop_column("score_fit")
    if sqlite:  # the rebuild dropped the search triggers of 0003
        for statement in _FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
            op.execute(statement)
        op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")

    op.drop_table("lead_bant")
    with op.batch_alter_table("scoring_models", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_scoring_models_active", postgresql_where=sa.text("active"), sqlite_where=sa.text("active")
        )

    op.drop_table("scoring_models")
    op.drop_table("bant_criteria")
