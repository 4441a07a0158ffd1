"""Evidence intake, checks and levels against the database: no file without a row, no row
without a file, and custody for every step."""

import hashlib
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.conftest import table_counts
from tests.evidence_samples import WINDOWS_PROGRAM, WITNESS_NOTE, gps_of, phone_photo
from tests.factories import make_evidence, make_incident
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import InvalidInput
from tracker.domain.evidence_files import METADATA_REMOVED, FileTooLarge, FileTypeRefused
from tracker.models import AuditEntry, CustodyEntry, Evidence
from tracker.services import evidence_files
from tracker.services.evidence import custody_alarms, custody_log, update_evidence
from tracker.services.evidence_checks import (
    CHANGED,
    MISSING,
    OK,
    FileChangedWhileSent,
    FileCheckFailed,
    check_file,
    checked_chunks,
    open_checked,
    record_failed_check,
    verify_store,
)
from tracker.services.evidence_files import (
    AddedEvidence,
    FileUpload,
    Handler,
    add_evidence_file,
    file_for_level,
)
from tracker.services.evidence_store import EvidenceStore

HANDLER = Handler(name="leyla", user_id=None, origin="192.0.2.10")


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", max_bytes=1024 * 1024)


def stored_names(store: EvidenceStore) -> list[str]:
    return sorted(path.name for path in store.root.iterdir()) if store.root.exists() else []


def add_file(
    session: Session, store: EvidenceStore, data: bytes, name: str, **values: Any
) -> AddedEvidence:
    incident_id = values.pop("incident_id", None) or make_incident(session).id
    upload = FileUpload(io.BytesIO(data), name, **values)
    return add_evidence_file(
        session, store, incident_id=incident_id, upload=upload, handler=HANDLER
    )


def read_stored(store: EvidenceStore, evidence: Evidence) -> bytes:
    from tracker.services.evidence_sealing import wrapped_key_of

    with store.open_plain(evidence.storage_key, wrapped_key_of(evidence)) as stream:
        return stream.read()


def test_a_photo_is_stored_with_its_clean_copy_hashes_and_custody(
    session: Session, store: EvidenceStore
) -> None:
    photo = phone_photo()
    added = add_file(session, store, photo, "../../IMG_0001.jpeg", title="Door of the club")
    session.commit()
    original, copy = added.original, added.clean_copy
    assert copy is not None
    assert original.file_name == "IMG_0001.jpeg"
    assert (original.media_type, original.kind, original.size_bytes) == (
        "image/jpeg",
        "photo",
        len(photo),
    )
    assert original.sha256 == hashlib.sha256(photo).hexdigest()
    assert read_stored(store, original) == photo  # the original is kept untouched
    assert gps_of(read_stored(store, copy)) == {}
    assert (copy.derived_from_id, copy.derivation) == (original.id, METADATA_REMOVED)
    assert copy.file_name == "IMG_0001-without-metadata.jpg"
    assert stored_names(store) == sorted([original.storage_key, copy.storage_key])
    [received] = custody_log(session, original.id)
    assert (received.action, received.actor, received.origin) == ("received", "leyla", "192.0.2.10")
    assert received.sha256_seen == original.sha256
    [copied] = custody_log(session, copy.id)
    assert copied.action == "copied" and str(original.id) in copied.note


def test_text_gets_no_copy_and_the_kind_can_be_chosen(
    session: Session, store: EvidenceStore
) -> None:
    added = add_file(session, store, WITNESS_NOTE, "note.txt", kind="message_export")
    assert added.clean_copy is None
    assert (added.original.media_type, added.original.kind) == ("text/plain", "message_export")


@pytest.mark.parametrize(
    "data, name, error, message",
    [
        (WINDOWS_PROGRAM, "photo.jpg", FileTypeRefused, "application/x-msdownload"),
        (b"\x00" * (1024 * 1024 + 1), "big.txt", FileTooLarge, "limit of 1 MB"),
        (phone_photo(), "photo.jpg", InvalidInput, "kind: unknown evidence kind"),
    ],
)
def test_refused_files_leave_no_file_and_no_row(
    engine: Engine,
    session: Session,
    store: EvidenceStore,
    data: bytes,
    name: str,
    error: type[Exception],
    message: str,
) -> None:
    incident = make_incident(session)
    session.commit()
    before = table_counts(engine)
    kind = "selfie" if error is InvalidInput else ""
    with pytest.raises(error, match=message):
        add_file(session, store, data, name, incident_id=incident.id, kind=kind)
    session.rollback()
    assert table_counts(engine) == before
    assert stored_names(store) == []


