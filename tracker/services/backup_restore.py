"""`tracker restore`: a backup back into an empty instance, proved before and after.

Nothing is put in place until every chunk has authenticated and every file matches the
manifest: the backup is decrypted into a private staging folder in the instance folder and
checked there, so a wrong key, a damaged file or a backup from a newer tracker changes nothing.
Then the evidence files go in, then the database (files before the rows that name them, as at
intake), the restored tables are compared with the manifest, older schemas are upgraded, the
restore is audited, and the checks of `tracker check` and `tracker evidence verify` run.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlmodel import Session

from tracker.db import DatabaseUnavailable, is_sqlite, unit_of_work
from tracker.domain.backup_archive import ArchiveReader, MemberDigest
from tracker.domain.backup_format import (
    BackupDamaged,
    BackupRefused,
    BackupSecrets,
    ChunkReader,
    Header,
    PlainStream,
    open_header,
    read_header,
)
from tracker.domain.backup_manifest import (
    MANIFEST_NAME,
    Manifest,
    member_problems,
    parse_manifest,
    table_problems,
)
from tracker.domain.errors import InvalidInput
from tracker.migrations import MIGRATIONS_PATH, head_revision, upgrade_database
from tracker.services.audit import add_audit_entry
from tracker.services.backup import BACKUP_TABLE, EVIDENCE_PREFIX, POSTGRES_MEMBER, SQLITE_MEMBER
from tracker.services.backup_database import (
    EngineOpener,
    database_records,
    restore_postgres,
    restore_sqlite,
    staged_sqlite_facts,
)
from tracker.services.backup_files import (
    HashingReader,
    move_into,
    sha256_of_file,
    staging_folder,
)
from tracker.services.backup_tables import SnapshotFacts, table_digests
from tracker.services.evidence_checks import StoreReport, verify_store
from tracker.services.evidence_store import FILE_MODE, KEY_PATTERN, EvidenceStore
from tracker.services.integrity import IntegrityReport, integrity_report

MAX_MANIFEST_BYTES = 256 * 1024 * 1024
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The tables a refusal names first: what an operator recognises as the records at stake.
FIRST_NAMED = frozenset({"incident", "person", "case_file", "source", "user_account"})


class InstanceNotEmpty(InvalidInput):
    """The instance holds records or evidence files, and --force was not given."""


class NotRestorable(BackupRefused):
    """A sound backup this instance cannot take (another engine, a newer schema)."""


@dataclass(frozen=True)
class RestoreTarget:
    engine: Engine
    store: EvidenceStore
    instance_path: Path
    open_sqlite_file: EngineOpener


@dataclass(frozen=True)
class Unpacked:
    """A backup decrypted and checked: its manifest, its SHA-256, and where it was staged."""

    manifest: Manifest
    sha256: str
    folder: Path | None

    def staged(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / name

    def evidence(self) -> dict[str, Path]:
        prefix = len(EVIDENCE_PREFIX)
        return {name[prefix:]: self.staged(name) for name in self.manifest.evidence_names}


@dataclass(frozen=True)
class RestoreSummary:
    manifest: Manifest
    sha256: str
    upgraded_from: str | None
    integrity: IntegrityReport
    evidence: StoreReport


# --- reading and checking -------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedBackup:
    source: HashingReader
    header: Header
    data_key: bytes
    path: Path


@contextmanager
def opened_backup(path: Path, given: BackupSecrets) -> Iterator[OpenedBackup]:
    """The backup with its data key. Raises NotABackup, WrongBackupKey, BackupDamaged."""
    try:
        handle: BinaryIO = path.open("rb")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    with handle:
        source = HashingReader(handle)
        header = read_header(source)
        yield OpenedBackup(source, header, open_header(header, given), path)


def unpack(opened: OpenedBackup, folder: Path | None) -> Unpacked:
    """Decrypt every member (into FOLDER, when given) and check it against the manifest.

    Raises BackupDamaged.
    """
    chunks = ChunkReader(opened.source, opened.header, opened.data_key).chunks()
    reader = ArchiveReader(PlainStream(chunks))
    received: dict[str, MemberDigest] = {}
    manifest_bytes = bytearray()
    for name in reader.names():
        if name == MANIFEST_NAME:
            reader.copy_member(name, ManifestCollector(manifest_bytes))
        else:
            received[name] = unpack_member(reader, name, folder)
    manifest = parse_manifest(bytes(manifest_bytes))
    problems = member_problems(manifest, received)
    if problems:
        raise BackupDamaged(f"the backup does not match its manifest: {'; '.join(problems[:3])}")
    return Unpacked(manifest, opened.source.digest.hexdigest(), folder)


class ManifestCollector:
    """Gathers the manifest in memory, up to a bound a sound backup never reaches."""

    def __init__(self, collected: bytearray) -> None:
        self.collected = collected

    def __call__(self, piece: bytes) -> None:
        self.collected += piece
        if len(self.collected) > MAX_MANIFEST_BYTES:
            raise BackupDamaged("the backup's manifest is impossibly large")


def check_member_name(name: str) -> None:
    """Only the names a backup writes; anything else is not from the tracker."""
    evidence_key = name.removeprefix(EVIDENCE_PREFIX)
    allowed = name in (SQLITE_MEMBER, POSTGRES_MEMBER) or (
        name.startswith(EVIDENCE_PREFIX) and KEY_PATTERN.match(evidence_key) is not None
    )
    if not allowed:
        raise BackupDamaged(f"the backup holds an unexpected file: {name}")


def unpack_member(reader: ArchiveReader, name: str, folder: Path | None) -> MemberDigest:
    check_member_name(name)
    if folder is None:
        return reader.copy_member(name, lambda _piece: None)
    path = folder / name
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        return reader.copy_member(name, handle.write)


def verify_backup(path: Path, given: BackupSecrets) -> Unpacked:
    """Decrypt and check the whole backup, writing nothing anywhere."""
    with opened_backup(path, given) as opened:
        return unpack(opened, folder=None)


# --- restoring ------------------------------------------------------------------------------


def restore_backup(
    path: Path, given: BackupSecrets, target: RestoreTarget, *, force: bool = False
) -> RestoreSummary:
    """Restore the backup at PATH into TARGET.

    Raises InstanceNotEmpty (unless FORCE), NotABackup, WrongBackupKey, BackupDamaged,
    NotRestorable, DatabaseToolFailed; in each case the instance is as it was.
    """
    with opened_backup(path, given) as opened:
        if not force:
            refuse_unless_empty(target)
        with staging_folder(target.instance_path, "restore") as folder:
            unpacked = unpack(opened, folder)
            check_restorable(unpacked, target)
            put_in_place(unpacked, target, force=force)
    return finish_restore(unpacked, target, path)


def refuse_unless_empty(target: RestoreTarget) -> None:
    """Raises InstanceNotEmpty when the instance holds records or evidence files."""
    held = database_records(target.engine)
    files = list(target.store.stored_keys())
    if not held and not files:
        return
    raise InstanceNotEmpty(
        f"the instance is not empty (it holds {what_is_held(held, len(files))}): restore into"
        " a new instance, or give --force to replace everything in it"
    )


def what_is_held(held: dict[str, int], files: int) -> str:
    """`rows in incident (5), person (2) and 3 more tables; 4 evidence files`"""
    parts = []
    if held:
        names = sorted(held, key=lambda name: (name not in FIRST_NAMED, name))
        listed = [f"{name} ({held[name]})" for name in names[:4]]
        if len(held) > 4:
            listed.append(counted(len(held) - 4, "more table"))
        parts.append(f"rows in {joined(listed)}")
    if files:
        parts.append(counted(files, "evidence file"))
    return "; ".join(parts)


def joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def check_restorable(unpacked: Unpacked, target: RestoreTarget) -> None:
    """Raises NotRestorable for another engine's backup or a schema newer than the code's;
    a SQLite snapshot is compared with the manifest table by table before it is used."""
    manifest, engine = unpacked.manifest, target.engine
    if manifest.engine != engine.dialect.name:
        raise NotRestorable(
            f"this backup holds a {engine_name(manifest.engine)} database and this instance uses"
            f" {engine_name(engine.dialect.name)}: restore into an instance of the same kind"
            " (between kinds, use `tracker export json` and `tracker import json`)"
        )
    if not is_known_revision(manifest.revision):
        raise NotRestorable(
            f"this backup is from a newer tracker ({manifest.tracker_version}; database revision"
            f" {manifest.revision}, while this version knows up to {head_revision()}):"
            " restore it with that version or a newer one"
        )
    if is_sqlite(engine):
        facts = staged_snapshot_facts(unpacked, target.open_sqlite_file)
        refuse_table_problems(table_problems(manifest, facts.tables), restored=False)


def staged_snapshot_facts(unpacked: Unpacked, open_engine: EngineOpener) -> SnapshotFacts:
    """Raises NotRestorable when this instance's database key does not open the snapshot."""
    try:
        return staged_sqlite_facts(unpacked.staged(unpacked.manifest.database), open_engine)
    except DatabaseUnavailable:
        raise NotRestorable(
            "this instance's database key is missing or does not open the backup's database: it was"
            " encrypted under the key of the instance it came from; put that key in place"
            " (database_key_file, or the same passphrase) and restore again"
        ) from None


