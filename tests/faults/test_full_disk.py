"""A full disk while an evidence file is stored: a clear message, no file, no row."""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.factories import make_incident
from tests.faults.browser import Browser, form_fields, multipart
from tests.faults.instance import Instance, add_account, instance_on
from tests.faults.server import running_server
from tracker.models import AuditEntry, Evidence

DISK_BYTES = 2 * 1024 * 1024
FILE_BYTES = 3 * 1024 * 1024
FULL_DISK_MESSAGE = "not enough space"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs to hold the evidence folder (mounting needs root, as on CI)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def instance_on_small_disk(
    engine_name: str, tmp_path: Path, small_disk: Path
) -> Iterator[Instance]:
    with instance_on(
        engine_name, tmp_path / "site", evidence_path=str(small_disk / "evidence")
    ) as made:
        yield made


def transcript(folder: Path) -> Path:
    path = folder / "long transcript.txt"
    path.write_text("The officer said: " + "come with us. " * (FILE_BYTES // 14), encoding="utf-8")
    return path


def incident_with_writer(instance: Instance) -> uuid.UUID:
    with instance.engine() as engine, Session(engine, expire_on_commit=False) as session:
        add_account(engine, "writer")
        incident = make_incident(session, title="Raid on the shelter")
        session.commit()
        return incident.id


def nothing_stored(instance: Instance, audit_entries_before: int) -> None:
    """No file (named or not) in the evidence folder, no evidence row, no new audit entry."""
    assert sorted(path.name for path in instance.evidence_path.iterdir()) == []
    with instance.engine() as engine, Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Evidence)).scalar_one() == 0
        entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        assert entries == audit_entries_before


def audit_entries(instance: Instance) -> int:
    with instance.engine() as engine, Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_full_disk_at_the_command_line(instance_on_small_disk: Instance, tmp_path: Path) -> None:
    instance = instance_on_small_disk
    incident_id = incident_with_writer(instance)
    before = audit_entries(instance)
    result = instance.run(
        "evidence", "add", str(incident_id), str(transcript(tmp_path)), check=False
    )
    assert result.returncode == 1
    assert FULL_DISK_MESSAGE in result.stderr and "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    nothing_stored(instance, before)
    instance.run("evidence", "verify")
    instance.run("check")


def test_full_disk_through_the_web_app(instance_on_small_disk: Instance, tmp_path: Path) -> None:
    instance = instance_on_small_disk
    incident_id = incident_with_writer(instance)
    before = audit_entries(instance)
    path = f"/evidence/add/{incident_id}"
    data = transcript(tmp_path).read_bytes()
    with running_server(instance) as server:
        browser = Browser(server)
        assert browser.login("writer").status == 302
        after_login = audit_entries(instance)
        page = browser.get(f"/incidents/{incident_id}")
        fields = form_fields(page.body, path)
        body, content_type = multipart(fields, "file", "long transcript.txt", data)
        answer = browser.request("POST", path, body, content_type)
        log = server.log_text()
    assert answer.status == 507, answer.body[:500]
    assert FULL_DISK_MESSAGE in answer.body and "Traceback" not in answer.body
    assert "Traceback" not in log
    nothing_stored(instance, after_login)
    assert after_login >= before
    instance.run("evidence", "verify")
