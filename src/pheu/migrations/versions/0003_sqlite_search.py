"""sqlite search: an FTS5 trigram index over leads.search_key, kept in step by triggers

On SQLite a LIKE '%…%' cannot use a B-tree index, so a rare search term would read every lead. FTS5's trigram
tokenizer answers the same LIKE from an index. PostgreSQL already has its pg_trgm GIN index (0001).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 11:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE leads_fts USING fts5("
        "search_key, content='leads', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN "
        "INSERT INTO leads_fts(rowid, search_key) VALUES (new.id, new.search_key); END"
    )
    op.execute(
        "CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN "
        "INSERT INTO leads_fts(leads_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); END"
    )
    op.execute(
        "CREATE TRIGGER leads_fts_au AFTER UPDATE OF search_key ON leads BEGIN "
        "INSERT INTO leads_fts(leads_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
        "INSERT INTO leads_fts(rowid, search_key) VALUES (new.id, new.search_key); END"
    )
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("leads_fts_ai", "leads_fts_ad", "leads_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_fts")
