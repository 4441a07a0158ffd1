"""Evidence files' data keys in the database: recorded at intake, found again to read a file,
rewrapped by `tracker keys rotate`, and the files stored before sealing sealed in place.

Each stored file (an original and its copy without metadata alike) is sealed under its own
data key (tracker.domain.sealed_files), kept in evidence_file_key wrapped under the master
key. The row is written in the intake's transaction, so a file whose row never committed is
deleted again (tracker.services.evidence_files), and rotation rewraps the rows in the same
transaction as the identity fields: all under the new key, or all under the old.
"""

import os
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import Connection, Engine, bindparam, inspect, select, update
from sqlalchemy.orm import object_session
from sqlmodel import Session, col

from tracker.domain.sealed_files import (
    SealedReader,
    SealingWriter,
    new_data_key,
    rewrap_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from tracker.domain.sealing import Keyring, MasterKey, current_keyring
from tracker.models import Evidence
from tracker.models.sources import EvidenceFileKey
from tracker.services.evidence_store import (
    FILE_MODE,
    PARTIAL_PREFIX,
    EvidenceStore,
    StoredFile,
    chunks,
    sync_folder,
)

BATCH = 500
SEALING_RECORD_ID = uuid.uuid5(uuid.NAMESPACE_URL, "tracker:evidence_sealing")


# --- intake and reads ----------------------------------------------------------------------


def record_file_key(session: Session, stored: StoredFile) -> None:
    """Keep the new file's wrapped data key in the session's transaction."""
    session.add(EvidenceFileKey(storage_key=stored.storage_key, wrapped_key=stored.wrapped_key))


def wrapped_keys(session: Session, storage_keys: Iterable[str]) -> dict[str, str]:
    """The wrapped data keys of these files (those that have one)."""
    wanted = sorted({key for key in storage_keys if key})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        statement = select(
            col(EvidenceFileKey.storage_key), col(EvidenceFileKey.wrapped_key)
        ).where(col(EvidenceFileKey.storage_key).in_(wanted[start : start + BATCH]))
        found.update({row[0]: row[1] for row in session.execute(statement)})
    return found


def wrapped_key_of(evidence: Evidence, session: Session | None = None) -> str | None:
    """The item's file's wrapped data key, read in its own session (or SESSION)."""
    session = session or object_session(evidence)  # type: ignore[assignment]
    if session is None or not evidence.storage_key:
        return None
    return wrapped_keys(session, [evidence.storage_key]).get(evidence.storage_key)


# --- rotation -------------------------------------------------------------------------------


def rewrap_evidence_keys(connection: Connection, keyring: Keyring, new: MasterKey) -> int:
    """Every file's data key wrapped under NEW instead, in the caller's transaction (a step of
    `tracker keys rotate`); the files are not read. How many were rewrapped."""
    table = EvidenceFileKey.__table__  # type: ignore[attr-defined]
    rows = connection.execute(select(table.c.storage_key, table.c.wrapped_key)).all()
    changed = [
        {"file": storage_key, "new_key": rewrap_data_key(keyring, wrapped, new)}
        for storage_key, wrapped in rows
    ]
    for start in range(0, len(changed), BATCH):
        connection.execute(
            update(table)
            .where(table.c.storage_key == bindparam("file"))
            .values(wrapped_key=bindparam("new_key")),
            changed[start : start + BATCH],
        )
    return len(changed)


# --- files stored before sealing ------------------------------------------------------------


@dataclass(frozen=True)
class SealingReport:
    sealed: list[str]
    missing: list[str]

    def lines(self) -> list[str]:
        if not self.sealed and not self.missing:
            return []
        lines = [
            f"Evidence files sealed in place (AES-256-GCM, a data key each): {len(self.sealed)}."
        ]
        if self.missing:
            lines.append(
                f"{len(self.missing)} stored files are missing; `tracker evidence verify` names"
                " them."
            )
        return lines


def seal_plain_files(engine: Engine, store: EvidenceStore) -> SealingReport:
    """Seal in place every stored file that is still plaintext (stored before files were
    sealed, or opened again by a downgrade), one at a time.

    For each: the sealed copy is written beside it and flushed, its wrapped key committed,
    then the copy renamed over the plaintext. A crash before the commit leaves a partial
    file (`evidence verify` names it) and the plaintext; after it, the next run seals the
    file again under the recorded key. Raises MasterKeyUnavailable, WrongMasterKey.
    """
    with Session(engine) as session:
        if not inspect(session.connection()).has_table(EvidenceFileKey.__tablename__):
            return SealingReport([], [])  # a database not yet at revision 0010
        storage_keys = list(
            session.execute(
                select(col(Evidence.storage_key)).where(col(Evidence.storage_key) != "").distinct()
            ).scalars()
        )
    sealed, missing = [], []
    for storage_key in sorted(storage_keys):
        if not store.exists(storage_key):
            missing.append(storage_key)
        elif not store.is_sealed(storage_key):
            seal_one_file(engine, store, storage_key)
            sealed.append(storage_key)
    if sealed:
        record_sealing(engine, len(sealed))
    return SealingReport(sealed, missing)


def seal_one_file(engine: Engine, store: EvidenceStore, storage_key: str) -> None:
    keyring = current_keyring()
    path = store.path_of(storage_key)
    sealed_copy: Path | None = None
    try:
        with Session(engine) as session, session.begin():
            recorded = wrapped_keys(session, [storage_key]).get(storage_key)
            data_key = new_data_key() if recorded is None else unwrap_data_key(keyring, recorded)
            with path.open("rb") as plain:
                sealed_copy = write_beside(
                    path, plain, lambda target: SealingWriter(target, data_key)
                )
            if recorded is None:
                wrapped = wrap_data_key(keyring.master, data_key)
                session.add(EvidenceFileKey(storage_key=storage_key, wrapped_key=wrapped))
    except BaseException:
        if sealed_copy is not None:
            sealed_copy.unlink(missing_ok=True)
        raise
    os.replace(sealed_copy, path)
    sync_folder(path.parent)


def record_sealing(engine: Engine, count: int) -> None:
    from tracker.services.audit import add_audit_entry

    with Session(engine) as session, session.begin():
        add_audit_entry(
            session,
            actor_id=None,
            action="seal",
            table_name="evidence_file_key",
            record_id=SEALING_RECORD_ID,
            changes={"files_sealed": count},
            reason="evidence files stored before sealing, sealed in place",
        )


class FinishingWriter(Protocol):
    def write(self, data: bytes) -> int: ...

    def finish(self) -> None: ...


class PlainWriter:
    """Writes through as it is (the downgrade's plaintext copy)."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target

    def write(self, data: bytes) -> int:
        return self.target.write(data)

    def finish(self) -> None:
        return None


def write_beside(
    path: Path, source: BinaryIO, make_writer: Callable[[BinaryIO], FinishingWriter]
) -> Path:
    """SOURCE, passed through the writer MAKE_WRITER gives, into a new file beside PATH
    (mode 0600, flushed to disk); its name. Removed again on any error."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=PARTIAL_PREFIX)
    partial = Path(name)
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb") as target:
            writer = make_writer(target)
            for chunk in chunks(source):
                writer.write(chunk)
            writer.finish()
            target.flush()
            os.fsync(target.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def open_sealed_files_in_place(folder: Path, keyring: Keyring, keys: dict[str, str]) -> int:
    """The downgrade: every sealed file of KEYS written back as plaintext in place, each
    checked whole (every segment authenticated) before it replaces the sealed one. How many.
    Raises SealBroken (a damaged file: nothing replaced for it), WrongMasterKey."""
    store = EvidenceStore(folder, max_bytes=0)
    count = 0
    for storage_key, wrapped in sorted(keys.items()):
        if not store.exists(storage_key) or not store.is_sealed(storage_key):
            continue
        path = store.path_of(storage_key)
        reader = SealedReader(path.open("rb"), unwrap_data_key(keyring, wrapped))
        with reader:
            plain_copy = write_beside(path, reader, PlainWriter)  # type: ignore[arg-type]
        os.replace(plain_copy, path)
        sync_folder(folder)
        count += 1
    return count
