"""Sealed values: any text round-trips, any change is refused, another key is named, a rotation
rewraps without decrypting, and the blind index matches exact names only."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.sealing import (
    ENVELOPE_PREFIX,
    Keyring,
    MasterKey,
    MasterKeyUnavailable,
    SealBroken,
    WrongMasterKey,
    blind_index,
    canonical_envelope,
    current_keyring,
    install_keyring,
    is_blind_index,
    is_sealed,
    open_text,
    rewrap,
    seal_text,
)

KEYRING = Keyring(MasterKey(bytes(range(32))), bytes(range(32, 64)))
OTHER = Keyring(MasterKey(bytes(range(64, 96))), bytes(range(32, 64)))
texts = st.text(min_size=1, max_size=300)
contexts = st.sampled_from(["person.real_name", "person_name.text", "person.contact_info"])


@given(texts, contexts)
def test_any_text_round_trips(text: str, context: str) -> None:
    envelope = seal_text(KEYRING, text, context)
    assert is_sealed(envelope)
    assert open_text(KEYRING, envelope, context) == text


@given(texts)
def test_the_envelope_shows_nothing_of_the_text(text: str) -> None:
    envelope = seal_text(KEYRING, text, "person.real_name")
    assert envelope.startswith(ENVELOPE_PREFIX)
    if len(text) >= 4:
        assert text not in envelope


def test_each_value_has_its_own_data_key_and_nonce() -> None:
    first = seal_text(KEYRING, "Əli Məlikov", "person.real_name").split(".")
    second = seal_text(KEYRING, "Əli Məlikov", "person.real_name").split(".")
    assert first[2] == second[2]  # the same master key
    assert first[3] != second[3]  # another wrapped data key
    assert first[4] != second[4]  # another nonce
    assert first[5] != second[5]


@given(texts, st.data())
def test_any_changed_character_is_refused(text: str, data: st.DataObject) -> None:
    envelope = seal_text(KEYRING, text, "person.real_name")
    start = len(ENVELOPE_PREFIX) + 17  # past the key id: the wrapped key, nonce, ciphertext
    position = data.draw(st.integers(min_value=start, max_value=len(envelope) - 1))
    if envelope[position] == ".":
        return
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    )
    changed = envelope[:position] + replacement + envelope[position + 1 :]
    if changed == envelope:
        return
    try:
        opened = open_text(KEYRING, changed, "person.real_name")
    except SealBroken:
        return
    # base64 without padding: a changed last character may only touch unused bits.
    assert opened == text


@given(texts)
def test_a_cut_envelope_is_refused(text: str) -> None:
    envelope = seal_text(KEYRING, text, "person.real_name")
    with pytest.raises(SealBroken):
        open_text(KEYRING, envelope[:-4], "person.real_name")


def test_a_value_moved_to_another_column_is_refused() -> None:
    envelope = seal_text(KEYRING, "Nuray", "person.real_name")
    with pytest.raises(SealBroken):
        open_text(KEYRING, envelope, "person.contact_info")


@given(texts)
def test_another_master_key_is_named_and_refused(text: str) -> None:
    envelope = seal_text(KEYRING, text, "person.real_name")
    with pytest.raises(WrongMasterKey, match=KEYRING.key_id):
        open_text(OTHER, envelope, "person.real_name")


@given(texts)
def test_rewrapping_changes_only_the_key_parts(text: str) -> None:
    envelope = seal_text(KEYRING, text, "person.real_name")
    rewrapped = rewrap(KEYRING, envelope, OTHER.master)
    assert rewrapped.split(".")[4:] == envelope.split(".")[4:]
    assert canonical_envelope(rewrapped) == canonical_envelope(envelope)
    assert open_text(OTHER, rewrapped, "person.real_name") == text
    with pytest.raises(WrongMasterKey):
        open_text(KEYRING, rewrapped, "person.real_name")
    during = Keyring(OTHER.master, OTHER.blind_key, older=(KEYRING.master,))
    assert open_text(during, envelope, "person.real_name") == text


def test_a_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError):
        MasterKey(b"short")


@given(st.text(min_size=1, max_size=100).filter(lambda name: name.strip() != ""))
def test_the_blind_index_is_keyed_and_folds_names(name: str) -> None:
    digest = blind_index(KEYRING, name)
    if not digest:
        return
    assert is_blind_index(digest)
    assert blind_index(KEYRING, f"  {name}  ") == digest
    other_key = Keyring(KEYRING.master, bytes(32))
    assert blind_index(other_key, name) != digest


def test_the_blind_index_matches_folded_spellings_only() -> None:
    digest = blind_index(KEYRING, "Əli Məlikov")
    assert blind_index(KEYRING, "eli melikov") == digest
    assert blind_index(KEYRING, "ƏLİ MƏLİKOV") == digest
    assert blind_index(KEYRING, "Əli") != digest
    assert blind_index(KEYRING, "") == ""


def test_without_a_keyring_nothing_is_sealed() -> None:
    install_keyring(None)
    with pytest.raises(MasterKeyUnavailable):
        current_keyring()