def test_a_database_failure_after_the_files_are_written_removes_them(
    engine: Engine, session: Session, store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = make_incident(session)
    session.commit()
    before = table_counts(engine)

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        assert len(stored_names(store)) == 2  # both files were on disk when the row failed
        raise InvalidInput("title: the database refused the row")

    monkeypatch.setattr(evidence_files, "record_clean_copy", refuse)
    with pytest.raises(InvalidInput, match="refused the row"):
        add_file(session, store, phone_photo(), "photo.jpg", incident_id=incident.id)
    session.rollback()
    assert stored_names(store) == []
    assert table_counts(engine) == before


def test_a_transaction_that_never_commits_takes_its_files_with_it(
    engine: Engine, store: EvidenceStore
) -> None:
    with Session(engine) as session:
        add_file(session, store, phone_photo(), "photo.jpg")
        assert len(stored_names(store)) == 2
        session.close()  # closed without a commit, as a crashed request
    assert stored_names(store) == []
    with Session(engine) as session:
        add_file(session, store, phone_photo(), "photo.jpg")
        session.commit()
        session.execute(select(Evidence)).all()  # a later transaction leaves them alone
        session.rollback()
    assert len(stored_names(store)) == 2


def test_checks_find_changed_and_missing_files(session: Session, store: EvidenceStore) -> None:
    added = add_file(session, store, phone_photo(), "photo.jpg")
    text = add_file(session, store, WITNESS_NOTE, "note.txt").original
    session.commit()
    original, copy = added.original, added.clean_copy
    assert copy is not None
    assert check_file(store, original).status == OK
    path = store.root / original.storage_key
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    path.write_bytes(bytes(data))
    (store.root / text.storage_key).unlink()
    report = verify_store(session, store)
    statuses = {check.evidence.id: check.status for check in report.checks}
    assert statuses == {original.id: CHANGED, copy.id: OK, text.id: MISSING}
    with pytest.raises(
        FileCheckFailed, match="photo.jpg failed its check: the stored file is changed"
    ):
        open_checked(store, original)
    with pytest.raises(FileCheckFailed, match="missing"):
        open_checked(store, text)
    for check in report.problems:
        record_failed_check(session, check, HANDLER, during="test")
    assert [entry.sha256_seen for entry in custody_alarms(session, original.id)] == [
        report.checks[0].sha256_found
    ]
    assert len(custody_alarms(session, text.id)) == 1
    assert custody_alarms(session, copy.id) == []


def test_stray_files_are_reported(session: Session, store: EvidenceStore) -> None:
    stray = store.write_file(io.BytesIO(b"left by a crash between the file and its row"))
    add_file(session, store, WITNESS_NOTE, "note.txt")
    report = verify_store(session, store)
    assert report.stray_files == [stray.storage_key]
    assert report.problems == []


def test_the_checked_stream_never_completes_a_file_changed_while_sent(
    session: Session, tmp_path: Path
) -> None:
    store = EvidenceStore(tmp_path / "large", max_bytes=4 * 1024 * 1024)
    data = b"a" * (5 * 1024 * 1024 // 2)  # three chunks
    original = add_file(session, store, data, "letters.txt").original
    stream = open_checked(store, original)
    path = store.root / original.storage_key
    path.write_bytes(b"b" * len(data))  # changed after the check, before the sending
    received = b""
    with pytest.raises(FileChangedWhileSent):
        for chunk in checked_chunks(stream, original.sha256):
            received += chunk
    # The store reads a sealed file a segment ahead, so the change is seen before the first
    # chunk leaves; never the whole file, in any case.
    assert len(received) < len(data)


def test_each_level_takes_the_file_it_may(session: Session, store: EvidenceStore) -> None:
    added = add_file(session, store, phone_photo(), "photo.jpg")
    text = add_file(session, store, WITNESS_NOTE, "note.txt").original
    bare = make_evidence(session, incident_id=added.original.incident_id)
    original, copy = added.original, added.clean_copy
    assert copy is not None
    for level in (DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL):
        assert file_for_level(session, original, level) is original
        assert file_for_level(session, text, level) is text
    for level in (DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC):
        assert file_for_level(session, original, level) == copy
        assert file_for_level(session, copy, level) is copy
        assert file_for_level(session, text, level) is None  # withheld (DOMAIN §7)
    assert file_for_level(session, bare, DisclosureLevel.INTERNAL) is None


def test_a_stored_files_type_cannot_be_retyped(session: Session, store: EvidenceStore) -> None:
    original = add_file(session, store, WITNESS_NOTE, "note.txt").original
    with pytest.raises(InvalidInput, match="media_type: a stored file's type is detected"):
        update_evidence(
            session,
            evidence_id=original.id,
            expected_version=original.version,
            changes={"media_type": "text/html"},
            actor_id=None,
        )


def test_custody_entries_are_audited(session: Session, store: EvidenceStore) -> None:
    original = add_file(session, store, WITNESS_NOTE, "note.txt").original
    [entry] = custody_log(session, original.id)
    audited = session.execute(
        select(AuditEntry).where(AuditEntry.record_id == entry.id)  # type: ignore[arg-type]
    ).scalars()
    assert [row.table_name for row in audited] == ["custody_entry"]
    assert isinstance(entry, CustodyEntry) and isinstance(entry.id, uuid.UUID)
