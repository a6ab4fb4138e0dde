"""handoff: assignment rules and assignments, tasks, days off, lost reasons, notifications, hand-off settings

Columns are added in place (``ALTER TABLE … ADD COLUMN``) rather than by a batch rebuild: on SQLite a rebuild of
``leads`` would drop the FTS5 triggers of 0003, and ``teams.manager_id`` carries its reference inline there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 14:18:18.784710
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_LEAD_COLUMNS: list[tuple[str, Callable[[], sa.Column[Any]]]] = [
    ("leads", lambda: sa.Column("assigned_at", sa.DateTime(), nullable=True)),
    ("leads", lambda: sa.Column("first_contact_due_at", sa.DateTime(), nullable=True)),
    ("leads", lambda: sa.Column("first_contact_at", sa.DateTime(), nullable=True)),
    ("leads", lambda: sa.Column("won_amount_minor", sa.BigInteger(), nullable=True)),
    ("leads", lambda: sa.Column("won_currency", sa.String(length=3), nullable=True)),
]
_USER_COLUMNS: list[tuple[str, Callable[[], sa.Column[Any]]]] = [
    ("users", lambda: sa.Column("capacity", sa.Integer(), server_default="1", nullable=False)),
    ("users", lambda: sa.Column("away_from", sa.DateTime(), nullable=True)),
    ("users", lambda: sa.Column("away_until", sa.DateTime(), nullable=True)),
    ("users", lambda: sa.Column("working_hours", _JSON, nullable=True)),
    ("users", lambda: sa.Column("languages", _JSON, nullable=True)),
    ("users", lambda: sa.Column("calendar_token_hash", sa.String(length=64), nullable=True)),
]


def upgrade() -> None:
    op.create_table(
        "lost_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_vi", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_reasons")),
        sa.UniqueConstraint("code", name=op.f("uq_lost_reasons_code")),
    )
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_assignment_rules_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
    )
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_rules_position", ["position"], unique=False)

    op.create_table(
        "days_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_days_off_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_days_off")),
        sa.UniqueConstraint("user_id", "day", name="uq_days_off_user_day"),
    )
    op.create_table(
        "handoff_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_handoff_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_settings")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("previous_user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_assignments_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_assignments_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["previous_user_id"], ["users.id"], name=op.f("fk_assignments_previous_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["assignment_rules.id"],
            name=op.f("fk_assignments_rule_id_assignment_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_assignments_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_lead_at", ["lead_id", "at"], unique=False)
        batch_op.create_index("ix_assignments_team_at", ["team_id", "at"], unique=False)
        batch_op.create_index("ix_assignments_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("first_contact", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["completed_by"], ["users.id"], name=op.f("fk_tasks_completed_by_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_tasks_created_by_users")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_tasks_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_lead_created", ["lead_id", "created_at"], unique=False)
        batch_op.create_index("ix_tasks_owner_status_due", ["owner_id", "status", "due_at"], unique=False)
        batch_op.create_index("ix_tasks_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_notifications_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_notifications_task_id_tasks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_user_read_created", ["user_id", "read_at", "created_at"], unique=False
        )

    for column in _LEAD_COLUMNS + _USER_COLUMNS:
        op.add_column(column[0], column[1]())
    manager = sa.Column("manager_id", sa.Integer(), nullable=True)
    fk_name = op.f("fk_teams_manager_id_users")
    if op.get_bind().dialect.name == "sqlite":  # no ALTER … ADD CONSTRAINT there; a rebuild is not worth it
        manager.append_foreign_key(sa.ForeignKey("users.id", name=fk_name))
        op.add_column("teams", manager, inline_references=True)
    else:
        op.add_column("teams", manager)
        op.create_foreign_key(fk_name, "teams", "users", ["manager_id"], ["id"])


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of ``leads`` would drop the FTS triggers.
    for table, make in reversed(_LEAD_COLUMNS + _USER_COLUMNS):
        op.drop_column(table, make().name)
    with op.batch_alter_table("teams", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(batch_op.f("fk_teams_manager_id_users"), type_="foreignkey")
        batch_op.drop_column("manager_id")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read_created")

    op.drop_table("notifications")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_due")
        batch_op.drop_index("ix_tasks_owner_status_due")
        batch_op.drop_index("ix_tasks_lead_created")

    op.drop_table("tasks")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_user_at")
        batch_op.drop_index("ix_assignments_team_at")
        batch_op.drop_index("ix_assignments_lead_at")

    op.drop_table("assignments")
    op.drop_table("handoff_settings")
    op.drop_table("days_off")
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_rules_position")

    op.drop_table("assignment_rules")
    op.drop_table("lost_reasons")
