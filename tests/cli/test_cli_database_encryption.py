"""`tracker init` and `tracker db encrypt`: new instances are encrypted, old plaintext ones are
converted in place, and a missing or wrong key or passphrase stops every command."""

import dataclasses
import hashlib
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.conftest import TEST_SECRET, TrackerRunner
from tests.factories import make_incident, make_person
from tracker.config import Settings
from tracker.db import DatabaseUnavailable, database_file_kind, engine_from_settings
from tracker.models import Person
from tracker.services import database_encryption, database_keys
from tracker.services.database_keys import read_key_file
from tracker.services.restrictions import Viewer
from tracker.services.search import search_records

PASSPHRASE = "correct horse battery staple"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    """A new instance folder with the default settings (key file encryption)."""
    return Settings(instance_path=tmp_path / "instance", secret_key=TEST_SECRET)


@pytest.fixture
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}.items():
        monkeypatch.setitem(database_keys.DEFAULT_KDF_COSTS, name, value)


def database_of(settings: Settings) -> Path:
    assert settings.sqlite_database_path is not None
    return settings.sqlite_database_path


def make_plaintext_instance(settings: Settings, name: str, word: str) -> None:
    """An instance set up before encryption existed, with a person and an incident in it."""
    plain = dataclasses.replace(settings, database_encryption="off")
    result = TrackerRunner(plain).invoke("init")
    assert result.exit_code == 0, result.stderr
    engine = engine_from_settings(plain)
    with Session(engine) as session:
        make_person(session, real_name=name, names=[name])
        make_incident(session, title="Search", narrative=f"The {word} was taken.")
        session.commit()
    engine.dispose()
    assert database_file_kind(database_of(settings)) == "plaintext"


def everything_on_disk(settings: Settings) -> bytes:
    return b"".join(path.read_bytes() for path in settings.instance_path.iterdir())


def persons_and_search(settings: Settings, word: str) -> tuple[int, int]:
    engine = engine_from_settings(settings)
    with Session(engine) as session:
        persons = session.execute(select(func.count()).select_from(Person)).scalar_one()
        viewer = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
        hits = len(search_records(session, viewer, query=word).hits)
    engine.dispose()
    return persons, hits


def test_init_creates_an_encrypted_database_and_a_private_key(fresh: Settings) -> None:
    result = TrackerRunner(fresh).invoke("init")
    assert result.exit_code == 0, result.stderr
    key_path = fresh.instance_path / "database.key"
    assert f"Database key written to {key_path} (mode 0600)" in result.stdout
    assert "separate media" in result.stdout
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert len(read_key_file(key_path, production=True)) == 32
    assert database_file_kind(database_of(fresh)) == "encrypted"
    check = TrackerRunner(fresh).invoke("check")
    assert check.exit_code == 0, check.stderr


