"""Field-level encryption: identity values sealed with AES-256-GCM under their own data key,
wrapped by a master key kept outside the database, and a keyed blind index for exact lookups.

Pure (no database, no files): the key file lives in tracker.services.master_keys, the column
types in tracker.models.sealed. An envelope is text, so it fits any text column and JSON:

    sealed.v1.<key id>.<wrapped data key>.<nonce>.<ciphertext and tag>

the last four base64url without padding. Every value gets a fresh random 256-bit data key,
wrapped with AES-256-GCM under the master key named by its key id; the value is
encrypted under the data key with AES-256-GCM and a random 96-bit nonce, and the associated
data binds it to its column ("person.real_name"), so a value copied into another column does
not open. Rotating the master key unwraps and wraps again only the 32-byte data keys: the
ciphertext stays the same, and no value is decrypted (rewrap).
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tracker.domain.errors import TrackerError
from tracker.domain.text import fold_for_search

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_CHARACTERS = 16
ENVELOPE_PREFIX = "sealed.v1."
ASSOCIATED_DATA_TAG = b"tracker sealed v1\n"
KEY_ID_TAG = b"tracker master key id v1\n"
# The associated data of a data key wrapped under the master key.
DATA_KEY_TAG = b"tracker data key v1\n"
# A wrapped data key: its nonce, the key, and the tag.
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + 16
BLIND_INDEX_TAG = b"tracker blind index v1\n"
# A blind index: a tag and 64 hexadecimal digits, never anything a folded name could be.
BLIND_INDEX_PREFIX = "bi1:"
BLIND_INDEX_FORM = re.compile("bi1:[0-9a-f]{64}")
ENVELOPE_PARTS = 6


class SealingError(TrackerError):
    """A sealed value cannot be written or read as asked; nothing was written in the clear."""


class MasterKeyUnavailable(SealingError):
    """No master key is loaded (missing or unreadable key file); nothing can be sealed."""


class WrongMasterKey(SealingError):
    """The value, or the database, was sealed under another master key."""


class SealBroken(SealingError):
    """The envelope was changed, cut, or moved from another column: it does not authenticate."""


def key_id_of(key: bytes) -> str:
    """A short public name of a key (a hash of it), so "sealed under another key" can be said
    without revealing the key."""
    return hashlib.sha256(KEY_ID_TAG + key).hexdigest()[:KEY_ID_CHARACTERS]


@dataclass(frozen=True)
class MasterKey:
    """32 random bytes that wrap every data key; named by key_id.

    A data key is wrapped with AES-256-GCM under the master key and a random nonce of its
    own: one call into OpenSSL (AES key wrap, RFC 3394, runs its six rounds per block in
    Python in the cryptography package: a hundred times slower, too slow for every name of
    an import).
    """

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes")

    @cached_property
    def key_id(self) -> str:
        return key_id_of(self.key)

    @cached_property
    def cipher(self) -> AESGCM:
        return AESGCM(self.key)

    def wrap(self, data_key: bytes) -> bytes:
        """DATA_KEY sealed under this master key: nonce, then ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.cipher.encrypt(nonce, data_key, DATA_KEY_TAG)

    def unwrap(self, wrapped: bytes) -> bytes:
        """The data key WRAPPED holds. Raises SealBroken when it was changed or cut."""
        if len(wrapped) != WRAPPED_KEY_BYTES:
            raise SealBroken("a data key is damaged (wrong length)")
        try:
            return self.cipher.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], DATA_KEY_TAG)
        except InvalidTag:
            raise SealBroken("a data key does not unwrap (it was changed)") from None


@dataclass(frozen=True)
class Keyring:
    """The current master key (seals), older ones (still open, during a rotation) and the
    blind-index key (HMAC of names; not rotated with the master key)."""

    master: MasterKey
    blind_key: bytes = field(repr=False)
    older: tuple[MasterKey, ...] = ()

    @property
    def key_id(self) -> str:
        return self.master.key_id

    @property
    def blind_key_id(self) -> str:
        return key_id_of(self.blind_key)

    def master_named(self, key_id: str) -> MasterKey:
        """Raises WrongMasterKey when no key of this keyring has the id."""
        for master in (self.master, *self.older):
            if master.key_id == key_id:
                return master
        raise WrongMasterKey(
            f"a value is sealed under master key {key_id}, and the master key file given is"
            f" key {self.master.key_id}: use the key file this database was sealed with"
        )


# base64 to base64url, as base64.urlsafe_b64encode does, without its two Python calls.
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    """Raises SealBroken for text that is no base64url."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SealBroken("a sealed value is damaged (not base64)") from None


def associated_data(context: str) -> bytes:
    return ASSOCIATED_DATA_TAG + context.encode("utf-8")


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ENVELOPE_PREFIX)


def seal_text(keyring: Keyring, text: str, context: str) -> str:
    """TEXT sealed under a fresh data key wrapped by the current master key."""
    data_key = AESGCM.generate_key(bit_length=8 * KEY_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(
        nonce, text.encode("utf-8", "surrogatepass"), associated_data(context)
    )
    wrapped = keyring.master.wrap(data_key)
    return ENVELOPE_PREFIX + ".".join(
        (keyring.key_id, encode(wrapped), encode(nonce), encode(ciphertext))
    )


@dataclass(frozen=True)
class Envelope:
    """The parts of a sealed value."""

    key_id: str
    wrapped: bytes
    nonce: bytes
    ciphertext: bytes
    nonce_text: str
    ciphertext_text: str


def parse_envelope(value: str) -> Envelope:
    """Raises SealBroken for anything that is not an envelope of this version."""
    parts = value.split(".")
    if len(parts) != ENVELOPE_PARTS or not value.startswith(ENVELOPE_PREFIX):
        raise SealBroken("a sealed value is damaged (not an envelope of version 1)")
    key_id, wrapped, nonce, ciphertext = parts[2:]
    return Envelope(key_id, decode(wrapped), decode(nonce), decode(ciphertext), nonce, ciphertext)


def unwrap(keyring: Keyring, envelope: Envelope) -> bytes:
    """The envelope's data key. Raises WrongMasterKey, SealBroken."""
    master = keyring.master_named(envelope.key_id)
    try:
        return master.unwrap(envelope.wrapped)
    except SealBroken:
        raise SealBroken("a sealed value's data key does not unwrap (it was changed)") from None


