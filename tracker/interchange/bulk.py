"""Bulk inserts through the driver's executemany, shared by the JSON import and the demo data."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert, text
from sqlalchemy.engine import Dialect
from sqlmodel import Session

SQLITE_CACHE_KIB = 256 * 1024

Processor = Callable[[Any], Any]


def bind_processor(column: Column[Any], dialect: Dialect) -> Processor | None:
    """What SQLAlchemy does to a Python value of COLUMN before the driver sees it.

    The dialect's own type matters: SQLite keeps timestamps and days as text in a set form,
    which the generic type alone would leave to the driver's (deprecated) adapters.
    """
    return column.type.dialect_impl(dialect).bind_processor(dialect)


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
def sqlite_indexes_built_after(session: Session, tables: Sequence[Table]) -> Iterator[None]:
    """On SQLite, drop the plain (non-unique) indexes of TABLES, all empty, and build them after.

    Building an index from all its keys at once beats inserting random UUID keys one by one
    (PostgreSQL's manual gives the same advice for bulk loads). Schema changes are transactional
    in SQLite: if the body fails, rolling back the enclosing savepoint restores the indexes.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not tables:
        yield
        return
    definitions = plain_sqlite_indexes(connection, [table.name for table in tables])
    quote = connection.dialect.identifier_preparer.quote
    for name, _ in definitions:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    for _, definition in definitions:
        connection.exec_driver_sql(definition)


def plain_sqlite_indexes(connection: Connection, table_names: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each non-unique index declared on the tables."""
    statement = text(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN :names ORDER BY name"
    ).bindparams(bindparam("names", expanding=True))
    found = connection.execute(statement, {"names": table_names}).tuples()
    return [(name, sql) for name, sql in found if not sql.upper().startswith("CREATE UNIQUE")]


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
