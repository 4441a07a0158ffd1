"""What an evidence page shows: the item, its incident, its original or copy, and custody."""

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from tracker.domain.errors import RecordNotFound
from tracker.models import CustodyEntry, Evidence, Incident
from tracker.services.evidence import custody_log, get_evidence, is_alarm
from tracker.services.evidence_files import clean_copy_of
from tracker.services.restrictions import Viewer, get_visible_record


@dataclass(frozen=True)
class EvidencePage:
    evidence: Evidence
    incident: Incident | None
    original: Evidence | None  # what a derived item was made from
    clean_copy: Evidence | None  # the copy without metadata made of this item
    custody: list[CustodyEntry]
    alarm_ids: frozenset[uuid.UUID]  # custody entries that saw a changed or missing file


def visible_evidence(
    session: Session, viewer: Viewer, evidence_id: uuid.UUID, *, include_deleted: bool = False
) -> Evidence:
    """The item, if the viewer may see its incident.

    Raises RecordNotFound both when it does not exist and when its incident is hidden.
    """
    evidence = get_evidence(session, evidence_id, include_deleted=include_deleted)
    if evidence.incident_id is not None:
        get_visible_record(
            session, viewer, Incident, evidence.incident_id, include_deleted=include_deleted
        )
    elif not viewer.sees_every_record:
        raise RecordNotFound(f"No evidence {evidence_id}.")
    return evidence


def gather_evidence_page(session: Session, viewer: Viewer, evidence: Evidence) -> EvidencePage:
    custody = custody_log(session, evidence.id)
    return EvidencePage(
        evidence=evidence,
        incident=session.get(Incident, evidence.incident_id) if evidence.incident_id else None,
        original=original_of(session, evidence),
        clean_copy=clean_copy_of(session, evidence.id),
        custody=custody,
        alarm_ids=frozenset(entry.id for entry in custody if is_alarm(entry, evidence)),
    )


def original_of(session: Session, evidence: Evidence) -> Evidence | None:
    if evidence.derived_from_id is None:
        return None
    original: Evidence | None = session.get(Evidence, evidence.derived_from_id)
    return original
