"""Names' blind indexes after an import: computed with this instance's key from the file's names.

An interchange file holds each name in the clear and its blind index as the exporting
instance computed it, under that instance's key. A file from another instance would carry
digests this instance cannot match, so every imported name's digest is worked out again from
its text, and only those that differ are written (a file from this instance: none).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session

from tracker.domain.sealing import blind_index, current_keyring
from tracker.interchange.planning import SectionPlan

# Section → (the name column, its blind index column).
BLIND_INDEXED = {"person": ("real_name", "name_index"), "person_name": ("text", "folded")}
BATCH = 1000


def refresh_blind_indexes(session: Session, plans: Sequence[SectionPlan]) -> int:
    """Write the blind index of every imported name whose digest is not this instance's;
    how many were written. Raises MasterKeyUnavailable."""
    written = 0
    for plan in plans:
        if plan.name in BLIND_INDEXED and plan.columns:
            written += refresh_section(session, plan, *BLIND_INDEXED[plan.name])
    return written


def refresh_section(session: Session, plan: SectionPlan, source: str, target: str) -> int:
    keyring = current_keyring()
    ids, names = plan.columns["id"], plan.columns[source]
    digests = plan.columns.get(target) or [None] * len(ids)
    stale: list[dict[str, Any]] = []
    for record_id, name, digest in zip(ids, names, digests, strict=True):
        expected = blind_index(keyring, name or "")
        if digest != expected:
            stale.append({"row_id": uuid.UUID(str(record_id)), "digest": expected})
    table = plan.table
    statement = (
        update(table).where(table.c.id == bindparam("row_id")).values({target: bindparam("digest")})
    )
    for start in range(0, len(stale), BATCH):
        session.connection().execute(statement, stale[start : start + BATCH])
    return len(stale)
