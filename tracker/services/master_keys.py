"""The master key file, the check that a database is opened with its own master key, and
`tracker keys rotate`.

The file (default instance/master.key, mode 0600, written by `tracker init`) is JSON holding
the 32-byte master key, which wraps every sealed value's data key, and the 32-byte blind-index
key (HMAC of names). It is read once per process and kept in memory, so the separate media
holding it may be removed once the app runs. Its key ids (hashes) are stored in the database
(master_key_check), so another key file is refused by name before anything is read or written.
"""

import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    column,
    inspect,
    select,
    table,
    update,
)
from sqlmodel import Session, SQLModel

from tracker.config import Settings
from tracker.db import reading
from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import (
    KEY_BYTES,
    Keyring,
    MasterKey,
    MasterKeyUnavailable,
    WrongMasterKey,
    holds_sealed,
    install_keyring,
    is_sealed,
    parse_envelope,
    rewrap,
    rewrap_sealed,
)
from tracker.models.sealed import MasterKeyCheck, sealed_columns
from tracker.services.database_keys import check_key_file_permissions, write_private_file

KEY_FILE_FORMAT = "tracker-master-key"
KEY_FILE_VERSION = 1
NEW_SUFFIX = ".new"
OLD_SUFFIX = ".old"
BATCH = 500
# The audit log names the rotation under one fixed record id.
ROTATION_RECORD_ID = uuid.uuid5(uuid.NAMESPACE_URL, "tracker:master_key")


# --- the key file --------------------------------------------------------------------------


def new_keyring(blind_key: bytes | None = None) -> Keyring:
    """A random master key (and blind-index key, unless kept from an older keyring)."""
    blind = blind_key if blind_key is not None else secrets.token_bytes(KEY_BYTES)
    return Keyring(MasterKey(secrets.token_bytes(KEY_BYTES)), blind)


def key_file_text(keyring: Keyring) -> str:
    return (
        json.dumps(
            {
                "format": KEY_FILE_FORMAT,
                "version": KEY_FILE_VERSION,
                "key_id": keyring.key_id,
                "master_key": keyring.master.key.hex(),
                "blind_index_key": keyring.blind_key.hex(),
            },
            indent=2,
        )
        + "\n"
    )


def write_key_file(path: Path, keyring: Keyring) -> None:
    """A new key file (mode 0600, never replacing one); raises InvalidInput if it exists."""
    try:
        write_private_file(path, key_file_text(keyring))
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; it was not replaced") from None


def generate_key_file(path: Path) -> Keyring:
    keyring = new_keyring()
    write_key_file(path, keyring)
    return keyring


def missing_key_message(path: Path) -> str:
    return (
        f"no master key file at {path}: identity fields and evidence files are sealed under it,"
        " and the tracker will not start without it. Put back the key file (kept on separate"
        " media), set master_key_file to where it is, or run `tracker init` for a new instance"
    )


def read_key_file(path: Path, *, production: bool) -> Keyring:
    """The keyring in the file. Raises MasterKeyUnavailable when it is missing or not a master
    key file; DatabaseUnavailable for loose permissions in production (a warning otherwise)."""
    try:
        check_key_file_permissions(path, production=production)
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MasterKeyUnavailable(missing_key_message(path)) from None
    except (UnicodeDecodeError, PermissionError, ValueError) as error:
        raise MasterKeyUnavailable(f"{path}: cannot read the master key ({error})") from None
    return keyring_from(document, path)


def keyring_from(document: Any, path: Path) -> Keyring:
    """Raises MasterKeyUnavailable unless DOCUMENT is a master key file's content."""
    try:
        if document.get("format") != KEY_FILE_FORMAT or document.get("version") != KEY_FILE_VERSION:
            raise ValueError("format")
        keyring = Keyring(
            MasterKey(bytes.fromhex(document["master_key"])),
            bytes.fromhex(document["blind_index_key"]),
        )
        if len(keyring.blind_key) != KEY_BYTES:
            raise ValueError("blind key")
    except (AttributeError, KeyError, TypeError, ValueError):
        raise MasterKeyUnavailable(f"{path} is not a tracker master key file") from None
    return keyring


