"""search index: folded words per record, FTS5 on SQLite, a GIN tsvector index on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000

The index starts empty; `rebuild_search_index` (tracker.services.search) fills it from the
records. On SQLite, triggers keep the FTS5 table in step with search_entry; a later batch
migration that copies search_entry must create them again (see create_sqlite_fts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The words are folded and split by the tracker already; the tokenizer only splits on spaces
# and must not strip or fold anything else, so queries and rows agree.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
    "folded, content='search_entry', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 0')"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN"
    " INSERT INTO search_entry_fts(rowid, folded) VALUES (new.id, new.folded); END",
    "CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN"
    " INSERT INTO search_entry_fts(search_entry_fts, rowid, folded)"
    " VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN"
    " INSERT INTO search_entry_fts(search_entry_fts, rowid, folded)"
    " VALUES ('delete', old.id, old.folded);"
    " INSERT INTO search_entry_fts(rowid, folded) VALUES (new.id, new.folded); END",
)


def upgrade() -> None:
    op.create_table('search_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('target_table', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('origin_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('reveals_identity', sa.Boolean(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry'))
    )
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.create_index('ix_search_entry_target', ['target_table', 'target_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        create_sqlite_fts()
    else:
        op.execute(
            "CREATE INDEX ix_search_entry_document ON search_entry"
            " USING gin (to_tsvector('simple'::regconfig, folded))"
        )


def create_sqlite_fts() -> None:
    op.execute(SQLITE_FTS)
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS search_entry_fts_{name}')
        op.execute('DROP TABLE IF EXISTS search_entry_fts')
    else:
        op.execute('DROP INDEX IF EXISTS ix_search_entry_document')
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entry_target')

    op.drop_table('search_entry')
