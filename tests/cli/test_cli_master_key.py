"""The master key: `tracker init` writes it; a missing, wrong or loosely readable key file stops
every command and the web app's start, with nothing written; `tracker keys rotate` rewraps
every value under a new key, keeps the old one aside, and the audit chain still verifies."""

import dataclasses
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.conftest import TEST_KEYRING, TrackerRunner, table_counts
from tests.factories import ACTOR_ID, make_person
from tracker import create_app
from tracker.config import Settings
from tracker.db import DatabaseUnavailable
from tracker.domain.sealing import (
    Keyring,
    MasterKey,
    MasterKeyUnavailable,
    WrongMasterKey,
    install_keyring,
    open_text,
)
from tracker.models import Person
from tracker.services.master_keys import key_file_text, read_key_file
from tracker.services.people import add_person_name, find_people_by_name

OTHER_KEYRING = Keyring(MasterKey(bytes.fromhex("c3" * 32)), bytes.fromhex("d4" * 32))


def key_file(path: Path, keyring: Keyring, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key_file_text(keyring), encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def own_key(settings: Settings, tmp_path: Path, master_key_file: Path) -> Settings:
    """The test's own copy of the master key file (a rotation replaces it)."""
    copy = tmp_path / "keys" / "master.key"
    copy.parent.mkdir()
    shutil.copy(master_key_file, copy)
    copy.chmod(0o600)
    return dataclasses.replace(settings, master_key_file=str(copy))


def with_person(engine: Engine, name: str = "Əli Məlikov") -> Person:
    with Session(engine, expire_on_commit=False) as session:
        person = make_person(session, real_name=name)
        add_person_name(session, person_id=person.id, text="Ali Malikov", actor_id=ACTOR_ID)
        session.commit()
        return person


def test_init_writes_a_private_master_key(tmp_path: Path, settings: Settings) -> None:
    fresh = dataclasses.replace(
        settings,
        instance_path=tmp_path / "new",
        database_url=f"sqlite:///{tmp_path / 'new' / 'tracker.db'}",
        database_key_file="",
        master_key_file="",
    )
    result = TrackerRunner(fresh).invoke("init")
    assert result.exit_code == 0, result.output
    path = tmp_path / "new" / "master.key"
    assert "Master key written to" in result.output
    assert path.stat().st_mode & 0o777 == 0o600
    keyring = read_key_file(path, production=True)
    again = TrackerRunner(fresh).invoke("init")
    assert again.exit_code == 0
    assert read_key_file(path, production=True) == keyring  # never replaced


def test_a_missing_key_file_stops_commands_and_writes_nothing(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    with_person(engine)
    before = table_counts(engine)
    missing = dataclasses.replace(settings, master_key_file=str(tmp_path / "gone.key"))
    for command in (
        ("check",),
        ("demo",),
        ("audit", "verify"),
        ("export", "json", "-o", str(tmp_path / "x.json")),
    ):
        result = TrackerRunner(missing).invoke(*command)
        assert result.exit_code == 1, command
        assert "no master key file at" in result.output
    assert table_counts(engine) == before


def test_init_never_replaces_the_key_of_a_sealed_database(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    with_person(engine)
    missing = dataclasses.replace(settings, master_key_file=str(tmp_path / "gone.key"))
    result = TrackerRunner(missing).invoke("init")
    assert result.exit_code == 1
    assert "never makes a new key" in result.output
    assert not (tmp_path / "gone.key").exists()


def test_a_wrong_key_file_stops_commands_and_writes_nothing(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    with_person(engine)
    before = table_counts(engine)
    wrong = dataclasses.replace(
        settings, master_key_file=str(key_file(tmp_path / "wrong.key", OTHER_KEYRING))
    )
    for command in (("check",), ("demo",), ("keys", "rotate")):
        result = TrackerRunner(wrong).invoke(*command)
        assert result.exit_code == 1, command
        expected = f"identity fields are sealed under master key {TEST_KEYRING.key_id}"
        assert f"wrong master key: this database's {expected}" in result.output
    assert table_counts(engine) == before
    assert (tmp_path / "wrong.key").read_text() == key_file_text(OTHER_KEYRING)


def test_the_web_app_refuses_to_start_without_its_key(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    with_person(engine)
    with pytest.raises(MasterKeyUnavailable, match="no master key file at"):
        create_app(dataclasses.replace(settings, master_key_file=str(tmp_path / "gone.key")))
    wrong = key_file(tmp_path / "wrong.key", OTHER_KEYRING)
    with pytest.raises(WrongMasterKey, match="wrong master key"):
        create_app(dataclasses.replace(settings, master_key_file=str(wrong)))
    not_a_key = tmp_path / "not.key"
    not_a_key.write_text("hello")
    not_a_key.chmod(0o600)
    with pytest.raises(MasterKeyUnavailable, match="not a tracker master key file|cannot read"):
        create_app(dataclasses.replace(settings, master_key_file=str(not_a_key)))


def test_a_loose_key_file_warns_and_in_production_is_refused(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loose = key_file(tmp_path / "loose.key", TEST_KEYRING, mode=0o644)
    caplog.set_level(logging.WARNING, logger="tracker.security")
    assert read_key_file(loose, production=False) == TEST_KEYRING
    assert f"chmod 600 {loose}" in caplog.text
    with pytest.raises(DatabaseUnavailable, match="refuses to start"):
        read_key_file(loose, production=True)
    with pytest.raises(DatabaseUnavailable, match="refuses to start"):
        create_app(dataclasses.replace(settings, master_key_file=str(loose), production=True))


def stored_values(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        people = connection.execute(text("SELECT real_name FROM person WHERE real_name <> ''"))
        names = connection.execute(text("SELECT text FROM person_name"))
        return [row[0] for row in people] + [row[0] for row in names]


def test_rotation_rewraps_every_value_and_the_chain_still_verifies(
    own_key: Settings, engine: Engine
) -> None:
    person = with_person(engine)
    cli = TrackerRunner(own_key)
    before = stored_values(engine)
    result = cli.invoke("keys", "rotate")
    assert result.exit_code == 0, result.output
    assert "Master key rotated" in result.output
    path = Path(own_key.master_key_file)
    old = read_key_file(path.with_name("master.key.old"), production=True)
    new = read_key_file(path, production=True)
    assert old == TEST_KEYRING and new.key_id != old.key_id
    assert new.blind_key == old.blind_key
    assert not path.with_name("master.key.new").exists()
    after = stored_values(engine)
    assert len(after) == len(before)
    for value_before, value_after in zip(before, after, strict=True):
        assert value_after.split(".")[2] == new.key_id
        assert value_after.split(".")[4:] == value_before.split(".")[4:]  # same ciphertext
        with pytest.raises(WrongMasterKey):
            open_text(old, value_after, "person.real_name")
    for command in (("audit", "verify"), ("check",)):
        checked = cli.invoke(*command)
        assert checked.exit_code == 0, checked.output
    install_keyring(new)
    with Session(engine) as session:
        assert session.get(Person, person.id).real_name == "Əli Məlikov"  # type: ignore[union-attr]
        assert [p.id for p in find_people_by_name(session, "ali malikov")] == [person.id]
    # The old key no longer opens this database: a start with it is refused.
    stale = TrackerRunner(
        dataclasses.replace(own_key, master_key_file=str(path.with_name("master.key.old")))
    )
    assert stale.invoke("check").exit_code == 1
