"""Reads on SQLite's writing engine that must not wait for the write lock (the login
throttle's checks, the schema and master key checks at every start): `reading(engine)`
begins without it."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tracker.db import make_engine, reading
from tracker.domain.sealing import Keyring, MasterKey, WrongMasterKey
from tracker.migrations import current_revision, head_revision, upgrade_database
from tracker.services.master_keys import check_database_master_key


def test_a_read_marked_as_such_does_not_queue_behind_a_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}", busy_timeout_ms=200)
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE counter (n INTEGER)"))
        setup.execute(text("INSERT INTO counter VALUES (1)"))
    with engine.begin() as writer:  # BEGIN IMMEDIATE: holds the write lock
        writer.execute(text("UPDATE counter SET n = 2"))
        with reading(engine).begin() as reader:
            assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 1
        with pytest.raises(OperationalError, match="database is locked"), engine.begin() as other:
            other.execute(text("SELECT n FROM counter"))
    engine.dispose()


def test_a_command_starting_beside_a_writer_checks_schema_and_master_key_without_waiting(
    tmp_path: Path, test_keyring: Keyring, master_key_file: Path
) -> None:
    """Every command (and the app) asks the schema revision and compares the master key at its
    start: while an import holds the write lock, both are answered at once."""
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout_ms=200)
    upgrade_database(engine)
    check_database_master_key(engine, lambda: test_keyring, master_key_file)  # writes the check
    other_key = Keyring(MasterKey(bytes.fromhex("c3" * 32)), bytes.fromhex("d4" * 32))
    with engine.begin() as writer:  # BEGIN IMMEDIATE: holds the write lock, as an import does
        writer.execute(text("SELECT 1"))
        assert current_revision(engine) == head_revision()
        check_database_master_key(engine, lambda: test_keyring, master_key_file)
        with pytest.raises(WrongMasterKey):
            check_database_master_key(engine, lambda: other_key, master_key_file)
    engine.dispose()
