"""The encrypted backup format: what is sealed opens again whole, and any change to the file
(a flipped bit anywhere, a cut, an addition, chunks swapped, another key) is refused."""

import io
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.backup_archive import ArchiveReader, ArchiveWriter, MemberDigest, check_name
from tracker.domain.backup_format import (
    KEY_SIZE,
    TAG_SIZE,
    BackupDamaged,
    BackupRefused,
    BackupSecrets,
    ChunkReader,
    NotABackup,
    PassphraseCost,
    PlainStream,
    SealedWriter,
    WrongBackupKey,
    key_id_of,
    new_header,
    open_header,
    read_header,
)
from tracker.domain.backup_manifest import (
    Manifest,
    TableDigest,
    member_problems,
    parse_manifest,
    table_problems,
)

KEY = bytes(range(KEY_SIZE))
OTHER_KEY = bytes(reversed(range(KEY_SIZE)))
# The smallest argon2id costs: the same code path, without 64 MiB per test.
CHEAP = PassphraseCost(time_cost=1, memory_kib=8, parallelism=1)
KEY_ONLY = BackupSecrets(key_file_key=KEY)


def seal(plain: bytes, secrets: BackupSecrets = KEY_ONLY, *, chunk_size: int = 64) -> bytes:
    header, data_key = new_header(secrets, chunk_size=chunk_size)
    target = io.BytesIO()
    writer = SealedWriter(target, header, data_key)
    for start in range(0, len(plain), 50):  # writes that do not line up with chunks
        writer.write(plain[start : start + 50])
    writer.finish()
    return target.getvalue()


def open_sealed(sealed: bytes, secrets: BackupSecrets = KEY_ONLY) -> bytes:
    source = io.BytesIO(sealed)
    header = read_header(source)
    data_key = open_header(header, secrets)
    return b"".join(ChunkReader(source, header, data_key).chunks())


@settings(max_examples=60)
@given(plain=st.binary(max_size=2000), chunk_size=st.integers(min_value=1, max_value=300))
def test_what_is_sealed_opens_to_the_same_bytes(plain: bytes, chunk_size: int) -> None:
    assert open_sealed(seal(plain, chunk_size=chunk_size)) == plain


SEALED = seal(bytes(range(256)) * 3)


@settings(max_examples=300)
@given(position=st.integers(min_value=0, max_value=len(SEALED) - 1), bit=st.integers(0, 7))
def test_a_flipped_bit_anywhere_is_refused(position: int, bit: int) -> None:
    damaged = bytearray(SEALED)
    damaged[position] ^= 1 << bit
    with pytest.raises(BackupRefused):
        open_sealed(bytes(damaged))


@given(length=st.integers(min_value=0, max_value=len(SEALED) - 1))
def test_a_file_cut_anywhere_is_refused(length: int) -> None:
    with pytest.raises(BackupRefused):
        open_sealed(SEALED[:length])


@given(extra=st.binary(min_size=1, max_size=200))
def test_bytes_added_after_the_end_are_refused(extra: bytes) -> None:
    with pytest.raises(BackupDamaged):
        open_sealed(SEALED + extra)


def chunk_bounds(sealed: bytes, chunk_size: int) -> tuple[int, int]:
    """Where the chunks start, and how long a full one is."""
    header = read_header(io.BytesIO(sealed))
    return len(header.raw), chunk_size + TAG_SIZE


def test_a_cut_at_a_chunk_boundary_says_the_end_is_missing() -> None:
    start, block = chunk_bounds(SEALED, 64)
    with pytest.raises(BackupDamaged, match="cut short"):
        open_sealed(SEALED[: start + 3 * block])


def test_bytes_after_a_full_final_chunk_are_named_as_added() -> None:
    sealed = seal(b"x" * 128)  # two full chunks, the second one final
    with pytest.raises(BackupDamaged, match="added after"):
        open_sealed(sealed + b"\x00")


def test_swapped_chunks_are_refused() -> None:
    start, block = chunk_bounds(SEALED, 64)
    first, second = SEALED[start : start + block], SEALED[start + block : start + 2 * block]
    swapped = SEALED[:start] + second + first + SEALED[start + 2 * block :]
    with pytest.raises(BackupDamaged, match="chunk 0"):
        open_sealed(swapped)


def test_another_key_file_is_named_as_the_wrong_key() -> None:
    with pytest.raises(WrongBackupKey, match=key_id_of(OTHER_KEY).hex()):
        open_sealed(SEALED, BackupSecrets(key_file_key=OTHER_KEY))


def test_a_wrong_passphrase_is_refused() -> None:
    sealed = seal(b"records", BackupSecrets(passphrase="correct horse battery", cost=CHEAP))
    with pytest.raises(WrongBackupKey, match="wrong passphrase"):
        open_sealed(sealed, BackupSecrets(passphrase="correct horse battery!"))


def test_the_kind_of_secret_missing_is_named() -> None:
    sealed = seal(b"records", BackupSecrets(passphrase="correct horse battery", cost=CHEAP))
    with pytest.raises(WrongBackupKey, match="--passphrase"):
        open_sealed(sealed, KEY_ONLY)
    with pytest.raises(WrongBackupKey, match="--key-file"):
        open_sealed(SEALED, BackupSecrets(passphrase="correct horse battery"))


def test_with_both_secrets_either_one_opens() -> None:
    both = BackupSecrets(key_file_key=KEY, passphrase="correct horse battery", cost=CHEAP)
    sealed = seal(b"records", both)
    assert open_sealed(sealed, KEY_ONLY) == b"records"
    assert open_sealed(sealed, BackupSecrets(passphrase="correct horse battery")) == b"records"


