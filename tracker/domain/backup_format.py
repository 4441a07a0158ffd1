"""The encrypted backup file: a header of key slots, then AES-256-GCM in numbered chunks.

Layout (docs/security.md, "Backups that restore"), integers big-endian:

    magic (8) | format version (1) | chunk size (4) | slot count (1) | key slots
    chunk 0 | chunk 1 | ... | final chunk

Each backup has its own random 256-bit data key. A key slot holds that key wrapped
(AES-256-GCM) under a key-encryption key: the 32 bytes of the backup key file, or a key that
argon2id derives from a passphrase with the salt and costs kept in the slot. Every chunk is
AES-256-GCM under the data key with the chunk's index as its nonce (unique: one data key per
backup) and, as associated data, the SHA-256 of the whole header, the index and a final flag.
So a changed byte anywhere, a changed header, chunks swapped or dropped, a file cut short at a
chunk boundary or bytes added after the end all fail to authenticate; nothing decrypted is
trusted before the final chunk has been.
"""

import hashlib
import secrets
import struct
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tracker.domain.errors import InvalidInput

# The high byte and the line feed make a file mangled by a text-mode copy fail at once.
MAGIC = b"\x89TRKBAK\n"
FORMAT_VERSION = 1
KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
KEY_ID_SIZE = 16
SALT_SIZE = 16
WRAPPED_SIZE = NONCE_SIZE + KEY_SIZE + TAG_SIZE
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_SLOTS = 8
PREFIX = struct.Struct(">8sBIB")
KEY_FILE_SLOT, PASSPHRASE_SLOT = 1, 2
KEY_FILE_BODY = struct.Struct(f">{KEY_ID_SIZE}s{WRAPPED_SIZE}s")
PASSPHRASE_BODY = struct.Struct(f">{SALT_SIZE}sIIB{WRAPPED_SIZE}s")
CHUNK_LABEL = struct.Struct(">32sQB")


class BackupRefused(InvalidInput):
    """A backup file that cannot be used; nothing was restored."""


class NotABackup(BackupRefused):
    """The file is not a tracker backup, or of a format this version cannot read."""


class WrongBackupKey(BackupRefused):
    """The key file or passphrase given does not open the backup."""


class BackupDamaged(BackupRefused):
    """Bytes of the backup were changed, cut off, reordered or added."""


@dataclass(frozen=True)
class PassphraseCost:
    """argon2id costs; the defaults are RFC 9106's second recommendation (64 MiB, t=3)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def is_sane(self) -> bool:
        """Bounds a damaged or hostile header cannot push past (no 1 TB of memory asked)."""
        return (
            1 <= self.time_cost <= 64
            and 8 * self.parallelism <= self.memory_kib <= 4 * 1024 * 1024
            and 1 <= self.parallelism <= 64
        )


@dataclass(frozen=True)
class BackupSecrets:
    """What seals or opens a backup: the backup key file's bytes, a passphrase, or both."""

    key_file_key: bytes | None = None
    passphrase: str | None = None
    cost: PassphraseCost = PassphraseCost()


@dataclass(frozen=True)
class KeySlot:
    """One wrapped copy of the data key: under a key file (key_id) or a passphrase (salt)."""

    kind: int
    wrapped: bytes
    key_id: bytes = b""
    salt: bytes = b""
    cost: PassphraseCost = PassphraseCost()

    def body(self) -> bytes:
        if self.kind == KEY_FILE_SLOT:
            return KEY_FILE_BODY.pack(self.key_id, self.wrapped)
        cost = self.cost
        return PASSPHRASE_BODY.pack(
            self.salt, cost.time_cost, cost.memory_kib, cost.parallelism, self.wrapped
        )

    def label(self) -> bytes:
        """What the wrapping authenticates besides the key: the format and the slot's fields."""
        return MAGIC + bytes([FORMAT_VERSION, self.kind]) + self.body()[:-WRAPPED_SIZE]


