"""Backups that must not restore: a flipped byte anywhere, a cut or lengthened file, another
engine's backup, a key others can read. Each is refused with a clear message and exit 1, and
the instance is left exactly as it was. The format is the same on both engines, so these run on
SQLite (PostgreSQL's refusals of a non-empty or newer database are in test_cli_backup.py)."""

import dataclasses
import io
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from tests.cli.backup_helpers import (
    BACKUP_KEY,
    add_file,
    backup,
    database_state,
    instance_files,
    populate,
    store_of,
    target_settings_for,
)
from tests.conftest import TrackerRunner
from tests.factories import make_incident, make_person
from tracker.config import Settings, load_settings
from tracker.domain.backup_archive import MemberDigest
from tracker.domain.backup_format import TAG_SIZE, read_header
from tracker.domain.backup_manifest import Manifest
from tracker.services.backup_database import DatabaseToolFailed, database_tool
from tracker.services.backup_restore import (
    NotRestorable,
    RestoreTarget,
    Unpacked,
    check_restorable,
)
from tracker.services.evidence_store import EvidenceStore


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, whatever engines the suite runs on: the file format is engine-neutral."""
    path = tmp_path / "source.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def target_settings(settings: Settings, tmp_path: Path) -> Settings:
    return target_settings_for(settings, tmp_path, f"sqlite:///{tmp_path / 'restored.db'}")


@pytest.fixture
def target_cli(target_settings: Settings) -> TrackerRunner:
    return TrackerRunner(target_settings)


@pytest.fixture
def made_backup(engine: Engine, settings: Settings, cli: TrackerRunner, tmp_path: Path) -> Path:
    populate(engine, store_of(settings))
    with Session(engine, expire_on_commit=False) as session:
        # Past two 1 MiB chunks, so cuts and flips land in first, middle and final chunks.
        transcript = b"".join(
            b"Line %07d of a long hearing transcript.\n" % n for n in range(60_000)
        )
        add_file(session, store_of(settings), make_incident(session), transcript, "hearing.txt")
        session.commit()
    output = tmp_path / "sound.backup"
    backup(cli, output)
    return output


def key_of(settings: Settings) -> Path:
    return settings.instance_path / BACKUP_KEY


def attempt(target_cli: TrackerRunner, settings: Settings, damaged: bytes, path: Path) -> Result:
    path.write_bytes(damaged)
    return target_cli.invoke("restore", str(path), "--key-file", str(key_of(settings)))


def assert_refused_and_untouched(result: Result, target: Settings, message: str = "") -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert database_state(target.database_url) is None  # not even an empty file was made
    assert instance_files(target) == {}  # no evidence, no staging folder, no key written


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_flipped_byte_anywhere_is_refused_and_nothing_is_restored(
    data: st.DataObject,
    made_backup: Path,
    settings: Settings,
    target_cli: TrackerRunner,
    target_settings: Settings,
    tmp_path: Path,
) -> None:
    sound = made_backup.read_bytes()
    position = data.draw(st.integers(min_value=0, max_value=len(sound) - 1), label="position")
    flip = data.draw(st.integers(min_value=1, max_value=255), label="xor")
    damaged = bytearray(sound)
    damaged[position] ^= flip

    result = attempt(target_cli, settings, bytes(damaged), tmp_path / "damaged.backup")

    assert_refused_and_untouched(result, target_settings)
    assert "nothing was restored" in result.stderr or "backup" in result.stderr


def chunk_start(backup_bytes: bytes) -> int:
    return len(read_header(io.BytesIO(backup_bytes)).raw)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda sound: sound[: len(sound) - 1], "damaged or cut short"),
        (lambda sound: sound[: chunk_start(sound) + 1024 * 1024 + TAG_SIZE], "its end is missing"),
        (lambda sound: sound[: chunk_start(sound) + 1000], "damaged or cut short"),
        (lambda sound: sound[: chunk_start(sound) - 5], "cut short inside its header"),
        (lambda sound: sound + b"\x00", "does not authenticate"),
        (lambda sound: b"", "not a tracker backup"),
    ],
    ids=[
        "last byte cut",
        "cut at a chunk boundary",
        "cut inside the first chunk",
        "cut inside the header",
        "byte added",
        "empty",
    ],
)
def test_a_cut_or_lengthened_backup_is_refused_by_name(
    change: object,
    message: str,
    made_backup: Path,
    settings: Settings,
    target_cli: TrackerRunner,
    target_settings: Settings,
    tmp_path: Path,
) -> None:
    changed = change(made_backup.read_bytes())  # type: ignore[operator]
    result = attempt(target_cli, settings, changed, tmp_path / "changed.backup")
    assert_refused_and_untouched(result, target_settings, message)


def test_a_backup_needs_the_key_it_was_sealed_with(
    made_backup: Path, target_cli: TrackerRunner, target_settings: Settings, tmp_path: Path
) -> None:
    missing = target_cli.invoke("restore", str(made_backup), "--key-file", str(tmp_path / "no"))
    assert_refused_and_untouched(missing, target_settings, "no backup key at")
    short = tmp_path / "short.key"
    short.write_bytes(b"0123456789")
    result = target_cli.invoke("restore", str(made_backup), "--key-file", str(short))
    assert_refused_and_untouched(result, target_settings, "is not a backup key")


def test_a_key_file_others_can_read_is_warned_about_or_refused_in_production(
    made_backup: Path,
    settings: Settings,
    target_settings: Settings,
    tmp_path: Path,
) -> None:
    key = key_of(settings)
    key.chmod(0o644)
    production = TrackerRunner(dataclasses.replace(target_settings, production=True))
    refused = production.invoke("restore", str(made_backup), "--key-file", str(key))
    assert_refused_and_untouched(refused, target_settings, "chmod 600")
    warned = TrackerRunner(target_settings).invoke(
        "restore", str(made_backup), "--key-file", str(key)
    )
    assert warned.exit_code == 0, warned.stderr
    assert "Warning:" in warned.stderr and "mode 0644" in warned.stderr


def test_a_missing_evidence_file_is_reported_at_backup_and_after_restore(
    engine: Engine,
    settings: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    tmp_path: Path,
) -> None:
    store = store_of(settings)
    with Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session)
        add_file(session, store, incident, b"A note that will go missing\n", "gone.txt")
        session.commit()
    [key] = store.stored_keys()
    store.delete(key)
    result = cli.invoke("backup", "-o", str(tmp_path / "b.backup"))
    assert result.exit_code == 0, result.stderr
    assert f"evidence file {key} was missing" in result.stderr

    restored = target_cli.invoke(
        "restore", str(tmp_path / "b.backup"), "--key-file", str(key_of(settings))
    )

    assert restored.exit_code == 1
    assert "MISSING" in restored.stdout and "restored, but 1 problem(s)" in restored.stderr


def test_the_backup_holds_no_name_narrative_or_file_content_in_the_clear(
    engine: Engine, settings: Settings, cli: TrackerRunner, tmp_path: Path
) -> None:
    canaries = ("Zümrüdxanım Canary", "narrativecanary7731", "filecanary5519")
    with Session(engine, expire_on_commit=False) as session:
        make_person(session, role_letter="V", real_name=canaries[0])
        incident = make_incident(session, narrative=f"Seen by {canaries[1]}")
        add_file(session, store_of(settings), incident, canaries[2].encode() * 50, "c.txt")
        session.commit()
    output = tmp_path / "b.backup"
    backup(cli, output)
    sealed = output.read_bytes()
    for canary in canaries:
        for encoding in ("utf-8", "utf-16-le"):
            assert canary.encode(encoding) not in sealed


def test_staging_left_by_a_killed_run_is_removed_by_the_next(
    made_backup: Path, settings: Settings, cli: TrackerRunner, tmp_path: Path
) -> None:
    dead_pid = 2**22 + 1  # above Linux's pid_max: no process has it
    abandoned = settings.instance_path / f".restore-{dead_pid}-x1y2"
    abandoned.mkdir()
    (abandoned / "tracker.sqlite").write_bytes(b"plain text left by a killed restore")
    backup(cli, tmp_path / "again.backup")
    assert not abandoned.exists()


def test_another_engines_backup_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    database = MemberDigest("database/tracker.sqlite", "0" * 64, 1)
    manifest = Manifest(
        tracker_version="0.1.0",
        created_at="2024-06-01T00:00:00+00:00",
        engine="sqlite",
        revision=None,
        database=database.name,
        tables={},
        files={database.name: database},
    )
    never_connected = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    store = EvidenceStore(tmp_path / "evidence", max_bytes=1)
    target = RestoreTarget(never_connected, store, tmp_path, lambda _path: never_connected)
    with pytest.raises(NotRestorable, match="SQLite database and this instance uses PostgreSQL"):
        check_restorable(Unpacked(manifest, "0" * 64, tmp_path), target)


def test_a_missing_pg_dump_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DatabaseToolFailed, match="pg_dump was not found on PATH"):
        database_tool("pg_dump")


def test_the_backup_passphrase_variable_is_not_taken_for_a_setting() -> None:
    environ = {"TRACKER_BACKUP_PASSPHRASE": "seven tired horses cross the Kura"}
    assert load_settings(environ=environ, config_path=None) is not None


def test_an_output_naming_the_database_or_a_key_is_refused(
    made_backup: Path, settings: Settings, cli: TrackerRunner, database_url: str
) -> None:
    database = Path(database_url.removeprefix("sqlite:///"))
    kept = database.read_bytes()
    for path in (database, Path(f"{database}-wal"), key_of(settings), settings.secret_key_path):
        result = cli.invoke("backup", "-o", str(path))
        assert result.exit_code == 1, result.stdout
        assert "is one of the instance's own files" in result.stderr
    assert database.read_bytes() == kept


def test_an_instance_with_another_database_key_is_refused_and_untouched(
    made_backup: Path, settings: Settings, target_settings: Settings, tmp_path: Path
) -> None:
    other_key = tmp_path / "other-database.key"
    other_key.write_text("ab" * 32 + "\n", encoding="ascii")
    other_key.chmod(0o600)
    other = dataclasses.replace(target_settings, database_key_file=str(other_key))

    result = TrackerRunner(other).invoke(
        "restore", str(made_backup), "--key-file", str(key_of(settings))
    )

    assert_refused_and_untouched(result, other, "database key is missing or does not open")
