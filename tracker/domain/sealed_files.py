"""Evidence files sealed at rest: streaming AES-256-GCM in segments, under a data key per file
wrapped by the master key (tracker.domain.sealing). Pure: streams in, streams out.

A sealed file is a header and one or more segments:

    header   MAGIC (8 bytes, holds the version) | segment size (4, big-endian) | nonce prefix (7)
    segment  AES-256-GCM of up to `segment size` plaintext bytes, with its 16-byte tag

Segment i's nonce is the random prefix, i (4 bytes) and a final flag (1 byte); its associated
data is the header, i (8 bytes) and the final flag. So a segment moved, dropped, repeated, cut
short or followed by anything does not authenticate, and neither does a header changed. Every
segment but the last holds exactly `segment size` bytes; the last holds 1 to `segment size`
(0 only for an empty file, which is one empty final segment). A file is read a segment at a
time, so a 100 MB video never sits in memory whole.

The data key is random per file and never stored in the clear: it is wrapped (AES-256-GCM,
as identity values' keys are) under the master key and kept in the database beside the
file's name, as "<master key id>.<wrapped key, base64url>". Rotating the master key rewraps
those 60 bytes; the file is not touched.
"""

import io
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tracker.domain.sealing import (
    KEY_BYTES,
    Keyring,
    MasterKey,
    SealBroken,
    decode,
    encode,
)

MAGIC = b"\xffTRKEV\x00\x01"  # \xff: no UTF-8 text (nor any accepted type) starts so
SEGMENT_SIZE = 1024 * 1024
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
HEADER = struct.Struct(f">8sI{NONCE_PREFIX_BYTES}s")
MAX_SEGMENT_SIZE = 64 * 1024 * 1024
MAX_SEGMENTS = 2**32
WRAPPED_KEY_PARTS = 2


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


# --- the data key's wrapping ---------------------------------------------------------------


def wrap_data_key(master: MasterKey, data_key: bytes) -> str:
    """ "<master key id>.<wrapped key>": what the database keeps for a file."""
    return f"{master.key_id}.{encode(master.wrap(data_key))}"


def unwrap_data_key(keyring: Keyring, wrapped: str) -> bytes:
    """The file's data key. Raises WrongMasterKey (another master key), SealBroken."""
    parts = wrapped.split(".")
    if len(parts) != WRAPPED_KEY_PARTS:
        raise SealBroken("an evidence file's data key is damaged (not a wrapped key)")
    master = keyring.master_named(parts[0])
    try:
        data_key = master.unwrap(decode(parts[1]))
    except SealBroken:
        raise SealBroken("an evidence file's data key does not unwrap (it was changed)") from None
    if len(data_key) != KEY_BYTES:
        raise SealBroken("an evidence file's data key has the wrong length")
    return data_key


def rewrap_data_key(keyring: Keyring, wrapped: str, new_master: MasterKey) -> str:
    """The same data key wrapped under NEW_MASTER; the file itself is not read."""
    return wrap_data_key(new_master, unwrap_data_key(keyring, wrapped))


def wrapped_key_id(wrapped: str) -> str:
    return wrapped.split(".", 1)[0]


# --- segments ------------------------------------------------------------------------------


def segment_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">I?", index, final)


def segment_data(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">Q?", index, final)


def is_sealed_file_start(start: bytes) -> bool:
    """Whether bytes read from a file's start begin a sealed file."""
    return start.startswith(MAGIC)


class SealingWriter:
    """Seals what is written to it into TARGET, a segment at a time; finish() writes the last
    segment (every sealed file has one, even an empty file's)."""

    def __init__(
        self, target: BinaryIO, data_key: bytes, *, segment_size: int = SEGMENT_SIZE
    ) -> None:
        if not 0 < segment_size <= MAX_SEGMENT_SIZE:
            raise ValueError("segment size out of range")
        self.target = target
        self.cipher = AESGCM(data_key)
        self.segment_size = segment_size
        self.prefix = os.urandom(NONCE_PREFIX_BYTES)
        self.header = HEADER.pack(MAGIC, segment_size, self.prefix)
        self.buffer = bytearray()
        self.index = 0
        self.finished = False
        target.write(self.header)

    def write(self, data: bytes) -> int:
        self.buffer += data
        # Strictly more than a segment: the last full segment waits, since it may be final.
        while len(self.buffer) > self.segment_size:
            self.seal_segment(bytes(self.buffer[: self.segment_size]), final=False)
            del self.buffer[: self.segment_size]
        return len(data)

    def finish(self) -> None:
        if not self.finished:
            self.seal_segment(bytes(self.buffer), final=True)
            self.buffer.clear()
            self.finished = True

    def seal_segment(self, plain: bytes, *, final: bool) -> None:
        if self.index >= MAX_SEGMENTS:
            raise ValueError("file too large for one sealed file")
        nonce = segment_nonce(self.prefix, self.index, final)
        associated = segment_data(self.header, self.index, final)
        self.target.write(self.cipher.encrypt(nonce, plain, associated))
        self.index += 1


