"""`tracker evidence add|list|verify|export`: files stored with their hash and custody, every
changed or missing file reported by name, exit 1 when something is wrong."""

import hashlib
import re
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tests.conftest import TrackerRunner, table_counts
from tests.evidence_samples import WINDOWS_PROGRAM, WITNESS_NOTE, gps_of, phone_photo
from tests.factories import make_incident
from tracker.config import Settings
from tracker.models import CustodyEntry, Evidence, Incident

STORED = re.compile(r"as evidence ([0-9a-f-]{36})")


@pytest.fixture
def incident(session: Session) -> Incident:
    incident = make_incident(session, title="Raid on a club")
    session.commit()
    return incident


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(phone_photo())
    return path


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "witness note.txt"
    path.write_bytes(WITNESS_NOTE)
    return path


def add(cli: TrackerRunner, incident: Incident, path: Path, *options: str) -> uuid.UUID:
    result = cli.invoke("evidence", "add", incident.code, str(path), *options)
    assert result.exit_code == 0, result.output
    match = STORED.search(result.output)
    assert match, result.output
    return uuid.UUID(match.group(1))


def evidence_rows(engine: Engine) -> list[Evidence]:
    with Session(engine) as session:
        return list(session.execute(select(Evidence).order_by(col(Evidence.created_at))).scalars())


def store_path(settings: Settings, evidence: Evidence) -> Path:
    return settings.resolved_evidence_path / evidence.storage_key


def stored_plaintext(engine: Engine, settings: Settings, evidence: Evidence) -> bytes:
    """The stored file opened with its data key (the store holds it sealed)."""
    from tracker.services.evidence_sealing import wrapped_keys
    from tracker.services.evidence_store import EvidenceStore

    with Session(engine) as session:
        wrapped = wrapped_keys(session, [evidence.storage_key])[evidence.storage_key]
    store = EvidenceStore(settings.resolved_evidence_path, max_bytes=settings.evidence_max_bytes)
    with store.open_plain(evidence.storage_key, wrapped) as stream:
        return stream.read()


def test_add_stores_the_file_with_its_hash_a_clean_copy_and_custody(
    cli: TrackerRunner, engine: Engine, settings: Settings, incident: Incident, photo: Path
) -> None:
    result = cli.invoke("evidence", "add", str(incident.id), str(photo), "--title", "Door")
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in result.output
    assert "Copy without metadata" in result.output
    original, copy = evidence_rows(engine)
    assert (original.title, original.sha256, original.incident_id) == ("Door", digest, incident.id)
    assert photo.read_bytes()[:64] not in store_path(settings, original).read_bytes()  # sealed
    assert stored_plaintext(engine, settings, original) == photo.read_bytes()
    assert gps_of(stored_plaintext(engine, settings, copy)) == {}
    with Session(engine) as session:
        entry = session.execute(
            select(CustodyEntry).where(col(CustodyEntry.evidence_id) == original.id)
        ).scalar_one()
    assert entry.action == "received"
    assert entry.origin == f"cli@{socket.gethostname()}"
    assert entry.actor


def test_add_refuses_what_is_not_evidence_and_changes_nothing(
    cli: TrackerRunner, engine: Engine, settings: Settings, incident: Incident, tmp_path: Path
) -> None:
    program = tmp_path / "holiday.jpg"
    program.write_bytes(WINDOWS_PROGRAM)
    before = table_counts(engine)
    result = cli.invoke("evidence", "add", incident.code, str(program))
    assert result.exit_code == 1
    assert "application/x-msdownload" in result.output
    missing = cli.invoke("evidence", "add", "I-1999-999", str(program))
    assert missing.exit_code == 1 and "no incident with the code I-1999-999" in missing.output
    assert table_counts(engine) == before
    folder = settings.resolved_evidence_path
    assert not folder.exists() or list(folder.iterdir()) == []


def test_add_refuses_a_file_above_the_limit(
    engine: Engine, settings: Settings, incident: Incident, tmp_path: Path
) -> None:
    import dataclasses

    small = TrackerRunner(dataclasses.replace(settings, evidence_max_bytes=10))
    big = tmp_path / "big.txt"
    big.write_bytes(b"eleven char")
    before = table_counts(engine)
    result = small.invoke("evidence", "add", incident.code, str(big))
    assert result.exit_code == 1
    assert "larger than the limit of 10 bytes" in result.output
    assert table_counts(engine) == before


