"""Reads on SQLite's writing engine that must not wait for the write lock (the login
throttle's checks): `reading(engine)` begins without it."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tracker.db import make_engine, reading


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
