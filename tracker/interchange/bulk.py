"""Bulk inserts, shared by the JSON import and the demo data: the driver's executemany, or on
PostgreSQL a COPY."""

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, cast

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy import Column, Connection, Table, bindparam, insert, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tracker.interchange.tables import kind_of
from tracker.services.spans import refill_incident_spans, span_trigger_statements

SQLITE_CACHE_KIB = 256 * 1024
# Kinds of value COPY is handed as text (copy_value).
COPY_TEXT_KINDS = frozenset({"uuid", "datetime", "date", "json", "fuzzy_date"})

Processor = Callable[[Any], Any]


def bind_processor(column: Column[Any], dialect: Dialect) -> Processor | None:
    """What SQLAlchemy does to a Python value of COLUMN before the driver sees it.

    The dialect's own type matters: SQLite keeps timestamps and days as text in a set form,
    which the generic type alone would leave to the driver's (deprecated) adapters.
    """
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def row_processor(column: Column[Any], dialect: Dialect) -> Processor | None:
    """What turns a Python value of COLUMN into what insert_rows hands the driver.

    For COPY, UUIDs, days, timestamps and JSON go as text, one form each, so the JSON file's
    own text can often be handed on as it is (columns.ROUTES), and a list of codes repeated on
    many rows is serialised once (the caller may keep the text), not once a row by the driver.
    """
    processor = bind_processor(column, dialect)
    if not copies_rows(dialect) or kind_of(column) not in COPY_TEXT_KINDS:
        return processor
    if processor is None:
        return copy_value
    return lambda value: copy_value(processor(value))


def copy_value(value: Any) -> Any:
    """A driver value as text COPY takes and the server parses back to that value."""
    if isinstance(value, Json | Jsonb):
        return (value.dumps or json.dumps)(value.obj)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, uuid.UUID | date):
        return str(value)
    return value


def insert_statement(table: Table, keys: Sequence[str], dialect: Dialect) -> str:
    """The INSERT of KEYS into TABLE in the dialect's parameter style, compiled once.

    Raises ValueError unless KEYS are in the table's column order and include every column
    with a default: the driver is handed bare rows, so SQLAlchemy fills in nothing.
    """
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    if dialect.positional and compiled.positiontup != list(keys):
        raise ValueError(f"rows for {table.name} must hold {compiled.positiontup}")
    return str(compiled)


