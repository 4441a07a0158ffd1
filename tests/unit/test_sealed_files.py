"""The sealed file format (tracker.domain.sealed_files): round trips around segment
boundaries, and every cut, swap, flip, extension or wrong key refused."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.sealed_files import (
    HEADER,
    MAGIC,
    TAG_BYTES,
    SealedReader,
    new_data_key,
    open_bytes,
    plaintext_size,
    rewrap_data_key,
    seal_bytes,
    unwrap_data_key,
    wrap_data_key,
)
from tracker.domain.sealing import Keyring, MasterKey, SealBroken, WrongMasterKey

SEGMENT = 64  # small segments, so boundaries are cheap to test
KEY = bytes(range(32))
KEYRING = Keyring(MasterKey(bytes.fromhex("a1" * 32)), bytes.fromhex("b2" * 32))
OTHER_MASTER = MasterKey(bytes.fromhex("c3" * 32))


def segments_of(sealed: bytes) -> list[bytes]:
    body = sealed[HEADER.size :]
    size = SEGMENT + TAG_BYTES
    return [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize(
    "length", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT, 3 * SEGMENT, 3 * SEGMENT + 5]
)
def test_round_trip_around_segment_boundaries(length: int) -> None:
    data = bytes(i % 251 for i in range(length))
    sealed = seal_bytes(data, KEY, segment_size=SEGMENT)
    assert sealed.startswith(MAGIC)
    assert open_bytes(sealed, KEY) == data
    assert plaintext_size(len(sealed), SEGMENT) == length
    expected_segments = max(1, -(-length // SEGMENT))
    assert len(segments_of(sealed)) == expected_segments


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=5 * SEGMENT), read_size=st.integers(min_value=1, max_value=200))
def test_round_trip_in_any_read_size(data: bytes, read_size: int) -> None:
    sealed = seal_bytes(data, KEY, segment_size=SEGMENT)
    with SealedReader(io.BytesIO(sealed), KEY) as reader:
        assert reader.seek(0, io.SEEK_END) == len(data)
        reader.seek(0)
        parts = []
        while part := reader.read(read_size):
            parts.append(part)
    assert b"".join(parts) == data


def test_the_default_segment_size_round_trips_a_large_file() -> None:
    data = bytes(1024 * 1024 * 2 + 3)
    assert open_bytes(seal_bytes(data, KEY), KEY) == data


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=1, max_size=4 * SEGMENT), position=st.integers(min_value=0))
def test_any_flipped_bit_is_refused(data: bytes, position: int) -> None:
    sealed = bytearray(seal_bytes(data, KEY, segment_size=SEGMENT))
    index = position % len(sealed)
    sealed[index] ^= 0x01 << (position % 8)
    with pytest.raises(SealBroken):
        open_bytes(bytes(sealed), KEY)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=4 * SEGMENT), cut=st.integers(min_value=1))
def test_any_cut_is_refused(data: bytes, cut: int) -> None:
    sealed = seal_bytes(data, KEY, segment_size=SEGMENT)
    shorter = sealed[: len(sealed) - 1 - (cut % len(sealed))]
    with pytest.raises(SealBroken):
        open_bytes(shorter, KEY)


def test_a_whole_last_segment_dropped_is_refused() -> None:
    sealed = seal_bytes(bytes(3 * SEGMENT), KEY, segment_size=SEGMENT)
    without_last = sealed[: len(sealed) - (SEGMENT + TAG_BYTES)]
    with pytest.raises(SealBroken, match="segment 1"):
        open_bytes(without_last, KEY)


@pytest.mark.parametrize("extra", [b"x", bytes(SEGMENT + TAG_BYTES)])
def test_anything_appended_is_refused(extra: bytes) -> None:
    sealed = seal_bytes(bytes(2 * SEGMENT), KEY, segment_size=SEGMENT)
    with pytest.raises(SealBroken):
        open_bytes(sealed + extra, KEY)


def test_reordered_or_repeated_segments_are_refused() -> None:
    sealed = seal_bytes(bytes(range(256)) * 1, KEY, segment_size=SEGMENT)
    header, parts = sealed[: HEADER.size], segments_of(sealed)
    assert len(parts) == 4
    swapped = header + b"".join([parts[1], parts[0], parts[2], parts[3]])
    repeated = header + b"".join([parts[0], parts[0], parts[2], parts[3]])
    for changed in (swapped, repeated):
        with pytest.raises(SealBroken):
            open_bytes(changed, KEY)


def test_a_segment_from_another_file_under_the_same_key_is_refused() -> None:
    first = seal_bytes(bytes(2 * SEGMENT), KEY, segment_size=SEGMENT)
    second = seal_bytes(bytes(2 * SEGMENT), KEY, segment_size=SEGMENT)
    mixed = first[: HEADER.size] + segments_of(second)[0] + segments_of(first)[1]
    with pytest.raises(SealBroken):
        open_bytes(mixed, KEY)


def test_the_wrong_data_key_and_plaintext_are_refused() -> None:
    sealed = seal_bytes(b"evidence", KEY, segment_size=SEGMENT)
    with pytest.raises(SealBroken):
        open_bytes(sealed, new_data_key())
    with pytest.raises(SealBroken, match="not sealed"):
        open_bytes(b"evidence in the clear", KEY)
    with pytest.raises(SealBroken):
        open_bytes(MAGIC, KEY)


def test_a_changed_segment_is_refused_before_any_of_its_bytes_is_read() -> None:
    sealed = bytearray(seal_bytes(bytes(3 * SEGMENT), KEY, segment_size=SEGMENT))
    sealed[HEADER.size + SEGMENT + TAG_BYTES + 3] ^= 0x80  # in the second segment
    with SealedReader(io.BytesIO(bytes(sealed)), KEY) as reader:
        assert reader.read(SEGMENT) == bytes(SEGMENT)
        with pytest.raises(SealBroken, match="segment 1"):
            reader.read(1)


def test_data_keys_wrap_unwrap_and_rewrap_under_the_master_key() -> None:
    data_key = new_data_key()
    wrapped = wrap_data_key(KEYRING.master, data_key)
    assert wrapped.startswith(KEYRING.key_id + ".")
    assert data_key.hex() not in wrapped
    assert unwrap_data_key(KEYRING, wrapped) == data_key
    rewrapped = rewrap_data_key(KEYRING, wrapped, OTHER_MASTER)
    assert rewrapped.startswith(OTHER_MASTER.key_id + ".")
    with pytest.raises(WrongMasterKey):
        unwrap_data_key(KEYRING, rewrapped)
    assert unwrap_data_key(Keyring(OTHER_MASTER, KEYRING.blind_key), rewrapped) == data_key
    key_id, body = wrapped.split(".")
    flipped = key_id + "." + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(SealBroken):
        unwrap_data_key(KEYRING, flipped)
    with pytest.raises(SealBroken):
        unwrap_data_key(KEYRING, "no wrapped key")
