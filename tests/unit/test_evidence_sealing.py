"""Evidence files sealed at rest: each stored file under its own data key, kept wrapped in
evidence_file_key; rotation rewraps the keys without touching the files; files stored before
sealing are sealed in place (and a crash half-way is finished on the next run); the
downgrade opens them back."""

import dataclasses
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from tests.conftest import TEST_KEYRING, TrackerRunner
from tests.evidence_samples import WITNESS_NOTE, phone_photo
from tests.factories import make_incident
from tracker.config import Settings
from tracker.domain.sealed_files import MAGIC, unwrap_data_key
from tracker.domain.sealing import Keyring, MasterKey, install_keyring
from tracker.models import Evidence
from tracker.models.sources import EvidenceFileKey
from tracker.services.evidence import add_evidence
from tracker.services.evidence_checks import CHANGED, OK, check_file, open_checked, verify_store
from tracker.services.evidence_files import FileUpload, Handler, add_evidence_file
from tracker.services.evidence_sealing import (
    open_sealed_files_in_place,
    rewrap_evidence_keys,
    seal_plain_files,
    wrapped_keys,
)
from tracker.services.evidence_store import EvidenceStore

HANDLER = Handler(name="leyla", user_id=None, origin="192.0.2.10")
NEW_MASTER = MasterKey(bytes.fromhex("e5" * 32))
FILE_CANARY = b"Vrilmoquent witness statement, unique to this file"


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", max_bytes=4 * 1024 * 1024)


def add_file(session: Session, store: EvidenceStore, data: bytes, name: str) -> list[Evidence]:
    incident = make_incident(session)
    upload = FileUpload(io.BytesIO(data), name)
    added = add_evidence_file(
        session, store, incident_id=incident.id, upload=upload, handler=HANDLER
    )
    return [added.original] + ([added.clean_copy] if added.clean_copy else [])


def plaintext(store: EvidenceStore, evidence: Evidence) -> bytes:
    """The file through the checked read, the item loaded again if its session was closed."""
    with open_checked(store, evidence) as stream:
        return stream.read()


def test_each_stored_file_is_sealed_under_its_own_wrapped_data_key(
    session: Session, store: EvidenceStore
) -> None:
    photo = phone_photo()
    items = add_file(session, store, photo, "photo.jpg")
    items += add_file(session, store, FILE_CANARY, "note.txt")
    session.commit()
    assert len(items) == 3
    keys = wrapped_keys(session, [item.storage_key for item in items])
    assert set(keys) == {item.storage_key for item in items}
    data_keys = {unwrap_data_key(TEST_KEYRING, wrapped) for wrapped in keys.values()}
    assert len(data_keys) == 3  # one key per file, the copy without metadata included
    for item in items:
        raw = (store.root / item.storage_key).read_bytes()
        assert raw.startswith(MAGIC)
        assert check_file(store, item).status == OK
    raw_folder = b"".join(path.read_bytes() for path in store.root.iterdir())
    assert FILE_CANARY not in raw_folder and photo[:64] not in raw_folder
    assert plaintext(store, items[0]) == photo
    assert plaintext(store, items[2]) == FILE_CANARY


def test_a_rolled_back_intake_leaves_neither_file_nor_key(
    session: Session, store: EvidenceStore
) -> None:
    add_file(session, store, FILE_CANARY, "note.txt")
    session.rollback()
    assert list(store.stored_keys()) == []
    assert session.execute(select(EvidenceFileKey)).all() == []


def test_a_file_moved_to_another_item_does_not_open(session: Session, store: EvidenceStore) -> None:
    [first] = add_file(session, store, b"first statement", "a.txt")
    [second] = add_file(session, store, b"second statement", "b.txt")
    session.commit()
    shutil.copy(store.root / first.storage_key, store.root / second.storage_key)
    check = check_file(store, second)
    assert check.status == CHANGED and "does not authenticate" in check.reason


def test_rewrapping_changes_only_the_wrapped_keys(
    engine: Engine, session: Session, store: EvidenceStore
) -> None:
    items = add_file(session, store, phone_photo(), "photo.jpg")
    session.commit()
    files_before = {
        item.storage_key: (store.root / item.storage_key).read_bytes() for item in items
    }
    with engine.begin() as connection:
        assert rewrap_evidence_keys(connection, TEST_KEYRING, NEW_MASTER) == 2
    session.expire_all()
    keys = wrapped_keys(session, files_before)
    assert all(wrapped.startswith(NEW_MASTER.key_id + ".") for wrapped in keys.values())
    for key, raw in files_before.items():
        assert (store.root / key).read_bytes() == raw  # the files are not touched
    install_keyring(Keyring(NEW_MASTER, TEST_KEYRING.blind_key))
    try:
        assert plaintext(store, items[0]) == phone_photo()
        assert check_file(store, items[1]).status == OK
    finally:
        install_keyring(TEST_KEYRING)


def legacy_item(session: Session, store: EvidenceStore, data: bytes) -> Evidence:
    """An item stored before files were sealed: its file in the clear, no key row."""
    import hashlib
    import secrets

    store.folder()
    key = secrets.token_hex(32)
    (store.root / key).write_bytes(data)
    incident = make_incident(session)
    item = add_evidence(
        session,
        kind="other",
        sha256=hashlib.sha256(data).hexdigest(),
        actor_id=None,
        incident_id=incident.id,
        file_name="old.txt",
        media_type="text/plain",
        size_bytes=len(data),
        storage_key=key,
    )
    session.commit()
    return item