@dataclass(frozen=True)
class Header:
    chunk_size: int
    slots: tuple[KeySlot, ...]
    raw: bytes

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def key_id_of(key: bytes) -> bytes:
    """A name for a backup key that reveals nothing of it: which key file made a backup."""
    return hashlib.sha256(b"tracker backup key id\x00" + key).digest()[:KEY_ID_SIZE]


def passphrase_key(passphrase: str, salt: bytes, cost: PassphraseCost) -> bytes:
    """argon2id of the passphrase; NFC first, so the same words typed on another system match."""
    return hash_secret_raw(
        secret=unicodedata.normalize("NFC", passphrase).encode("utf-8"),
        salt=salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=KEY_SIZE,
        type=Type.ID,
    )


# --- sealing --------------------------------------------------------------------------------


def wrap(slot: KeySlot, wrapping_key: bytes, data_key: bytes) -> KeySlot:
    nonce = secrets.token_bytes(NONCE_SIZE)
    sealed = AESGCM(wrapping_key).encrypt(nonce, data_key, slot.label())
    return KeySlot(slot.kind, nonce + sealed, slot.key_id, slot.salt, slot.cost)


def new_slots(given: BackupSecrets, data_key: bytes) -> tuple[KeySlot, ...]:
    """A slot for each secret given. Raises InvalidInput when none is."""
    slots = []
    blank = bytes(WRAPPED_SIZE)
    if given.key_file_key is not None:
        slot = KeySlot(KEY_FILE_SLOT, blank, key_id=key_id_of(given.key_file_key))
        slots.append(wrap(slot, given.key_file_key, data_key))
    if given.passphrase is not None:
        slot = KeySlot(PASSPHRASE_SLOT, blank, salt=secrets.token_bytes(SALT_SIZE), cost=given.cost)
        wrapping_key = passphrase_key(given.passphrase, slot.salt, slot.cost)
        slots.append(wrap(slot, wrapping_key, data_key))
    if not slots:
        raise InvalidInput("backup: give a backup key file, a passphrase, or both")
    return tuple(slots)


def encode_header(chunk_size: int, slots: tuple[KeySlot, ...]) -> bytes:
    prefix = PREFIX.pack(MAGIC, FORMAT_VERSION, chunk_size, len(slots))
    return prefix + b"".join(bytes([slot.kind]) + slot.body() for slot in slots)


