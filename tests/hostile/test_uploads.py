"""Uploads beyond tests/web/test_evidence_files.py: every hostile file name of the corpus (and
one in raw non-UTF-8 bytes) kept out of the file system and out of the download header,
malformed multipart bodies, too many parts, and bombs of every image type and a zip bomb.

test_evidence_files.py already covers disguised programs and web pages, a PNG bomb, empty and
oversize files, a body without a length, a lying Content-Length, and five hostile names.
"""

import dataclasses
import io
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from werkzeug.test import TestResponse

from tests.evidence_samples import decompression_bomb, phone_photo, png_chunk, png_picture
from tests.factories import make_incident
from tests.hostile import payloads
from tests.hostile.fingerprint import fingerprint
from tests.hostile.tally import TALLY
from tests.web.conftest import WebClient
from tracker.config import Settings
from tracker.domain.evidence_files import sanitise_file_name
from tracker.models import Evidence, Incident

LIMIT = 200 * 1024
EVIDENCE_PAGE = re.compile(r"/evidence/([0-9a-f-]{36})$")
STORED_NAME = re.compile(r"[0-9a-f]{64}")
# Names test_evidence_files.py sends already.
COVERED_NAMES = frozenset({"../../etc/passwd", "photo\x00.jpg"})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, evidence_max_bytes=LIMIT)


@pytest.fixture
def incident(engine: Engine) -> Incident:
    with Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session, title="Raid on a club")
        session.commit()
        return incident


def upload_url(incident: Incident) -> str:
    return f"/evidence/add/{incident.id}"


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def evidence_files(settings: Settings) -> set[Path]:
    return files_under(settings.resolved_evidence_path)


def assert_nothing_stored(
    engine: Engine, settings: Settings, before: dict[str, Any], response: TestResponse
) -> None:
    assert response.status_code < 500, response.status_code
    assert fingerprint(engine) == before
    assert evidence_files(settings) == set()


@pytest.mark.parametrize(
    "name", [name for name in payloads.FILE_NAMES if name not in COVERED_NAMES]
)
def test_hostile_file_names_stay_names(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    signed_in: Any,
    incident: Incident,
    name: str,
) -> None:
    """Kept as a sanitised name, never a path: the store holds random names only, nothing is
    written elsewhere, and the download header carries no line break, quote or path."""
    client = signed_in("documenter")
    outside_before = files_under(tmp_path) - evidence_files(settings)
    client.get(upload_url(incident))
    response = client.post(
        upload_url(incident),
        {"file": (io.BytesIO(phone_photo()), name)},
        content_type="multipart/form-data",
        form_url=upload_url(incident),
    )
    TALLY.tried("upload file names", route="evidence.upload", fields=("file",))
    assert response.status_code in (302, 400), response.status_code
    new_outside = files_under(tmp_path) - evidence_files(settings) - outside_before
    assert {path.name for path in new_outside} <= {"tracker.db-wal", "tracker.db-shm"}
    if response.status_code == 400:  # no name at all: the browser sent no file
        assert "Choose a file." in response.get_data(as_text=True)
        assert evidence_files(settings) == set()
        return
    assert all(STORED_NAME.fullmatch(path.name) for path in evidence_files(settings))
    evidence_id = uuid.UUID(EVIDENCE_PAGE.search(response.location).group(1))  # type: ignore[union-attr]
    with Session(engine) as session:
        item = session.get(Evidence, evidence_id)
        assert item is not None
        kept = item.file_name
    # What arrives depends on how the client quoted the name; what is kept is always a name.
    assert kept == sanitise_file_name(kept) and kept not in ("", ".", "..")
    assert not re.search(r"[/\\\x00-\x1f\x7f]", kept) and len(kept) <= 255
    header = download_header(signed_in("lawyer"), evidence_id)
    assert kept in header or "filename*=UTF-8''" in header
    assert not re.search(r"[\r\n\x00]|/|\\", header.split(";", 1)[1].replace("UTF-8''", ""))
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert payloads.injected_markup(page) == []