def engine_name(dialect: str) -> str:
    return ENGINE_NAMES.get(dialect, dialect)


def is_known_revision(revision: str | None) -> bool:
    if revision is None:
        return True
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def refuse_table_problems(problems: list[str], *, restored: bool) -> None:
    if not problems:
        return
    listed = "; ".join(problems[:3])
    if restored:
        raise BackupDamaged(f"the restored database differs from the backup's manifest: {listed}")
    raise BackupDamaged(f"the backup's database differs from its manifest: {listed}")


def put_in_place(unpacked: Unpacked, target: RestoreTarget, *, force: bool) -> None:
    """Evidence files first, then the database; with FORCE, then remove what the backup lacks."""
    staged = unpacked.evidence()
    placed = place_new_files(staged, target.store)
    try:
        place_database(unpacked, target)
    except BaseException:
        for key in placed:
            target.store.delete(key)
        raise
    if force:
        replace_remaining_files(unpacked, target.store)


def place_new_files(staged: dict[str, Path], store: EvidenceStore) -> list[str]:
    """Move in each file the evidence folder lacks; the keys moved."""
    folder, placed = store.folder(), []
    for key, path in staged.items():
        if not (folder / key).exists():
            move_into(path, folder / key)
            placed.append(key)
    return placed


def replace_remaining_files(unpacked: Unpacked, store: EvidenceStore) -> None:
    """After a forced restore the folder holds exactly the backup's files."""
    staged = unpacked.evidence()
    for key in store.stored_keys():
        if key not in staged:
            store.delete(key)
        elif staged[key].exists():  # a file of the same name the restore did not move in
            expected = unpacked.manifest.files[EVIDENCE_PREFIX + key].sha256
            if sha256_of_file(store.path_of(key)) != expected:
                move_into(staged[key], store.path_of(key))