class MasterKeyFile:
    """The keyring read from the key file at its first use, then kept in memory."""

    def __init__(self, path: Path, *, production: bool) -> None:
        self.path = path
        self.production = production
        self._keyring: Keyring | None = None

    def __call__(self) -> Keyring:
        if self._keyring is None:
            self._keyring = read_key_file(self.path, production=self.production)
        return self._keyring

    def replace(self, keyring: Keyring) -> None:
        self._keyring = keyring


def install_master_key(settings: Settings) -> MasterKeyFile:
    """Make the settings' key file this process's keyring (read at first use)."""
    source = MasterKeyFile(settings.resolved_master_key_file, production=settings.production)
    install_keyring(source)
    return source


# --- the check against the database ---------------------------------------------------------


def stored_check(connection: Connection) -> MasterKeyCheck | None:
    """The database's check row; None when there is none."""
    check = MasterKeyCheck.__table__  # type: ignore[attr-defined]
    row = connection.execute(select(check.c.key_id, check.c.blind_key_id)).first()
    return None if row is None else MasterKeyCheck(key_id=row[0], blind_key_id=row[1])


def wrong_key_message(stored: str, given: Keyring, path: Path | None) -> str:
    message = (
        f"wrong master key: this database's identity fields are sealed under master key {stored},"
        f" and the key file{'' if path is None else f' {path}'} holds key {given.key_id}."
        " Use the key file the database was sealed with; nothing was read or written"
    )
    if path is not None and path.with_name(path.name + NEW_SUFFIX).exists():
        message += (
            f" ({path.name}{NEW_SUFFIX} exists: a `tracker keys rotate` was interrupted after"
            f" its commit; if that file holds key {stored}, rename it to {path.name})"
        )
    return message


def verify_master_key(
    connection: Connection, keyring: Keyring, *, path: Path | None = None
) -> None:
    """Raises WrongMasterKey when the database was sealed under other keys. A database with
    no check row yet (new, or emptied) gets one, once no sealed value contradicts the key."""
    if not has_check_table(connection):
        return  # a database behind the code: the upgrade seals it, and writes the check
    check = stored_check(connection)
    if check is None:
        refuse_foreign_values(connection, keyring, path)
        write_check(connection, keyring)
        return
    if check.key_id != keyring.key_id and check.key_id not in {m.key_id for m in keyring.older}:
        raise WrongMasterKey(wrong_key_message(check.key_id, keyring, path))
    if check.blind_key_id != keyring.blind_key_id:
        raise WrongMasterKey(
            "wrong master key file: its blind-index key is not the one this database's names"
            " are indexed with; use the key file the database was sealed with"
        )


def has_check_table(connection: Connection) -> bool:
    return bool(inspect(connection).has_table(MasterKeyCheck.__tablename__))


def refuse_foreign_values(connection: Connection, keyring: Keyring, path: Path | None) -> None:
    """Raises WrongMasterKey when a stored envelope names a key this keyring lacks."""
    for name, columns in sealed_columns().items():
        raw = raw_table(name, columns)
        for column_name in columns:
            value = connection.execute(
                select(raw.c[column_name]).where(raw.c[column_name] != "").limit(1)
            ).scalar()
            if isinstance(value, str) and is_sealed(value):
                key_id = parse_envelope(value).key_id
                if key_id != keyring.key_id:
                    raise WrongMasterKey(wrong_key_message(key_id, keyring, path))


def write_check(connection: Connection, keyring: Keyring) -> None:
    check: Table = MasterKeyCheck.__table__  # type: ignore[attr-defined]
    connection.execute(check.delete())
    connection.execute(
        check.insert().values(id=1, key_id=keyring.key_id, blind_key_id=keyring.blind_key_id)
    )


