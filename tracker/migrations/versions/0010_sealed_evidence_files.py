"""sealed evidence files: each stored file's data key, wrapped under the master key

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 10:00:00.000000

Evidence files are sealed with AES-256-GCM (tracker.domain.sealed_files), each under its own
data key, kept here wrapped under the master key. Upgrading creates the table only: the files
already stored are sealed in place by `tracker db upgrade` and `tracker init` right after the
migrations (tracker.services.evidence_sealing.seal_plain_files), and read as they are until
then. Downgrade opens every sealed file back in place (it needs the master key and the
evidence folder, which `tracker db downgrade` gives), then drops the table.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

evidence_file_key = sa.table(
    "evidence_file_key",
    sa.column("storage_key", sa.String()),
    sa.column("wrapped_key", sa.String()),
)


def upgrade() -> None:
    op.create_table(
        "evidence_file_key",
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_evidence_file_key")),
    )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(evidence_file_key.c.storage_key, evidence_file_key.c.wrapped_key)
    ).all()
    keys: dict[str, str] = {row[0]: row[1] for row in rows}
    if keys:
        from tracker.domain.sealing import current_keyring
        from tracker.services.evidence_sealing import open_sealed_files_in_place

        open_sealed_files_in_place(evidence_folder(), current_keyring(), keys)
    op.drop_table("evidence_file_key")


def evidence_folder() -> Path:
    """The running app's evidence folder. Raises RuntimeError outside `tracker db downgrade`."""
    from flask import current_app, has_app_context

    if not has_app_context():
        raise RuntimeError(
            "this downgrade opens the sealed evidence files again and needs the evidence"
            " folder: run it with `tracker db downgrade`"
        )
    folder: Path = current_app.config["TRACKER_SETTINGS"].resolved_evidence_path
    return folder