def place_database(unpacked: Unpacked, target: RestoreTarget) -> None:
    manifest, engine = unpacked.manifest, target.engine
    if is_sqlite(engine):
        restore_sqlite(engine, unpacked.staged(manifest.database), target.open_sqlite_file)
        return
    restore_postgres(
        engine, unpacked.staged(manifest.database), lambda: check_restored_tables(engine, manifest)
    )


def check_restored_tables(engine: Engine, manifest: Manifest) -> None:
    """Raises BackupDamaged when the restored tables differ from the manifest's."""
    with engine.connect() as connection:
        found = table_digests(connection)
    refuse_table_problems(table_problems(manifest, found), restored=True)


def finish_restore(unpacked: Unpacked, target: RestoreTarget, path: Path) -> RestoreSummary:
    """Upgrade an older schema, audit the restore, and check everything as `tracker check`."""
    manifest = unpacked.manifest
    upgraded_from = None
    if manifest.revision != head_revision():
        upgrade_database(target.engine)
        upgraded_from = manifest.revision or "an empty database"
    with unit_of_work(target.engine) as session:
        record_restore(session, unpacked, path)
    with Session(target.engine) as session:
        integrity = integrity_report(session)
        evidence = verify_store(session, target.store)
    return RestoreSummary(manifest, unpacked.sha256, upgraded_from, integrity, evidence)


def record_restore(session: Session, unpacked: Unpacked, path: Path) -> None:
    manifest = unpacked.manifest
    add_audit_entry(
        session,
        actor_id=None,
        action="import",
        table_name=BACKUP_TABLE,
        record_id=uuid.uuid4(),
        changes={
            "sha256": unpacked.sha256,
            "backup_created_at": manifest.created_at,
            "tracker_version": manifest.tracker_version,
            "revision": manifest.revision,
            "rows": manifest.total_rows(),
            "evidence_files": len(manifest.evidence_names),
        },
        reason=f"restore of {path.name}",
    )
