"""Files around a backup: the output written whole or not at all, private staging folders in
the instance folder, and evidence files moved into place."""

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tracker.domain.errors import InvalidInput
from tracker.services.evidence_store import FILE_MODE, sync_folder

# .backup-<pid>-<random> and .restore-<pid>-<random>: plain text while they exist.
STAGING = re.compile(r"^\.(backup|restore)-(\d+)-")


class HashingWriter:
    """Passes bytes on, counting them and taking their SHA-256."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.target.write(data)


class HashingReader:
    """Reads from a file, taking the SHA-256 of what was read."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


def check_output_path(output: Path, protected: tuple[Path, ...] = ()) -> None:
    """Raises InvalidInput for a folder that does not exist, a path naming a folder, or one of
    the PROTECTED files (the database, a key): the backup's rename would replace it."""
    if not output.parent.is_dir():
        raise InvalidInput(f"output: the folder {output.parent} does not exist")
    if output.is_dir():
        raise InvalidInput(f"output: {output} is a folder; give a file name")
    resolved = output.resolve()
    if any(resolved == path.resolve() for path in protected):
        raise InvalidInput(f"output: {output} is one of the instance's own files; choose another")


class OutputWriter(HashingWriter):
    """The backup file being written: a full disk is a clear refusal, not an internal error."""

    def __init__(self, target: BinaryIO, path: Path) -> None:
        super().__init__(target)
        self.path = path

    def write(self, data: bytes) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise cannot_write(self.path, error) from None


def cannot_write(path: Path, error: OSError) -> InvalidInput:
    return InvalidInput(f"cannot write {path}: {error.strerror or error}")


@contextmanager
def file_written_whole(output: Path) -> Iterator[OutputWriter]:
    """A private temporary file beside OUTPUT, renamed to it when the block ends without error
    (and on disk before that), removed otherwise: a failure never leaves half a backup."""
    try:
        descriptor, name = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".partial"
        )
    except OSError as error:
        raise cannot_write(output, error) from None
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            writer = OutputWriter(handle, output)
            yield writer
            make_durable(handle, output)
        partial.replace(output)
        sync_folder(output.parent)
    finally:
        partial.unlink(missing_ok=True)


def make_durable(handle: BinaryIO, output: Path) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
    except OSError as error:
        raise cannot_write(output, error) from None


@contextmanager
def staging_folder(instance_path: Path, purpose: str) -> Iterator[Path]:
    """A folder only the tracker's account can open, in the instance folder, removed after use.

    Staged files are as sensitive as the database beside them; a run killed midway leaves its
    folder, which the next backup or restore removes.
    """
    remove_abandoned_staging(instance_path)
    folder = Path(tempfile.mkdtemp(prefix=f".{purpose}-{os.getpid()}-", dir=instance_path))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned_staging(instance_path: Path) -> None:
    """Remove staging folders whose process is gone (a backup or restore killed midway)."""
    if not instance_path.is_dir():
        return
    for path in instance_path.iterdir():
        match = STAGING.match(path.name)
        if match and path.is_dir() and not process_alive(int(match.group(2))):
            shutil.rmtree(path, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another account's process: alive, and not ours to judge
    return True


def move_into(source: Path, target: Path) -> None:
    """Move a staged file to TARGET: a rename, or across file systems a copy made durable and
    then renamed, so TARGET is never seen half written."""
    try:
        source.replace(target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        copy_across(source, target)
    sync_folder(target.parent)


def copy_across(source: Path, target: Path) -> None:
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle, source.open("rb") as original:
            shutil.copyfileobj(original, handle, 1024 * 1024)
            handle.flush()
            os.fsync(handle.fileno())
        partial.chmod(FILE_MODE)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    source.unlink()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
