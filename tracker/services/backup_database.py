"""Database snapshots for backups and their restore, on each engine.

SQLite: the online backup API copies a consistent snapshot while the app keeps writing (in one
step, so a writer never makes it start over), into a file opened through the same engine
factory, so an encrypted database's copy stays encrypted. PostgreSQL: `pg_dump` (custom format)
from a snapshot exported by a repeatable-read transaction, which also reads the manifest's
facts, so the dump and the manifest describe the same moment. Restore: SQLite's backup API in
the other direction (the target is replaced whole, or not at all); on PostgreSQL, the public
schema is set aside while `pg_restore` loads the dump in one transaction, and dropped only once
the restored tables match the manifest.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from tracker.db import is_sqlite
from tracker.domain.backup_archive import ArchiveWriter, MemberDigest
from tracker.domain.errors import InvalidInput
from tracker.services.backup_tables import SnapshotFacts, records_held, snapshot_facts

# Where the public schema waits while a restore replaces it (dropped once the restore is
# checked, renamed back on any failure).
SET_ASIDE = "tracker_before_restore"


# Opens an engine on another SQLite file keyed like the instance's database (an SQLCipher
# snapshot stays encrypted under the same key); the CLI makes it from the instance's settings.
EngineOpener = Callable[[Path], Engine]


class DatabaseToolFailed(InvalidInput):
    """pg_dump or psql is missing or failed; its last line of output says why."""


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    return None if not database or database == ":memory:" else Path(database)


@contextmanager
def engine_on(open_engine: EngineOpener, path: Path) -> Iterator[Engine]:
    """An engine on another SQLite file, keyed like the instance's database, disposed after."""
    other = open_engine(path)
    try:
        yield other
    finally:
        other.dispose()


def copy_sqlite(source: Engine, target: Engine) -> None:
    """Copy SOURCE over TARGET with the online backup API, all pages in one step."""
    with closing(source.raw_connection()) as reading, closing(target.raw_connection()) as writing:
        from_connection: Any = reading.driver_connection
        from_connection.backup(writing.driver_connection, pages=-1)


def snapshot_sqlite(engine: Engine, path: Path, open_engine: EngineOpener) -> SnapshotFacts:
    """Copy the database to PATH and read the manifest's facts from the copy."""
    with engine_on(open_engine, path) as snapshot:
        copy_sqlite(engine, snapshot)
        with snapshot.connect() as connection:
            return snapshot_facts(connection)


def staged_sqlite_facts(path: Path, open_engine: EngineOpener) -> SnapshotFacts:
    """The facts of a staged snapshot, read before it is put in place."""
    with engine_on(open_engine, path) as staged, staged.connect() as connection:
        return snapshot_facts(connection)


def restore_sqlite(engine: Engine, path: Path, open_engine: EngineOpener) -> None:
    with engine_on(open_engine, path) as staged:
        copy_sqlite(staged, engine)


# --- PostgreSQL -----------------------------------------------------------------------------


def database_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DatabaseToolFailed(
            f"{name} was not found on PATH: install the PostgreSQL client tools"
            " (the server's major version or newer)"
        )
    return found


def libpq_target(engine: Engine) -> tuple[str, dict[str, str]]:
    """The connection as pg_dump and psql take it; the password goes in their environment,
    never on a command line another account could read with `ps`."""
    url = engine.url
    conninfo = url.set(drivername="postgresql", password=None).render_as_string()
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return conninfo, environment


def check_tool_result(tool: str, returncode: int, errors: Any) -> None:
    if returncode == 0:
        return
    errors.seek(0)
    lines = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line]
    reason = lines[-1] if lines else f"exit status {returncode}"
    raise DatabaseToolFailed(f"{Path(tool).name} failed: {reason}")


def dump_postgres(
    engine: Engine, archive: ArchiveWriter, name: str
) -> tuple[SnapshotFacts, MemberDigest]:
    """Dump the database into the archive as member NAME, with the facts of the same snapshot."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            facts = snapshot_facts(connection)
            member = pg_dump_into(engine, archive, name, snapshot)
    return facts, member


def pg_dump_into(engine: Engine, archive: ArchiveWriter, name: str, snapshot: str) -> MemberDigest:
    conninfo, environment = libpq_target(engine)
    command = [
        database_tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--snapshot={snapshot}",
        f"--dbname={conninfo}",
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        try:
            member = archive.add(name, process.stdout)
        finally:
            process.stdout.close()
            process.wait()
        check_tool_result(command[0], process.returncode, errors)
    return member


def restore_postgres(engine: Engine, dump: Path, check: Callable[[], None]) -> None:
    """Replace the public schema with the dump's: the old one is set aside, the dump restored
    in one transaction and CHECKed, and only then is the old schema dropped; any failure puts
    the old one back, so the database is replaced whole or not at all.

    pg_restore, not psql: a dump is SQL only, never a psql script whose backslash commands
    could run programs on this machine. Raises DatabaseToolFailed.
    """
    set_public_aside(engine)
    try:
        pg_restore_from(engine, dump)
        check()
    except BaseException:
        put_public_back(engine)
        raise
    run_statements(engine, f"DROP SCHEMA {SET_ASIDE} CASCADE")


def pg_restore_from(engine: Engine, dump: Path) -> None:
    conninfo, environment = libpq_target(engine)
    command = [
        database_tool("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        f"--dbname={conninfo}",
        str(dump),
    ]
    engine.dispose()  # the tracker's own pooled connections must hold no locks meanwhile
    with tempfile.TemporaryFile() as errors:
        process = subprocess.run(
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            check=False,
        )
        check_tool_result(command[0], process.returncode, errors)


def set_public_aside(engine: Engine) -> None:
    """Rename the public schema out of the way. Raises DatabaseToolFailed when an interrupted
    restore left its set-aside schema (it may hold the only copy of the old records)."""
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": SET_ASIDE}
        ).first()
    if left is not None:
        raise DatabaseToolFailed(
            f"the schema {SET_ASIDE} exists: an interrupted restore left the database as it was"
            " before in it. Rename it back to public, or drop it, then restore again"
        )
    run_statements(engine, f"ALTER SCHEMA public RENAME TO {SET_ASIDE}", "CREATE SCHEMA public")


def put_public_back(engine: Engine) -> None:
    run_statements(
        engine, "DROP SCHEMA public CASCADE", f"ALTER SCHEMA {SET_ASIDE} RENAME TO public"
    )


def run_statements(engine: Engine, *statements: str) -> None:
    """Fixed statements (no input in them) in one transaction. Raises DatabaseToolFailed."""
    engine.dispose()
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    except DBAPIError as error:
        first_line = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseToolFailed(f"restore: {first_line}") from None
    finally:
        engine.dispose()


# --- either engine --------------------------------------------------------------------------


def database_records(engine: Engine) -> dict[str, int]:
    """Rows per table of records in the instance's database; empty when there is none.

    Raises InvalidInput when the database cannot be opened.
    """
    if is_sqlite(engine):
        path = sqlite_file(engine)
        if path is None or not path.exists():
            return {}  # never create the file just to look
    try:
        with engine.connect() as connection:
            return records_held(connection)
    except OperationalError as error:
        first_line = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        raise InvalidInput(f"the instance's database cannot be opened: {first_line}") from None
