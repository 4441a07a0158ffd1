"""Bulk inserts, shared by the JSON import and the demo data: the driver's executemany, or on
PostgreSQL a COPY."""

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from operator import itemgetter
from types import NoneType
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
    elif connection.dialect.name == "sqlite" and rows:
        statement, varying = sqlite_insert_with_constants(connection, table, keys, rows)
        connection.exec_driver_sql(statement, varying)
    else:
        execute_many(connection, insert_statement(table, keys, connection.dialect), keys, rows)


def sqlite_insert_with_constants(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> tuple[str, Sequence[tuple[Any, ...]]]:
    """The INSERT with the values every row shares written in (null, a flag, a small number,
    empty text; never other text), and the rows holding the rest.

    SQLite's executemany binds each parameter of each row: with fewer to bind (most rows
    share their nulls, version 1 and empty fields) a row costs a fifth or more less.
    """
    literals = shared_literals(rows)
    quote = connection.dialect.identifier_preparer.quote
    values = ", ".join("?" if literal is None else literal for literal in literals)
    statement = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, keys))}) VALUES ({values})"
    varying = [index for index, literal in enumerate(literals) if literal is None]
    if len(varying) == len(literals):
        return statement, rows
    if not varying:
        return statement, [()] * len(rows)
    if len(varying) == 1:
        return statement, [(row[varying[0]],) for row in rows]
    return statement, list(map(itemgetter(*varying), rows))


# Whole numbers written into a statement stay well inside SQLite's 64-bit integers.
LARGEST_LITERAL = 2**31


def shared_literals(rows: Sequence[tuple[Any, ...]]) -> list[str | None]:
    """For each column, the SQL literal of the one value all ROWS hold there, if it is a null,
    a flag, a small whole number or empty text; else None. A first, middle and last row rule
    most columns out before any is read whole."""
    first, middle, last = rows[0], rows[len(rows) // 2], rows[-1]
    literals: list[str | None] = []
    for index, value in enumerate(first):
        literal = literal_of(value)
        if literal is not None and not (
            same_value(middle[index], value)
            and same_value(last[index], value)
            and whole_column_holds(rows, index, value)
        ):
            literal = None
        literals.append(literal)
    return literals


def literal_of(value: Any) -> str | None:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "1" if value else "0"
    if type(value) is int and -LARGEST_LITERAL < value < LARGEST_LITERAL:
        return str(value)
    if type(value) is str and value == "":
        return "''"
    return None


def same_value(value: Any, expected: Any) -> bool:
    return value is expected or (type(value) is type(expected) and value == expected)


def whole_column_holds(rows: Sequence[tuple[Any, ...]], index: int, value: Any) -> bool:
    # count compares in C; 1 == True, so the kinds are checked too.
    column = list(map(itemgetter(index), rows))
    return column.count(value) == len(column) and set(map(type, column)) == {type(value)}


def copy_rows(
    connection: Connection, table: Table, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Stream rows to PostgreSQL with COPY ... FROM STDIN, in the connection's transaction.

    An executemany costs a statement per row, even pipelined (~15 µs); COPY costs a few bytes.
    Raises sqlalchemy's IntegrityError for a row the database refuses, as an INSERT would.
    """
    if not rows:
        return
    data = copy_text(rows)
    with copying(connection, table, keys) as copy:
        if data is not None:
            copy.write(data)
            return
        for row in rows:
            copy.write_row(row)


def copy_lines(connection: Connection, table: Table, keys: Sequence[str], data: str) -> None:
    """Stream DATA, rows already in COPY's text format (values escaped), as copy_rows does."""
    if data:
        with copying(connection, table, keys) as copy:
            copy.write(data)


@contextmanager
def copying(connection: Connection, table: Table, keys: Sequence[str]) -> Iterator[Any]:
    """A COPY ... FROM STDIN of KEYS into TABLE, in the connection's transaction.

    Raises sqlalchemy's IntegrityError for a row the database refuses, as an INSERT would.
    """
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, keys))}) FROM STDIN"
    driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            yield copy
    except psycopg.IntegrityError as error:
        raise IntegrityError(statement, None, error) from None


