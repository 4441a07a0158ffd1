"""A cheap picture of the database: rows per table and the newest change of each.

A refused request must leave it unchanged (the audit log is one of the tables, so a refused
request adds no audit entry either). Sessions and login counters are left out: requests touch
them as they should, and they hold no record.
"""

from typing import Any

from sqlalchemy import Engine, Table, func, literal, select
from sqlmodel import SQLModel

IGNORED_TABLES = frozenset({"user_session", "rate_limit_counter"})


def watched_tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in IGNORED_TABLES]


def fingerprint(engine: Engine) -> dict[str, tuple[int, Any]]:
    """{table: (rows, latest updated_at or None)}."""
    found: dict[str, tuple[int, Any]] = {}
    with engine.connect() as connection:
        for table in watched_tables():
            latest = func.max(table.c.updated_at) if "updated_at" in table.c else literal(None)
            row = connection.execute(select(func.count(), latest).select_from(table)).one()
            found[table.name] = (row[0], row[1])
    return found


def changes_between(
    before: dict[str, tuple[int, Any]], after: dict[str, tuple[int, Any]]
) -> dict[str, tuple[Any, Any]]:
    """The tables whose picture differs, with both pictures (empty when nothing changed)."""
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}
