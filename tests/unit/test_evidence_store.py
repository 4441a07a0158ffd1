"""The evidence store, content sniffing, images and file names: no database needed."""

import io
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.evidence_samples import (
    SVG_PICTURE,
    WEB_PAGE,
    WINDOWS_PROGRAM,
    WITNESS_NOTE,
    ZIP_ARCHIVE,
    decompression_bomb,
    gps_of,
    phone_photo,
    png_picture,
)
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import InvalidInput, RecordNotFound
from tracker.domain.evidence_files import (
    MAX_FILE_NAME_LENGTH,
    FileTooLarge,
    FileTypeRefused,
    human_size,
    most_revealing_level,
    sanitise_file_name,
    serving_type,
)
from tracker.services.evidence_images import metadata_left, pixel_limit, write_clean_copy
from tracker.services.evidence_store import (
    PARTIAL_PREFIX,
    EvidenceStore,
    StorageFull,
    hash_stream,
)
from tracker.services.evidence_types import detect_media_type

MEGABYTE = 1024 * 1024


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "instance" / "evidence", max_bytes=3 * MEGABYTE)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- the store ------------------------------------------------------------------------------


def test_files_get_random_names_private_modes_and_their_hash(store: EvidenceStore) -> None:
    data = os.urandom(2 * MEGABYTE + 17)  # more than one chunk
    stored = store.write_file(io.BytesIO(data))
    again = store.write_file(io.BytesIO(data))
    assert stored.size_bytes == len(data)
    assert stored.sha256 == again.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert stored.storage_key != again.storage_key
    assert len(stored.storage_key) == 64 and int(stored.storage_key, 16) >= 0
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    for key in (stored.storage_key, again.storage_key):
        assert stat.S_IMODE((store.root / key).stat().st_mode) == 0o600
    with store.open_file(stored.storage_key) as stream:
        assert data[:4096] not in stream.read()  # sealed at rest
    with store.open_plain(stored.storage_key, stored.wrapped_key) as stream:
        assert stream.read() == data
    assert files_in(store.root) == sorted([stored.storage_key, again.storage_key])


def test_a_loose_folder_is_made_private_again(store: EvidenceStore) -> None:
    store.root.mkdir(parents=True, mode=0o755)
    store.root.chmod(0o755)
    store.write_file(io.BytesIO(b"x"))
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


