"""The migrations build exactly the schema the models describe, on both databases, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from pheu.db import alembic_config, upgrade
from pheu.store import Base


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # The trigram index exists only on PostgreSQL and is not expressible in the models.
    # Search indexes live outside the models: pg_trgm on PostgreSQL, an FTS5 table on SQLite.
    diff = [
        d
        for d in diff
        if not (d[0] == "remove_index" and d[1].name == "ix_leads_search_trgm")
        and not (d[0] == "remove_table" and d[1].name.startswith("leads_fts"))
    ]
    assert diff == []


def test_downgrade_removes_everything_and_upgrade_restores_it(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert "leads" in inspect(engine).get_table_names()
    engine.dispose()
