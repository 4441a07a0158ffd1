"""Shared by the backup tests: a populated instance, a restore target, and row fingerprints."""

import dataclasses
import hashlib
import io
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col

from tests.conftest import POSTGRES_URL, TrackerRunner, database_key_of
from tests.evidence_samples import WITNESS_NOTE, phone_photo
from tests.factories import (
    make_case,
    make_involvement,
    make_legal_action,
    make_link,
    make_person,
    make_place,
)
from tracker.config import Settings
from tracker.db import make_engine, normalise_database_url
from tracker.domain.backup_format import BackupSecrets
from tracker.domain.backup_manifest import Manifest
from tracker.models import AuditEntry, Incident
from tracker.services.backup_restore import verify_backup
from tracker.services.evidence_files import FileUpload, Handler, add_evidence_file
from tracker.services.evidence_store import EvidenceStore

HANDLER = Handler(name="tester", user_id=None, origin="cli@test")
BACKUP_KEY = "backup.key"


def engine_for(url: str) -> Engine:
    return make_engine(url, database_key=database_key_of(url))


def store_of(settings: Settings) -> EvidenceStore:
    return EvidenceStore(settings.resolved_evidence_path, max_bytes=settings.evidence_max_bytes)


def add_file(
    session: Session, store: EvidenceStore, incident: Incident, data: bytes, name: str
) -> None:
    upload = FileUpload(io.BytesIO(data), name, title=name)
    add_evidence_file(session, store, incident_id=incident.id, upload=upload, handler=HANDLER)


def populate(engine: Engine, store: EvidenceStore) -> None:
    """Records of most kinds, linked, and evidence files (a photo gets a clean copy too)."""
    with Session(engine, expire_on_commit=False) as session:
        place = make_place(session, name="Sabunçu")
        involvement = make_involvement(session)
        incident = session.get(Incident, involvement.incident_id)
        assert incident is not None
        make_link(session, from_incident_id=incident.id)
        make_legal_action(session, case_id=make_case(session).id)
        make_person(session, role_letter="W")
        add_file(session, store, incident, phone_photo(), "IMG_0001.jpg")
        add_file(session, store, incident, WITNESS_NOTE, "witness note.txt")
        assert place.id is not None
        session.commit()


def row_fingerprints(engine: Engine) -> dict[str, dict[tuple[Any, ...], str]]:
    """Every row of every model table, by primary key: a hash of all its values."""
    fingerprints: dict[str, dict[tuple[Any, ...], str]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            rows = {}
            for row in connection.execute(select(table)):
                values = row._mapping
                identity = tuple(values[column] for column in keys)
                rows[identity] = hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
            fingerprints[table.name] = rows
    return fingerprints


def restore_entries(engine: Engine) -> set[tuple[Any, ...]]:
    """The audit entries a restore adds (table "backup", action "import")."""
    statement = select(col(AuditEntry.id)).where(
        col(AuditEntry.table_name) == "backup", col(AuditEntry.action) == "import"
    )
    with Session(engine) as session:
        return {(entry_id,) for entry_id in session.execute(statement).scalars()}


def manifest_of(backup: Path, key_file: Path) -> Manifest:
    secrets = BackupSecrets(key_file_key=key_file.read_bytes())
    return verify_backup(backup, secrets).manifest


def instance_files(settings: Settings) -> dict[str, bytes]:
    """Every file under the instance folder and in the evidence folder, with its bytes."""
    found = {}
    for root in (settings.instance_path, settings.resolved_evidence_path):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    found[str(path)] = path.read_bytes()
    return found


def database_state(url: str) -> Any:
    """What a refused restore must leave as it was: the SQLite file's absence or bytes, or the
    PostgreSQL database's tables and their row counts."""
    if url.startswith("sqlite"):
        path = Path(str(make_url(url).database))
        return path.read_bytes() if path.exists() else None
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            return {
                name: connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in names
            }
    finally:
        engine.dispose()


def admin_url() -> str:
    """The test database's URL with psycopg 3 named: CI gives a bare postgresql:// URL, which
    SQLAlchemy alone would open with psycopg2."""
    return normalise_database_url(POSTGRES_URL or "")


def restore_database_name() -> str:
    return f"{make_url(admin_url()).database}_restore"


def create_restore_database() -> str:
    """A second scratch database beside the test one, for restores on PostgreSQL."""
    name = restore_database_name()
    admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if exists is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_restore_database() -> None:
    admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'DROP DATABASE IF EXISTS "{restore_database_name()}" WITH (FORCE)'
        )
    admin.dispose()


def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def target_settings_for(settings: Settings, base: Path, url: str) -> Settings:
    return dataclasses.replace(
        settings,
        instance_path=base / "restored",
        database_url=url,
        exports_path=base / "restored-exports",
    )


def backup(cli: TrackerRunner, output: Path, *options: str) -> None:
    result = cli.invoke("backup", "-o", str(output), *options)
    assert result.exit_code == 0, result.stderr
    assert output.is_file()


def stored_files(store: EvidenceStore) -> dict[str, str]:
    return {
        key: hashlib.sha256(store.path_of(key).read_bytes()).hexdigest()
        for key in store.stored_keys()
    }