class BrokenStream(io.RawIOBase):
    """A stream that fails after its first chunk, as a dropped connection or a full disk."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError(28, "No space left on device")
        return b"\xff\xd8\xff" + b"\x00" * (MEGABYTE - 3)


def test_an_interrupted_write_leaves_no_temporary_file(store: EvidenceStore) -> None:
    with pytest.raises(StorageFull, match="not enough space"):
        store.write_file(BrokenStream())  # type: ignore[arg-type]
    assert files_in(store.root) == []


def test_the_size_limit_is_counted_while_streaming(store: EvidenceStore) -> None:
    with pytest.raises(FileTooLarge, match="larger than the limit of 3 MB"):
        store.write_file(io.BytesIO(b"\x00" * (3 * MEGABYTE + 1)))
    assert files_in(store.root) == []
    store.write_file(io.BytesIO(b"\x00" * (3 * MEGABYTE)))  # exactly the limit is fine


@pytest.mark.parametrize("key", ["../secret", "/etc/passwd", "a" * 63, "A" * 64, "", "..", "x/y"])
def test_only_keys_the_store_makes_name_files(store: EvidenceStore, key: str) -> None:
    with pytest.raises(RecordNotFound):
        store.open_file(key)
    assert not store.exists(key)


def test_a_missing_file_is_reported_and_delete_is_idempotent(store: EvidenceStore) -> None:
    stored = store.write_file(io.BytesIO(b"evidence"))
    store.delete(stored.storage_key)
    store.delete(stored.storage_key)
    assert not store.exists(stored.storage_key)
    with pytest.raises(RecordNotFound, match="missing"):
        store.open_file(stored.storage_key)


def test_spooled_uploads_have_no_name_and_crashes_leave_only_partials(
    store: EvidenceStore,
) -> None:
    with store.spool_file() as spool:
        spool.write(b"upload in progress")
        assert files_in(store.root) == []  # a nameless file: nothing to leave behind
    (store.root / f"{PARTIAL_PREFIX}abc").write_bytes(b"half")
    assert store.partial_files() == [f"{PARTIAL_PREFIX}abc"]
    assert list(store.stored_keys()) == []


# --- what a file is ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name, media_type",
    [
        (phone_photo(), "IMG_0001.JPG", "image/jpeg"),
        (phone_photo(), "no-extension", "image/jpeg"),
        (phone_photo(), "disguised.pdf", "image/jpeg"),
        (png_picture(), "picture.png", "image/png"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "ruling.pdf", "application/pdf"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64, "voice.mp3", "audio/mpeg"),
        (b"OggS\x00\x02" + b"\x00" * 64, "voice.ogg", "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64, "call.wav", "audio/x-wav"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64, "v.mp4", "video/mp4"),
        (
            b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64,
            "v.mov",
            "video/quicktime",
        ),
        (WITNESS_NOTE, "note.txt", "text/plain"),
        (b"date,place\n2023-03-08,Baku\n", "events.CSV", "text/csv"),
    ],
)
def test_types_are_read_from_the_content(data: bytes, name: str, media_type: str) -> None:
    stream = io.BytesIO(data)
    assert detect_media_type(stream, name) == media_type
    assert stream.tell() == 0


@pytest.mark.parametrize(
    "data, name, named",
    [
        (WINDOWS_PROGRAM, "photo.jpg", "application/x-msdownload"),
        (WEB_PAGE, "photo.jpg", "text/html"),
        (WEB_PAGE, "note.txt", "text/html"),
        (SVG_PICTURE, "map.png", "text/html"),
        (ZIP_ARCHIVE, "ruling.pdf", "application/zip"),
        (WITNESS_NOTE, "photo.jpg", "plain text"),
        (os.urandom(4096).replace(b"\xff", b"\x00"), "clip.mp4", "binary data"),
        (b"", "empty.txt", "empty"),
        (b"caf\xe9 latin-1 text", "note.txt", "binary data"),
        (b"text with a NUL \x00 inside", "note.txt", "binary data"),
    ],
)
def test_disguised_and_unknown_files_are_refused_naming_their_type(
    data: bytes, name: str, named: str
) -> None:
    with pytest.raises(FileTypeRefused, match=named):
        detect_media_type(io.BytesIO(data), name)


def test_stored_types_are_served_as_themselves_and_others_as_bytes() -> None:
    assert serving_type("image/jpeg") == "image/jpeg"
    assert serving_type("text/plain") == "text/plain; charset=utf-8"
    assert serving_type("text/html") == "application/octet-stream"
    assert serving_type("") == "application/octet-stream"


# --- images ---------------------------------------------------------------------------------


def test_the_copy_of_a_phone_photo_has_no_gps_or_other_metadata() -> None:
    original = phone_photo(size=(64, 48), orientation=6)
    assert gps_of(original)  # the sample really carries a position
    assert metadata_left(io.BytesIO(original))
    target = io.BytesIO()
    copy = write_clean_copy(io.BytesIO(original), "image/jpeg", target)
    data = target.getvalue()
    assert copy.media_type == "image/jpeg"
    assert gps_of(data) == {}
    assert metadata_left(io.BytesIO(data)) == []
    for secret in (b"PhoneMaker", b"serial 0042", b"taken at home", b"xmpmeta", b"icc-profile"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (48, 64)  # turned upright, as the orientation said


def test_a_png_copy_loses_its_text_chunks() -> None:
    target = io.BytesIO()
    copy = write_clean_copy(io.BytesIO(png_picture()), "image/png", target)
    assert copy.media_type == "image/png"
    assert b"Nasimi" not in target.getvalue()
    assert metadata_left(target) == []


@pytest.mark.parametrize("size", [(10_000, 9_000), (30_000, 30_000)])
def test_decompression_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    bomb = decompression_bomb(*size)
    assert len(bomb) < 2_000
    assert detect_media_type(io.BytesIO(bomb), "bomb.png") == "image/png"
    with pytest.raises(InvalidInput, match="decompression bomb"):
        write_clean_copy(io.BytesIO(bomb), "image/png", io.BytesIO())


def test_pillows_pixel_limit_stays_on() -> None:
    assert Image.MAX_IMAGE_PIXELS is not None
    assert pixel_limit() <= 89_478_485


def test_a_broken_image_is_refused() -> None:
    truncated = phone_photo()[:200]
    with pytest.raises(InvalidInput, match="the image cannot be read"):
        write_clean_copy(io.BytesIO(truncated), "image/jpeg", io.BytesIO())


def test_hash_stream_reads_what_is_left() -> None:
    stream = io.BytesIO(b"abc")
    assert hash_stream(stream) == __import__("hashlib").sha256(b"abc").hexdigest()


# --- file names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\x", "x"),
        ("C:\\Users\\leyla\\Desktop\\photo 1.jpg", "photo 1.jpg"),
        ("photo\x00.jpg", "photo.jpg"),
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("..", "file"),
        ("", "file"),
        ("   .hidden  ", "hidden"),
        ("<script>alert(1)</script>.jpg", "script>.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),
        ("Əli Məlikov — Баку.jpg", "Əli Məlikov — Баку.jpg"),
    ],
)
def test_file_names_keep_only_their_last_visible_step(sent: str, kept: str) -> None:
    assert sanitise_file_name(sent) == kept


def test_a_very_long_name_keeps_its_extension() -> None:
    name = sanitise_file_name("a" * 5000 + ".jpeg")
    assert len(name) == MAX_FILE_NAME_LENGTH
    assert name.endswith("a.jpeg")


@given(st.text(max_size=600))
def test_any_name_becomes_a_safe_one(sent: str) -> None:
    name = sanitise_file_name(sent)
    assert 0 < len(name) <= MAX_FILE_NAME_LENGTH
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..")
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))
    assert all(character.isprintable() or character == " " for character in name)
    assert sanitise_file_name(name) == name


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_-", min_size=1, max_size=200),
    st.sampled_from([".jpg", ".pdf", ".txt", ".mp4"]),
)
def test_ordinary_names_are_kept_as_they_are(stem: str, suffix: str) -> None:
    assert sanitise_file_name(stem + suffix) == stem + suffix


def test_sizes_read_as_people_read_them() -> None:
    assert human_size(100 * MEGABYTE) == "100 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(12) == "12 bytes"


@pytest.mark.parametrize(
    "roles, level",
    [
        ({"admin"}, DisclosureLevel.INTERNAL),
        ({"lawyer"}, DisclosureLevel.LEGAL),
        ({"reviewer"}, DisclosureLevel.PARTNER),
        ({"analyst", "lawyer"}, DisclosureLevel.LEGAL),
        ({"documenter"}, None),
    ],
)
def test_the_most_revealing_level_a_role_may_take(
    roles: set[str], level: DisclosureLevel | None
) -> None:
    assert most_revealing_level(frozenset(roles)) == level


# --- settings -------------------------------------------------------------------------------


def test_the_evidence_folder_defaults_to_the_instance_folder(tmp_path: Path) -> None:
    from tracker.config import Settings

    settings = Settings(instance_path=tmp_path / "instance")
    assert settings.resolved_evidence_path == tmp_path / "instance" / "evidence"
    assert settings.evidence_max_bytes == 100 * MEGABYTE
    chosen = Settings(instance_path=tmp_path, evidence_path=str(tmp_path / "vault"))
    assert chosen.resolved_evidence_path == tmp_path / "vault"


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("TRACKER_EVIDENCE_MAX_BYTES", "0", "evidence_max_bytes: must be at least 1"),
        ("TRACKER_EVIDENCE_MAX_BYTES", "lots", "expected an integer"),
        ("TRACKER_EVIDENCE_PATH", "tracker/static/evidence", "inside the web app's static folder"),
    ],
)
def test_unsafe_evidence_settings_are_refused(variable: str, value: str, message: str) -> None:
    from tracker.config import load_settings
    from tracker.domain.errors import ConfigError

    static = Path(__file__).parents[2] / "tracker" / "static" / "evidence"
    value = str(static) if "static" in value else value
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={variable: value}, config_path=None)