def open_text(keyring: Keyring, value: str, context: str) -> str:
    """The text sealed in VALUE for CONTEXT. Raises WrongMasterKey, SealBroken."""
    envelope = parse_envelope(value)
    data_key = unwrap(keyring, envelope)
    if len(envelope.nonce) != NONCE_BYTES:
        raise SealBroken("a sealed value is damaged (its nonce)")
    try:
        plain = AESGCM(data_key).decrypt(
            envelope.nonce, envelope.ciphertext, associated_data(context)
        )
    except InvalidTag:
        raise SealBroken(
            f"a sealed value of {context} does not authenticate (changed, or from another field)"
        ) from None
    return plain.decode("utf-8", "surrogatepass")


def rewrap(keyring: Keyring, value: str, new_master: MasterKey) -> str:
    """VALUE with its data key wrapped under NEW_MASTER instead: the ciphertext is untouched
    and nothing is decrypted but the data key, in memory. Raises WrongMasterKey, SealBroken."""
    envelope = parse_envelope(value)
    data_key = unwrap(keyring, envelope)
    wrapped = new_master.wrap(data_key)
    return ENVELOPE_PREFIX + ".".join(
        (new_master.key_id, encode(wrapped), envelope.nonce_text, envelope.ciphertext_text)
    )


def canonical_envelope(value: str) -> str:
    """What the audit chain hashes of an envelope: nonce and ciphertext, not the key id and
    wrapped data key, which a rotation changes. Text that is not an envelope is kept as is."""
    parts = value.split(".")
    if len(parts) != ENVELOPE_PARTS:
        return value
    return ENVELOPE_PREFIX + ".".join(parts[4:])


def canonical_sealed(value: Any) -> Any:
    """A JSON value with every envelope in it in canonical form (see canonical_envelope)."""
    if isinstance(value, str):
        return canonical_envelope(value) if value.startswith(ENVELOPE_PREFIX) else value
    if isinstance(value, list):
        return [canonical_sealed(item) for item in value]
    if isinstance(value, dict):
        return {key: canonical_sealed(item) for key, item in value.items()}
    return value


def rewrap_sealed(keyring: Keyring, value: Any, new_master: MasterKey) -> Any:
    """A JSON value with every envelope in it rewrapped (see rewrap)."""
    if isinstance(value, str):
        return rewrap(keyring, value, new_master) if is_sealed(value) else value
    if isinstance(value, list):
        return [rewrap_sealed(keyring, item, new_master) for item in value]
    if isinstance(value, dict):
        return {key: rewrap_sealed(keyring, item, new_master) for key, item in value.items()}
    return value


def holds_sealed(value: Any) -> bool:
    if isinstance(value, str):
        return is_sealed(value)
    if isinstance(value, list):
        return any(holds_sealed(item) for item in value)
    if isinstance(value, dict):
        return any(holds_sealed(item) for item in value.values())
    return False


# --- the blind index ------------------------------------------------------------------------


def is_blind_index(value: Any) -> bool:
    return isinstance(value, str) and BLIND_INDEX_FORM.fullmatch(value) is not None


def blind_index(keyring: Keyring, name: str) -> str:
    """HMAC-SHA-256 of the name folded for search (Əli = Eli = ƏLİ): equal names give equal
    digests, and nothing else can be learned from one without the key. Empty for no name."""
    folded = fold_for_search(name)
    if not folded:
        return ""
    digest = hmac.digest(keyring.blind_key, BLIND_INDEX_TAG + folded.encode("utf-8"), "sha256")
    return BLIND_INDEX_PREFIX + digest.hex()


def blind_indexes(keyring: Keyring, names: Iterable[str]) -> list[str]:
    return [digest for digest in (blind_index(keyring, name) for name in names) if digest]


# --- the process's keyring --------------------------------------------------------------------

KeyringSource = Callable[[], Keyring]
_source: KeyringSource | None = None
_lock = threading.Lock()


def install_keyring(source: Keyring | KeyringSource | None) -> None:
    """Make SOURCE the keyring every sealed column of this process uses (None: none, so
    sealing refuses). A callable is asked at each use (it may read its file once)."""
    global _source
    with _lock:
        if isinstance(source, Keyring):
            keyring = source
            _source = lambda: keyring  # noqa: E731
        else:
            _source = source


def installed_keyring_source() -> KeyringSource | None:
    return _source


def current_keyring() -> Keyring:
    """The installed keyring. Raises MasterKeyUnavailable when there is none; never returns
    a stand-in, so nothing is ever written unsealed instead."""
    source = _source
    if source is None:
        raise MasterKeyUnavailable(
            "no master key is loaded, so identity fields can be neither sealed nor opened;"
            " nothing was written"
        )
    return source()
