"""Database engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from tracker.config import Settings

POSTGRES_DRIVER = "postgresql+psycopg"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for any PostgreSQL URL, whatever driver it named."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(
    url: str, *, busy_timeout_ms: int = 5000, echo: bool = False, for_writing: bool = True
) -> Engine:
    """An engine for the URL, with SQLite tuned for several writers.

    On SQLite a writing engine takes the write lock when each transaction begins; a reading
    engine (for pages that only read) does not, so readers never queue behind writers.
    """
    # hide_parameters: an error's message must never carry a name into a log or a terminal.
    engine = create_engine(
        normalise_database_url(url), echo=echo, future=True, hide_parameters=True
    )
    if is_sqlite(engine):
        configure_sqlite(engine, busy_timeout_ms, for_writing=for_writing)
    return engine


def configure_sqlite(engine: Engine, busy_timeout_ms: int, *, for_writing: bool = True) -> None:
    """Foreign keys on, WAL journal and a busy timeout on every new connection."""

    @event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and DDL; SQLAlchemy's BEGIN does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if for_writing else "BEGIN")


def engine_from_settings(settings: Settings, *, for_writing: bool = True) -> Engine:
    return make_engine(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        for_writing=for_writing,
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=Session, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit at the end, roll back on any error, so nothing is half-written."""
    with session_factory(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
