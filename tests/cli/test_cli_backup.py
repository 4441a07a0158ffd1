"""`tracker backup` and `tracker restore` on each engine: a backup taken while writers write
restores every record and file of its snapshot, `tracker check` passes after it, and a restore
over records is refused unless forced (then it really replaces them)."""

import hashlib
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, col, select

import tracker.services.backup as backup_module
import tracker.services.backup_restore as backup_restore_module
from tests.cli.backup_helpers import (
    BACKUP_KEY,
    add_file,
    backup,
    create_restore_database,
    database_state,
    drop_restore_database,
    empty_postgres,
    engine_for,
    instance_files,
    manifest_of,
    populate,
    restore_entries,
    row_fingerprints,
    store_of,
    stored_files,
    target_settings_for,
)
from tests.conftest import TrackerRunner, table_counts
from tests.factories import make_incident, make_link
from tracker.config import Settings
from tracker.migrations import downgrade_database, head_revision, upgrade_database
from tracker.models import Evidence, Incident
from tracker.services.evidence_sealing import wrapped_keys
from tracker.services.evidence_store import EvidenceStore

PASSPHRASE = "seven tired horses cross the Kura"
FUTURE = "0099_future"


@pytest.fixture(scope="session")
def postgres_restore_url() -> Iterator[str]:
    url = create_restore_database()
    yield url
    drop_restore_database()


@pytest.fixture
def restore_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of the same engine for the restored instance."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    url: str = request.getfixturevalue("postgres_restore_url")
    empty_postgres(url)
    return url


@pytest.fixture
def target_settings(settings: Settings, tmp_path: Path, restore_url: str) -> Settings:
    return target_settings_for(settings, tmp_path, restore_url)


@pytest.fixture
def target_cli(target_settings: Settings) -> TrackerRunner:
    return TrackerRunner(target_settings)


@pytest.fixture
def target_engine(restore_url: str) -> Iterator[Engine]:
    engine = engine_for(restore_url)
    yield engine
    engine.dispose()


@pytest.fixture
def populated(engine: Engine, settings: Settings) -> Settings:
    populate(engine, store_of(settings))
    return settings


def key_of(settings: Settings) -> Path:
    return settings.instance_path / BACKUP_KEY


def restore(target_cli: TrackerRunner, path: Path, key: Path, *options: str) -> str:
    result = target_cli.invoke("restore", str(path), "--key-file", str(key), *options)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def refused(result: Result, message: str) -> None:
    """Exit 1 and a one-line reason on stderr, no traceback."""
    stderr = result.stderr
    assert result.exit_code == 1, stderr
    assert stderr.startswith("Error: ") and message in stderr, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr


# --- a backup of a serving instance --------------------------------------------------------