def check_database_master_key(
    engine: Engine, keyring_source: Callable[[], Keyring], path: Path
) -> None:
    """Open the keyring and compare it with the database's check row, in one transaction.

    The comparison only reads (no SQLite write lock, so the app's and every command's start
    neither waits for nor holds up a writer); a database with no check row yet gets it in a
    writing transaction. Raises MasterKeyUnavailable (no key file), WrongMasterKey (another
    key)."""
    keyring = keyring_source()
    with reading(engine).begin() as connection:
        if verifying_only_reads(connection):
            verify_master_key(connection, keyring, path=path)
            return
    with engine.begin() as connection:
        verify_master_key(connection, keyring, path=path)


def verifying_only_reads(connection: Connection) -> bool:
    """Whether verify_master_key would write nothing: the check row is there, or its table is
    not (a database behind the code)."""
    return not has_check_table(connection) or stored_check(connection) is not None


# --- rotation ------------------------------------------------------------------------------


def raw_table(name: str, columns: tuple[str, ...]) -> Any:
    """The table's id and COLUMNS as plain text: envelopes as stored, never opened."""
    model_table = SQLModel.metadata.tables[name]
    return table(name, column("id", model_table.c.id.type), *(column(c, Text) for c in columns))


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did: the key ids, how many values were rewrapped, where the keys are."""

    old_key_id: str
    new_key_id: str
    values: int
    audit_entries: int
    key_file: Path
    old_key_file: Path

    def lines(self) -> list[str]:
        return [
            f"Master key rotated: {self.old_key_id} -> {self.new_key_id}; {self.values} sealed"
            f" values and {self.audit_entries} audit entries rewrapped (no value was decrypted).",
            f"New key file: {self.key_file} (mode 0600). The old key is kept as"
            f" {self.old_key_file}: once a backup made from now on has been checked, destroy"
            " every copy of the old key, and replace the copies on separate media by the new one.",
        ]


def rewrap_column_values(
    connection: Connection, name: str, columns: tuple[str, ...], keyring: Keyring, new: MasterKey
) -> int:
    """Rewrap every envelope of the table's sealed columns; how many."""
    raw = raw_table(name, columns)
    count = 0
    rows = connection.execute(select(raw.c.id, *(raw.c[c] for c in columns))).all()
    for start in range(0, len(rows), BATCH):
        changed = []
        for row in rows[start : start + BATCH]:
            values = {c: row[i + 1] for i, c in enumerate(columns)}
            if not any(is_sealed(v) for v in values.values()):
                continue
            new_values = {
                f"new_{c}": rewrap(keyring, v, new) if is_sealed(v) else v
                for c, v in values.items()
            }
            count += sum(1 for v in values.values() if is_sealed(v))
            changed.append({"row_id": row[0], **new_values})
        if changed:
            statement = (
                update(raw)
                .where(raw.c.id == bindparam("row_id"))
                .values({c: bindparam(f"new_{c}") for c in columns})
            )
            connection.execute(statement, changed)
    return count


def rewrap_audit_entries(connection: Connection, keyring: Keyring, new: MasterKey) -> int:
    """Rewrap the envelopes in audit entries' changes; their hashes do not change, since the
    chain hashes envelopes without their wrapped key (tracker.domain.sealing)."""
    entries = SQLModel.metadata.tables["audit_entry"]
    statement = select(entries.c.id, entries.c.changes).where(
        entries.c.table_name.in_(list(sealed_columns()))
    )
    changed = [
        {"entry_id": entry_id, "new_changes": rewrap_sealed(keyring, changes, new)}
        for entry_id, changes in connection.execute(statement)
        if holds_sealed(changes)
    ]
    for start in range(0, len(changed), BATCH):
        connection.execute(
            update(entries)
            .where(entries.c.id == bindparam("entry_id"))
            .values(changes=bindparam("new_changes")),
            changed[start : start + BATCH],
        )
    return len(changed)


