"""Checks of stored evidence files against the SHA-256 taken at intake: before every read
for a person, while the file is sent, and for the whole store (`tracker evidence verify`).

Files are sealed (tracker.domain.sealed_files): a check opens the file a segment at a time,
each segment's GCM tag checked, and hashes the plaintext. A segment that does not
authenticate (a flipped bit, a cut, segments swapped, a file moved from another item) makes
the file "changed", as a wrong hash does.

A changed or missing file is never served as if valid: the read is refused and the failure
goes into the item's custody log as an alarm, which never updates the item's hash.
"""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput, RecordNotFound, TrackerError
from tracker.domain.sealing import SealBroken
from tracker.models import CustodyEntry, Evidence, Incident
from tracker.services.evidence import FAILED_CHECK
from tracker.services.evidence_files import Handler, record_custody
from tracker.services.evidence_sealing import wrapped_key_of, wrapped_keys
from tracker.services.evidence_store import EvidenceStore, chunks, hash_stream

OK, CHANGED, MISSING = "ok", "changed", "missing"


@dataclass(frozen=True)
class FileCheck:
    """One stored file compared with the hash taken at intake."""

    evidence: Evidence
    status: str  # OK, CHANGED or MISSING
    sha256_found: str = ""  # empty when the file could not be read through
    reason: str = ""  # why a changed file could not be read through (it does not authenticate)

    @property
    def ok(self) -> bool:
        return self.status == OK


class NoStoredFile(InvalidInput):
    """An item recorded without a file (a physical object, a web address)."""


class FileCheckFailed(TrackerError):
    """A stored file changed or missing: it is never served as if valid."""

    def __init__(self, check: FileCheck) -> None:
        super().__init__(
            f"file: {check.evidence.file_name or check.evidence.id} failed its check:"
            f" the stored file is {check.status}"
        )
        self.check = check
        self.evidence_id: uuid.UUID = check.evidence.id

    def check_in(self, session: Session) -> FileCheck:
        """The check with its item loaded in another session (the first was rolled back)."""
        evidence = session.get(Evidence, self.evidence_id)
        if evidence is None:
            raise RecordNotFound(f"No evidence {self.evidence_id}.")
        return FileCheck(evidence, self.check.status, self.check.sha256_found, self.check.reason)


class FileChangedWhileSent(RuntimeError):
    """The file matched its hash when opened but not once read through: the copy being sent
    is cut short, never completed."""


# --- reading and checking ------------------------------------------------------------------


def check_file(
    store: EvidenceStore, evidence: Evidence, wrapped_key: str | None = None
) -> FileCheck:
    """The stored file opened, hashed again and compared with the hash taken at intake.
    WRAPPED_KEY: the file's data key (read from the item's session when not given)."""
    stream, check = opened(store, evidence, wrapped_key)
    if stream is None:
        return check
    stream.close()
    return check


def opened(
    store: EvidenceStore, evidence: Evidence, wrapped_key: str | None = None
) -> tuple[BinaryIO | None, FileCheck]:
    """The plaintext hashed through, and the check; the stream (at its start) only when the
    check passed. Raises WrongMasterKey and MasterKeyUnavailable: those are the instance's
    problem, not the file's."""
    key = wrapped_key if wrapped_key is not None else wrapped_key_of(evidence)
    try:
        stream = store.open_plain(evidence.storage_key, key)
    except RecordNotFound:
        return None, FileCheck(evidence, MISSING)
    except SealBroken as broken:
        return None, FileCheck(evidence, CHANGED, reason=str(broken))
    try:
        found = hash_stream(stream)
    except SealBroken as broken:
        stream.close()
        return None, FileCheck(evidence, CHANGED, reason=str(broken))
    if found != evidence.sha256:
        stream.close()
        return None, FileCheck(evidence, CHANGED, found)
    stream.seek(0)
    return stream, FileCheck(evidence, OK, found)


