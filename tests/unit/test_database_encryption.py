"""The embedded database encrypted with SQLCipher: nothing readable on disk, search and the
date tree still work, migrations run, and a missing or wrong key is refused, never bypassed."""

import hashlib
import logging
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from tests.conftest import TEST_DATABASE_KEY, fixed_test_key
from tests.factories import make_incident, make_person
from tracker.config import Settings, load_settings
from tracker.db import (
    DATABASE_EMPTY,
    SQLITE_HEADER,
    DatabaseLocked,
    DatabaseUnavailable,
    database_file_kind,
    make_engine,
)
from tracker.domain.errors import ConfigError
from tracker.migrations import current_revision, downgrade_database, upgrade_database
from tracker.services.database_keys import (
    KdfParameters,
    KeyFileKey,
    PassphraseKey,
    check_key_file_permissions,
    derive_key,
    generate_key_file,
    read_kdf_parameters,
    read_key_file,
    write_kdf_parameters,
)
from tracker.services.incident_queries import IncidentFilters, list_incidents
from tracker.services.restrictions import Viewer
from tracker.services.search import search_records

OTHER_KEY = bytes(range(32))
CHEAP_KDF = {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def encrypted_copy(tmp_path: Path, sqlite_template: Path) -> Path:
    """A copy of the suite's encrypted template database (schema at head)."""
    path = tmp_path / "tracker.db"
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture
def keyed_engine(encrypted_copy: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(encrypted_copy), database_key=fixed_test_key)
    yield engine
    engine.dispose()


# --- canaries --------------------------------------------------------------------------------


def canary_forms(canary: str) -> list[bytes]:
    """The ways a string can sit in the files: as typed, folded, and in UTF-16 either way."""
    forms = []
    for variant in {canary, canary.lower(), canary.upper()}:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            forms.append(variant.encode(encoding))
    return forms


def database_files(path: Path) -> dict[str, bytes]:
    """The raw bytes of the database file and its -wal and -shm files (those that exist)."""
    names = (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    return {name.name: name.read_bytes() for name in names if name.exists()}


def write_canaries(engine: Engine, name: str, word: str) -> uuid.UUID:
    """A person and an incident through the services, committed, left in the WAL."""
    with Session(engine) as session:
        # No automatic checkpoint: the new pages stay in the -wal file, as between checkpoints.
        session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
        make_person(session, real_name=name, names=[name], description=f"Known as {name}")
        incident = make_incident(
            session, title="Night search", narrative=f"The {word} was taken at night."
        )
        session.commit()
        return incident.id


def test_the_files_of_an_encrypted_database_hold_no_canary(
    keyed_engine: Engine, encrypted_copy: Path
) -> None:
    name, word = f"Zelimkhanova Canary{uuid.uuid4().hex[:10]}", f"canaryword{uuid.uuid4().hex[:10]}"
    incident_id = write_canaries(keyed_engine, name, word)
    with keyed_engine.connect() as connection:  # the pool keeps the WAL open: no checkpoint
        files = database_files(encrypted_copy)
        assert connection.exec_driver_sql("SELECT count(*) FROM person").scalar_one() == 1
    assert len(files["tracker.db-wal"]) > 0, "the writes must still be in the WAL"
    assert set(files) == {"tracker.db", "tracker.db-wal", "tracker.db-shm"}
    for file_name, content in files.items():
        for form in canary_forms(name) + canary_forms(word):
            assert form not in content, (file_name, form)
    assert not files["tracker.db"].startswith(SQLITE_HEADER)
    with Session(keyed_engine) as session:  # and the data is all there through the key
        viewer = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
        hits = search_records(session, viewer, query=word).hits
        assert [hit.record.id for hit in hits] == [incident_id]


def test_the_canary_check_finds_the_canaries_in_an_unencrypted_database(tmp_path: Path) -> None:
    """The control: the same writes on a plaintext database are visible in its files, so the
    test above would notice if encryption were off."""
    path = tmp_path / "plain.db"
    engine = make_engine(sqlite_url(path))
    upgrade_database(engine)
    name, word = f"Zelimkhanova Canary{uuid.uuid4().hex[:10]}", f"canaryword{uuid.uuid4().hex[:10]}"
    write_canaries(engine, name, word)
    with engine.connect():
        everything = b"".join(database_files(path).values())
    engine.dispose()
    assert name.encode() in everything
    assert word.encode() in everything


# --- search, date tree, migrations ---------------------------------------------------------------


def test_full_text_search_works_on_the_encrypted_database(keyed_engine: Engine) -> None:
    viewer = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
    with Session(keyed_engine) as session:
        wanted = make_incident(session, title="Raid", narrative="The printing press was seized.")
        make_incident(session, title="Arrest", narrative="Detained at the border.")
        session.commit()
        hits = search_records(session, viewer, query="printing pre").hits
        assert [hit.record.id for hit in hits] == [wanted.id]
        fts = session.connection().exec_driver_sql("SELECT count(*) FROM search_entry_fts")
        assert fts.scalar_one() > 0


def test_the_date_tree_filters_the_encrypted_database(keyed_engine: Engine) -> None:
    with Session(keyed_engine) as session:
        inside = make_incident(session, start_text="8 March 2023")
        make_incident(session, start_text="2015")
        make_incident(session, start_text="unknown")
        session.commit()
        boxes = session.connection().exec_driver_sql("SELECT count(*) FROM incident_span")
        assert boxes.scalar_one() == 2  # the undated incident has no box
        filters = IncidentFilters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
        assert [row.id for row in list_incidents(session, filters=filters)] == [inside.id]


def test_migrations_run_up_and_down_on_an_encrypted_database(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    engine = make_engine(sqlite_url(path), database_key=fixed_test_key)
    upgrade_database(engine)
    head = current_revision(engine)
    assert "incident_span" in inspect(engine).get_table_names()
    downgrade_database(engine, "base")
    assert current_revision(engine) is None
    upgrade_database(engine)
    assert current_revision(engine) == head
    engine.dispose()
    assert database_file_kind(path) == "encrypted"


# --- refusals ----------------------------------------------------------------------------------


def test_a_wrong_key_is_refused_and_changes_nothing(encrypted_copy: Path) -> None:
    before = digest(encrypted_copy)
    engine = make_engine(sqlite_url(encrypted_copy), database_key=lambda: OTHER_KEY)
    refused = pytest.raises(DatabaseUnavailable, match="database key does not open")
    with refused, engine.begin() as connection:
        connection.execute(text("CREATE TABLE planted (x TEXT)"))
    engine.dispose()
    assert digest(encrypted_copy) == before


def test_an_encrypted_database_without_its_key_is_refused(encrypted_copy: Path) -> None:
    before = digest(encrypted_copy)
    engine = make_engine(sqlite_url(encrypted_copy))
    with pytest.raises(DatabaseUnavailable, match="is encrypted"):
        engine.connect()
    assert digest(encrypted_copy) == before


def test_a_plaintext_database_is_never_written_with_a_key(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    plain = make_engine(sqlite_url(path))
    upgrade_database(plain)
    plain.dispose()
    before = digest(path)
    engine = make_engine(sqlite_url(path), database_key=fixed_test_key)
    with pytest.raises(DatabaseUnavailable, match="tracker db encrypt"):
        engine.connect()
    assert digest(path) == before


def test_a_locked_key_opens_no_connection_and_creates_no_file(tmp_path: Path) -> None:
    """Until the passphrase is typed, nothing is written: no plaintext database appears."""
    path = tmp_path / "tracker.db"
    (tmp_path / "database.kdf.json").write_text("{}")  # set up, but locked
    locked = PassphraseKey(tmp_path / "database.kdf.json", ask=None, database=path)
    engine = make_engine(sqlite_url(path), database_key=locked)
    with pytest.raises(DatabaseLocked, match="unlock page"), engine.begin() as connection:
        connection.execute(text("CREATE TABLE planted (x TEXT)"))
    assert not path.exists()


def test_no_key_and_no_database_says_to_run_init(tmp_path: Path) -> None:
    source = KeyFileKey(tmp_path / "database.key", production=False, database=tmp_path / "x.db")
    with pytest.raises(DatabaseUnavailable) as refused:
        source()
    assert str(refused.value) == DATABASE_EMPTY


def test_a_missing_key_file_for_an_existing_database_says_where_it_belongs(
    encrypted_copy: Path, tmp_path: Path
) -> None:
    key_path = tmp_path / "usb" / "database.key"
    source = KeyFileKey(key_path, production=False, database=encrypted_copy)
    with pytest.raises(DatabaseUnavailable, match=f"no database key file at {key_path}.*separate"):
        source()


# --- key files ---------------------------------------------------------------------------------


def test_a_generated_key_file_is_private_random_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "database.key"
    key = generate_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_key_file(path, production=True) == key
    assert generate_key_file(tmp_path / "other.key") != key
    with pytest.raises(Exception, match="exists already"):
        generate_key_file(path)
    assert read_key_file(path, production=True) == key


@given(st.binary(min_size=32, max_size=32), st.sampled_from(["", "\n", "  \n", "\r\n"]))
def test_any_key_survives_its_file(
    tmp_path_factory: pytest.TempPathFactory, key: bytes, end: str
) -> None:
    path = tmp_path_factory.mktemp("key") / "database.key"
    path.write_text(key.hex().upper() + end, encoding="ascii")
    path.chmod(0o600)
    assert read_key_file(path, production=True) == key


@given(st.text(max_size=80))
def test_anything_but_a_key_is_refused(
    tmp_path_factory: pytest.TempPathFactory, text_: str
) -> None:
    try:
        is_a_key = len(bytes.fromhex(text_.strip())) == 32
    except ValueError:
        is_a_key = False
    if is_a_key:
        return
    path = tmp_path_factory.mktemp("key") / "database.key"
    path.write_text(text_, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(DatabaseUnavailable):
        read_key_file(path, production=False)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o666])
def test_a_key_file_others_can_read_gives_a_warning(
    tmp_path: Path, mode: int, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "database.key"
    path.write_text(TEST_DATABASE_KEY.hex())
    path.chmod(mode)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        assert read_key_file(path, production=False) == TEST_DATABASE_KEY
    assert f"chmod 600 {path}" in caplog.text


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_a_key_file_others_can_read_is_refused_in_production(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "database.key"
    path.write_text(TEST_DATABASE_KEY.hex())
    path.chmod(mode)
    with pytest.raises(DatabaseUnavailable, match="refuses to start"):
        read_key_file(path, production=True)


def test_a_private_key_file_gives_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "database.key"
    path.write_text(TEST_DATABASE_KEY.hex())
    path.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        check_key_file_permissions(path, production=True)
    assert caplog.text == ""


# --- passphrases ----------------------------------------------------------------------------


def test_the_passphrase_key_depends_on_passphrase_and_salt() -> None:
    first = KdfParameters(salt="00" * 16, **CHEAP_KDF)
    second = KdfParameters(salt="01" * 16, **CHEAP_KDF)
    key = derive_key("correct horse battery staple", first)
    assert len(key) == 32
    assert derive_key("correct horse battery staple", first) == key
    assert derive_key("correct horse battery stapler", first) != key
    assert derive_key("correct horse battery staple", second) != key


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"salt": "zz", "time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}',
        '{"salt": "00", "time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}',
        '{"salt": "' + "00" * 16 + '", "time_cost": 0, "memory_cost_kib": 1024, "parallelism": 1}',
        '{"salt": "'
        + "00" * 16
        + '", "time_cost": "1", "memory_cost_kib": 1024, "parallelism": 1}',
        '{"salt": "' + "00" * 16 + '", "time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1,'
        ' "extra": 1}',
    ],
)
def test_a_damaged_parameters_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "database.kdf.json"
    path.write_text(content)
    with pytest.raises(DatabaseUnavailable, match="not a passphrase parameters file"):
        read_kdf_parameters(path)


def test_the_passphrase_opens_only_what_it_encrypted(tmp_path: Path) -> None:
    kdf_path = tmp_path / "database.kdf.json"
    write_kdf_parameters(kdf_path, KdfParameters(salt="ab" * 16, **CHEAP_KDF))
    path = tmp_path / "tracker.db"
    asked = iter(["correct horse battery staple"])
    setting_up = PassphraseKey(kdf_path, ask=lambda: next(asked), database=path)
    engine = make_engine(sqlite_url(path), database_key=setting_up)
    upgrade_database(engine)
    engine.dispose()
    wrong = PassphraseKey(kdf_path, ask=lambda: "correct horse battery stapler", database=path)
    with pytest.raises(DatabaseUnavailable, match="does not open"):
        make_engine(sqlite_url(path), database_key=wrong).connect()
    right = PassphraseKey(kdf_path, database=path)
    assert not right.unlock("wrong passphrase here!", opens=lambda key: key == setting_up())
    assert not right.unlocked
    assert right.unlock("correct horse battery staple", opens=lambda key: key == setting_up())
    engine = make_engine(sqlite_url(path), database_key=right)
    assert current_revision(engine) is not None
    engine.dispose()


# --- settings ----------------------------------------------------------------------------------


def test_an_unknown_encryption_mode_is_named() -> None:
    with pytest.raises(ConfigError, match="database_encryption: must be one of"):
        load_settings(environ={"TRACKER_DATABASE_ENCRYPTION": "aes"}, config_path=None)


def test_encryption_applies_to_sqlite_files_only(tmp_path: Path) -> None:
    default = Settings(instance_path=tmp_path)
    assert default.encrypts_database
    assert default.resolved_database_key_file == tmp_path / "database.key"
    assert not Settings(database_url="postgresql://db/x").encrypts_database
    assert not Settings(database_url="sqlite://").encrypts_database
    assert not Settings(instance_path=tmp_path, database_encryption="off").encrypts_database
    locked = Settings(instance_path=tmp_path, database_encryption="passphrase")
    assert locked.starts_locked
    assert locked.database_kdf_path == tmp_path / "database.kdf.json"
