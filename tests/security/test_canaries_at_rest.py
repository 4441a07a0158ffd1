"""Canaries at rest: after a person with a unique name (also an alias, a contact and an
address), an incident with a unique word in its narrative and an evidence file with unique
content are recorded, the raw bytes of the SQLite database and its -wal and -shm files, the
evidence folder, the logs, a backup and every partner or public export hold neither the name,
nor the file's content, nor (in those exports) the narrative word; on PostgreSQL, `pg_dump`
shows neither the name nor the file's content. SQLite runs with database_encryption = "off",
so the field encryption is proven on its own (SQLCipher would hide everything anyway)."""

import dataclasses
import io
import logging
import shutil
import subprocess
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session

from tests.conftest import POSTGRES_URL, TrackerRunner
from tests.factories import ACTOR_ID, make_case, make_incident, make_involvement, make_person
from tracker.config import Settings
from tracker.db import make_engine
from tracker.migrations import upgrade_database
from tracker.models import AuditEntry, Person, PersonName, SearchEntry
from tracker.services.cases import add_incident_to_case
from tracker.services.evidence_files import FileUpload, Handler, add_evidence_file
from tracker.services.evidence_store import EvidenceStore
from tracker.services.people import add_person_name, find_people_by_name
from tracker.services.record_pages import search_people
from tracker.services.restrictions import Viewer
from tracker.services.search import search_records

NAME = "Zyqvornet Plimbadze"
ALIAS = "Kwoxilbeth Zyqvornet"
CONTACT = "+994 50 Xylocarp 77"
ADDRESS = "Quorndyke street 12, Baku"
NARRATIVE_WORD = "Blorptastique"
# In the clear on purpose: the scan must find it where nothing is encrypted.
TITLE_CONTROL = "Controlwordtitle"
NAME_CANARIES = ("Zyqvornet", "Plimbadze", "Kwoxilbeth", "Xylocarp", "Quorndyke")
# An evidence file's content: a witness statement no other byte of the instance holds.
FILE_CANARY = "Gnarfelwistrum"
FILE_CONTENT = f"Statement of a witness: the officer's badge said {FILE_CANARY} 4471.\n" * 40
ADMIN = Viewer(user_id=uuid.uuid4(), roles=frozenset({"admin"}))
PG_DUMP_CANDIDATES = ("/usr/bin/pg_dump", "/usr/lib/postgresql/15/bin/pg_dump")


def forms_of(word: str) -> list[bytes]:
    """The word as typed, lower- and upper-case, in UTF-8 and UTF-16 (both byte orders)."""
    texts = {word, word.lower(), word.upper()}
    return [t.encode(encoding) for t in texts for encoding in ("utf-8", "utf-16-le", "utf-16-be")]


def holds(data: bytes, word: str) -> bool:
    return any(form in data for form in forms_of(word))


def files_under(*roots: Path) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (path for path in root.rglob("*") if path.is_file())


def record_canaries(session: Session) -> Person:
    person = make_person(session, real_name=NAME)
    add_person_name(session, person_id=person.id, text=ALIAS, actor_id=ACTOR_ID)
    add_person_name(session, person_id=person.id, text=NAME, actor_id=ACTOR_ID)
    from tracker.services.people import update_person

    person = update_person(
        session,
        person_id=person.id,
        expected_version=person.version,
        changes={"contact_info": CONTACT, "exact_address": ADDRESS},
        actor_id=ACTOR_ID,
    )
    incident = make_incident(
        session,
        title=f"Raid {TITLE_CONTROL}",
        narrative=f"Officers said {NARRATIVE_WORD} twice at the door.",
        start_text="8 March 2023",
    )
    make_involvement(session, incident_id=incident.id, person_id=person.id)
    case = make_case(session, title="Case of the raid")
    add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    session.commit()
    return person


@pytest.fixture
def plain_settings(tmp_path: Path, master_key_file: Path) -> Settings:
    """An instance whose SQLite database is NOT encrypted by SQLCipher."""
    return Settings(
        instance_path=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'instance' / 'tracker.db'}",
        exports_path=tmp_path / "exports",
        secret_key="test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        database_encryption="off",
        master_key_file=str(master_key_file),
    )


def export_partner_and_public(cli: TrackerRunner, person_code: str, case_code: str) -> None:
    for level in ("partner", "public"):
        for arguments in (
            ("report", "timeline", "--person", person_code, "--level", level),
            ("report", "dossier", case_code, "--level", level),
            ("report", "annual", "--year", "2023", "--level", level),
        ):
            result = cli.invoke(*arguments)
            assert result.exit_code == 0, result.output