def execute_many(
    connection: Connection, statement: str, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Hand rows of driver values (in KEYS order) to the driver's executemany in one call.

    Statement bookkeeping per row cost more than SQLite itself; the driver does it in C.
    """
    if not rows:
        return
    if connection.dialect.positional:
        connection.exec_driver_sql(statement, list(rows))
        return
    connection.exec_driver_sql(statement, [dict(zip(keys, row, strict=True)) for row in rows])


def copies_rows(dialect: Dialect) -> bool:
    """Whether insert_rows sends rows through COPY: PostgreSQL through psycopg 3.

    COPY takes text in each column's input form, which the server parses as it would a
    literal: UUIDs, days and timestamps may then stay the text they were read as.
    """
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def insert_rows(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows of driver values (in KEYS order, the table's column order) into TABLE."""
    if copies_rows(connection.dialect):
        copy_rows(connection, table, keys, rows)
    else:
        execute_many(connection, insert_statement(table, keys, connection.dialect), keys, rows)


def copy_rows(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Stream rows to PostgreSQL with COPY ... FROM STDIN, in the connection's transaction.

    An executemany costs a statement per row, even pipelined (~15 µs); COPY costs a few bytes.
    Raises sqlalchemy's IntegrityError for a row the database refuses, as an INSERT would.
    """
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, keys))}) FROM STDIN"
    driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as error:
        raise IntegrityError(statement, None, error) from None


def bulk_insert(
    session: Session, table: Table, defaults: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    """Insert ROWS (Python values by column name; DEFAULTS fill the gaps) with one executemany."""
    connection = session.connection()
    dialect = connection.dialect
    keys = [column.key for column in table.columns]
    processors = [(column.key, bind_processor(column, dialect)) for column in table.columns]
    values = [
        tuple(convert(row.get(key, defaults.get(key)), processor) for key, processor in processors)
        for row in rows
    ]
    execute_many(connection, insert_statement(table, keys, dialect), keys, values)


def convert(value: Any, processor: Processor | None) -> Any:
    return value if processor is None else processor(value)


@contextmanager
def larger_sqlite_cache(session: Session) -> Iterator[None]:
    """Random UUID keys touch pages all over each index; a bigger cache keeps SQLite fast."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000)}")


@contextmanager
def built_after_load(session: Session, tables: Sequence[Table]) -> Iterator[None]:
    """Drop what a bulk load into TABLES, all empty, would maintain row by row; re-create it after.

    SQLite: the plain (non-unique) indexes, and the triggers keeping the incidents' R*Tree of
    date ranges, which is refilled in one INSERT ... SELECT instead (tracker.services.spans).
    PostgreSQL: the plain indexes and the foreign keys, whose triggers look up and lock the
    referenced row for every row loaded; re-adding a foreign key checks all rows in one query,
    and building an index from all its keys at once beats inserting random UUID keys one by
    one (PostgreSQL's manual, "Populating a Database").
    Schema changes are transactional on both: if the body fails, rolling back the enclosing
    savepoint restores them. Re-adding a foreign key raises IntegrityError for a row breaking it.
    On PostgreSQL the tables, and those their foreign keys refer to, stay locked until commit.
    """
    connection = session.connection()
    names = [table.name for table in tables]
    structures = load_structures(connection, names) if names else []
    for drop, _ in structures:
        connection.exec_driver_sql(drop)
    yield
    if "incident" in names:
        refill_incident_spans(connection)
    for _, create in structures:
        connection.exec_driver_sql(create)


def load_structures(connection: Connection, table_names: list[str]) -> list[tuple[str, str]]:
    """(DROP, CREATE) statements of what built_after_load drops: indexes before foreign keys,
    and on SQLite the span triggers."""
    if connection.dialect.name == "sqlite":
        triggers = span_trigger_statements(connection) if "incident" in table_names else []
        return plain_sqlite_indexes(connection, table_names) + triggers
    if copies_rows(connection.dialect):
        return plain_postgres_indexes(connection, table_names) + postgres_foreign_keys(
            connection, table_names
        )
    return []


def plain_sqlite_indexes(connection: Connection, table_names: list[str]) -> list[tuple[str, str]]:
    """(DROP, CREATE INDEX) of each non-unique index declared on the tables."""
    statement = text(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN :names ORDER BY name"
    ).bindparams(bindparam("names", expanding=True))
    found = connection.execute(statement, {"names": table_names}).tuples()
    quote = connection.dialect.identifier_preparer.quote
    return [
        (f"DROP INDEX {quote(name)}", sql)
        for name, sql in found
        if not sql.upper().startswith("CREATE UNIQUE")
    ]


# The tables of the current schema named in :names (regclass renders a name quoted as needed).
POSTGRES_TABLES = "SELECT to_regclass(quote_ident(name)) FROM unnest(CAST(:names AS text[])) name"


def plain_postgres_indexes(connection: Connection, table_names: list[str]) -> list[tuple[str, str]]:
    """(DROP, CREATE INDEX) of each index on the tables backing no constraint (unique, key)."""
    statement = text(
        "SELECT CAST(indexrelid AS regclass), pg_get_indexdef(indexrelid) FROM pg_index"
        f" WHERE indrelid IN ({POSTGRES_TABLES}) AND NOT indisunique AND NOT indisprimary"
        " AND NOT indisexclusion ORDER BY 1"
    )
    found = connection.execute(statement, {"names": table_names}).tuples()
    return [(f"DROP INDEX {name}", definition) for name, definition in found]


def postgres_foreign_keys(connection: Connection, table_names: list[str]) -> list[tuple[str, str]]:
    """(DROP, ADD CONSTRAINT) of each foreign key the tables hold."""
    statement = text(
        "SELECT CAST(conrelid AS regclass), quote_ident(conname), pg_get_constraintdef(oid)"
        f" FROM pg_constraint WHERE contype = 'f' AND conrelid IN ({POSTGRES_TABLES})"
        " ORDER BY 1, 2"
    )
    found = connection.execute(statement, {"names": table_names}).tuples()
    return [
        (
            f"ALTER TABLE {table} DROP CONSTRAINT {name}",
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
        )
        for table, name, definition in found
    ]


def refresh_sqlite_statistics(session: Session, tables: Sequence[Table]) -> None:
    """ANALYZE the tables just filled, so SQLite's planner knows their shape.

    Without statistics it answers "perpetrator type" filters by scanning every involvement per
    incident (the role index looks selective to it). PRAGMA optimize would skip new tables.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        connection.exec_driver_sql(f"ANALYZE {quote(table.name)}")