def test_files_stored_before_sealing_are_read_then_sealed_in_place(
    engine: Engine, session: Session, store: EvidenceStore
) -> None:
    item = legacy_item(session, store, FILE_CANARY)
    assert check_file(store, item).status == OK  # read as it is until sealed
    session.close()  # the check's transaction ends before the sealing writes
    report = seal_plain_files(engine, store)
    assert report.sealed == [item.storage_key]
    assert "sealed in place" in report.lines()[0]
    raw = (store.root / item.storage_key).read_bytes()
    assert raw.startswith(MAGIC) and FILE_CANARY not in raw
    item = session.get(Evidence, item.id)  # type: ignore[assignment]
    assert plaintext(store, item) == FILE_CANARY
    assert verify_store(session, store).problems == []
    assert store.partial_files() == []
    session.rollback()
    assert seal_plain_files(engine, store).sealed == []  # once only
    audit = session.execute(
        text("SELECT changes FROM audit_entry WHERE action = 'seal'")
    ).scalar_one()
    assert "files_sealed" in str(audit)


def test_a_sealing_interrupted_after_its_commit_is_finished_with_the_recorded_key(
    engine: Engine, session: Session, store: EvidenceStore
) -> None:
    [item] = add_file(session, store, FILE_CANARY, "note.txt")
    session.commit()
    recorded = wrapped_keys(session, [item.storage_key])
    session.close()
    # The crash: the key row committed, the plaintext not yet replaced.
    (store.root / item.storage_key).write_bytes(FILE_CANARY)
    assert seal_plain_files(engine, store).sealed == [item.storage_key]
    assert wrapped_keys(session, [item.storage_key]) == recorded
    item = session.get(Evidence, item.id)  # type: ignore[assignment]
    assert plaintext(store, item) == FILE_CANARY


def test_the_downgrade_opens_sealed_files_in_place(session: Session, store: EvidenceStore) -> None:
    [item] = add_file(session, store, FILE_CANARY, "note.txt")
    session.commit()
    keys = wrapped_keys(session, [item.storage_key])
    assert open_sealed_files_in_place(store.root, TEST_KEYRING, keys) == 1
    assert (store.root / item.storage_key).read_bytes() == FILE_CANARY
    assert open_sealed_files_in_place(store.root, TEST_KEYRING, keys) == 0


def test_evidence_keys_never_enter_the_audit_log(session: Session, store: EvidenceStore) -> None:
    items = add_file(session, store, phone_photo(), "photo.jpg")
    session.commit()
    keys = wrapped_keys(session, [item.storage_key for item in items])
    changes = session.execute(text("SELECT changes FROM audit_entry")).scalars().all()
    dumped = repr(changes)
    for wrapped in keys.values():
        assert wrapped.split(".")[1] not in dumped


# --- the command line, on every engine ------------------------------------------------------


@pytest.fixture
def own_key(settings: Settings, tmp_path: Path, master_key_file: Path) -> Settings:
    copy = tmp_path / "keys" / "master.key"
    copy.parent.mkdir()
    shutil.copy(master_key_file, copy)
    copy.chmod(0o600)
    return dataclasses.replace(settings, master_key_file=str(copy))


def test_after_keys_rotate_files_verify_and_export_byte_identical(
    own_key: Settings, session: Session, tmp_path: Path
) -> None:
    incident = make_incident(session)
    session.commit()
    photo, note = tmp_path / "IMG_0001.jpg", tmp_path / "note.txt"
    photo.write_bytes(phone_photo())
    note.write_bytes(WITNESS_NOTE)
    cli = TrackerRunner(own_key)
    for path in (photo, note):
        assert cli.invoke("evidence", "add", incident.code, str(path)).exit_code == 0
    store_root = own_key.resolved_evidence_path
    raw_before = {path.name: path.read_bytes() for path in store_root.iterdir()}
    try:
        rotated = cli.invoke("keys", "rotate")
        assert rotated.exit_code == 0, rotated.output
        raw_after = {path.name: path.read_bytes() for path in store_root.iterdir()}
        assert raw_after == raw_before  # no file rewritten, none opened to disk
        verified = cli.invoke("evidence", "verify")
        assert verified.exit_code == 0, verified.output
        assert "All 3 stored files match their SHA-256." in verified.output
        ids = session.execute(
            select(col(Evidence.id), col(Evidence.file_name)).where(
                col(Evidence.derived_from_id).is_(None)
            )
        ).all()
        session.rollback()
        for evidence_id, file_name in ids:
            exported = cli.invoke("evidence", "export", str(evidence_id))
            assert exported.exit_code == 0, exported.output
            written = Path(exported.output.splitlines()[0].removeprefix("Wrote "))
            source = photo if file_name == photo.name else note
            assert written.read_bytes() == source.read_bytes()
        # The old key file opens none of the files any more.
        old = Path(own_key.master_key_file).with_name("master.key.old")
        stale = TrackerRunner(dataclasses.replace(own_key, master_key_file=str(old)))
        assert stale.invoke("evidence", "verify").exit_code == 1
    finally:
        install_keyring(TEST_KEYRING)