def download_header(client: WebClient, evidence_id: uuid.UUID) -> str:
    page = f"/evidence/{evidence_id}"
    response = client.post(f"{page}/download", form_url=page)
    assert response.status_code == 200
    return response.headers["Content-Disposition"]


# --- raw multipart bodies ---------------------------------------------------------------------

BOUNDARY = b"hostileBoundary1234"
NOTE = b"Witness said the police came at 23:00.\n"


def part(headers: bytes, content: bytes, boundary: bytes = BOUNDARY) -> bytes:
    return b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"


def token_part(token: str) -> bytes:
    return part(b'Content-Disposition: form-data; name="csrf_token"', token.encode())


def file_part(file_name: bytes = b"note.txt", content: bytes = NOTE) -> bytes:
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + file_name + b'"'
    return part(disposition + b"\r\nContent-Type: text/plain", content)


def end(boundary: bytes = BOUNDARY) -> bytes:
    return b"--" + boundary + b"--\r\n"


def multipart_type(boundary: bytes = BOUNDARY) -> str:
    return "multipart/form-data; boundary=" + boundary.decode()


def malformed_bodies(token: str) -> dict[str, tuple[bytes, str]]:
    """(body, content type) of each malformed request, by what is wrong with it."""
    whole = token_part(token) + file_part() + end()
    return {
        "cut in the middle": (whole[: len(whole) // 2], multipart_type()),
        "no closing boundary": (token_part(token) + file_part(), multipart_type()),
        "no boundary parameter": (whole, "multipart/form-data"),
        "empty boundary": (whole, "multipart/form-data; boundary="),
        "another boundary": (whole, multipart_type(b"somethingElse")),
        "boundary of 300 characters": (
            token_part(token).replace(BOUNDARY, b"b" * 300)
            + file_part().replace(BOUNDARY, b"b" * 300)
            + end(b"b" * 300),
            multipart_type(b"b" * 300),
        ),
        "lines ending in LF alone": (whole.replace(b"\r\n", b"\n"), multipart_type()),
        "non-UTF-8 field name": (
            token_part(token)
            + part(b'Content-Disposition: form-data; name="\xff\xfe"', b"x")
            + file_part()
            + end(),
            multipart_type(),
        ),
        "non-UTF-8 file name": (
            token_part(token) + file_part(b"\xff\xfe\xc3(.txt") + end(),
            multipart_type(),
        ),
        "NUL in the file name": (
            token_part(token) + file_part(b"../../x\x00.txt") + end(),
            multipart_type(),
        ),
        "RFC 2231 file name with traversal": (
            token_part(token)
            + part(
                b"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''..%2F..%2Fx.txt",
                NOTE,
            )
            + end(),
            multipart_type(),
        ),
        "part without a name": (
            token_part(token) + part(b"Content-Disposition: form-data", NOTE) + end(),
            multipart_type(),
        ),
        "part without headers": (token_part(token) + part(b"", NOTE) + end(), multipart_type()),
        "header of 100 KB": (
            token_part(token)
            + part(
                b'Content-Disposition: form-data; name="x"; junk="' + b"j" * 100_000 + b'"', b"x"
            )
            + file_part()
            + end(),
            multipart_type(),
        ),
        "nested multipart/mixed": (
            token_part(token)
            + part(
                b'Content-Disposition: form-data; name="file"\r\n'
                b"Content-Type: multipart/mixed; boundary=inner",
                b'--inner\r\nContent-Disposition: file; filename="a.txt"\r\n\r\n'
                + NOTE
                + b"\r\n--inner--",
            )
            + end(),
            multipart_type(),
        ),
        "two files in one field": (
            token_part(token) + file_part(b"a.txt") + file_part(b"b.txt", b"\x00\x01") + end(),
            multipart_type(),
        ),
        "600 parts": (
            token_part(token)
            + b"".join(
                part(b'Content-Disposition: form-data; name="f%d"' % number, b"x")
                for number in range(600)
            )
            + file_part()
            + end(),
            multipart_type(),
        ),
        "garbage": (b"\x00\xff" * 5000, multipart_type()),
    }


MALFORMED = tuple(malformed_bodies("token"))


@pytest.mark.parametrize("kind", MALFORMED)
def test_malformed_multipart_bodies_store_nothing_they_should_not(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident, kind: str
) -> None:
    client = signed_in("documenter")
    client.get(upload_url(incident))
    body, content_type = malformed_bodies(client.last_token or "")[kind]
    before = fingerprint(engine)
    response = client.client.post(upload_url(incident), data=body, content_type=content_type)
    TALLY.tried("malformed multipart", route="evidence.upload", fields=("file",))
    assert response.status_code < 500, (kind, response.status_code)
    if response.status_code == 302:  # the parser found a whole, valid upload in it
        assert all(STORED_NAME.fullmatch(path.name) for path in evidence_files(settings))
        with Session(engine) as session:
            names = set(session.execute(select(col(Evidence.file_name))).scalars())
        assert all("/" not in name and "\x00" not in name for name in names)
    else:
        assert_nothing_stored(engine, settings, before, response)
    if kind == "600 parts":
        assert response.status_code == 413


# --- bombs ------------------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """100 MB of zeros in a few hundred kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * 100_000_000)
    return buffer.getvalue()


def resized_header(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1
    return data.replace(old, new, 1)


def image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (17, 13), (10, 20, 30)).save(buffer, kind)
    return buffer.getvalue()


def gif_bomb() -> bytes:
    """A GIF whose screen and frame claim 65,535 × 65,535 pixels."""
    data = image("GIF")
    huge = struct.pack("<HH", 65_535, 65_535)
    data = data[:6] + huge + data[10:]
    frame = data.index(b"\x2c")
    return data[: frame + 5] + huge + data[frame + 9 :]


def jpeg_bomb() -> bytes:
    """A JPEG whose frame header claims 65,000 × 65,000 pixels."""
    data = image("JPEG")
    return resized_header(data, struct.pack(">HH", 13, 17), struct.pack(">HH", 65_000, 65_000))


def webp_bomb() -> bytes:
    """A lossless WebP whose header claims 16,384 × 16,384 pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (17, 13)).save(buffer, "WEBP", lossless=True)
    data = bytearray(buffer.getvalue())
    position = data.index(b"VP8L") + 9  # the 14-bit width and height after the signature
    data[position : position + 4] = struct.pack("<I", (16_383) | (16_383 << 14))
    return bytes(data)


def png_text_bomb() -> bytes:
    """A small PNG with a compressed text chunk that inflates to 50 MB."""
    data = png_picture()
    text = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * 50_000_000, 9))
    end_chunk = data.rindex(b"IEND") - 4
    return data[:end_chunk] + text + data[end_chunk:]


PIXELS = "too many pixels, a possible decompression bomb"
ZIP = "its content is application/zip, which is not accepted"
# What is sent, under which name, and the reason the refusal must give.
BOMBS = {
    "zip bomb": (zip_bomb, "zeros.zip", ZIP),
    "zip bomb named as a photo": (zip_bomb, "photo.jpg", ZIP),
    "GIF of 65535 x 65535": (gif_bomb, "bomb.gif", PIXELS),
    "JPEG of 65000 x 65000": (jpeg_bomb, "bomb.jpg", PIXELS),
    "WebP of 16384 x 16384": (webp_bomb, "bomb.webp", PIXELS),
    "PNG of 100000 x 100000": (lambda: decompression_bomb(100_000, 100_000), "bomb.png", PIXELS),
    # Pillow refuses text chunks that inflate past its limit before it reads a pixel.
    "PNG with a 50 MB text chunk": (png_text_bomb, "text.png", "the image cannot be read"),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_bombs_are_refused_and_nothing_is_stored(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident, kind: str
) -> None:
    make, name, reason = BOMBS[kind]
    client = signed_in("documenter")
    client.get(upload_url(incident))
    before = fingerprint(engine)
    response = client.post(
        upload_url(incident),
        {"file": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
        form_url=upload_url(incident),
    )
    TALLY.tried("bombs", route="evidence.upload", fields=("file",))
    assert response.status_code == 400, (kind, response.status_code)
    assert reason in response.get_data(as_text=True)
    assert_nothing_stored(engine, settings, before, response)
