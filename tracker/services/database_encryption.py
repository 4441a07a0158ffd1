"""Setting up the embedded database's encryption, and encrypting an existing plaintext one.

The plaintext file is copied with SQLCipher's sqlcipher_export into a new encrypted file
beside it; the copy is checked (integrity and row counts), then renamed over the original in
one step, so a crash leaves either the old database or the new one, never half of each. The
old file's blocks are then overwritten (best effort) and removed, unless the user keeps it.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.config import Settings
from tracker.db import (
    DatabaseKey,
    DatabaseUnavailable,
    database_file_kind,
    open_encrypted_database,
    sqlcipher_module,
)
from tracker.domain.errors import InvalidInput
from tracker.services.database_keys import (
    PassphraseKey,
    check_new_passphrase,
    generate_key_file,
    new_kdf_parameters,
    write_kdf_parameters,
)

ENCRYPTING_SUFFIX = ".encrypting"
PLAINTEXT_SUFFIX = ".plaintext"
WIPE_CHUNK = 1024 * 1024


@dataclass
class EncryptionReport:
    """What was done, in sentences for the terminal (no key or passphrase in them)."""

    lines: list[str] = field(default_factory=list)
    kept_plaintext: Path | None = None


def database_path_of(settings: Settings) -> Path:
    """The SQLite file; raises InvalidInput when encryption does not apply to this database."""
    path = settings.sqlite_database_path
    if path is None:
        raise InvalidInput(
            "database encryption applies to the embedded SQLite database only; PostgreSQL"
            " relies on disk encryption (docs/security.md)"
        )
    if not settings.encrypts_database:
        raise InvalidInput('database_encryption is "off": set it to "key_file" or "passphrase"')
    return path


def prepare_database_key(
    settings: Settings, database_key: DatabaseKey, new_passphrase: Callable[[], str]
) -> EncryptionReport:
    """Make the key material a database without any needs: a key file, or (passphrase mode)
    the argon2id parameters and the key of a new passphrase. Never for an encrypted database:
    its key exists already, and a new one would lock its data away."""
    report = EncryptionReport()
    if database_file_kind(database_path_of(settings)) == "encrypted":
        return report
    if settings.database_encryption == "passphrase":
        kdf_path = settings.database_kdf_path
        if not kdf_path.exists():
            passphrase = new_passphrase()
            check_new_passphrase(passphrase)
            write_kdf_parameters(kdf_path, new_kdf_parameters())
            assert isinstance(database_key, PassphraseKey)
            database_key.unlock(passphrase)
            report.lines.append(
                f"Passphrase set; its argon2id salt and costs are in {kdf_path} (back it up:"
                " without it the passphrase cannot open the database)."
            )
        return report
    key_path = settings.resolved_database_key_file
    if not key_path.exists():
        generate_key_file(key_path)
        report.lines.append(
            f"Database key written to {key_path} (mode 0600). Keep it on separate media and"
            " keep a copy somewhere safe: without it the database cannot be read."
        )
    return report


def encrypt_plaintext_database(
    settings: Settings, database_key: DatabaseKey, *, keep_plaintext: bool
) -> EncryptionReport:
    """Encrypt the instance's plaintext database under the configured key, in place.

    Raises InvalidInput when there is nothing to encrypt; DatabaseUnavailable for a key
    problem. The web app must be stopped: its open connections would keep writing to the old
    file.
    """
    path = database_path_of(settings)
    kind = database_file_kind(path)
    if kind == "encrypted":
        raise InvalidInput(f"{path} is encrypted already; nothing was changed")
    if kind == "new":
        raise InvalidInput(f"there is no database at {path}: `tracker init` creates one encrypted")
    kept = encrypt_database_file(path, database_key(), keep_plaintext=keep_plaintext)
    report = EncryptionReport(kept_plaintext=kept)
    report.lines.append(f"Encrypted the database {path} (SQLCipher).")
    if kept is not None:
        report.lines.append(
            f"The unencrypted original is kept as {kept}: it holds every record in the clear."
            " Delete it once you no longer need it."
        )
    else:
        report.lines.append(
            "The unencrypted original was overwritten and removed; on SSDs and copy-on-write"
            " or snapshotting filesystems old blocks may survive (docs/security.md)."
        )
    return report


def encrypt_database_file(path: Path, key: bytes, *, keep_plaintext: bool) -> Path | None:
    """Replace the plaintext SQLite file by an encrypted copy; the kept original, if asked."""
    encrypted = path.with_name(path.name + ENCRYPTING_SUFFIX)
    kept = path.with_name(path.name + PLAINTEXT_SUFFIX) if keep_plaintext else None
    if kept is not None and kept.exists():
        raise InvalidInput(f"{kept} exists already; move it away first")
    remove_with_journals(encrypted)  # what an interrupted run left
    try:
        counts = export_encrypted_copy(path, encrypted, key)
        check_encrypted_copy(encrypted, key, counts)
        encrypted.chmod(0o600)
        sync_file(encrypted)
    except BaseException:
        remove_with_journals(encrypted)
        raise
    doomed = path.with_name(path.name + ".old")
    if doomed.exists():  # an interrupted run's copy of the plaintext
        wipe_and_remove(doomed)
    os.link(path, kept or doomed)
    os.replace(encrypted, path)
    sync_directory(path.parent)
    if kept is None:
        wipe_and_remove(doomed)
    return kept


def export_encrypted_copy(source: Path, target: Path, key: bytes) -> dict[str, int]:
    """sqlcipher_export the plaintext file into a new encrypted one; the rows per table."""
    connection = sqlcipher_module().connect(str(source), isolation_level=None)
    try:
        # Everything committed moves into the file, and no writer can add rows meanwhile.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("BEGIN IMMEDIATE")
        counts = row_counts(connection)
        user_version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        connection.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(target), f"x'{key.hex()}'"))
        connection.execute("SELECT sqlcipher_export('encrypted')")
        connection.execute(f"PRAGMA encrypted.user_version = {user_version}")
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE encrypted")
    finally:
        connection.close()
    return counts


def row_counts(connection: Any) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0"
        )
    ]
    return {
        name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        for name in names
    }


def check_encrypted_copy(path: Path, key: bytes, expected: dict[str, int]) -> None:
    """Raises DatabaseUnavailable unless the copy opens with the key, is intact and holds
    every row of the original."""
    connection = open_encrypted_database(path, key)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        counts = row_counts(connection)
    finally:
        connection.close()
    if integrity != [("ok",)] or counts != expected:
        raise DatabaseUnavailable(
            "the encrypted copy did not match the original; the original was left unchanged"
        )


def remove_with_journals(path: Path) -> None:
    for end in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + end).unlink(missing_ok=True)


def wipe_and_remove(path: Path) -> None:
    """Overwrite the file's bytes with zeros, then remove it (best effort: see the module)."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        for _start in range(0, size, WIPE_CHUNK):
            file.write(bytes(min(WIPE_CHUNK, size - file.tell())))
        file.flush()
        os.fsync(file.fileno())
    path.unlink()
    sync_directory(path.parent)


def sync_file(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