RewrapExtra = Callable[[Connection, Keyring, MasterKey], int]


def rewrap_everything(
    session: Session, keyring: Keyring, new: MasterKey, extras: tuple[RewrapExtra, ...] = ()
) -> tuple[int, int]:
    """Rewrap every sealed value in the session's transaction: (values, audit entries)."""
    connection = session.connection()
    values = sum(
        rewrap_column_values(connection, name, columns, keyring, new)
        for name, columns in sealed_columns().items()
    )
    values += sum(extra(connection, keyring, new) for extra in extras)
    return values, rewrap_audit_entries(connection, keyring, new)


def rotate_master_key(
    engine: Engine,
    settings: Settings,
    source: MasterKeyFile,
    extras: tuple[RewrapExtra, ...] = (),
) -> RotationReport:
    """A new master key: every data key rewrapped in one transaction, then the new key file
    put in place of the old, which is kept beside it (`.old`).

    The new key is written to `master.key.new` first (0600, flushed). If the transaction
    fails, it is removed and nothing changed. Raises MasterKeyUnavailable, WrongMasterKey.
    """
    from tracker.services.audit import add_audit_entry

    path = settings.resolved_master_key_file
    keyring = source()
    new_path = path.with_name(path.name + NEW_SUFFIX)
    old_path = path.with_name(path.name + OLD_SUFFIX)
    new_path.unlink(missing_ok=True)  # an interrupted run's, never committed (see the check)
    rotated = new_keyring(keyring.blind_key)
    write_key_file(new_path, rotated)
    try:
        with Session(engine) as session, session.begin():
            verify_master_key(session.connection(), keyring, path=path)
            values, audited = rewrap_everything(session, keyring, rotated.master, extras)
            write_check(session.connection(), rotated)
            add_audit_entry(
                session,
                actor_id=None,
                action="rotate",
                table_name="master_key",
                record_id=ROTATION_RECORD_ID,
                changes={
                    "key_id": [keyring.key_id, rotated.key_id],
                    "values_rewrapped": values,
                    "audit_entries_rewrapped": audited,
                },
            )
    except BaseException:
        new_path.unlink(missing_ok=True)
        raise
    put_new_key_in_place(path, new_path, old_path)
    source.replace(rotated)
    return RotationReport(keyring.key_id, rotated.key_id, values, audited, path, old_path)


def put_new_key_in_place(path: Path, new_path: Path, old_path: Path) -> None:
    """master.key → master.key.old, master.key.new → master.key, each a rename, made durable."""
    os.replace(path, old_path)
    os.replace(new_path, path)
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- set-up ----------------------------------------------------------------------------------


def database_is_sealed(engine: Engine) -> bool:
    """Whether the database names a master key already (a check row or a sealed value)."""
    with engine.connect() as connection:
        if not has_check_table(connection):
            return False
        if stored_check(connection) is not None:
            return True
        return any(
            is_sealed(
                connection.execute(
                    select(raw_table(name, columns).c[column_name])
                    .where(raw_table(name, columns).c[column_name] != "")
                    .limit(1)
                ).scalar()
            )
            for name, columns in sealed_columns().items()
            for column_name in columns
        )


def prepare_master_key(engine: Engine, settings: Settings) -> list[str]:
    """Write a master key file for an instance without one; what was done, in sentences.

    Raises MasterKeyUnavailable when the database is sealed already: a new key would not
    open it, and the lost key must be found instead.
    """
    path = settings.resolved_master_key_file
    if path.exists():
        return []
    if database_is_sealed(engine):
        raise MasterKeyUnavailable(
            missing_key_message(path) + "; `tracker init` never makes a new key for a database"
            " sealed under one"
        )
    keyring = generate_key_file(path)
    return [
        f"Master key written to {path} (mode 0600, key {keyring.key_id}). Keep it on separate"
        " media and a copy somewhere safe: without it names, contacts and evidence files"
        " cannot be read."
    ]
