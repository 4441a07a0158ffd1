"""Evidence files through the web app: uploads with CSRF on, refusals that store nothing,
checked views and downloads, custody with who and from where, and who may take what."""

import dataclasses
import hashlib
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from tests.conftest import table_counts
from tests.evidence_samples import (
    WEB_PAGE,
    WINDOWS_PROGRAM,
    WITNESS_NOTE,
    decompression_bomb,
    gps_of,
    phone_photo,
)
from tests.factories import make_incident
from tests.web.conftest import Account, WebClient
from tracker import create_app
from tracker.config import Settings
from tracker.models import CustodyEntry, Evidence, Incident
from tracker.services.restrictions import set_restriction

LIMIT = 200 * 1024
EVIDENCE_PAGE = re.compile(r"/evidence/([0-9a-f-]{36})$")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small limit, so oversize uploads stay cheap."""
    return dataclasses.replace(settings, evidence_max_bytes=LIMIT)


@pytest.fixture
def incident(engine: Engine) -> Incident:
    with Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session, title="Raid on a club")
        session.commit()
        return incident


def store_folder(settings: Settings) -> Path:
    return settings.resolved_evidence_path


def stored_names(settings: Settings) -> list[str]:
    folder = store_folder(settings)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def upload(
    client: WebClient, incident: Incident, data: bytes, name: str, **fields: Any
) -> TestResponse:
    url = f"/evidence/add/{incident.id}"
    form = {"file": (io.BytesIO(data), name), **fields}
    return client.post(url, form, content_type="multipart/form-data")


def uploaded_id(response: TestResponse) -> uuid.UUID:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = EVIDENCE_PAGE.search(response.location)
    assert match, response.location
    return uuid.UUID(match.group(1))


def custody_of(engine: Engine, evidence_id: uuid.UUID) -> list[CustodyEntry]:
    with Session(engine) as session:
        statement = select(CustodyEntry).where(col(CustodyEntry.evidence_id) == evidence_id)
        return list(session.execute(statement.order_by(col(CustodyEntry.created_at))).scalars())


def item(engine: Engine, evidence_id: uuid.UUID) -> Evidence:
    with Session(engine) as session:
        found = session.get(Evidence, evidence_id)
        assert found is not None
        return found


def copy_of(engine: Engine, evidence_id: uuid.UUID) -> Evidence:
    with Session(engine) as session:
        statement = select(Evidence).where(col(Evidence.derived_from_id) == evidence_id)
        return session.execute(statement).scalar_one()


def take(client: WebClient, evidence_id: uuid.UUID, how: str) -> TestResponse:
    return client.post(f"/evidence/{evidence_id}/{how}", form_url=f"/evidence/{evidence_id}")


# --- uploading ------------------------------------------------------------------------------


def test_a_documenter_uploads_a_photo_and_gets_its_hash(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident
) -> None:
    client = signed_in("documenter")
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert f'action="/evidence/add/{incident.id}"' in page
    photo = phone_photo()
    response = upload(client, incident, photo, "IMG_0001.jpg", title="Door of the club")
    evidence_id = uploaded_id(response)
    original, copy = item(engine, evidence_id), copy_of(engine, evidence_id)
    assert original.sha256 == hashlib.sha256(photo).hexdigest()
    assert (original.media_type, original.file_name, original.collected_by) == (
        "image/jpeg",
        "IMG_0001.jpg",
        "documenter",
    )
    assert stored_names(settings) == sorted([original.storage_key, copy.storage_key])
    [received] = custody_of(engine, evidence_id)
    assert (received.action, received.actor, received.origin) == (
        "received",
        "documenter",
        "127.0.0.1",
    )
    shown = client.get(response.location).get_data(as_text=True)
    assert original.sha256 in shown and "Door of the club" in shown
    assert f"/evidence/{evidence_id}/download" not in shown  # documenters do not take files
    listed = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f"/evidence/{evidence_id}" in listed and f"/evidence/{copy.id}" not in listed


def test_roles_that_may_not_edit_get_no_upload_form(signed_in: Any, incident: Incident) -> None:
    page = signed_in("analyst").get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "/evidence/add/" not in page
    assert upload(signed_in("analyst"), incident, WITNESS_NOTE, "n.txt").status_code == 403


def test_an_upload_without_the_csrf_token_stores_nothing(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident
) -> None:
    client = signed_in("documenter")
    before = table_counts(engine)
    form = {"file": (io.BytesIO(WITNESS_NOTE), "note.txt")}
    response = client.post(
        f"/evidence/add/{incident.id}", form, with_token=False, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert table_counts(engine) == before
    assert stored_names(settings) == []


@pytest.mark.parametrize(
    "data, name, message",
    [
        (WINDOWS_PROGRAM, "photo.jpg", "application/x-msdownload"),
        (WEB_PAGE, "photo.jpg", "text/html"),
        (WITNESS_NOTE, "photo.jpg", "text is accepted in files named .txt or .csv"),
        (decompression_bomb(30_000, 30_000), "bomb.png", "decompression bomb"),
        (decompression_bomb(10_000, 9_000), "bomb.png", "decompression bomb"),
        (b"", "empty.txt", "the file is empty"),
    ],
)
def test_refused_files_are_named_and_nothing_is_stored(
    engine: Engine,
    settings: Settings,
    signed_in: Any,
    incident: Incident,
    data: bytes,
    name: str,
    message: str,
) -> None:
    client = signed_in("documenter")
    client.get(f"/evidence/add/{incident.id}")
    before = table_counts(engine)
    response = upload(client, incident, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert table_counts(engine) == before
    assert stored_names(settings) == []


def test_no_file_chosen_asks_for_one(signed_in: Any, incident: Incident) -> None:
    client = signed_in("documenter")
    response = client.post(
        f"/evidence/add/{incident.id}", {"title": "x"}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Choose a file." in response.get_data(as_text=True)


# --- too large ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT + 512 * 1024])
def test_an_oversize_upload_gets_413_and_leaves_no_file_or_row(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident, size: int
) -> None:
    client = signed_in("documenter")
    client.get(f"/evidence/add/{incident.id}")
    before = table_counts(engine)
    response = upload(client, incident, b"a" * size, "long.txt")
    assert response.status_code == 413
    assert "200 KB" in response.get_data(as_text=True)
    assert table_counts(engine) == before
    assert stored_names(settings) == []


def multipart_body(token: str, data: bytes, name: str) -> tuple[str, bytes]:
    fields = MultiDict(
        [("csrf_token", token), ("file", FileStorage(io.BytesIO(data), filename=name))]
    )
    boundary, body = encode_multipart(fields)
    return f"multipart/form-data; boundary={boundary}", body


def test_a_body_without_a_length_is_still_counted(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident
) -> None:
    client = signed_in("documenter")
    client.get(f"/evidence/add/{incident.id}")
    before = table_counts(engine)
    content_type, body = multipart_body(client.last_token or "", b"a" * (2 * LIMIT), "x.txt")
    response = client.client.post(
        f"/evidence/add/{incident.id}",
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert table_counts(engine) == before
    assert stored_names(settings) == []


def test_a_lying_content_length_cannot_smuggle_a_file(
    engine: Engine, settings: Settings, signed_in: Any, incident: Incident
) -> None:
    client = signed_in("documenter")
    client.get(f"/evidence/add/{incident.id}")
    before = table_counts(engine)
    content_type, body = multipart_body(client.last_token or "", b"a" * (2 * LIMIT), "x.txt")
    response = client.client.post(
        f"/evidence/add/{incident.id}",
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Content-Length": "1000"},
    )
    assert response.status_code in (400, 413)
    assert table_counts(engine) == before
    assert stored_names(settings) == []


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.jpg", "x.jpg"),
        ("photo\x00.jpg", "photo.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),
        ("a" * 3000 + ".jpg", "a" * 251 + ".jpg"),
    ],
)
def test_hostile_file_names_are_stored_safely_and_shown_escaped(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    signed_in: Any,
    incident: Incident,
    sent: str,
    kept: str,
) -> None:
    client = signed_in("documenter")
    evidence_id = uploaded_id(upload(client, incident, phone_photo(), sent))
    original = item(engine, evidence_id)
    assert original.file_name == kept
    assert len(stored_names(settings)) == 2
    assert all(re.fullmatch("[0-9a-f]{64}", name) for name in stored_names(settings))
    assert not any(path.name == "passwd" for path in tmp_path.rglob("*"))
    page = client.get(f"/evidence/{evidence_id}").get_data(as_text=True)
    assert "<img src=x" not in page
    if "<" in kept:
        assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in page


# --- viewing and downloading ----------------------------------------------------------------


@pytest.fixture
def photo_id(signed_in: Any, incident: Incident) -> uuid.UUID:
    return uploaded_id(upload(signed_in("documenter"), incident, phone_photo(), "IMG.jpg"))


def test_a_lawyer_downloads_the_checked_original_with_custody(
    engine: Engine, signed_in: Any, photo_id: uuid.UUID
) -> None:
    client = signed_in("lawyer")
    page = client.get(f"/evidence/{photo_id}").get_data(as_text=True)
    assert f'action="/evidence/{photo_id}/download"' in page
    response = take(client, photo_id, "download")
    assert response.status_code == 200
    assert response.data == phone_photo()
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"IMG.jpg\"; filename*=UTF-8''IMG.jpg"
    )
    entries = custody_of(engine, photo_id)
    assert [entry.action for entry in entries] == ["received", "copied"]
    assert (entries[1].actor, entries[1].origin) == ("lawyer", "127.0.0.1")
    assert "legal level" in entries[1].note


def test_opening_a_file_shows_it_inline_and_records_a_view(
    engine: Engine, signed_in: Any, photo_id: uuid.UUID
) -> None:
    response = take(signed_in("reviewer"), photo_id, "view")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.data == phone_photo()
    assert custody_of(engine, photo_id)[-1].action == "viewed"


def test_a_reviewer_downloads_only_the_copy_without_metadata(
    engine: Engine, signed_in: Any, incident: Incident, photo_id: uuid.UUID
) -> None:
    client = signed_in("reviewer")
    response = take(client, photo_id, "download")
    assert response.status_code == 200
    assert gps_of(response.data) == {}
    assert b"PhoneMaker" not in response.data
    copy = copy_of(engine, photo_id)
    assert "IMG-without-metadata.jpg" in response.headers["Content-Disposition"]
    assert [entry.action for entry in custody_of(engine, copy.id)] == ["copied", "copied"]
    note_id = uploaded_id(upload(signed_in("documenter"), incident, WITNESS_NOTE, "note.txt"))
    refused = take(client, note_id, "download")
    assert refused.status_code == 403
    assert "copies without metadata" in refused.get_data(as_text=True)


@pytest.mark.parametrize("role", ["documenter", "analyst"])
def test_roles_without_identity_access_take_no_file(
    engine: Engine, signed_in: Any, photo_id: uuid.UUID, role: str
) -> None:
    client = signed_in(role)
    assert client.get(f"/evidence/{photo_id}").status_code == 200
    for how in ("view", "download"):
        assert take(client, photo_id, how).status_code == 403
    assert len(custody_of(engine, photo_id)) == 1


def test_a_download_without_the_csrf_token_records_nothing(
    engine: Engine, signed_in: Any, photo_id: uuid.UUID
) -> None:
    response = signed_in("lawyer").post(f"/evidence/{photo_id}/download", with_token=False)
    assert response.status_code == 400
    assert len(custody_of(engine, photo_id)) == 1


def flip_a_byte(settings: Settings, evidence: Evidence) -> None:
    path = store_folder(settings) / evidence.storage_key
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_changed_or_missing_file_is_never_served_and_the_alarm_is_kept(
    engine: Engine, settings: Settings, signed_in: Any, photo_id: uuid.UUID, damage: str
) -> None:
    original = item(engine, photo_id)
    if damage == "changed":
        flip_a_byte(settings, original)
    else:
        (store_folder(settings) / original.storage_key).unlink()
    client = signed_in("lawyer")
    for how in ("download", "view"):
        response = take(client, photo_id, how)
        assert response.status_code == 409
        assert response.mimetype == "text/html"
        assert f"The stored file IMG.jpg is {damage}" in response.get_data(as_text=True)
    alarms = [entry for entry in custody_of(engine, photo_id) if entry.action == "verified"]
    assert len(alarms) == 2
    assert all(entry.note.startswith("verification failed") for entry in alarms)
    assert all(entry.origin == "127.0.0.1" for entry in alarms)
    page = client.get(f"/evidence/{photo_id}").get_data(as_text=True)
    assert "This file failed a check." in page


def test_an_item_without_a_file_says_so(engine: Engine, signed_in: Any, incident: Incident) -> None:
    from tests.factories import make_evidence

    with Session(engine) as session:
        bare = make_evidence(session, incident_id=incident.id, title="A seized phone")
        session.commit()
        bare_id = bare.id
    response = take(signed_in("admin"), bare_id, "download")
    assert response.status_code == 409
    assert "recorded without a file" in response.get_data(as_text=True)


def test_evidence_of_a_restricted_incident_is_not_found(
    engine: Engine, signed_in: Any, accounts: dict[str, Account], photo_id: uuid.UUID
) -> None:
    with Session(engine) as session:
        evidence = session.get(Evidence, photo_id)
        assert evidence is not None and evidence.incident_id is not None
        set_restriction(
            session,
            model=Incident,
            record_id=evidence.incident_id,
            user_ids=[accounts["reviewer"].user_id],
            actor_id=accounts["admin"].user_id,
        )
        session.commit()
    lawyer = signed_in("lawyer")
    assert lawyer.get(f"/evidence/{photo_id}").status_code == 404
    assert take(lawyer, photo_id, "download").status_code == 404
    assert take(signed_in("reviewer"), photo_id, "view").status_code == 200


def test_behind_a_proxy_custody_records_the_clients_address(
    settings: Settings, engine: Engine, accounts: dict[str, Account], photo_id: uuid.UUID
) -> None:
    proxied: Flask = create_app(dataclasses.replace(settings, proxy_count=1))
    proxied.config["TESTING"] = True
    client = WebClient(proxied.test_client())
    assert client.login(accounts["lawyer"]).status_code == 302
    client.get(f"/evidence/{photo_id}")
    response = client.client.post(
        f"/evidence/{photo_id}/download",
        data={"csrf_token": client.last_token},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert response.status_code == 200
    assert custody_of(engine, photo_id)[-1].origin == "203.0.113.7"
    for key in ("tracker_engine", "tracker_read_engine"):
        proxied.extensions[key].dispose()


def test_uploads_wait_in_the_evidence_folder_not_the_system_temporary_one(
    settings: Settings, signed_in: Any, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.services.evidence_store import EvidenceStore

    spooled: list[Path] = []
    original_spool = EvidenceStore.spool_file

    def spool_file(self: EvidenceStore) -> Any:
        spooled.append(self.root)
        return original_spool(self)

    monkeypatch.setattr(EvidenceStore, "spool_file", spool_file)
    client = signed_in("documenter")
    uploaded_id(upload(client, incident, WITNESS_NOTE, "note.txt"))
    # Once for the file werkzeug receives, once for the intake's own spool.
    assert spooled == [store_folder(settings)] * 2
