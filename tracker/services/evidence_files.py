"""Evidence files: intake with its hash and custody, and which file a disclosure level may take.

Intake decides the type from the content, refuses decompression bombs, stores the original
and (for images) a copy without metadata, and records both with a custody entry in the
caller's transaction. Files are stored before their rows are flushed, and deleted again when
that transaction does not commit: never a file without a row, nor a row without a file.
Each file is sealed as it is stored (`evidence_store`), and its wrapped data key recorded in
the same transaction (`evidence_sealing`); the SHA-256 is of the plaintext. Reads are checked
against it by `evidence_checks`.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, BinaryIO

from sqlalchemy import event, select
from sqlmodel import Session, col

from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import RecordNotFound
from tracker.domain.evidence_files import (
    ACCEPTED_TYPES,
    METADATA_REMOVED,
    check_size,
    default_kind,
    sanitise_file_name,
    takes_originals,
)
from tracker.models import CustodyEntry, Evidence, Incident
from tracker.models.base import utc_now
from tracker.services.evidence import add_custody_entry, add_evidence
from tracker.services.evidence_images import CleanCopy, metadata_left, write_clean_copy
from tracker.services.evidence_sealing import record_file_key
from tracker.services.evidence_store import EvidenceStore, StoredFile
from tracker.services.evidence_types import detect_media_type
from tracker.services.records import live, require_live
from tracker.services.vocabularies import require_code

STORE_HOLDER = "tracker evidence store"
# session.info key: what to undo if the session's transaction does not commit.
PENDING_UNDO = "tracker.evidence_undo"


@dataclass(frozen=True)
class Handler:
    """Who handles a file, and from where: what each custody entry records."""

    name: str  # an account's username, or the operating-system user at the command line
    user_id: uuid.UUID | None
    origin: str  # the client's address, or cli@<host>


@dataclass(frozen=True)
class FileUpload:
    """A file as received: its bytes (seekable), the name it came with, what the user said."""

    stream: BinaryIO
    file_name: str
    title: str = ""
    kind: str = ""  # empty: from the file's type
    description: str = ""


@dataclass(frozen=True)
class AddedEvidence:
    original: Evidence
    clean_copy: Evidence | None  # images only: the copy partner and public outputs use


# --- intake --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """What the original and its copy share."""

    incident_id: uuid.UUID
    kind: str
    file_name: str
    media_type: str
    upload: FileUpload
    handler: Handler


def add_evidence_file(
    session: Session,
    store: EvidenceStore,
    *,
    incident_id: uuid.UUID,
    upload: FileUpload,
    handler: Handler,
) -> AddedEvidence:
    """Store a file for an incident, with a copy without metadata for images.

    Raises FileTooLarge, FileTypeRefused, InvalidInput naming the field (a bomb or an
    unreadable image, an unknown kind, a missing incident). Nothing is stored when it raises,
    and the files go again if the caller's transaction does not commit.
    """
    file_name = sanitise_file_name(upload.file_name)
    require_live(session, Incident, incident_id, "incident_id")
    check_size(stream_size(upload.stream), store.max_bytes)
    media_type = detect_media_type(upload.stream, file_name)
    kind = upload.kind or default_kind(media_type)
    require_code(session, "evidence_kind", kind, "kind")
    intake = Intake(incident_id, kind, file_name, media_type, upload, handler)
    with store.spool_file() as spool:
        copy = clean_copy(upload.stream, media_type, spool)
        stored = keep_file(session, store, upload.stream)
        stored_copy = keep_file(session, store, spool) if copy is not None else None
    original = record_original(session, intake, stored)
    if copy is None or stored_copy is None:
        return AddedEvidence(original, None)
    return AddedEvidence(original, record_clean_copy(session, intake, original, copy, stored_copy))


def stream_size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def clean_copy(source: BinaryIO, media_type: str, spool: BinaryIO) -> CleanCopy | None:
    """For images Pillow can read: the copy without metadata, written to spool."""
    if not ACCEPTED_TYPES[media_type].strippable:
        return None
    copy = write_clean_copy(source, media_type, spool)
    left = metadata_left(spool)
    if left:  # a Pillow change must never let a GPS position slip through
        raise RuntimeError(f"the copy without metadata still holds {', '.join(left)}")
    return copy


def keep_file(session: Session, store: EvidenceStore, stream: BinaryIO) -> StoredFile:
    stream.seek(0)
    stored = store.write_file(stream)
    unless_committed(session, lambda: store.delete(stored.storage_key))
    record_file_key(session, stored)
    return stored


def unless_committed(session: Session, undo: Callable[[], None]) -> None:
    """Run undo (delete a file just written) when the session's current transaction ends
    without a commit: a rollback, an error, a session closed before committing."""
    session.get_transaction() or session.begin()
    pending: list[Callable[[], None]] | None = session.info.get(PENDING_UNDO)
    if pending is None:
        pending = session.info[PENDING_UNDO] = []
        event.listen(session, "after_commit", forget_undo)
        event.listen(session, "after_transaction_end", run_undo)
    pending.append(undo)


def forget_undo(session: Session) -> None:
    """after_commit (the outermost transaction only): what was written stays."""
    session.info[PENDING_UNDO].clear()


def run_undo(session: Session, transaction: Any) -> None:
    """after_transaction_end: the outermost transaction ended; if it did not commit, undo."""
    if transaction.parent is not None:
        return
    pending: list[Callable[[], None]] = session.info[PENDING_UNDO]
    while pending:
        pending.pop()()


def record_original(session: Session, intake: Intake, stored: StoredFile) -> Evidence:
    evidence = add_evidence(
        session,
        kind=intake.kind,
        sha256=stored.sha256,
        actor_id=intake.handler.user_id,
        incident_id=intake.incident_id,
        title=intake.upload.title.strip(),
        file_name=intake.file_name,
        media_type=intake.media_type,
        size_bytes=stored.size_bytes,
        collected_by=intake.handler.name,
        collected_at=utc_now(),
        description=intake.upload.description.strip(),
        storage_key=stored.storage_key,
    )
    note = "received as a file; SHA-256 computed by the tracker on arrival"
    record_custody(
        session, evidence, "received", intake.handler, sha256_seen=stored.sha256, note=note
    )
    return evidence


def record_clean_copy(
    session: Session, intake: Intake, original: Evidence, copy: CleanCopy, stored: StoredFile
) -> Evidence:
    evidence = add_evidence(
        session,
        kind=intake.kind,
        sha256=stored.sha256,
        actor_id=intake.handler.user_id,
        incident_id=intake.incident_id,
        title=original.title,
        file_name=copy_file_name(intake.file_name, copy.suffix),
        media_type=copy.media_type,
        size_bytes=stored.size_bytes,
        collected_by=intake.handler.name,
        collected_at=original.collected_at,
        derived_from_id=original.id,
        storage_key=stored.storage_key,
        derivation=METADATA_REMOVED,
    )
    note = (
        f"made by the tracker from {original.id}: the pixels only, without EXIF, GPS, XMP,"
        " ICC profile or comments"
    )
    record_custody(
        session, evidence, "copied", intake.handler, sha256_seen=stored.sha256, note=note
    )
    return evidence


def copy_file_name(file_name: str, suffix: str) -> str:
    """photo.jpeg → photo-without-metadata.jpg"""
    return sanitise_file_name(f"{PurePath(file_name).stem}-without-metadata{suffix}")


def record_custody(
    session: Session,
    evidence: Evidence,
    action: str,
    handler: Handler,
    *,
    sha256_seen: str = "",
    note: str = "",
    holders: str = STORE_HOLDER,
) -> CustodyEntry:
    """One custody entry: who, when (now), what, from where. Raises InvalidInput."""
    return add_custody_entry(
        session,
        evidence_id=evidence.id,
        action=action,
        actor=handler.name,
        actor_id=handler.user_id,
        holders=holders,
        sha256_seen=sha256_seen,
        note=note,
        origin=handler.origin,
    )


# --- which file leaves at a level ----------------------------------------------------------


def file_for_level(session: Session, evidence: Evidence, level: DisclosureLevel) -> Evidence | None:
    """The item whose file may leave at this level: the original at internal and legal; at
    partner and public only an image's copy without metadata (DOMAIN §7 withholds every
    other file there). None when no file may leave or none is held."""
    if evidence.derivation == METADATA_REMOVED or takes_originals(level):
        chosen: Evidence | None = evidence
    else:
        chosen = clean_copy_of(session, evidence.id)
    return chosen if chosen is not None and chosen.storage_key else None


def clean_copy_of(session: Session, evidence_id: uuid.UUID) -> Evidence | None:
    """The live copy without metadata the tracker made of this item, if any."""
    statement = live(select(Evidence), Evidence).where(
        col(Evidence.derived_from_id) == evidence_id,
        col(Evidence.derivation) == METADATA_REMOVED,
    )
    copy: Evidence | None = session.execute(statement.limit(1)).scalar()
    return copy


# --- the command line ----------------------------------------------------------------------


def find_incident_id(session: Session, text: str) -> uuid.UUID:
    """The id of the live incident with this id or code. Raises RecordNotFound."""
    try:
        incident_id = uuid.UUID(text.strip())
    except ValueError:
        statement = live(select(col(Incident.id)), Incident).where(
            col(Incident.code) == text.strip()
        )
        found: uuid.UUID | None = session.execute(statement).scalar()
        if found is None:
            raise RecordNotFound(f"incident: no incident with the code {text.strip()}") from None
        return found
    require_live(session, Incident, incident_id, "incident")
    return incident_id