def test_list_shows_each_item_with_its_hash(
    cli: TrackerRunner, incident: Incident, photo: Path, note: Path
) -> None:
    photo_id, note_id = add(cli, incident, photo), add(cli, incident, note)
    result = cli.invoke("evidence", "list", incident.code)
    assert result.exit_code == 0
    assert str(photo_id) in result.output and str(note_id) in result.output
    assert "witness note.txt" in result.output
    assert "IMG_0001-without-metadata.jpg  (copy without metadata)" in result.output


def test_verify_reports_every_changed_and_missing_file_by_name(
    cli: TrackerRunner,
    engine: Engine,
    settings: Settings,
    incident: Incident,
    photo: Path,
    note: Path,
) -> None:
    add(cli, incident, photo)
    add(cli, incident, note)
    clean = cli.invoke("evidence", "verify")
    assert clean.exit_code == 0, clean.output
    assert "All 3 stored files match their SHA-256." in clean.output
    original, copy, text = evidence_rows(engine)
    path = store_path(settings, original)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))
    store_path(settings, text).unlink()
    result = cli.invoke("evidence", "verify")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"CHANGED  {original.id}  {incident.code}  IMG_0001.jpg" in lines
    assert f"OK       {copy.id}  {incident.code}  IMG_0001-without-metadata.jpg" in lines
    assert f"MISSING  {text.id}  {incident.code}  witness note.txt" in lines
    assert f"         expected {original.sha256}" in lines
    assert "2 of 3 stored files changed or missing" in result.output
    with Session(engine) as session:
        alarms = session.execute(
            select(CustodyEntry).where(col(CustodyEntry.action) == "verified")
        ).scalars()
        assert sorted(entry.evidence_id for entry in alarms) == sorted([original.id, text.id])


def test_export_writes_the_file_the_level_may_take(
    cli: TrackerRunner,
    engine: Engine,
    settings: Settings,
    incident: Incident,
    photo: Path,
    note: Path,
) -> None:
    photo_id, note_id = add(cli, incident, photo), add(cli, incident, note)
    legal = cli.invoke("evidence", "export", str(photo_id))
    assert legal.exit_code == 0, legal.output
    written = Path(legal.output.splitlines()[0].removeprefix("Wrote "))
    assert written.parent == settings.exports_path.resolve()
    assert written.read_bytes() == photo.read_bytes()
    assert written.stat().st_mode & 0o777 == 0o600
    partner = cli.invoke("evidence", "export", str(photo_id), "--level", "partner")
    assert partner.exit_code == 0, partner.output
    partner_file = Path(partner.output.splitlines()[0].removeprefix("Wrote "))
    assert gps_of(partner_file.read_bytes()) == {}
    refused = cli.invoke("evidence", "export", str(note_id), "--level", "public")
    assert refused.exit_code == 1
    assert "do not leave at the public level" in refused.output
    outside = cli.invoke("evidence", "export", str(note_id), "-o", "/tmp/x.txt")
    assert outside.exit_code == 1 and "outside the exports folder" in outside.output
    with Session(engine) as session:
        exported = session.execute(
            select(CustodyEntry).where(col(CustodyEntry.action) == "exported")
        ).scalars()
        notes = sorted(entry.note for entry in exported)
    assert len(notes) == 2
    assert any("legal level" in text for text in notes)
    assert any("partner level" in text for text in notes)


def test_export_refuses_a_changed_file_and_records_it(
    cli: TrackerRunner, engine: Engine, settings: Settings, incident: Incident, note: Path
) -> None:
    note_id = add(cli, incident, note)
    [text] = evidence_rows(engine)
    store_path(settings, text).write_bytes(b"rewritten")
    result = cli.invoke("evidence", "export", str(note_id))
    assert result.exit_code == 1
    assert "failed its check: the stored file is changed" in result.output
    assert not settings.exports_path.exists() or list(settings.exports_path.iterdir()) == []
    with Session(engine) as session:
        actions = session.execute(
            select(col(CustodyEntry.action)).where(col(CustodyEntry.evidence_id) == note_id)
        ).scalars()
        assert sorted(actions) == ["received", "verified"]