class Writers:
    """Threads that keep recording incidents (every third with an evidence file) until told
    to stop, each through its own engine, as requests of the running app would."""

    def __init__(self, database_url: str, settings: Settings) -> None:
        self.database_url = database_url
        self.store = store_of(settings)
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.committed = 0
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(2)]

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def write(self, number: int) -> None:
        engine = engine_for(self.database_url)
        try:
            for step in range(10_000):
                # A pause between requests, as users make them: SQLite's busy handler is not
                # fair, and writers with none would starve the backup's own audit entry.
                if self.stop.wait(0.005):
                    return
                self.record(engine, number, step)
        except BaseException as error:  # the test fails on any, with it in the message
            self.errors.append(error)
        finally:
            engine.dispose()

    def record(self, engine: Engine, number: int, step: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            incident = make_incident(session, title=f"Writer {number}, incident {step}")
            if step % 3 == 0:
                note = f"Writer {number} note {step}\n".encode()
                add_file(session, self.store, incident, note, f"note-{number}-{step}.txt")
            session.commit()
        with self.progress:
            self.committed += 1
            self.progress.notify_all()

    def wait_for_more(self, count: int) -> None:
        with self.progress:
            target = self.committed + count
            reached = self.progress.wait_for(
                lambda: self.committed >= target or bool(self.errors), timeout=120
            )
        assert reached and not self.errors, self.errors


def test_a_backup_taken_during_writes_restores_its_snapshot_whole(
    populated: Settings,
    cli: TrackerRunner,
    engine: Engine,
    database_url: str,
    target_cli: TrackerRunner,
    target_settings: Settings,
    target_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "serving.backup"
    before = row_fingerprints(engine)
    with Writers(database_url, populated) as writers:
        writers.wait_for_more(3)
        copy_files = backup_module.add_evidence_files

        def copy_files_once_writers_moved_on(*args: object) -> object:
            # Between the snapshot and the file copy, writers commit rows and files the
            # snapshot must not hold, and the backup must not carry.
            writers.wait_for_more(4)
            return copy_files(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(backup_module, "add_evidence_files", copy_files_once_writers_moved_on)
        backup(cli, output)
    assert writers.errors == []
    after = row_fingerprints(engine)
    manifest = manifest_of(output, key_of(populated))

    report = restore(target_cli, output, key_of(populated))

    assert "No integrity problems found." in report
    restored = row_fingerprints(target_engine)
    added_by_restore = restore_entries(target_engine)
    assert len(added_by_restore) == 1
    for table, rows in restored.items():
        snapshot_rows = {key: value for key, value in rows.items() if key not in added_by_restore}
        assert snapshot_rows.items() <= after[table].items(), table  # each row as in the source
        assert before[table].items() <= snapshot_rows.items(), table  # nothing older is lost
        assert len(snapshot_rows) == manifest.tables[table].rows, table
    assert len(restored["incident"]) < len(after["incident"])  # later writes are not in it
    assert_evidence_restored(target_engine, target_settings, manifest)
    check = target_cli.invoke("check")
    assert check.exit_code == 0, check.stdout + check.stderr
    verify = target_cli.invoke("evidence", "verify")
    assert verify.exit_code == 0, verify.stdout + verify.stderr


def assert_evidence_restored(engine: Engine, settings: Settings, manifest: object) -> None:
    """Exactly the snapshot's files, each with the hash taken at intake and in the manifest."""
    files = stored_files(store_of(settings))
    listed = {
        name.removeprefix("evidence/"): member.sha256
        for name, member in manifest.files.items()  # type: ignore[attr-defined]
        if name.startswith("evidence/")
    }
    assert files == listed
    with Session(engine) as session:
        items = session.exec(select(Evidence).where(col(Evidence.storage_key) != "")).all()
        keys = wrapped_keys(session, files)
    # The manifest hashes the sealed files as stored; the items, their plaintext.
    assert items and {item.storage_key: item.sha256 for item in items} == plaintext_hashes(
        store_of(settings), keys
    )


def plaintext_hashes(store: EvidenceStore, keys: dict[str, str]) -> dict[str, str]:
    hashes = {}
    for key in store.stored_keys():
        with store.open_plain(key, keys.get(key)) as stream:
            hashes[key] = hashlib.sha256(stream.read()).hexdigest()
    return hashes


def test_the_backup_file_is_private_and_audited_with_its_hash(
    populated: Settings, cli: TrackerRunner, engine: Engine, tmp_path: Path
) -> None:
    output = tmp_path / "first.backup"
    result = cli.invoke("backup", "-o", str(output))
    assert result.exit_code == 0, result.stderr
    key = key_of(populated)
    assert "Backup key written to" in result.stdout and "separate media" in result.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    first_key = key.read_bytes()
    backup(cli, tmp_path / "second.backup")
    assert key.read_bytes() == first_key  # made once, then reused
    with engine.connect() as connection:
        entries = connection.execute(
            text("SELECT changes FROM audit_entry WHERE table_name = 'backup' ORDER BY sequence")
        ).all()
    assert len(entries) == 2
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert f"SHA-256 of first.backup: {digest}" in result.stdout
    assert digest in str(entries[0][0])
    assert list(tmp_path.glob(".*partial")) == []


def test_a_passphrase_seals_and_opens_a_backup(
    populated: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "words.backup"
    typed = cli.invoke("backup", "-o", str(output), "--passphrase", input=f"{PASSPHRASE}\n" * 2)
    assert typed.exit_code == 0, typed.stderr
    assert not key_of(populated).exists()  # a passphrase alone: no key file made
    refused(
        target_cli.invoke("restore", str(output), "--key-file", str(tmp_path / "none.key")),
        "no backup key at",
    )
    monkeypatch.setenv("TRACKER_BACKUP_PASSPHRASE", PASSPHRASE + "?")
    refused(target_cli.invoke("restore", str(output), "--passphrase"), "wrong passphrase")
    monkeypatch.setenv("TRACKER_BACKUP_PASSPHRASE", PASSPHRASE)
    restored = target_cli.invoke("restore", str(output), "--passphrase")
    assert restored.exit_code == 0, restored.stderr
    assert "No integrity problems found." in restored.stdout


def test_a_short_passphrase_is_refused_before_anything_is_written(
    populated: Settings, cli: TrackerRunner, tmp_path: Path
) -> None:
    result = cli.invoke(
        "backup", "-o", str(tmp_path / "x.backup"), "--passphrase", input="short\nshort\n"
    )
    assert result.exit_code == 1  # the prompts went to stderr too, then the reason
    assert result.stderr.splitlines()[-1].startswith("Error: passphrase: at least 12 characters")
    assert not (tmp_path / "x.backup").exists()


def test_an_output_in_a_missing_folder_is_refused(
    populated: Settings, cli: TrackerRunner, tmp_path: Path
) -> None:
    refused(cli.invoke("backup", "-o", str(tmp_path / "gone" / "x.backup")), "does not exist")
    assert not (tmp_path / "gone").exists()
    assert not key_of(populated).exists()  # refused before a key was made


# --- restoring: only into an empty instance, unless forced ---------------------------------


def test_a_restore_over_records_is_refused_and_changes_nothing(
    populated: Settings, cli: TrackerRunner, engine: Engine, tmp_path: Path
) -> None:
    output = tmp_path / "b.backup"
    backup(cli, output)
    with Session(engine) as session:
        make_incident(session, title="Written after the backup")
        session.commit()
    counts, files = table_counts(engine), instance_files(populated)

    result = cli.invoke("restore", str(output), "--key-file", str(key_of(populated)))

    refused(result, "the instance is not empty")
    assert "incident (" in result.stderr and "evidence files" in result.stderr
    assert "--force" in result.stderr
    assert table_counts(engine) == counts
    assert instance_files(populated) == files


def test_force_replaces_the_records_and_files_of_an_instance(
    populated: Settings,
    cli: TrackerRunner,
    engine: Engine,
    target_cli: TrackerRunner,
    target_settings: Settings,
    target_engine: Engine,
    tmp_path: Path,
) -> None:
    output = tmp_path / "b.backup"
    source = row_fingerprints(engine)
    backup(cli, output)
    assert target_cli.invoke("db", "upgrade").exit_code == 0
    with Session(target_engine, expire_on_commit=False) as session:
        own = make_incident(session, title="Only in the target")
        add_file(session, store_of(target_settings), own, b"Only in the target\n", "own.txt")
        session.commit()
    refused(
        target_cli.invoke("restore", str(output), "--key-file", str(key_of(populated))),
        "not empty",
    )

    restore(target_cli, output, key_of(populated), "--force")

    with Session(target_engine) as session:
        assert session.get(Incident, own.id) is None
    restored = row_fingerprints(target_engine)
    added = restore_entries(target_engine)
    for table, rows in restored.items():
        assert {key: value for key, value in rows.items() if key not in added} == source[table]
    assert stored_files(store_of(target_settings)) == stored_files(store_of(populated))


def test_a_wrong_backup_key_is_refused_and_the_target_is_untouched(
    populated: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    target_settings: Settings,
    restore_url: str,
    tmp_path: Path,
) -> None:
    output = tmp_path / "b.backup"
    backup(cli, output)
    other_key = tmp_path / "other.key"
    other_key.write_bytes(bytes(32))
    other_key.chmod(0o600)
    state = database_state(restore_url)

    result = target_cli.invoke("restore", str(output), "--key-file", str(other_key))

    refused(result, "wrong backup key")
    assert database_state(restore_url) == state
    assert stored_files(store_of(target_settings)) == {}
    assert list(target_settings.instance_path.glob(".restore-*")) == []


def test_verify_only_checks_the_whole_backup_and_writes_nothing(
    populated: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    target_settings: Settings,
    restore_url: str,
    tmp_path: Path,
) -> None:
    output = tmp_path / "b.backup"
    backup(cli, output)
    state = database_state(restore_url)
    result = target_cli.invoke(
        "restore", str(output), "--verify-only", "--key-file", str(key_of(populated))
    )
    assert result.exit_code == 0, result.stderr
    assert "Verified: every byte authenticates" in result.stdout
    assert "3 evidence files" in result.stdout  # the photo, its clean copy, the note
    assert database_state(restore_url) == state
    assert stored_files(store_of(target_settings)) == {}


# --- schemas older and newer than the code's -----------------------------------------------


@pytest.fixture
def back_at_head(engine: Engine) -> Iterator[None]:
    """Tests that move the shared test database's revision put it back afterwards."""
    yield
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE alembic_version SET version_num = :head WHERE version_num = '{FUTURE}'"),
            {"head": head_revision()},
        )
    upgrade_database(engine)


def test_a_backup_of_an_older_schema_is_upgraded_after_the_restore(
    settings: Settings,
    cli: TrackerRunner,
    engine: Engine,
    target_cli: TrackerRunner,
    target_engine: Engine,
    tmp_path: Path,
    back_at_head: None,
) -> None:
    with Session(engine) as session:
        make_link(session)  # two incidents; no evidence (0007's downgrade cannot keep files)
        session.commit()
    incidents = table_counts(engine)["incident"]
    downgrade_database(engine, "0006")
    output = tmp_path / "old.backup"
    result = cli.invoke("backup", "-o", str(output))
    assert result.exit_code == 0, result.stderr
    assert "older revision" in result.stderr  # the audit log of 0006 cannot take the entry

    report = restore(target_cli, output, key_of(settings))

    assert "Upgraded the database from 0006" in report
    assert target_cli.invoke("check").exit_code == 0
    assert table_counts(target_engine)["incident"] == incidents


def test_a_backup_from_a_newer_tracker_is_refused_and_the_target_is_untouched(
    populated: Settings,
    cli: TrackerRunner,
    engine: Engine,
    target_cli: TrackerRunner,
    restore_url: str,
    tmp_path: Path,
    back_at_head: None,
) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE alembic_version SET version_num = '{FUTURE}'"))
    output = tmp_path / "new.backup"
    assert cli.invoke("backup", "-o", str(output)).exit_code == 0
    state = database_state(restore_url)

    result = target_cli.invoke("restore", str(output), "--key-file", str(key_of(populated)))

    refused(result, "from a newer tracker")
    assert FUTURE in result.stderr
    assert database_state(restore_url) == state


def test_the_restore_is_audited_in_the_restored_instance(
    populated: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    target_engine: Engine,
    tmp_path: Path,
) -> None:
    output = tmp_path / "b.backup"
    result = cli.invoke("backup", "-o", str(output))
    digest = result.stdout.split("SHA-256 of b.backup: ")[1].strip()
    restore(target_cli, output, key_of(populated))
    with target_engine.connect() as connection:
        reason, changes = connection.execute(
            text("SELECT reason, changes FROM audit_entry WHERE action = 'import'")
        ).one()
    assert reason == "restore of b.backup"
    assert digest in str(changes)


def test_a_restore_that_fails_its_last_check_leaves_the_old_records_in_place(
    populated: Settings,
    cli: TrackerRunner,
    target_cli: TrackerRunner,
    target_settings: Settings,
    target_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "b.backup"
    backup(cli, output)
    assert target_cli.invoke("db", "upgrade").exit_code == 0
    with Session(target_engine, expire_on_commit=False) as session:
        own = make_incident(session, title="Only in the target")
        add_file(session, store_of(target_settings), own, b"Only in the target\n", "own.txt")
        session.commit()
    before = row_fingerprints(target_engine)
    files = stored_files(store_of(target_settings))
    # SQLite compares the staged snapshot before it is used; PostgreSQL the restored schema
    # before the one set aside is dropped. Either way the comparison now fails.
    monkeypatch.setattr(
        backup_restore_module, "table_problems", lambda *_args: ["table incident: differs"]
    )

    result = target_cli.invoke(
        "restore", str(output), "--key-file", str(key_of(populated)), "--force"
    )

    refused(result, "table incident: differs")
    assert row_fingerprints(target_engine) == before
    assert stored_files(store_of(target_settings)) == files
    with target_engine.connect() as connection:
        tables = {name for name in inspect(connection).get_table_names()}
        schemas = set(inspect(connection).get_schema_names())
    assert "incident" in tables and "tracker_before_restore" not in schemas