def test_db_upgrade_on_a_new_instance_creates_it_encrypted(fresh: Settings) -> None:
    result = TrackerRunner(fresh).invoke("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert (fresh.instance_path / "database.key").stat().st_mode & 0o777 == 0o600
    assert database_file_kind(database_of(fresh)) == "encrypted"


def test_init_encrypts_an_existing_plaintext_instance(fresh: Settings) -> None:
    name, word = f"Canary{uuid.uuid4().hex[:12]}", f"canaryword{uuid.uuid4().hex[:10]}"
    make_plaintext_instance(fresh, name, word)
    result = TrackerRunner(fresh).invoke("init")
    assert result.exit_code == 0, result.stderr
    assert "is not encrypted: encrypting it now" in result.stdout
    assert "overwritten and removed" in result.stdout
    assert database_file_kind(database_of(fresh)) == "encrypted"
    on_disk = everything_on_disk(fresh)
    assert name.encode() not in on_disk
    assert word.encode() not in on_disk
    left = {path.name for path in fresh.instance_path.iterdir()}
    assert left - {"tracker.db-wal", "tracker.db-shm"} == {
        "database.key",
        "master.key",
        "secret_key",
        "tracker.db",
    }
    assert persons_and_search(fresh, word) == (1, 1)
    assert TrackerRunner(fresh).invoke("check").exit_code == 0


def test_db_encrypt_keeps_the_plaintext_only_when_asked(fresh: Settings) -> None:
    name, word = f"Canary{uuid.uuid4().hex[:12]}", f"canaryword{uuid.uuid4().hex[:10]}"
    make_plaintext_instance(fresh, name, word)
    result = TrackerRunner(fresh).invoke("db", "encrypt", "--keep-plaintext")
    assert result.exit_code == 0, result.stderr
    kept = database_of(fresh).with_name("tracker.db.plaintext")
    assert f"kept as {kept}" in result.stdout
    # The narrative: names are sealed even in the plaintext file (field encryption).
    assert word.encode() in kept.read_bytes()
    assert word.encode() not in database_of(fresh).read_bytes()
    assert persons_and_search(fresh, word) == (1, 1)


def test_a_copy_that_fails_its_check_leaves_the_original_in_place(
    fresh: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, word = f"Canary{uuid.uuid4().hex[:12]}", f"canaryword{uuid.uuid4().hex[:10]}"
    make_plaintext_instance(fresh, name, word)
    real_counts = database_encryption.row_counts
    calls = iter([real_counts, lambda connection: {}])  # the copy "lost" every table

    def counts(connection: Any) -> dict[str, int]:
        return next(calls)(connection)

    monkeypatch.setattr(database_encryption, "row_counts", counts)
    result = TrackerRunner(fresh).invoke("db", "encrypt")
    assert result.exit_code == 1
    assert "did not match the original; the original was left unchanged" in result.stderr
    assert database_file_kind(database_of(fresh)) == "plaintext"
    assert not database_of(fresh).with_name("tracker.db.encrypting").exists()
    assert persons_and_search(dataclasses.replace(fresh, database_encryption="off"), word) == (1, 1)


def test_db_encrypt_on_an_encrypted_database_changes_nothing(fresh: Settings) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    before = digest(database_of(fresh))
    result = TrackerRunner(fresh).invoke("db", "encrypt")
    assert result.exit_code == 0
    assert "is encrypted already; nothing was changed" in result.stdout
    assert digest(database_of(fresh)) == before


def test_db_encrypt_refuses_postgresql(tmp_path: Path) -> None:
    settings = Settings(
        instance_path=tmp_path / "instance",
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        secret_key=TEST_SECRET,
    )
    result = TrackerRunner(settings).invoke("db", "encrypt")
    assert result.exit_code == 1
    assert "embedded SQLite database only" in result.stderr


def test_init_never_replaces_the_key_of_an_encrypted_database(fresh: Settings) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    key_path = fresh.instance_path / "database.key"
    key_path.rename(fresh.instance_path.parent / "usb-stick.key")
    before = digest(database_of(fresh))
    result = TrackerRunner(fresh).invoke("init")
    assert result.exit_code == 1
    assert f"no database key file at {key_path}" in result.stderr
    assert not key_path.exists()
    assert digest(database_of(fresh)) == before
    elsewhere = dataclasses.replace(
        fresh, database_key_file=str(fresh.instance_path.parent / "usb-stick.key")
    )
    assert TrackerRunner(elsewhere).invoke("check").exit_code == 0


def test_a_wrong_key_file_stops_every_command(fresh: Settings) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    key_path = fresh.instance_path / "database.key"
    key_path.write_text("ab" * 32)
    before = digest(database_of(fresh))
    for args in (("check",), ("db", "upgrade"), ("demo",)):
        result = TrackerRunner(fresh).invoke(*args)
        assert result.exit_code == 1, args
        assert "the database key does not open" in result.stderr
    assert digest(database_of(fresh)) == before


def test_a_key_file_others_can_read_is_refused_in_production(
    fresh: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    key_path = fresh.instance_path / "database.key"
    key_path.chmod(0o644)
    strict = dataclasses.replace(fresh, production=True)
    refused = TrackerRunner(strict).invoke("check")
    assert refused.exit_code == 1
    assert "refuses to start (production = true)" in refused.stderr
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        warned = TrackerRunner(fresh).invoke("check")
    assert warned.exit_code == 0
    assert f"chmod 600 {key_path}" in caplog.text


def test_encryption_off_refuses_an_encrypted_database(fresh: Settings) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    off = dataclasses.replace(fresh, database_encryption="off")
    result = TrackerRunner(off).invoke("check")
    assert result.exit_code == 1
    assert 'database_encryption is "off"' in result.stderr


# --- passphrase mode -------------------------------------------------------------------------


@pytest.fixture
def locked(fresh: Settings, cheap_kdf: None) -> Settings:
    return dataclasses.replace(fresh, database_encryption="passphrase")


def test_init_with_a_passphrase_then_commands_ask_for_it(
    locked: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = TrackerRunner(locked)
    created = runner.invoke("init", input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert created.exit_code == 0, created.stderr
    assert "Passphrase set" in created.stdout
    assert locked.database_kdf_path.is_file()
    assert not (locked.instance_path / "database.key").exists()
    assert database_file_kind(database_of(locked)) == "encrypted"
    assert PASSPHRASE.encode() not in everything_on_disk(locked)
    typed = runner.invoke("check", input=f"{PASSPHRASE}\n")
    assert typed.exit_code == 0, typed.stderr
    monkeypatch.setenv("TRACKER_DATABASE_PASSPHRASE", PASSPHRASE)
    assert runner.invoke("check").exit_code == 0
    monkeypatch.setenv("TRACKER_DATABASE_PASSPHRASE", PASSPHRASE + "!")
    before = digest(database_of(locked))
    wrong = runner.invoke("check")
    assert wrong.exit_code == 1
    assert "the database key does not open" in wrong.stderr
    assert digest(database_of(locked)) == before


def test_a_short_passphrase_is_refused_and_nothing_is_created(locked: Settings) -> None:
    result = TrackerRunner(locked).invoke("init", input="short one\nshort one\n")
    assert result.exit_code == 1
    assert "at least 16 characters" in result.stderr
    assert not locked.database_kdf_path.exists()
    assert database_file_kind(database_of(locked)) == "new"


def test_db_encrypt_with_a_passphrase(locked: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    name, word = f"Canary{uuid.uuid4().hex[:12]}", f"canaryword{uuid.uuid4().hex[:10]}"
    make_plaintext_instance(locked, name, word)
    monkeypatch.setenv("TRACKER_DATABASE_PASSPHRASE", PASSPHRASE)
    result = TrackerRunner(locked).invoke("db", "encrypt")
    assert result.exit_code == 0, result.stderr
    assert name.encode() not in everything_on_disk(locked)
    assert TrackerRunner(locked).invoke("check").exit_code == 0


def test_the_passphrase_variable_is_not_a_setting() -> None:
    from tracker.config import load_settings

    settings = load_settings(environ={"TRACKER_DATABASE_PASSPHRASE": PASSPHRASE}, config_path=None)
    assert PASSPHRASE not in repr(settings)


def test_the_key_error_names_no_key(fresh: Settings) -> None:
    assert TrackerRunner(fresh).invoke("init").exit_code == 0
    key_text = (fresh.instance_path / "database.key").read_text().strip()
    (fresh.instance_path / "database.key").write_text("cd" * 32)
    engine = engine_from_settings(fresh)
    with pytest.raises(DatabaseUnavailable) as refused:
        engine.connect()
    engine.dispose()
    assert key_text not in str(refused.value)
    assert "cd" * 32 not in str(refused.value)
