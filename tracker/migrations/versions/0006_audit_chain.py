"""audit chain: each audit entry carries its own hash and the hash of the entry before it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000

Existing entries are chained in sequence order, so an upgraded instance verifies at once
(`tracker audit verify`). Entries without a sequence number (none are written since the
number was introduced, but an old import could leave some) are numbered first, after the last
numbered entry, in the order they occurred; then `sequence` becomes NOT NULL, so every entry
has a place in the chain. The hash is computed by tracker.domain.audit_chain (pure, no
models), the same code that verifies it. Downgrading drops the hashes: nothing else kept them.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

from tracker.domain.audit_chain import GENESIS_HASH, link_after


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
# The columns as this revision knows them (the models may have moved on since).
audit_entry = sa.table(
    'audit_entry',
    sa.column('id', sa.Uuid()),
    sa.column('sequence', sa.Integer()),
    sa.column('occurred_at', sa.DateTime()),
    sa.column('actor_id', sa.Uuid()),
    sa.column('action', sa.String()),
    sa.column('table_name', sa.String()),
    sa.column('record_id', sa.Uuid()),
    sa.column('changes', sa.JSON()),
    sa.column('reason', sa.String()),
    sa.column('previous_hash', sa.String()),
    sa.column('entry_hash', sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    number_unnumbered(connection)
    chain_existing(connection)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('previous_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('entry_hash', existing_type=sa.String(length=64), nullable=False)


def number_unnumbered(connection: sa.Connection) -> None:
    last = connection.execute(sa.select(sa.func.max(audit_entry.c.sequence))).scalar() or 0
    unnumbered = connection.execute(
        sa.select(audit_entry.c.id)
        .where(audit_entry.c.sequence.is_(None))
        .order_by(audit_entry.c.occurred_at, audit_entry.c.id)
    ).scalars().all()
    update = (
        sa.update(audit_entry)
        .where(audit_entry.c.id == sa.bindparam('entry_id'))
        .values(sequence=sa.bindparam('new_sequence'))
    )
    rows = [
        {'entry_id': entry_id, 'new_sequence': last + number}
        for number, entry_id in enumerate(unnumbered, start=1)
    ]
    for start in range(0, len(rows), BATCH):
        connection.execute(update, rows[start:start + BATCH])


def chain_existing(connection: sa.Connection) -> None:
    """Hash every entry in sequence order, a batch at a time (keyset paging: no open cursor)."""
    update = (
        sa.update(audit_entry)
        .where(audit_entry.c.id == sa.bindparam('entry_id'))
        .values(previous_hash=sa.bindparam('link'), entry_hash=sa.bindparam('own_hash'))
    )
    previous_hash, last_sequence = GENESIS_HASH, None
    while True:
        batch = next_batch(connection, last_sequence)
        if not batch:
            return
        rows = []
        for values in batch:
            link, own_hash = link_after(values, previous_hash)
            rows.append({'entry_id': values['id'], 'link': link, 'own_hash': own_hash})
            previous_hash = own_hash
        connection.execute(update, rows)
        last_sequence = batch[-1]['sequence']


def next_batch(connection: sa.Connection, after: int | None) -> list[dict]:
    statement = sa.select(audit_entry).order_by(audit_entry.c.sequence).limit(BATCH)
    if after is not None:
        statement = statement.where(audit_entry.c.sequence > after)
    return [dict(row._mapping) for row in connection.execute(statement)]


def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('previous_hash')