def plaintext_size(sealed_size: int, segment_size: int) -> int:
    """The plaintext's length, from the sealed file's length. Raises SealBroken when no file
    this format writes has that length (cut short)."""
    body = sealed_size - HEADER.size
    full = segment_size + TAG_BYTES
    segments = max(1, -(-body // full))
    last = body - (segments - 1) * full
    if body < TAG_BYTES or last < TAG_BYTES:
        raise SealBroken("an evidence file is cut short (its last segment is incomplete)")
    return body - segments * TAG_BYTES


class SealedReader(io.RawIOBase):
    """The plaintext of a sealed file, read a segment at a time: every segment is
    authenticated before any of its bytes is returned.

    Raises SealBroken (from the constructor or a read) when the file is not sealed, or was
    changed, cut, extended or reordered, or is sealed under another data key. Seeks only to
    the start or the end (the end gives the plaintext's length)."""

    def __init__(self, source: BinaryIO, data_key: bytes) -> None:
        super().__init__()
        self.source = source
        self.cipher = AESGCM(data_key)
        self.header = source.read(HEADER.size)
        if len(self.header) != HEADER.size or not is_sealed_file_start(self.header):
            raise SealBroken("an evidence file is not sealed (its header is missing)")
        _magic, self.segment_size, self.prefix = HEADER.unpack(self.header)
        if not 0 < self.segment_size <= MAX_SEGMENT_SIZE:
            raise SealBroken("an evidence file's header is damaged (its segment size)")
        self.size = plaintext_size(source.seek(0, io.SEEK_END), self.segment_size)
        self.rewind()

    def rewind(self) -> None:
        self.source.seek(HEADER.size)
        self.index = 0
        self.position = 0
        self.plain = b""
        self.offset = 0
        self.next_raw = self.read_raw_segment()
        self.at_end = False

    def read_raw_segment(self) -> bytes:
        return self.source.read(self.segment_size + TAG_BYTES)

    def open_next_segment(self) -> bool:
        """Decrypt the next segment into self.plain; False at the end."""
        raw = self.next_raw
        if not raw:
            if self.index == 0:
                raise SealBroken("an evidence file is cut short (no segment)")
            return False
        self.next_raw = self.read_raw_segment()
        final = not self.next_raw
        if not final and len(raw) != self.segment_size + TAG_BYTES:
            raise SealBroken("an evidence file is damaged (a short segment)")
        try:
            self.plain = self.cipher.decrypt(
                segment_nonce(self.prefix, self.index, final),
                raw,
                segment_data(self.header, self.index, final),
            )
        except InvalidTag:
            raise SealBroken(
                f"an evidence file does not authenticate at segment {self.index}"
                " (changed, cut, reordered, or sealed under another key)"
            ) from None
        self.offset = 0
        self.index += 1
        return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        while self.offset >= len(self.plain):
            if self.at_end or not self.open_next_segment():
                self.at_end = True
                return 0
        count = min(len(view), len(self.plain) - self.offset)
        view[:count] = self.plain[self.offset : self.offset + count]
        self.offset += count
        self.position += count
        return count

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        parts, wanted = [], size
        while wanted > 0:
            buffer = bytearray(min(wanted, self.segment_size))
            count = self.readinto(buffer)
            if not count:
                break
            parts.append(bytes(buffer[:count]))
            wanted -= count
        return b"".join(parts)

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(self.segment_size):
            parts.append(chunk)
        return b"".join(parts)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if offset == 0 and whence == io.SEEK_SET:
            self.rewind()
        elif offset == 0 and whence == io.SEEK_END:
            self.at_end = True
            self.plain, self.offset, self.position = b"", 0, self.size
        else:
            raise io.UnsupportedOperation("a sealed file seeks only to its start or its end")
        return self.position

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        if not self.closed:
            self.source.close()
        super().close()


def seal_bytes(data: bytes, data_key: bytes, *, segment_size: int = SEGMENT_SIZE) -> bytes:
    """DATA sealed whole (for tests and small files)."""
    target = io.BytesIO()
    writer = SealingWriter(target, data_key, segment_size=segment_size)
    writer.write(data)
    writer.finish()
    return target.getvalue()


def open_bytes(sealed: bytes, data_key: bytes) -> bytes:
    """The plaintext of a sealed file held in memory. Raises SealBroken."""
    with SealedReader(io.BytesIO(sealed), data_key) as reader:
        return reader.read()