def new_header(
    given: BackupSecrets, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[Header, bytes]:
    """A header sealing a new random data key under each secret given, and that key."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInput(f"chunk size: from 1 to {MAX_CHUNK_SIZE} bytes")
    data_key = AESGCM.generate_key(bit_length=256)
    slots = new_slots(given, data_key)
    return Header(chunk_size, slots, encode_header(chunk_size, slots)), data_key


def chunk_label(header_digest: bytes, index: int, final: bool) -> bytes:
    return CHUNK_LABEL.pack(header_digest, index, int(final))


def chunk_nonce(index: int) -> bytes:
    return index.to_bytes(NONCE_SIZE, "big")


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class SealedWriter:
    """Encrypts what is written to it into chunks; `finish()` writes the final chunk.

    Holds at most one chunk of plain text: a 10 GB backup streams through.
    """

    def __init__(self, target: Writable, header: Header, data_key: bytes) -> None:
        self.target = target
        self.header = header
        self.digest = header.digest
        self.cipher = AESGCM(data_key)
        self.buffer = bytearray()
        self.index = 0
        target.write(header.raw)

    def write(self, data: bytes) -> int:
        self.buffer += data
        size = self.header.chunk_size
        # Strictly more than a chunk: the final chunk is never empty unless the whole stream is.
        while len(self.buffer) > size:
            self.emit(bytes(self.buffer[:size]), final=False)
            del self.buffer[:size]
        return len(data)

    def emit(self, plain: bytes, *, final: bool) -> None:
        label = chunk_label(self.digest, self.index, final)
        self.target.write(self.cipher.encrypt(chunk_nonce(self.index), plain, label))
        self.index += 1

    def finish(self) -> None:
        self.emit(bytes(self.buffer), final=True)
        self.buffer.clear()


# --- opening --------------------------------------------------------------------------------


def read_exact(source: Readable, size: int) -> bytes:
    """Up to SIZE bytes; fewer only at the end of the file (pipes may return short reads)."""
    parts, wanted = [], size
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def read_header(source: Readable) -> Header:
    """Parse the header. Raises NotABackup, BackupDamaged."""
    prefix = read_exact(source, PREFIX.size)
    if len(prefix) < PREFIX.size or not prefix.startswith(MAGIC):
        raise NotABackup("not a tracker backup (it does not begin with the backup marker)")
    _magic, version, chunk_size, slot_count = PREFIX.unpack(prefix)
    if version > FORMAT_VERSION:
        raise NotABackup(
            f"made by a newer tracker (backup format {version}; this version reads format"
            f" {FORMAT_VERSION}): restore it with a newer tracker"
        )
    if version < 1 or not 1 <= chunk_size <= MAX_CHUNK_SIZE or not 1 <= slot_count <= MAX_SLOTS:
        raise BackupDamaged("the backup's header is damaged; nothing was restored")
    slots, raw_slots = read_slots(source, slot_count)
    return Header(chunk_size, slots, prefix + raw_slots)


def read_slots(source: Readable, count: int) -> tuple[tuple[KeySlot, ...], bytes]:
    slots, raw = [], b""
    for _ in range(count):
        kind = read_exact(source, 1)
        layout = {bytes([KEY_FILE_SLOT]): KEY_FILE_BODY, bytes([PASSPHRASE_SLOT]): PASSPHRASE_BODY}
        if kind not in layout:
            raise BackupDamaged("the backup's header is damaged (an unknown key slot)")
        body = read_exact(source, layout[kind].size)
        if len(body) < layout[kind].size:
            raise BackupDamaged("the backup is cut short inside its header")
        slots.append(decode_slot(kind[0], body))
        raw += kind + body
    return tuple(slots), raw


def decode_slot(kind: int, body: bytes) -> KeySlot:
    if kind == KEY_FILE_SLOT:
        key_id, wrapped = KEY_FILE_BODY.unpack(body)
        return KeySlot(kind, wrapped, key_id=key_id)
    salt, time_cost, memory_kib, parallelism, wrapped = PASSPHRASE_BODY.unpack(body)
    cost = PassphraseCost(time_cost, memory_kib, parallelism)
    if not cost.is_sane():
        raise BackupDamaged("the backup's header is damaged (impossible passphrase costs)")
    return KeySlot(kind, wrapped, salt=salt, cost=cost)


def unwrap(slot: KeySlot, wrapping_key: bytes) -> bytes | None:
    nonce, sealed = slot.wrapped[:NONCE_SIZE], slot.wrapped[NONCE_SIZE:]
    try:
        return AESGCM(wrapping_key).decrypt(nonce, sealed, slot.label())
    except InvalidTag:
        return None


def open_header(header: Header, given: BackupSecrets) -> bytes:
    """The data key, from the slot the given secret opens. Raises WrongBackupKey,
    BackupDamaged (a key file's slot that its own key does not open)."""
    if given.passphrase is not None:
        return open_with_passphrase(header, given.passphrase)
    if given.key_file_key is not None:
        return open_with_key_file(header, given.key_file_key)
    raise WrongBackupKey("restore: give the backup key file or the passphrase")


def slots_of(header: Header, kind: int) -> list[KeySlot]:
    return [slot for slot in header.slots if slot.kind == kind]


def open_with_passphrase(header: Header, passphrase: str) -> bytes:
    slots = slots_of(header, PASSPHRASE_SLOT)
    if not slots:
        raise WrongBackupKey(
            "this backup was sealed with a backup key file, not a passphrase: give --key-file"
        )
    for slot in slots:
        data_key = unwrap(slot, passphrase_key(passphrase, slot.salt, slot.cost))
        if data_key is not None:
            return data_key
    raise WrongBackupKey("wrong passphrase (or a damaged header); nothing was restored")


def open_with_key_file(header: Header, key: bytes) -> bytes:
    slots = slots_of(header, KEY_FILE_SLOT)
    if not slots:
        raise WrongBackupKey("this backup was sealed with a passphrase only: give --passphrase")
    wanted = key_id_of(key)
    matching = [slot for slot in slots if slot.key_id == wanted]
    if not matching:
        made_with = ", ".join(slot.key_id.hex() for slot in slots)
        raise WrongBackupKey(
            f"wrong backup key: this backup was made with key {made_with} (unless its header is"
            f" damaged), the key file given is key {wanted.hex()}; nothing was restored"
        )
    data_key = unwrap(matching[0], key)
    if data_key is None:
        raise BackupDamaged("the backup's header is damaged (its key slot does not open)")
    return data_key


class ChunkReader:
    """The plain text of the chunks after the header, authenticated chunk by chunk."""

    def __init__(self, source: Readable, header: Header, data_key: bytes) -> None:
        self.source = source
        self.header = header
        self.digest = header.digest
        self.cipher = AESGCM(data_key)
        self.offset = len(header.raw)

    def chunks(self) -> Iterator[bytes]:
        """Each chunk's plain text in order. Raises BackupDamaged."""
        block_size = self.header.chunk_size + TAG_SIZE
        index, current = 0, read_exact(self.source, block_size)
        while True:
            following = b"" if len(current) < block_size else read_exact(self.source, block_size)
            final = not following
            yield self.open_chunk(current, index, final)
            if final:
                return
            self.offset += len(current)
            index, current = index + 1, following

    def open_chunk(self, sealed: bytes, index: int, final: bool) -> bytes:
        try:
            return self.decrypt(sealed, index, final)
        except InvalidTag:
            raise self.damage(sealed, index, final) from None

    def decrypt(self, sealed: bytes, index: int, final: bool) -> bytes:
        if len(sealed) < TAG_SIZE:
            raise InvalidTag
        label = chunk_label(self.digest, index, final)
        return self.cipher.decrypt(chunk_nonce(index), sealed, label)

    def damage(self, sealed: bytes, index: int, final: bool) -> BackupDamaged:
        """Say what happened as exactly as the chunk allows."""
        try:
            self.decrypt(sealed, index, not final)
        except InvalidTag:
            end = self.offset + len(sealed)
            # The last chunk may also have been cut short inside: it cannot tell which.
            what = "damaged or cut short" if final else "damaged"
            return BackupDamaged(
                f"the backup is {what}: chunk {index} (bytes {self.offset} to {end}) does not"
                " authenticate (a changed, missing or reordered byte); nothing was restored"
            )
        if final:
            return BackupDamaged(
                f"the backup is cut short after byte {self.offset + len(sealed)} (its end is"
                " missing); nothing was restored"
            )
        return BackupDamaged(
            f"bytes were added after the backup's end (at byte {self.offset + len(sealed)});"
            " nothing was restored"
        )


class PlainStream:
    """A `read(n)` view of the authenticated chunks, for the archive inside."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = bytearray()
        self.ended = False

    def read(self, size: int) -> bytes:
        """SIZE bytes, fewer only at the end."""
        while len(self.buffer) < size and not self.ended:
            self.fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def fill(self) -> None:
        chunk = next(self.chunks, None)
        if chunk is None:
            self.ended = True
        else:
            self.buffer += chunk

    def at_end(self) -> bool:
        """True when nothing is left; reads (and so authenticates) through the final chunk."""
        while not self.buffer and not self.ended:
            self.fill()
        return not self.buffer
