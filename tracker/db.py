"""Database engines and sessions: SQLite (WAL, foreign keys, busy timeout; encrypted with
SQLCipher when a key is given) or PostgreSQL."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from tracker.config import Settings
from tracker.domain.errors import TrackerError

POSTGRES_DRIVER = "postgresql+psycopg"
# The first 16 bytes of every unencrypted SQLite file; an SQLCipher file starts with its salt.
SQLITE_HEADER = b"SQLite format 3\x00"
DATABASE_KEY_BYTES = 32
DATABASE_EMPTY = "the database is empty: run `tracker init` (or `tracker db upgrade`)"
# An execution option marking a writing engine's transactions as reads (see reading()).
READ_ONLY_OPTION = "tracker_read_only"
# Gives the 32-byte database key, or raises DatabaseUnavailable (DatabaseLocked) saying why not.
DatabaseKey = Callable[[], bytes]


class DatabaseUnavailable(TrackerError):
    """The database cannot be opened as configured (key missing or wrong, or the file is of
    the other kind); nothing was read or written."""


class DatabaseLocked(DatabaseUnavailable):
    """Passphrase mode: nobody has typed the passphrase since the app started."""


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for any PostgreSQL URL, whatever driver it named."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 5000,
    echo: bool = False,
    for_writing: bool = True,
    database_key: DatabaseKey | None = None,
) -> Engine:
    """An engine for the URL, with SQLite tuned for several writers.

    On SQLite a writing engine takes the write lock when each transaction begins; a reading
    engine (for pages that only read) does not, so readers never queue behind writers. With a
    database_key, SQLite goes through SQLCipher and every connection is keyed before its first
    read; without one, an encrypted file is refused rather than misread. PostgreSQL ignores
    the key.
    """
    url = normalise_database_url(url)
    sqlite_file = make_url(url).get_backend_name() == "sqlite"
    options: dict[str, Any] = {}
    if sqlite_file and database_key is not None:
        # The pysqlite dialect over SQLCipher's DB-API (sqlite+pysqlcipher would want the key
        # in the URL when the engine is made, and its default pool is one connection per
        # thread): the key is fetched when a connection opens, so a locked app can start.
        options["module"] = sqlcipher_module()
    # hide_parameters: an error's message must never carry a name into a log or a terminal.
    engine = create_engine(url, echo=echo, future=True, hide_parameters=True, **options)
    if is_sqlite(engine):
        guard_sqlite_file(engine, database_file(url), database_key)
        configure_sqlite(engine, busy_timeout_ms, for_writing=for_writing)
    return engine


def sqlcipher_module() -> Any:
    import sqlcipher3

    return sqlcipher3


def database_file(url: str) -> Path | None:
    """The SQLite URL's file, or None for an in-memory database."""
    name = make_url(url).database
    return None if name in (None, "", ":memory:") else Path(name)


def guard_sqlite_file(engine: Engine, path: Path | None, database_key: DatabaseKey | None) -> None:
    """Every new connection: refuse a file of the other kind, key it, prove the key opens it."""

    @event.listens_for(engine, "do_connect")
    def open_connection(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        refuse_wrong_kind_of_file(path, encrypted=database_key is not None)
        # The key first: a locked or keyless start must not even create the file.
        key = None if database_key is None else database_key()
        connection = dialect.loaded_dbapi.connect(*cargs, **cparams)
        try:
            if key is not None:
                apply_database_key(connection, key)
                check_key_opens(connection, path)
        except BaseException:
            connection.close()
            raise
        return connection


def database_file_kind(path: Path) -> str:
    """`new` (missing or empty), `plaintext` (an SQLite header) or `encrypted` (anything else)."""
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "new"
    if not header:
        return "new"
    return "plaintext" if header == SQLITE_HEADER else "encrypted"


def refuse_wrong_kind_of_file(path: Path | None, *, encrypted: bool) -> None:
    """Raises DatabaseUnavailable for a plaintext file where an encrypted one is expected, or
    the reverse: the tracker never writes plaintext into, or misreads, the other kind."""
    kind = "new" if path is None else database_file_kind(path)
    if encrypted and kind == "plaintext":
        raise DatabaseUnavailable(
            f"the database {path} is not encrypted, and database_encryption is on: run"
            " `tracker db encrypt` (or `tracker init`) with the web app stopped to encrypt it,"
            ' or set database_encryption = "off" if it lives on an encrypted disk'
        )
    if not encrypted and kind == "encrypted":
        raise DatabaseUnavailable(
            f"the database {path} is encrypted (or is not an SQLite database), and"
            ' database_encryption is "off": set it to "key_file" or "passphrase",'
            " as when the database was created"
        )


def apply_database_key(connection: Any, key: bytes) -> None:
    """Key an SQLCipher connection before its first read (the raw-key form: no slow KDF)."""
    if len(key) != DATABASE_KEY_BYTES:
        raise DatabaseUnavailable(f"a database key is {DATABASE_KEY_BYTES} bytes")
    connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")


def check_key_opens(connection: Any, path: Path | None) -> None:
    """Read the schema: SQLCipher checks page 1's HMAC, so a wrong key fails here."""
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher_module().DatabaseError:
        raise DatabaseUnavailable(
            f"the database key does not open {path}: the key file or passphrase is wrong, or"
            " the file is damaged; nothing was changed"
        ) from None


def open_encrypted_database(path: Path, key: bytes) -> Any:
    """A raw SQLCipher connection to the file, keyed and checked (backups, conversions).

    Raises DatabaseUnavailable when the file is plaintext or the key does not open it.
    """
    refuse_wrong_kind_of_file(path, encrypted=True)
    connection = sqlcipher_module().connect(str(path), isolation_level=None)
    try:
        apply_database_key(connection, key)
        check_key_opens(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


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
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if for_writing and not read_only else "BEGIN")


def reading(engine: Engine) -> Engine:
    """The engine for a transaction that only reads: on SQLite it takes no write lock, so it
    neither waits behind writers nor makes them wait (PostgreSQL is unaffected)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def engine_from_settings(
    settings: Settings, *, for_writing: bool = True, database_key: DatabaseKey | None = None
) -> Engine:
    """The configured engine; on an encrypted SQLite database, keyed by database_key (the
    app's key source, shared by its engines) or else a key source made from the settings."""
    if settings.encrypts_database and database_key is None:
        from tracker.services.database_keys import database_key_for

        database_key = database_key_for(settings)
    return make_engine(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        for_writing=for_writing,
        database_key=database_key if settings.encrypts_database else None,
    )


def check_database_opens(engine: Engine) -> None:
    """Open one connection now, so a missing or wrong key stops the start with its message."""
    with engine.connect():
        pass


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
