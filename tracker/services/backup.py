"""`tracker backup`: a consistent snapshot of the database and of the evidence files its rows
name, with a manifest of hashes, sealed into one encrypted file (docs/security.md).

Order matters while the app serves: the database snapshot is taken first, then each file it
names is copied. Evidence files are written before their rows commit, so every file the
snapshot names exists already; files added later belong to rows the snapshot does not hold.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from tracker import __version__
from tracker.db import is_sqlite
from tracker.domain.backup_archive import ArchiveWriter, MemberDigest
from tracker.domain.backup_format import BackupSecrets, SealedWriter, new_header
from tracker.domain.backup_manifest import MANIFEST_NAME, Manifest
from tracker.domain.errors import RecordNotFound
from tracker.services.audit import add_audit_entry
from tracker.services.backup_database import EngineOpener, dump_postgres, snapshot_sqlite
from tracker.services.backup_files import check_output_path, file_written_whole, staging_folder
from tracker.services.backup_tables import SnapshotFacts
from tracker.services.evidence_store import EvidenceStore

SQLITE_MEMBER = "database/tracker.sqlite"
POSTGRES_MEMBER = "database/tracker.pgdump"
EVIDENCE_PREFIX = "evidence/"
BACKUP_TABLE = "backup"


@dataclass(frozen=True)
class BackupRequest:
    output: Path
    secrets: BackupSecrets
    instance_path: Path  # where the SQLite snapshot is staged
    created_at: datetime
    open_sqlite_file: EngineOpener
    # The database and key files: an output path naming one is refused, never replaced.
    protected_paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DatabaseSnapshot:
    facts: SnapshotFacts
    member: MemberDigest


@dataclass(frozen=True)
class BackupSummary:
    output: Path
    sha256: str
    size: int
    manifest: Manifest


def make_backup(engine: Engine, store: EvidenceStore, request: BackupRequest) -> BackupSummary:
    """Write the backup. Raises InvalidInput for a bad output path or a failed write (nothing
    is left at the output path), DatabaseToolFailed when pg_dump is missing or fails."""
    check_output_path(request.output, request.protected_paths)
    header, data_key = new_header(request.secrets)
    with file_written_whole(request.output) as output:
        sealed = SealedWriter(output, header, data_key)
        archive = ArchiveWriter(sealed)
        manifest = write_contents(archive, engine, store, request)
        archive.finish()
        sealed.finish()
    return BackupSummary(request.output, output.digest.hexdigest(), output.size, manifest)


def write_contents(
    archive: ArchiveWriter, engine: Engine, store: EvidenceStore, request: BackupRequest
) -> Manifest:
    """The database snapshot, then the files it names, then the manifest describing both."""
    snapshot = add_database(archive, engine, request)
    evidence, missing = add_evidence_files(archive, store, snapshot.facts.storage_keys)
    manifest = Manifest(
        tracker_version=__version__,
        created_at=request.created_at.isoformat(),
        engine=engine.dialect.name,
        revision=snapshot.facts.revision,
        database=snapshot.member.name,
        tables=snapshot.facts.tables,
        files={member.name: member for member in [snapshot.member, *evidence]},
        missing_evidence=missing,
    )
    archive.add_bytes(MANIFEST_NAME, manifest.to_json())
    return manifest


def add_database(
    archive: ArchiveWriter, engine: Engine, request: BackupRequest
) -> DatabaseSnapshot:
    if not is_sqlite(engine):
        return DatabaseSnapshot(*dump_postgres(engine, archive, POSTGRES_MEMBER))
    with staging_folder(request.instance_path, "backup") as folder:
        path = folder / "tracker.sqlite"
        facts = snapshot_sqlite(engine, path, request.open_sqlite_file)
        with path.open("rb") as snapshot:
            return DatabaseSnapshot(facts, archive.add(SQLITE_MEMBER, snapshot))


def add_evidence_files(
    archive: ArchiveWriter, store: EvidenceStore, storage_keys: list[str]
) -> tuple[list[MemberDigest], list[str]]:
    """Copy each stored file the snapshot names; a missing one is listed, not fatal (a backup
    without one file is better than none; `tracker evidence verify` reports it too)."""
    members, missing = [], []
    for key in storage_keys:
        try:
            handle = store.open_file(key)
        except RecordNotFound:
            missing.append(key)
            continue
        with handle:
            members.append(archive.add(EVIDENCE_PREFIX + key, handle))
    return members, missing


def record_backup(session: Session, summary: BackupSummary, *, sealed_with: str) -> None:
    """An audit entry: when a backup of everything left, and its SHA-256 to recognise it."""
    manifest = summary.manifest
    add_audit_entry(
        session,
        actor_id=None,
        action="export",
        table_name=BACKUP_TABLE,
        record_id=uuid.uuid4(),
        changes={
            "sha256": summary.sha256,
            "bytes": summary.size,
            "rows": manifest.total_rows(),
            "evidence_files": len(manifest.evidence_names),
            "missing_evidence": len(manifest.missing_evidence),
            "sealed_with": sealed_with,
        },
        reason="backup",
    )
