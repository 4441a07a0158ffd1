"""Where evidence files live: one folder, random names, written whole or not at all.

Every stored byte goes through this module, so encryption at rest can be added in one place.
Files are streamed in chunks (a 100 MB video is never held in memory), written to a temporary
file in the same folder, flushed to disk, then renamed to a random name; any error removes the
temporary file. The folder is 0700 and each file 0600: only the account running the tracker
reads them, and no web server serves the folder.
"""

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tracker.domain.errors import RecordNotFound
from tracker.domain.evidence_files import check_size

CHUNK_SIZE = 1024 * 1024
FOLDER_MODE = 0o700
FILE_MODE = 0o600
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# Names of files being written; a crash can leave one, which `evidence verify` reports.
PARTIAL_PREFIX = ".incoming-"


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store: its random name, SHA-256 and size in bytes."""

    storage_key: str
    sha256: str
    size_bytes: int


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
        """Copy the stream into a new file under a random name.

        Raises FileTooLarge (nothing kept) past max_bytes, and OSError (nothing kept) when the
        disk fails or fills.
        """
        folder = self.folder()
        descriptor, partial_name = tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX)
        partial = Path(partial_name)
        try:
            with os.fdopen(descriptor, "wb") as target:
                sha256, size = copy_counted(stream, target, self.max_bytes)
                target.flush()
                os.fsync(target.fileno())
            partial.chmod(FILE_MODE)
            key = secrets.token_hex(32)
            partial.rename(folder / key)
            sync_folder(folder)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredFile(key, sha256, size)

    def path_of(self, storage_key: str) -> Path:
        """Raises RecordNotFound for anything but a key this store makes (no path steps)."""
        if not KEY_PATTERN.match(storage_key):
            raise RecordNotFound("file: no stored file of that name")
        return self.root / storage_key

    def open_file(self, storage_key: str) -> BinaryIO:
        """The stored file, open for reading. Raises RecordNotFound when it is missing."""
        try:
            return self.path_of(storage_key).open("rb")
        except FileNotFoundError:
            raise RecordNotFound("file: the stored file is missing") from None

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


def path_is_key(path: Path) -> bool:
    return bool(KEY_PATTERN.match(path.name)) and path.is_file()


def copy_counted(source: BinaryIO, target: BinaryIO, max_bytes: int) -> tuple[str, int]:
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