def open_checked(store: EvidenceStore, evidence: Evidence) -> BinaryIO:
    """The stored file's plaintext, open at its start, once its hash matches the one taken
    at intake (and every segment authenticated).

    Raises NoStoredFile, FileCheckFailed (changed or missing).
    """
    if not evidence.storage_key:
        raise NoStoredFile("file: this item was recorded without a file")
    stream, check = opened(store, evidence)
    if stream is None:
        raise FileCheckFailed(check)
    return stream


def checked_chunks(stream: BinaryIO, sha256: str) -> Iterator[bytes]:
    """The open file in chunks, hashed again on the way; the last chunk is held back until the
    hash matches, so a file changed while it is sent never arrives whole. Closes the file.

    Raises FileChangedWhileSent mid-stream when the file changed meanwhile.
    """
    digest, held = hashlib.sha256(), b""
    try:
        for chunk in unbroken_chunks(stream, sha256):
            if held:
                yield held
            digest.update(chunk)
            held = chunk
        if digest.hexdigest() != sha256:
            raise FileChangedWhileSent(f"file: the stored file {sha256} changed while being sent")
        if held:
            yield held
    finally:
        stream.close()


def unbroken_chunks(stream: BinaryIO, sha256: str) -> Iterator[bytes]:
    """The stream's chunks; a segment that stopped authenticating since the check raises
    FileChangedWhileSent."""
    try:
        yield from chunks(stream)
    except SealBroken:
        raise FileChangedWhileSent(
            f"file: the stored file {sha256} changed while being sent"
        ) from None


def record_failed_check(
    session: Session, check: FileCheck, handler: Handler, *, during: str
) -> CustodyEntry | None:
    """A custody alarm for a changed or missing file (live items only): the hash seen, or
    none for a missing file."""
    if check.ok or check.evidence.is_deleted:
        return None
    return record_custody(
        session,
        check.evidence,
        "verified",
        handler,
        sha256_seen=check.sha256_found,
        note=f"{FAILED_CHECK}: the stored file is {check.status} ({during})",
    )


# --- the whole store -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoreReport:
    """Every stored file checked, and files in the folder that no item names."""

    checks: list[FileCheck]
    incident_codes: dict[uuid.UUID, str]
    stray_files: list[str]
    partial_files: list[str]

    @property
    def problems(self) -> list[FileCheck]:
        return [check for check in self.checks if not check.ok]

    def incident_code(self, evidence: Evidence) -> str:
        return self.incident_codes.get(evidence.incident_id, "") if evidence.incident_id else ""


def verify_store(session: Session, store: EvidenceStore) -> StoreReport:
    """Hash every stored file (deleted items' too: their files are kept) and compare."""
    items = items_with_files(session)
    known = {item.storage_key for item in items}
    keys = wrapped_keys(session, known)
    return StoreReport(
        checks=[check_file(store, item, keys.get(item.storage_key, "")) for item in items],
        incident_codes=incident_codes(session, {item.incident_id for item in items}),
        stray_files=[key for key in store.stored_keys() if key not in known],
        partial_files=store.partial_files(),
    )


def items_with_files(session: Session) -> list[Evidence]:
    statement = select(Evidence).where(col(Evidence.storage_key) != "")
    ordered = statement.order_by(col(Evidence.created_at), col(Evidence.id))
    return list(session.execute(ordered).scalars())


def incident_codes(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [incident_id for incident_id in ids if incident_id is not None]
    if not wanted:
        return {}
    statement = select(col(Incident.id), col(Incident.code)).where(col(Incident.id).in_(wanted))
    return {row[0]: row[1] for row in session.execute(statement)}


def check_line(report: StoreReport, check: FileCheck) -> str:
    """One line of `tracker evidence verify`: status, evidence id, incident code, file name."""
    evidence = check.evidence
    parts = [check.status.upper().ljust(7), str(evidence.id), report.incident_code(evidence) or "-"]
    line = "  ".join([*parts, evidence.file_name or "(no name)"])
    if evidence.is_deleted:
        line += "  (deleted item)"
    if check.status == CHANGED:
        found = check.sha256_found or check.reason
        line += f"\n         expected {evidence.sha256}\n         found    {found}"
    return line
