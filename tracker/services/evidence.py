"""Evidence items with their server-computed SHA-256, Berkeley Protocol stages, and custody."""

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.evidence_files import METADATA_REMOVED
from tracker.models import CustodyEntry, Evidence, Incident
from tracker.models.base import utc_now
from tracker.services.records import (
    create_record,
    get_record,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
STORAGE_KEY_PATTERN = SHA256_PATTERN  # 32 random bytes as hex, like a hash
DERIVATIONS = ("", METADATA_REMOVED)
# A custody note starting so records a stored file that was changed or missing when checked.
FAILED_CHECK = "verification failed"
# Originals never change: a redacted copy is a new item derived from the original.
EVIDENCE_FIELDS = ("title", "url", "description", "collected_by", "captured_at", "media_type")
STAGE_ORDER = (
    "online_inquiry",
    "preliminary_assessment",
    "collection",
    "preservation",
    "verification",
    "investigative_analysis",
)


def check_sha256(value: object, field: str = "sha256") -> str:
    """Raises InvalidInput unless the value is 64 lowercase hexadecimal digits."""
    if not isinstance(value, str) or not SHA256_PATTERN.match(value):
        raise InvalidInput(f"{field}: a SHA-256 is 64 lowercase hexadecimal digits")
    return value


def sha256_of(content: bytes) -> str:
    """The server's own hash of a file at intake."""
    return hashlib.sha256(content).hexdigest()


def add_evidence(
    session: Session,
    *,
    kind: str,
    sha256: str,
    actor_id: uuid.UUID | None,
    incident_id: uuid.UUID | None = None,
    title: str = "",
    file_name: str = "",
    media_type: str = "",
    size_bytes: int | None = None,
    url: str = "",
    captured_at: datetime | None = None,
    collected_by: str = "",
    collected_at: datetime | None = None,
    derived_from_id: uuid.UUID | None = None,
    description: str = "",
    storage_key: str = "",
    derivation: str = "",
) -> Evidence:
    """Register an evidence item with its SHA-256 (computed by the server from the file) and,
    when the tracker holds the file, its name in the evidence store.

    Raises InvalidInput naming the field.
    """
    values: dict[str, Any] = {
        "kind": kind,
        "sha256": sha256,
        "incident_id": incident_id,
        "title": title,
        "file_name": file_name,
        "media_type": media_type,
        "size_bytes": size_bytes,
        "url": url,
        "captured_at": captured_at,
        "collected_by": collected_by,
        "collected_at": collected_at,
        "derived_from_id": derived_from_id,
        "description": description,
        "storage_key": storage_key,
        "derivation": derivation,
    }
    check_new_evidence(session, values)
    return create_record(session, Evidence, actor_id=actor_id, values=values)


def check_new_evidence(session: Session, values: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the field."""
    require_code(session, "evidence_kind", values["kind"], "kind")
    check_sha256(values["sha256"])
    if values["incident_id"] is not None:
        require_live(session, Incident, values["incident_id"], "incident_id")
    if values["derived_from_id"] is not None:
        require_live(session, Evidence, values["derived_from_id"], "derived_from_id")
    if values["size_bytes"] is not None and values["size_bytes"] < 0:
        raise InvalidInput("size_bytes: cannot be negative")
    if values["storage_key"] and not STORAGE_KEY_PATTERN.match(values["storage_key"]):
        raise InvalidInput("storage_key: not a name the evidence store gives")
    if values["derivation"] not in DERIVATIONS:
        raise InvalidInput(f"derivation: unknown; known: {', '.join(filter(None, DERIVATIONS))}")
    if values["derivation"] and values["derived_from_id"] is None:
        raise InvalidInput("derived_from_id: a derived copy names its original")


def get_evidence(
    session: Session, evidence_id: uuid.UUID, *, include_deleted: bool = False
) -> Evidence:
    """Raises RecordNotFound."""
    return get_record(session, Evidence, evidence_id, include_deleted=include_deleted)


def list_evidence(session: Session, *, incident_id: uuid.UUID | None = None) -> list[Evidence]:
    statement = live(select(Evidence), Evidence)
    if incident_id is not None:
        statement = statement.where(col(Evidence.incident_id) == incident_id)
    return list(session.execute(statement.order_by(col(Evidence.created_at))).scalars())


def update_evidence(
    session: Session,
    *,
    evidence_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Evidence:
    """Change descriptive fields; the hash, kind and file never change.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    evidence = get_evidence(session, evidence_id)
    unknown = sorted(set(changes) - set(EVIDENCE_FIELDS))
    if unknown:
        raise InvalidInput(
            f"evidence: {', '.join(unknown)} cannot be changed; originals never change"
        )
    if evidence.storage_key and "media_type" in changes:
        # The type decides how the file is served; it is detected from the content, never typed.
        raise InvalidInput("media_type: a stored file's type is detected from its content")
    return update_record(
        session, evidence, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def advance_evidence_stage(
    session: Session,
    *,
    evidence_id: uuid.UUID,
    stage: str,
    expected_version: int,
    actor_id: uuid.UUID | None,
    reason: str = "",
) -> Evidence:
    """Move an item forward in the Berkeley Protocol stages; never back.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    evidence = get_evidence(session, evidence_id)
    require_code(session, "evidence_stage", stage, "stage")
    if STAGE_ORDER.index(stage) <= STAGE_ORDER.index(evidence.stage):
        raise InvalidInput(f"stage: evidence moves only forward from '{evidence.stage}'")
    return update_record(
        session,
        evidence,
        actor_id=actor_id,
        expected_version=expected_version,
        changes={"stage": stage},
        action="advance_stage",
        reason=reason,
    )


def delete_evidence(
    session: Session,
    *,
    evidence_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
    reason: str = "",
) -> Evidence:
    """Raises EditConflict, RecordNotFound."""
    evidence = get_evidence(session, evidence_id)
    return soft_delete_record(
        session, evidence, actor_id=actor_id, expected_version=expected_version, reason=reason
    )


def restore_evidence(
    session: Session,
    *,
    evidence_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Evidence:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    evidence = get_evidence(session, evidence_id, include_deleted=True)
    return restore_record(session, evidence, actor_id=actor_id, expected_version=expected_version)


def add_custody_entry(
    session: Session,
    *,
    evidence_id: uuid.UUID,
    action: str,
    actor: str,
    actor_id: uuid.UUID | None,
    occurred_at: datetime | None = None,
    holders: str = "",
    sha256_seen: str = "",
    note: str = "",
    origin: str = "",
) -> CustodyEntry:
    """Append one step to the chain of custody; entries are never changed or removed.

    `actor` says who, `origin` from where (a client address, or cli@host). A differing hash
    is recorded as seen and shows up in `custody_alarms`; it never updates
    the item. Raises InvalidInput naming the field.
    """
    require_live(session, Evidence, evidence_id, "evidence_id")
    require_code(session, "custody_action", action, "action")
    if sha256_seen:
        check_sha256(sha256_seen, "sha256_seen")
    when = occurred_at or utc_now()
    if when.tzinfo is None:
        raise InvalidInput("occurred_at: give the time with its time zone (UTC)")
    if not actor.strip():
        raise InvalidInput("actor: say who handled the item")
    values = {
        "evidence_id": evidence_id,
        "occurred_at": when,
        "actor": actor,
        "action": action,
        "holders": holders,
        "sha256_seen": sha256_seen,
        "note": note,
        "origin": origin,
    }
    return create_record(session, CustodyEntry, actor_id=actor_id, values=values)


def custody_log(session: Session, evidence_id: uuid.UUID) -> list[CustodyEntry]:
    """The item's chain of custody in time order."""
    statement = select(CustodyEntry).where(col(CustodyEntry.evidence_id) == evidence_id)
    ordered = statement.order_by(col(CustodyEntry.occurred_at), col(CustodyEntry.created_at))
    return list(session.execute(ordered).scalars())


def custody_alarms(session: Session, evidence_id: uuid.UUID) -> list[CustodyEntry]:
    """Custody steps that saw a hash other than the item's, or found its file missing: the
    original may have changed."""
    evidence = get_evidence(session, evidence_id, include_deleted=True)
    return [entry for entry in custody_log(session, evidence_id) if is_alarm(entry, evidence)]


def is_alarm(entry: CustodyEntry, evidence: Evidence) -> bool:
    differing = bool(entry.sha256_seen) and entry.sha256_seen != evidence.sha256
    return differing or entry.note.startswith(FAILED_CHECK)