def test_a_passphrase_typed_in_another_unicode_form_opens() -> None:
    composed = unicodedata.normalize("NFC", "Şəki küçəsində gecə yarısı")
    sealed = seal(b"records", BackupSecrets(passphrase=composed, cost=CHEAP))
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert open_sealed(sealed, BackupSecrets(passphrase=decomposed)) == b"records"


@pytest.mark.parametrize(
    "start, message",
    [
        (b"PK\x03\x04 a zip file", "not a tracker backup"),
        (b"", "not a tracker backup"),
        (b"\x89TRKBAK\n\x09" + b"\x00" * 40, "newer tracker"),
    ],
)
def test_other_files_and_newer_formats_are_named(start: bytes, message: str) -> None:
    with pytest.raises(NotABackup, match=message):
        open_sealed(start)


def test_impossible_passphrase_costs_in_a_header_are_refused_before_any_work() -> None:
    sealed = bytearray(seal(b"x", BackupSecrets(passphrase="correct horse battery", cost=CHEAP)))
    memory_at = 8 + 1 + 4 + 1 + 1 + 16 + 4  # prefix, slot kind, salt, time cost
    sealed[memory_at : memory_at + 4] = (2**31).to_bytes(4, "big")
    with pytest.raises(BackupDamaged, match="impossible"):
        read_header(io.BytesIO(bytes(sealed)))


def test_each_backup_gets_its_own_data_key() -> None:
    assert seal(b"same") != seal(b"same")


# --- the archive inside --------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z]{1,8}(/[A-Za-z0-9_-]{1,12}(\.[a-z]{1,4})?){0,2}", fullmatch=True)


@settings(max_examples=40)
@given(
    members=st.dictionaries(NAMES, st.binary(max_size=3000), max_size=5),
    chunk_size=st.integers(min_value=1, max_value=500),
)
def test_members_come_back_with_their_hashes(members: dict[str, bytes], chunk_size: int) -> None:
    plain = io.BytesIO()
    writer = ArchiveWriter(plain)
    written = [writer.add_bytes(name, data) for name, data in members.items()]
    writer.finish()
    sealed = seal(plain.getvalue(), chunk_size=chunk_size)
    source = io.BytesIO(sealed)
    header = read_header(source)
    chunks = ChunkReader(source, header, open_header(header, KEY_ONLY)).chunks()
    reader = ArchiveReader(PlainStream(chunks))
    read, contents = [], {}
    for name in reader.names():
        parts: list[bytes] = []
        read.append(reader.copy_member(name, parts.append))
        contents[name] = b"".join(parts)
    assert contents == members
    assert read == written


@pytest.mark.parametrize(
    "name", ["../secret_key", "/etc/passwd", ".hidden", "evidence/../x", "a//b", "a\n", ""]
)
def test_names_that_could_leave_the_staging_folder_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        check_name(name)


def test_a_stream_without_an_end_mark_is_refused() -> None:
    plain = io.BytesIO()
    ArchiveWriter(plain).add_bytes("manifest.json", b"{}")  # no finish()
    reader = ArchiveReader(PlainStream(iter([plain.getvalue()])))
    with pytest.raises(BackupDamaged):
        for name in reader.names():
            reader.copy_member(name, lambda _piece: None)


# --- the manifest --------------------------------------------------------------------------


def sample_manifest() -> Manifest:
    database = MemberDigest("database/tracker.sqlite", "a" * 64, 4096)
    evidence = MemberDigest("evidence/" + "b" * 64, "c" * 64, 12)
    return Manifest(
        tracker_version="0.1.0",
        created_at="2024-06-01T12:00:00+00:00",
        engine="sqlite",
        revision="0007",
        database=database.name,
        tables={"incident": TableDigest(3, "d" * 64)},
        files={database.name: database, evidence.name: evidence},
        missing_evidence=["e" * 64],
    )


def test_a_manifest_reads_back_as_written() -> None:
    manifest = sample_manifest()
    assert parse_manifest(manifest.to_json()) == manifest
    assert manifest.evidence_names == ["evidence/" + "b" * 64]


def test_files_that_differ_from_the_manifest_are_each_named() -> None:
    manifest = sample_manifest()
    received = dict(manifest.files)
    received["evidence/" + "b" * 64] = MemberDigest("evidence/" + "b" * 64, "0" * 64, 12)
    del received["database/tracker.sqlite"]
    received["evidence/extra"] = MemberDigest("evidence/extra", "1" * 64, 1)
    problems = member_problems(manifest, received)
    assert len(problems) == 3
    assert member_problems(manifest, dict(manifest.files)) == []


def test_tables_that_differ_from_the_manifest_are_named() -> None:
    manifest = sample_manifest()
    assert table_problems(manifest, {"incident": TableDigest(3, "d" * 64)}) == []
    assert table_problems(manifest, {"incident": TableDigest(2, "d" * 64)}) == [
        "table incident: 2 rows restored, the backup had 3"
    ]
    assert "values differ" in table_problems(manifest, {"incident": TableDigest(3, "0" * 64)})[0]
    assert "not restored" in table_problems(manifest, {})[0]


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"format": "other"}', b"\xff\xfe"])
def test_an_unreadable_manifest_is_refused(raw: bytes) -> None:
    with pytest.raises(BackupDamaged, match="manifest"):
        parse_manifest(raw)
