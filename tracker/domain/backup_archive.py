"""The archive inside a backup's encrypted stream: named files of any length, then an end mark.

    archive := ARCHIVE_MAGIC member* END
    member  := MEMBER name_length (2) name (UTF-8) piece* (4: 0)
    piece   := length (4, 1 to MAX_PIECE) bytes

Pieces let a file of unknown length (pg_dump's output) stream straight in, never spooled to
disk as plain text; SHA-256 and size of each member are taken while it is written or read.
"""

import hashlib
import io
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tracker.domain.backup_format import BackupDamaged, PlainStream, Readable, Writable

ARCHIVE_MAGIC = b"TRKARC1\n"
MEMBER, END = b"M", b"E"
NAME_LENGTH = struct.Struct(">H")
PIECE_LENGTH = struct.Struct(">I")
MAX_PIECE = 1024 * 1024
# Names are relative paths of plain characters: never absolute, never a step up, no dot first.
SEGMENT = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*"
NAME_PATTERN = re.compile(rf"{SEGMENT}(/{SEGMENT})*")
MAX_NAME = 255


@dataclass(frozen=True)
class MemberDigest:
    """A member as written or read: its name, SHA-256 (hex) and size in bytes."""

    name: str
    sha256: str
    size: int


def check_name(name: str) -> str:
    """Raises ValueError for a name that could leave the folder it is unpacked into."""
    if len(name) > MAX_NAME or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"archive member name not allowed: {name!r}")
    return name


class ArchiveWriter:
    def __init__(self, sink: Writable) -> None:
        self.sink = sink
        sink.write(ARCHIVE_MAGIC)

    def add(self, name: str, source: Readable) -> MemberDigest:
        """Copy SOURCE to its end as member NAME."""
        digest, size = hashlib.sha256(), 0
        self.begin(name)
        while piece := source.read(MAX_PIECE):
            digest.update(piece)
            size += len(piece)
            self.sink.write(PIECE_LENGTH.pack(len(piece)) + piece)
        self.sink.write(PIECE_LENGTH.pack(0))
        return MemberDigest(name, digest.hexdigest(), size)

    def add_bytes(self, name: str, data: bytes) -> MemberDigest:
        return self.add(name, io.BytesIO(data))

    def begin(self, name: str) -> None:
        encoded = check_name(name).encode("utf-8")
        self.sink.write(MEMBER + NAME_LENGTH.pack(len(encoded)) + encoded)

    def finish(self) -> None:
        self.sink.write(END)


PieceSink = Callable[[bytes], object]


class ArchiveReader:
    """Members in order; each must be read (`copy_member`) before the next is asked for."""

    def __init__(self, stream: PlainStream) -> None:
        self.stream = stream
        if self.exact(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
            raise BackupDamaged("the backup's contents are not in the expected format")

    def exact(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) < size:
            raise BackupDamaged("the backup's contents end too early")
        return data

    def names(self) -> Iterator[str]:
        """Each member's name, then stops at the end mark. Raises BackupDamaged."""
        while (mark := self.exact(1)) == MEMBER:
            (length,) = NAME_LENGTH.unpack(self.exact(NAME_LENGTH.size))
            try:
                yield check_name(self.exact(length).decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise BackupDamaged(f"the backup's contents are damaged: {error}") from None
        if mark != END or not self.stream.at_end():
            raise BackupDamaged("the backup's contents are damaged (no proper end)")

    def copy_member(self, name: str, sink: PieceSink) -> MemberDigest:
        """Pass the current member's bytes to SINK, piece by piece."""
        digest, size = hashlib.sha256(), 0
        while length := PIECE_LENGTH.unpack(self.exact(PIECE_LENGTH.size))[0]:
            if length > MAX_PIECE:
                raise BackupDamaged("the backup's contents are damaged (a piece too long)")
            piece = self.exact(length)
            digest.update(piece)
            size += length
            sink(piece)
        return MemberDigest(name, digest.hexdigest(), size)
