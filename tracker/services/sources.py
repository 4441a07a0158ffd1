"""Sources graded for reliability, citations graded for credibility, evidence and its custody."""

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.dates import FuzzyDate, parse_fuzzy_date
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.domain.vocabularies import CREDIBILITY_GRADES, RELIABILITY_GRADES
from tracker.models import Citation, CustodyEntry, Evidence, Incident, Source
from tracker.models.base import utc_now
from tracker.services.people import require_person
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SOURCE_FIELDS = (
    "kind",
    "title",
    "citation_text",
    "url",
    "contact_person_id",
    "published_on",
    "accessed_on",
    "reliability",
)
CITATION_FIELDS = ("locator", "claim", "credibility")
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


def check_reliability(value: object) -> None:
    if value not in RELIABILITY_GRADES:
        raise InvalidInput(
            f"reliability: '{value}' is not a grade; use A (completely reliable) to F (cannot be"
            " judged)"
        )


def check_credibility(value: object) -> None:
    if isinstance(value, bool) or value not in CREDIBILITY_GRADES:
        raise InvalidInput(
            f"credibility: '{value}' is not a grade; use 1 (confirmed) to 6 (cannot be judged)"
        )


def check_sha256(value: object, field: str = "sha256") -> str:
    """Raises InvalidInput unless the value is 64 lowercase hexadecimal digits."""
    if not isinstance(value, str) or not SHA256_PATTERN.match(value):
        raise InvalidInput(f"{field}: a SHA-256 is 64 lowercase hexadecimal digits")
    return value


def parse_published(text: str | None, today: date | None) -> FuzzyDate | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_fuzzy_date(text, today=today)
    except InvalidDate as error:
        raise InvalidDate(f"published_on: {error}") from None


