"""lead reached: each lead's first entry into MQL, SQL, Opportunity and Customer, stored on the lead

``leads.reached_mql_at`` … ``reached_customer_at`` hold what ``pheu.measure.paths.reached`` computes from the
stage history: the earliest ``stage_changes.at`` of a move into that level *or a higher one* (Lost,
Disqualified, IQL and the recruitment stages do not count). The report then reads a cohort as one index range
of ``leads`` with no join, and the older leads that first reached a level in the period as one range of a
partial index per level (``bench/reports.py``: a join of every older lead with the period's moves was most
of a 90-day report's time).

They are kept by triggers on ``stage_changes``, not by the services, because moves are written on many paths
(the stage service, scoring in bulk through COPY, imports, merges and their undo moving rows between leads,
the demo back-dating moves): an INSERT above IQL lowers the lead's moments where it is earlier (a ``WHEN``
clause keeps IQL and applicant rows, most of an import, free of any work), and an UPDATE of ``lead_id``,
``at`` or ``to_stage`` or a DELETE works the affected leads' moments out again from their moves. Existing
moves are folded in set-wise, before ``ix_leads_report`` is built again.

Indexes: ``ix_leads_report`` gains the four moments and the won value after its unique ``id``, so the cohort
read is index-only (trailing columns rather than PostgreSQL's INCLUDE, which SQLite lacks; after a unique
column they never order anything, and PostgreSQL's suffix truncation keeps them out of the inner pages). One
partial index per level (``WHERE reached_X_at IS NOT NULL``) starts with the moment and carries the report's
filter columns: leads that never moved up — every freshly imported IQL lead — have no entry in them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00
"""

# ruff: noqa: S608 - every statement here is built from this module's own stage and column names

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The funnel above IQL in order, as stored in ``stage_changes.to_stage``, with the column each one fills.
LEVELS = ("mql", "sql", "opportunity", "customer")
COLUMNS = tuple(f"reached_{stage}_at" for stage in LEVELS)
OLD_REPORT = ("channel_id", "created_at", "kind", "campaign_id", "owner_id", "id", "flags")
NEW_REPORT = (*OLD_REPORT, "won_amount_minor", "won_currency", *COLUMNS)
# After the moment: the columns the report filters the older leads on, so their count is index-only.
REACHED_INDEX_TAIL = ("channel_id", "created_at", "kind", "campaign_id", "owner_id", "id")
TRIGGERS = ("stage_changes_reached_insert", "stage_changes_reached_delete", "stage_changes_reached_update")


def _stages(level: int) -> str:
    """The SQL list of stages that reach ``LEVELS[level]``: that one and every later one."""
    return "(" + ", ".join(f"'{stage}'" for stage in LEVELS[level:]) + ")"


ABOVE_IQL = _stages(0)


def _firsts() -> str:
    """Per lead (grouped by the caller), the earliest move into each level or a later one."""
    return ", ".join(
        f"min(at) FILTER (WHERE to_stage IN {_stages(i)}) AS {column}" for i, column in enumerate(COLUMNS)
    )


def _from_moves() -> str:
    return ", ".join(f"{column} = r.{column}" for column in COLUMNS)