# COPY's text format: a null, and the characters a text value must escape.
COPY_NULL = "\\N"
COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
COPY_BOOLEANS = {True: "t", False: "f", None: COPY_NULL}
# Stands between the values of a column while they are escaped at once: refused in stored
# text (and by PostgreSQL in any text), so it can only separate.
COPY_SEPARATOR = "\x00"


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str | None:
    """ROWS in COPY's text format, built a column at a time in C loops (write_row costs a
    call per row, and a conversion per value); None when a column holds values of another
    kind than text, whole numbers and booleans (write_row then takes them)."""
    texts = [copy_column(column) for column in zip(*rows, strict=True)]
    if any(column is None for column in texts):
        return None
    return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"


def copy_column(values: Sequence[Any]) -> Sequence[str] | None:
    kinds = set(map(type, values))
    present = kinds - {NoneType}
    if present <= {str}:
        return escaped_texts(values, has_null=NoneType in kinds)
    if present == {int}:
        if NoneType not in kinds:
            return list(map(str, values))
        return [COPY_NULL if value is None else str(value) for value in values]
    if present <= {bool}:
        return list(map(COPY_BOOLEANS.__getitem__, values))
    return None


def escaped_texts(values: Sequence[Any], *, has_null: bool) -> Sequence[str] | None:
    present = [value for value in values if value is not None] if has_null else values
    joined = COPY_SEPARATOR.join(present)
    if joined.count(COPY_SEPARATOR) != max(len(present) - 1, 0):
        return None
    texts = [COPY_NULL if value is None else value for value in values] if has_null else values
    if not any(character in joined for character, _ in COPY_ESCAPES):
        return texts
    for character, escape in COPY_ESCAPES:
        joined = joined.replace(character, escape)
    escaped = iter(joined.split(COPY_SEPARATOR))
    return [COPY_NULL if value is None else next(escaped) for value in values]


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
    with larger_sqlite_cache_on(session.connection()):
        yield


@contextmanager
def larger_sqlite_cache_on(connection: Connection) -> Iterator[None]:
    """larger_sqlite_cache on a connection."""
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
def built_after_load(
    session: Session, tables: Sequence[Table], *, meanwhile: Callable[[], None] | None = None
) -> Iterator[None]:
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
    names = [table.name for table in tables]
    with built_after_load_on(session.connection(), names, meanwhile=meanwhile):
        yield


@contextmanager
def built_after_load_on(
    connection: Connection, names: Sequence[str], *, meanwhile: Callable[[], None] | None = None
) -> Iterator[None]:
    """built_after_load on a connection, for tables named NAMES; MEANWHILE is called after
    the load, before the rebuilding."""
    structures = load_structures(connection, list(names)) if names else []
    for drop, _ in structures:
        connection.exec_driver_sql(drop)
    yield
    if meanwhile is not None:
        meanwhile()
    if "incident" in names:
        refill_incident_spans(connection)
    with more_memory_to_build_indexes(connection, structures):
        for _, create in structures:
            connection.exec_driver_sql(create)


# PostgreSQL sorts an index's keys in this much memory (default 64MB): the search index's
# GIN over a million entries builds a fifth faster with 256MB.
POSTGRES_INDEX_BUILD_MEMORY = "256MB"


@contextmanager
def more_memory_to_build_indexes(
    connection: Connection, structures: Sequence[tuple[str, str]]
) -> Iterator[None]:
    """PostgreSQL: a larger maintenance_work_mem while the indexes are built, then the one
    before, for the rest of the transaction."""
    if connection.dialect.name != "postgresql" or not structures:
        yield
        return
    previous = connection.exec_driver_sql("SHOW maintenance_work_mem").scalar_one()
    connection.execute(
        text("SELECT set_config('maintenance_work_mem', :memory, true)"),
        {"memory": POSTGRES_INDEX_BUILD_MEMORY},
    )
    yield
    connection.execute(
        text("SELECT set_config('maintenance_work_mem', :memory, true)"), {"memory": previous}
    )


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
