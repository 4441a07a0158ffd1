"""Where evidence files live: one folder, random names, written whole or not at all.

Every stored byte goes through this module, sealed on the way in and opened on the way out
(AES-256-GCM in 1 MiB segments under a data key per file, tracker.domain.sealed_files): the
folder holds no plaintext. The caller keeps each file's wrapped data key (StoredFile.wrapped_key)
in the database. Files are streamed in chunks (a 100 MB video is never held in memory),
written to a file without a name in the same folder (a temporary name where the system has
no such files), flushed to disk, then given a random name; an error or a killed process
leaves nothing. Uploads wait in nameless files in the same folder while they are checked,
and are gone when closed or on a crash. The folder is 0700 and each file 0600: only the
account running the tracker reads them, and no web server serves the folder.
"""

import errno
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tracker.domain.errors import InvalidInput, RecordNotFound
from tracker.domain.evidence_files import check_size
from tracker.domain.sealed_files import (
    MAGIC,
    SealedReader,
    SealingWriter,
    is_sealed_file_start,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from tracker.domain.sealing import SealBroken, current_keyring

CHUNK_SIZE = 1024 * 1024
FOLDER_MODE = 0o700
FILE_MODE = 0o600
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# Names of files being written where the system cannot write a file without a name (not
# Linux); a crash can leave one, which `evidence verify` reports.
PARTIAL_PREFIX = ".incoming-"


class StorageFull(InvalidInput):
    """The evidence folder's disk (or the account's quota) filled while a file was written;
    nothing was kept. The web answers 507."""

    def __init__(self) -> None:
        super().__init__(
            "file: not enough space on the disk of the evidence folder; nothing was stored."
            " Free some space (or move evidence_path to a larger disk), then try again"
        )


def is_full_disk(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store: its random name, the SHA-256 and size in bytes of its
    plaintext, and its data key wrapped under the master key (kept in evidence_file_key)."""

    storage_key: str
    sha256: str
    size_bytes: int
    wrapped_key: str


class EvidenceStore:
    """The evidence folder and its size limit."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def folder(self) -> Path:
        """The folder, created 0700 when missing, and made 0700 again when it is looser."""
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        if self.root.stat().st_mode & 0o777 != FOLDER_MODE:
            self.root.chmod(FOLDER_MODE)
        return self.root

    def write_file(self, stream: BinaryIO) -> StoredFile:
        """Seal the stream into a new file under a random name, under a new data key.

        Raises FileTooLarge (nothing kept) past max_bytes, StorageFull (nothing kept) when the
        disk or the quota fills, MasterKeyUnavailable (nothing written) with no master key,
        and OSError (nothing kept) when the disk fails.
        """
        master = current_keyring().master
        data_key = new_data_key()
        folder = self.folder()
        try:
            descriptor, partial = open_unnamed_file(folder)
        except OSError as error:
            if is_full_disk(error):
                raise StorageFull() from None
            raise
        key = secrets.token_hex(32)
        try:
            with os.fdopen(descriptor, "wb") as target:
                sealed = SealingWriter(target, data_key)
                sha256, size = copy_counted(stream, sealed, self.max_bytes)
                sealed.finish()
                target.flush()
                os.fsync(target.fileno())
                give_name(target.fileno(), partial, folder / key)
            sync_folder(folder)
        except BaseException as error:
            if partial is not None:
                partial.unlink(missing_ok=True)
            if isinstance(error, OSError) and is_full_disk(error):
                raise StorageFull() from None
            raise
        return StoredFile(key, sha256, size, wrap_data_key(master, data_key))

    def path_of(self, storage_key: str) -> Path:
        """Raises RecordNotFound for anything but a key this store makes (no path steps)."""
        if not KEY_PATTERN.match(storage_key):
            raise RecordNotFound("file: no stored file of that name")
        return self.root / storage_key

    def open_file(self, storage_key: str) -> BinaryIO:
        """The stored file as it is on disk (sealed), open for reading: what backups carry.
        Raises RecordNotFound when it is missing."""
        try:
            return self.path_of(storage_key).open("rb")
        except FileNotFoundError:
            raise RecordNotFound("file: the stored file is missing") from None

    def open_plain(self, storage_key: str, wrapped_key: str | None) -> BinaryIO:
        """The stored file's plaintext, opened a segment at a time (each authenticated before
        it is read). A file stored before files were sealed (no MAGIC) is read as it is until
        `tracker db upgrade` seals it; its hash is checked all the same.

        Raises RecordNotFound (missing), SealBroken (damaged, or sealed with no key recorded),
        WrongMasterKey, MasterKeyUnavailable.
        """
        stream = self.open_file(storage_key)
        try:
            if not is_sealed_file_start(stream.read(len(MAGIC))):
                stream.seek(0)
                return stream
            if not wrapped_key:
                raise SealBroken("a sealed evidence file has no data key recorded")
            stream.seek(0)
            data_key = unwrap_data_key(current_keyring(), wrapped_key)
            return SealedReader(stream, data_key)  # type: ignore[return-value]
        except BaseException:
            stream.close()
            raise

    def is_sealed(self, storage_key: str) -> bool:
        """Whether the stored file is sealed (False for a file stored before, or missing)."""
        try:
            with self.open_file(storage_key) as stream:
                return is_sealed_file_start(stream.read(len(MAGIC)))
        except RecordNotFound:
            return False

    def exists(self, storage_key: str) -> bool:
        return bool(KEY_PATTERN.match(storage_key)) and (self.root / storage_key).is_file()

    def delete(self, storage_key: str) -> None:
        """Remove a stored file; a missing one is already gone."""
        self.path_of(storage_key).unlink(missing_ok=True)

    def spool_file(self) -> BinaryIO:
        """A nameless temporary file in the store's folder, gone when closed or on a crash:
        uploads and cleaned copies wait here, never in the system's temporary folder."""
        return tempfile.TemporaryFile(dir=self.folder())

    def stored_keys(self) -> Iterator[str]:
        """The names of every stored file."""
        if self.root.is_dir():
            yield from sorted(path.name for path in self.root.iterdir() if path_is_key(path))

    def partial_files(self) -> list[str]:
        """Files a crashed write left behind."""
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.glob(f"{PARTIAL_PREFIX}*"))


def open_unnamed_file(folder: Path) -> tuple[int, Path | None]:
    """A new file in the folder, mode 0600, and its temporary name if it has one.

    On Linux the file has no name until it is complete (O_TMPFILE), so a process killed
    mid-write (kill -9, power cut) leaves nothing in the folder; elsewhere it has a
    PARTIAL_PREFIX name that `tracker evidence verify` reports.
    """
    unnamed = getattr(os, "O_TMPFILE", 0)
    if unnamed and Path("/proc/self/fd").is_dir():  # give_name links it in through /proc
        try:
            return os.open(folder, unnamed | os.O_WRONLY, FILE_MODE), None
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    descriptor, partial_name = tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX)
    os.fchmod(descriptor, FILE_MODE)
    return descriptor, Path(partial_name)


def give_name(descriptor: int, partial: Path | None, target: Path) -> None:
    """Name the finished file: link the unnamed one in, or rename the temporary one."""
    if partial is None:
        # linkat with AT_SYMLINK_FOLLOW (a directory descriptor makes Python use linkat; plain
        # link() would not follow /proc's link to the open file).
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.link(f"/proc/self/fd/{descriptor}", target.name, dst_dir_fd=folder)
        finally:
            os.close(folder)
    else:
        partial.rename(target)


def path_is_key(path: Path) -> bool:
    return bool(KEY_PATTERN.match(path.name)) and path.is_file()


def copy_counted(
    source: BinaryIO, target: "BinaryIO | SealingWriter", max_bytes: int
) -> tuple[str, int]:
    """Copy in chunks, hashing and counting; raises FileTooLarge past max_bytes, whatever the
    sender claimed the size was."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks(source):
        size += len(chunk)
        check_size(size, max_bytes)
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest(), size


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def hash_stream(stream: BinaryIO) -> str:
    """The SHA-256 of what is left in the stream, read in chunks."""
    digest = hashlib.sha256()
    for chunk in chunks(stream):
        digest.update(chunk)
    return digest.hexdigest()


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