def index_name(column: str) -> str:
    return f"ix_leads_{column}"


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("leads", sa.Column(column, sa.DateTime(), nullable=True))
    # The partial indexes first, empty: every row the backfill fills then changes an indexed column, so none
    # is a HOT update, and PostgreSQL can offer the index built after it to every query at once (a HOT chain
    # the new index splits would hide it from snapshots older than this migration: ``indcheckxmin``).
    for column in COLUMNS:
        op.create_index(
            index_name(column),
            "leads",
            [column, *REACHED_INDEX_TAIL],
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.drop_index("ix_leads_report", table_name="leads")
    # UPDATE … FROM works on both databases (SQLite 3.33+).
    op.execute(
        f"UPDATE leads SET {_from_moves()} FROM (SELECT lead_id, {_firsts()} FROM stage_changes "
        f"WHERE to_stage IN {ABOVE_IQL} GROUP BY lead_id) AS r WHERE leads.id = r.lead_id"
    )
    op.create_index("ix_leads_report", "leads", list(NEW_REPORT))
    if _pg():
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    for trigger in TRIGGERS:  # SQLite refuses to drop a column a trigger names
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON stage_changes" if _pg() else ""))
    if _pg():
        op.execute("DROP FUNCTION IF EXISTS stage_changes_reached()")
        op.execute("DROP FUNCTION IF EXISTS leads_reached_refresh(bigint)")
    for column in COLUMNS:
        op.drop_index(index_name(column), table_name="leads")
    op.drop_index("ix_leads_report", table_name="leads")
    op.create_index("ix_leads_report", "leads", list(OLD_REPORT))
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of ``leads`` would drop the FTS triggers.
    for column in reversed(COLUMNS):
        op.drop_column("leads", column)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _lowered(new: str, earlier: str) -> str:
    """SET items moving each moment reached by the new move ``new`` down to its time where that is earlier.
    ``earlier`` is the dialect's "the earlier of {column} and {at}", a NULL column counting as later."""
    items = []
    for i, column in enumerate(COLUMNS):
        lowered = earlier.format(column=column, at=f"{new}.at")
        items.append(
            f"{column} = {lowered}"
            if i == 0
            else f"{column} = CASE WHEN {new}.to_stage IN {_stages(i)} THEN {lowered} ELSE {column} END"
        )
    return ", ".join(items)


def _own_level(new: str) -> str:
    """The lead's moment for the new move's own level: if that is already at or before the move, every lower
    level's is too (a lower level's moment is never later), and the move changes nothing."""
    whens = " ".join(f"WHEN '{stage}' THEN {column}" for stage, column in zip(LEVELS, COLUMNS, strict=True))
    return f"CASE {new}.to_stage {whens} END"


def _postgresql_triggers() -> None:
    recompute = ", ".join(f"{column} = r.{column}" for column in COLUMNS)
    row_now = ", ".join(f"leads.{column}" for column in COLUMNS)
    row_then = ", ".join(f"r.{column}" for column in COLUMNS)
    op.execute(
        f"""
        CREATE FUNCTION leads_reached_refresh(p_lead bigint) RETURNS void LANGUAGE sql AS $$
            UPDATE leads SET {recompute}
            FROM (SELECT {_firsts()} FROM stage_changes
                  WHERE lead_id = p_lead AND to_stage IN {ABOVE_IQL}) AS r
            WHERE leads.id = p_lead AND ({row_now}) IS DISTINCT FROM ({row_then})
        $$
        """
    )
    # least() ignores NULLs in PostgreSQL: a level not reached yet takes the move's time.
    lowered = _lowered("NEW", "least({column}, {at})")
    op.execute(
        f"""
        CREATE FUNCTION stage_changes_reached() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE leads SET {lowered}
                WHERE id = NEW.lead_id AND coalesce({_own_level("NEW")} > NEW.at, true);
                RETURN NULL;
            END IF;
            PERFORM leads_reached_refresh(OLD.lead_id);
            IF TG_OP = 'UPDATE' AND NEW.lead_id <> OLD.lead_id THEN
                PERFORM leads_reached_refresh(NEW.lead_id);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER stage_changes_reached_insert AFTER INSERT ON stage_changes FOR EACH ROW "
        f"WHEN (NEW.to_stage IN {ABOVE_IQL}) EXECUTE FUNCTION stage_changes_reached()"
    )
    op.execute(
        "CREATE TRIGGER stage_changes_reached_delete AFTER DELETE ON stage_changes FOR EACH ROW "
        f"WHEN (OLD.to_stage IN {ABOVE_IQL}) EXECUTE FUNCTION stage_changes_reached()"
    )
    op.execute(
        "CREATE TRIGGER stage_changes_reached_update AFTER UPDATE OF lead_id, at, to_stage ON stage_changes "
        f"FOR EACH ROW WHEN ((OLD.to_stage IN {ABOVE_IQL} OR NEW.to_stage IN {ABOVE_IQL}) "
        "AND (OLD.lead_id, OLD.at, OLD.to_stage) IS DISTINCT FROM (NEW.lead_id, NEW.at, NEW.to_stage)) "
        "EXECUTE FUNCTION stage_changes_reached()"
    )


def _sqlite_refresh(lead: str) -> str:
    """An UPDATE working ``lead``'s moments out again from its moves (SQLite triggers cannot call functions)."""
    items = ", ".join(
        f"{column} = (SELECT min(at) FROM stage_changes WHERE lead_id = {lead} AND to_stage IN {_stages(i)})"
        for i, column in enumerate(COLUMNS)
    )
    return f"UPDATE leads SET {items} WHERE id = {lead};"


def _sqlite_triggers() -> None:
    # SQLite's min(a, b) is NULL when either is: a level not reached yet takes the move's time explicitly.
    lowered = _lowered("new", "CASE WHEN {column} IS NULL OR {column} > {at} THEN {at} ELSE {column} END")
    op.execute(
        f"CREATE TRIGGER stage_changes_reached_insert AFTER INSERT ON stage_changes "
        f"WHEN new.to_stage IN {ABOVE_IQL} BEGIN "
        f"UPDATE leads SET {lowered} WHERE id = new.lead_id AND coalesce({_own_level('new')} > new.at, 1); END"
    )
    op.execute(
        f"CREATE TRIGGER stage_changes_reached_delete AFTER DELETE ON stage_changes "
        f"WHEN old.to_stage IN {ABOVE_IQL} BEGIN {_sqlite_refresh('old.lead_id')} END"
    )
    op.execute(
        "CREATE TRIGGER stage_changes_reached_update AFTER UPDATE OF lead_id, at, to_stage ON stage_changes "
        f"WHEN old.to_stage IN {ABOVE_IQL} OR new.to_stage IN {ABOVE_IQL} BEGIN "
        f"{_sqlite_refresh('old.lead_id')} "
        f"{_sqlite_refresh('new.lead_id').removesuffix(';')} AND new.lead_id <> old.lead_id; END"
    )
