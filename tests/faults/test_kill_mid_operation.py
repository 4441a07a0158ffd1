"""`kill -9` in the middle of a large import, a backup and an evidence upload: the instance
stays whole (`tracker check`, `tracker audit verify`), nothing half-done is left, and the same
command then runs to its end."""

import contextlib
import http.client
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.factories import make_incident
from tests.faults.browser import Browser, form_fields, multipart
from tests.faults.instance import Instance, add_account, instance_on, kill_hard, wait_for
from tests.faults.server import kill_server, running_server, worker_pids
from tests.faults.terminal import TerminalOutput
from tracker.models import Evidence, Incident

SYNTHETIC_INCIDENTS = 800
LARGE_FILE_BYTES = 48 * 1024 * 1024


@pytest.fixture(scope="module")
def import_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interchange file of SYNTHETIC_INCIDENTS incidents and everything around them."""
    folder = tmp_path_factory.mktemp("import-source")
    with instance_on("sqlite", folder / "source") as source:
        source.run("demo", "--synthetic", str(SYNTHETIC_INCIDENTS))
        source.run("export", "json", "-o", str(folder / "records.json"))
    return folder / "records.json"


def incident_count(instance: Instance) -> int:
    with instance.engine() as engine, Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Incident)).scalar_one())


def still_whole(instance: Instance) -> None:
    instance.run("check")
    instance.run("audit", "verify")
    verified = instance.run("evidence", "verify")
    assert "STRAY" not in verified.stdout and "PARTIAL" not in verified.stdout


def test_import_killed_while_writing_leaves_nothing_and_runs_again(
    instance: Instance, import_file: Path
) -> None:
    terminal = TerminalOutput()
    process = instance.start("import", "json", str(import_file), **terminal.options())
    terminal.start_reading()
    # The bar moves after each batch written: some are written, not all.
    wait_for(lambda: any(0 < done < 100 for done in terminal.percentages()), every=0.01)
    kill_hard(process)
    print(f"\n[faults] {instance.engine_name}: import killed at {terminal.percentages()[-1]}%")
    still_whole(instance)
    assert incident_count(instance) == 0  # one transaction: all of it or none
    again = instance.run("import", "json", str(import_file))
    assert "Imported" in again.stdout
    assert incident_count(instance) == SYNTHETIC_INCIDENTS
    still_whole(instance)


def large_text_file(folder: Path, size: int = LARGE_FILE_BYTES) -> Path:
    """A witness's long transcript: plain text, different bytes in every chunk."""
    path = folder / "transcript.txt"
    with path.open("w", encoding="ascii") as file:
        for _ in range(size // (1024 * 1024)):
            file.write(os.urandom(512 * 1024).hex())
    return path


def one_incident(instance: Instance) -> uuid.UUID:
    with instance.engine() as engine, Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session, title="Raid on the shelter")
        session.commit()
        return incident.id


def evidence_rows(instance: Instance) -> int:
    with instance.engine() as engine, Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Evidence)).scalar_one())


def bytes_being_stored(pid: int, folder: Path) -> int:
    """How much of a file the process has written into the evidence folder so far (its open
    files there: one not yet named, or a temporary name)."""
    written = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(descriptor).startswith(str(folder.resolve())):
                written = max(written, os.stat(descriptor).st_size)
        except FileNotFoundError:
            continue
    return written


def test_evidence_upload_killed_while_storing_leaves_no_file_and_runs_again(
    instance: Instance, tmp_path: Path
) -> None:
    incident_id, transcript = one_incident(instance), large_text_file(tmp_path)
    folder = instance.evidence_path
    process = instance.start("evidence", "add", str(incident_id), str(transcript))
    written = wait_for(
        lambda: (0 < (size := bytes_being_stored(process.pid, folder)) < LARGE_FILE_BYTES) and size
    )
    kill_hard(process)
    print(f"\n[faults] {instance.engine_name}: upload killed at {written:,} bytes")
    assert evidence_rows(instance) == 0
    assert sorted(path.name for path in folder.iterdir()) == []
    still_whole(instance)
    again = instance.run("evidence", "add", str(incident_id), str(transcript))
    assert "Stored transcript.txt" in again.stdout
    assert evidence_rows(instance) == 1 and len(list(folder.iterdir())) == 1
    still_whole(instance)


def populate_for_backup(instance: Instance, tmp_path: Path) -> None:
    """Records, and an evidence file large enough that the backup takes a while."""
    instance.run("demo")
    transcript = large_text_file(tmp_path, 16 * 1024 * 1024)
    instance.run("evidence", "add", str(one_incident(instance)), str(transcript))


def partial_backup_size(folder: Path) -> int:
    return max((path.stat().st_size for path in folder.glob(".*.partial")), default=0)


def test_backup_killed_while_writing_leaves_no_backup_and_runs_again(
    instance: Instance, tmp_path: Path
) -> None:
    populate_for_backup(instance, tmp_path)
    output_folder = tmp_path / "backups"
    output_folder.mkdir()
    output = output_folder / "tracker.backup"
    process = instance.start("backup", "-o", str(output))
    written = wait_for(lambda: partial_backup_size(output_folder))
    kill_hard(process)
    print(f"\n[faults] {instance.engine_name}: backup killed at {written:,} bytes")
    assert not output.exists()  # never a half backup under the name asked for
    still_whole(instance)
    instance.run("backup", "-o", str(output))
    instance.run("restore", "--verify-only", str(output))
    assert not list(instance.instance_path.glob(".backup-*"))  # the killed run's staging
    still_whole(instance)


def upload_in_background(browser: Browser, path: str, data: bytes) -> threading.Thread:
    """POST the upload form from another thread; the connection may die under it."""
    fields = form_fields(browser.get(f"/incidents/{path.rsplit('/', 1)[1]}").body, path)
    body, content_type = multipart(fields, "file", "transcript.txt", data)

    def send() -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            browser.request("POST", path, body, content_type)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def bytes_received(server_pid: int, folder: Path) -> int:
    return max((bytes_being_stored(pid, folder) for pid in worker_pids(server_pid)), default=0)


def test_server_killed_while_receiving_an_upload_leaves_no_file_and_takes_it_again(
    instance: Instance, tmp_path: Path
) -> None:
    incident_id = one_incident(instance)
    with instance.engine() as engine:
        add_account(engine, "writer")
    path, folder = f"/evidence/add/{incident_id}", instance.evidence_path
    data = large_text_file(tmp_path).read_bytes()
    with running_server(instance) as server:
        browser = Browser(server)
        assert browser.login("writer").status == 302
        sending = upload_in_background(browser, path, data)
        received = wait_for(
            lambda: (0 < (size := bytes_received(server.pid, folder)) < len(data)) and size
        )
        kill_server(server.pid)
        sending.join(timeout=60)
    print(f"\n[faults] {instance.engine_name}: server killed at {received:,} bytes received")
    assert evidence_rows(instance) == 0
    assert sorted(entry.name for entry in folder.iterdir()) == []
    still_whole(instance)
    with running_server(instance) as server:
        browser = Browser(server)
        assert browser.login("writer").status == 302
        fields = form_fields(browser.get(f"/incidents/{incident_id}").body, path)
        body, content_type = multipart(fields, "file", "transcript.txt", data[: 1024 * 1024])
        assert browser.request("POST", path, body, content_type).status == 302
    assert evidence_rows(instance) == 1 and len(list(folder.iterdir())) == 1
    still_whole(instance)
