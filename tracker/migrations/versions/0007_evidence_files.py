"""evidence files: each item's name in the evidence store, automatic copies, custody's origin

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('storage_key', sa.String(length=64), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('derivation', sa.String(length=40), nullable=False, server_default='')
        )
    with op.batch_alter_table('custody_entry', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('origin', sa.String(length=200), nullable=False, server_default='')
        )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the
    # evidence table, which custody entries refer to, and fail on the foreign key.
    op.drop_column('custody_entry', 'origin')
    op.drop_column('evidence', 'derivation')
    op.drop_column('evidence', 'storage_key')