def test_no_name_in_the_database_search_index_logs_backup_or_exports(
    plain_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cli = TrackerRunner(plain_settings)
    assert cli.invoke("init").exit_code == 0
    engine = make_engine(plain_settings.resolved_database_url)
    # Automatic checkpoints off: the new pages stay in the -wal file, which is scanned too.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
        connection.commit()
        with Session(bind=connection) as session:
            person = record_canaries(session)
            case_code = session.execute(text("SELECT code FROM case_file")).scalar_one()
            database = plain_settings.sqlite_database_path
            assert database is not None
            raw = b"".join(
                path.read_bytes()
                for path in (
                    database,
                    *(database.with_name(database.name + e) for e in ("-wal", "-shm")),
                )
                if path.exists()
            )
            assert holds(raw, TITLE_CONTROL)  # the scan sees what is not sealed
            for canary in NAME_CANARIES:
                assert not holds(raw, canary), canary
            # Exact names still find the person: the services, the person list, the search.
            assert find_people_by_name(session, "zyqvornet plimbadze") == [person]
            assert find_people_by_name(session, ALIAS.upper()) == [person]
            assert find_people_by_name(session, "Zyqvornet") == []  # exact match only
            assert [p.id for p in search_people(session, viewer=ADMIN, text=ALIAS).items] == [
                person.id
            ]
            hits = search_records(session, ADMIN, query=NAME).hits
            assert [hit.record.id for hit in hits] == [person.id]
            stored = session.execute(select(SearchEntry.folded)).scalars().all()
            assert not any("zyqvornet" in words for words in stored)
    engine.dispose()
    statement = tmp_path / "statement.txt"
    statement.write_text(FILE_CONTENT, encoding="utf-8")
    incident_code = incident_code_of(plain_settings)
    added = cli.invoke("evidence", "add", incident_code, str(statement))
    assert added.exit_code == 0, added.output
    evidence_folder = plain_settings.resolved_evidence_path
    assert len(list(evidence_folder.iterdir())) == 1
    for path in files_under(evidence_folder, *database_files(plain_settings)):
        assert not holds(path.read_bytes(), FILE_CANARY), path.name
    verified = cli.invoke("evidence", "verify")
    assert verified.exit_code == 0, verified.output  # sealed, and still checked whole
    backup = tmp_path / "canary.backup"
    assert cli.invoke("backup", "-o", str(backup)).exit_code == 0
    export_partner_and_public(cli, person.pseudonym_code, case_code)
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for canary in NAME_CANARIES:
        assert canary.lower() not in logs.lower()
    scanned = list(
        files_under(
            plain_settings.exports_path, backup, plain_settings.instance_path / "tracker.log"
        )
    )
    assert any(path.suffix == ".pdf" for path in scanned)
    for path in scanned:
        data = path.read_bytes()
        for canary in (*NAME_CANARIES, NARRATIVE_WORD, FILE_CANARY):
            assert not holds(data, canary), (path.name, canary)
    for path in plain_settings.exports_path.rglob("*.pdf"):
        pdf_text = pdf_words(path)
        for canary in (*NAME_CANARIES, NARRATIVE_WORD, FILE_CANARY):
            assert canary.lower() not in pdf_text.lower(), (path.name, canary)


def incident_code_of(settings: Settings) -> str:
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT code FROM incident")).scalar_one())
    finally:
        engine.dispose()


def database_files(settings: Settings) -> list[Path]:
    database = settings.sqlite_database_path
    assert database is not None
    return [database, *(database.with_name(database.name + e) for e in ("-wal", "-shm"))]


def pdf_words(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_the_audit_log_holds_sealed_identity_values(session: Session) -> None:
    person = record_canaries(session)
    entries = (
        session.execute(
            select(AuditEntry).where(AuditEntry.table_name.in_(["person", "person_name"]))
        )
        .scalars()
        .all()
    )
    dumped = repr([entry.changes for entry in entries])
    for canary in NAME_CANARIES:
        assert canary not in dumped
    created = next(e for e in entries if e.record_id == person.id and e.action == "create")
    assert created.changes["real_name"][1].startswith("sealed.v1.")


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL is not configured")
def test_pg_dump_shows_no_name(tmp_path: Path) -> None:
    url = POSTGRES_URL
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(engine)
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1024 * 1024)
    try:
        with Session(engine) as session:
            record_canaries(session)
            incident_id = session.execute(text("SELECT id FROM incident")).scalar_one()
            upload = FileUpload(io.BytesIO(FILE_CONTENT.encode()), "statement.txt")
            handler = Handler(name="leyla", user_id=None, origin="192.0.2.10")
            add_evidence_file(
                session, store, incident_id=incident_id, upload=upload, handler=handler
            )
            session.commit()
        dump = run_pg_dump(url)
    finally:
        engine.dispose()
    assert holds(dump, NARRATIVE_WORD)  # no SQLCipher here: the narrative is in the clear
    assert b"evidence_file_key" in dump  # the wrapped data key is there, and useless alone
    for canary in (*NAME_CANARIES, FILE_CANARY):
        assert not holds(dump, canary), canary
    for path in files_under(store.root):
        assert not holds(path.read_bytes(), FILE_CANARY)


def run_pg_dump(url: str) -> bytes:
    program = shutil.which("pg_dump") or next(
        (candidate for candidate in PG_DUMP_CANDIDATES if Path(candidate).exists()), None
    )
    if program is None:
        pytest.skip("pg_dump is not installed")
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    completed = subprocess.run(
        [program, "--no-owner", "--dbname", plain_url], capture_output=True, check=True
    )
    return completed.stdout


def test_sealed_columns_hold_envelopes_on_every_engine(engine: Engine, session: Session) -> None:
    record_canaries(session)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT real_name, contact_info, exact_address FROM person WHERE real_name <> ''")
        ).one()
        names = connection.execute(text("SELECT text, folded FROM person_name")).all()
    assert all(value.startswith("sealed.v1.") for value in stored)
    assert all(
        name.startswith("sealed.v1.") and folded.startswith("bi1:") for name, folded in names
    )


def test_reading_without_the_master_key_is_refused(session: Session) -> None:
    from tracker.domain.sealing import MasterKeyUnavailable, install_keyring

    person = record_canaries(session)
    session.expire_all()
    install_keyring(None)
    with pytest.raises(MasterKeyUnavailable):
        session.get(Person, person.id)
    session.rollback()
    with pytest.raises(MasterKeyUnavailable):
        make_person(session, real_name="Nobody Atall")
    session.rollback()


_ = dataclasses, PersonName