def check_source_values(session: Session, values: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the field."""
    require_code(session, "source_kind", values.get("kind"), "kind")
    check_reliability(values.get("reliability"))
    require_person(session, values.get("contact_person_id"), "contact_person_id")
    accessed = values.get("accessed_on")
    if accessed is not None and (not isinstance(accessed, date) or accessed > utc_now().date()):
        raise InvalidInput("accessed_on: must be a past or present day")


def create_source(
    session: Session,
    *,
    kind: str,
    actor_id: uuid.UUID | None,
    title: str = "",
    citation_text: str = "",
    url: str = "",
    contact_person_id: uuid.UUID | None = None,
    published_text: str | None = None,
    accessed_on: date | None = None,
    reliability: str = "F",
    today: date | None = None,
) -> Source:
    """A source; unset reliability is F (cannot be judged), never A.

    Raises InvalidInput naming the field.
    """
    values: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "citation_text": citation_text,
        "url": url,
        "contact_person_id": contact_person_id,
        "accessed_on": accessed_on,
        "reliability": reliability,
    }
    check_source_values(session, values)
    values["published_on"] = parse_published(published_text, today)
    return create_record(session, Source, actor_id=actor_id, values=values)


def get_source(session: Session, source_id: uuid.UUID, *, include_deleted: bool = False) -> Source:
    """Raises RecordNotFound."""
    return get_record(session, Source, source_id, include_deleted=include_deleted)


def list_sources(
    session: Session, *, kind: str | None = None, include_deleted: bool = False
) -> list[Source]:
    """Sources in the order recorded, optionally of one kind."""
    sources = list_records(session, Source, include_deleted=include_deleted)
    return [source for source in sources if kind is None or source.kind == kind]


def update_source(
    session: Session,
    *,
    source_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
    today: date | None = None,
) -> Source:
    """Change a source; `published_text` is parsed into `published_on`.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    source = get_source(session, source_id)
    columns = dict(changes)
    if "published_text" in columns:
        columns["published_on"] = parse_published(columns.pop("published_text"), today)
    unknown = sorted(set(columns) - set(SOURCE_FIELDS))
    if unknown:
        raise InvalidInput(f"source: unknown or read-only fields {', '.join(unknown)}")
    check_source_values(session, {**{f: getattr(source, f) for f in SOURCE_FIELDS}, **columns})
    return update_record(
        session, source, actor_id=actor_id, expected_version=expected_version, changes=columns
    )


def delete_source(
    session: Session, *, source_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Source:
    """Raises EditConflict, RecordNotFound."""
    source = get_source(session, source_id)
    return soft_delete_record(session, source, actor_id=actor_id, expected_version=expected_version)


def restore_source(
    session: Session, *, source_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Source:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    source = get_source(session, source_id, include_deleted=True)
    return restore_record(session, source, actor_id=actor_id, expected_version=expected_version)


# --- citations --------------------------------------------------------------------------------


def require_live(session: Session, model: Any, record_id: uuid.UUID | None, field: str) -> Any:
    """Raises InvalidInput naming the field when the record is missing or deleted."""
    record = session.get(model, record_id) if record_id is not None else None
    if record is None or record.is_deleted:
        label = str(model.__tablename__).replace("_", " ")
        raise InvalidInput(f"{field}: no {label} {record_id} (it does not exist or was deleted)")
    return record


def cite(
    session: Session,
    *,
    source_id: uuid.UUID,
    incident_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    locator: str = "",
    claim: str = "",
    credibility: int = 6,
) -> Citation:
    """A source's claim about an incident; unset credibility is 6 (cannot be judged).

    Raises InvalidInput naming the field.
    """
    require_live(session, Source, source_id, "source_id")
    require_live(session, Incident, incident_id, "incident_id")
    check_credibility(credibility)
    values = {
        "source_id": source_id,
        "incident_id": incident_id,
        "locator": locator,
        "claim": claim,
        "credibility": credibility,
    }
    return create_record(session, Citation, actor_id=actor_id, values=values)


def citations_of_incident(session: Session, incident_id: uuid.UUID) -> list[Citation]:
    statement = live(select(Citation), Citation).where(col(Citation.incident_id) == incident_id)
    return list(session.execute(statement.order_by(col(Citation.created_at))).scalars())


def update_citation(
    session: Session,
    *,
    citation_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Citation:
    """Change locator, claim or credibility. Raises InvalidInput, EditConflict, RecordNotFound."""
    citation = get_record(session, Citation, citation_id)
    unknown = sorted(set(changes) - set(CITATION_FIELDS))
    if unknown:
        raise InvalidInput(f"citation: unknown or read-only fields {', '.join(unknown)}")
    if "credibility" in changes:
        check_credibility(changes["credibility"])
    return update_record(
        session, citation, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def remove_citation(
    session: Session,
    *,
    citation_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Citation:
    """Raises EditConflict, RecordNotFound."""
    citation = get_record(session, Citation, citation_id)
    return soft_delete_record(
        session, citation, actor_id=actor_id, expected_version=expected_version
    )


# --- evidence and custody ---------------------------------------------------------------------


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
    derived_from_id: uuid.UUID | None = None,
    description: str = "",
) -> Evidence:
    """Register an evidence item with its SHA-256 (computed by the server from the file).

    Raises InvalidInput naming the field.
    """
    require_code(session, "evidence_kind", kind, "kind")
    check_sha256(sha256)
    if incident_id is not None:
        require_live(session, Incident, incident_id, "incident_id")
    if derived_from_id is not None:
        require_live(session, Evidence, derived_from_id, "derived_from_id")
    if size_bytes is not None and size_bytes < 0:
        raise InvalidInput("size_bytes: cannot be negative")
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
        "derived_from_id": derived_from_id,
        "description": description,
    }
    return create_record(session, Evidence, actor_id=actor_id, values=values)


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
) -> CustodyEntry:
    """Append one step to the chain of custody; entries are never changed or removed.

    A differing hash is recorded as seen and shows up in `custody_alarms`; it never updates
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
    }
    return create_record(session, CustodyEntry, actor_id=actor_id, values=values)


def custody_log(session: Session, evidence_id: uuid.UUID) -> list[CustodyEntry]:
    """The item's chain of custody in time order."""
    statement = select(CustodyEntry).where(col(CustodyEntry.evidence_id) == evidence_id)
    ordered = statement.order_by(col(CustodyEntry.occurred_at), col(CustodyEntry.created_at))
    return list(session.execute(ordered).scalars())


def custody_alarms(session: Session, evidence_id: uuid.UUID) -> list[CustodyEntry]:
    """Custody steps that saw a hash other than the item's: the original may have changed."""
    evidence = get_evidence(session, evidence_id, include_deleted=True)
    return [
        entry
        for entry in custody_log(session, evidence_id)
        if entry.sha256_seen and entry.sha256_seen != evidence.sha256
    ]
