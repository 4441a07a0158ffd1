"""Check a whole interchange document, against itself and the database, before any write."""

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NoReturn

from sqlalchemy import Column, Table, UniqueConstraint, func, select, tuple_
from sqlmodel import Session

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate, validate_date_order
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.interchange.tables import (
    AUDIT_SECTION,
    FieldProblem,
    all_section_names,
    exported_columns,
    fuzzy_date_prefixes,
    kind_of,
    reader_for,
    section_table,
    without_withheld_changes,
)
from tracker.services.integrity import VOCABULARY_COLUMNS, is_known_code

# Which codes each coded column draws from; user roles draw from the role table.
CODED_COLUMNS: dict[tuple[str, str], str] = {
    **VOCABULARY_COLUMNS,
    ("user_role", "role_code"): "role",
}
# Dates that may lie ahead: a computed ECtHR deadline, and the upper bound of a range said
# before it ended ("2025" said in June 2025).
FUTURE_ALLOWED = frozenset({("legal_action", "deadline_on")})
# Clocks and time zones differ between instances; a day's slack avoids false alarms.
FUTURE_TOLERANCE = timedelta(days=1)
QUERY_CHUNK = 900

Rows = list[dict[str, Any]]


@dataclass
class SectionPlan:
    """What importing one section will do: insert, update (a newer version), or leave alone."""

    name: str
    table: Table
    new_rows: Rows = field(default_factory=list)
    updated_rows: Rows = field(default_factory=list)
    unchanged: int = 0


def path_of(section: str, index: int, column: str | None = None) -> str:
    return f"$.{section}[{index}]" + (f".{column}" if column else "")


def fail_at(path: str, message: str) -> NoReturn:
    raise InvalidInput(f"{path}: {message}")


def chunks(values: Sequence[Any], size: int = QUERY_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def plan_import(session: Session, document: dict[str, Any], *, now: datetime) -> list[SectionPlan]:
    """Parse and check every record; decide per record whether it is new, newer or present.

    Raises InvalidInput naming the JSON path of the first bad record; nothing is written.
    """
    names = [name for name in all_section_names(with_audit=True) if name in document]
    parsed = {name: parse_section(name, document[name], now=now) for name in names}
    check_duplicate_ids(parsed)
    file_ids = {name: {row["id"] for row in rows} for name, rows in parsed.items()}
    codes = known_codes(session, parsed)
    for name in names:
        check_codes(name, parsed[name], codes)
        check_references(session, name, parsed[name], file_ids)
        check_unique_values(session, name, parsed[name])
    plans = [plan_section(session, name, parsed[name]) for name in names]
    return [renumber_audit(session, plan) if plan.name == AUDIT_SECTION else plan for plan in plans]


# --- one record at a time ------------------------------------------------------------------


def parse_section(name: str, records: list[dict[str, Any]], *, now: datetime) -> Rows:
    table = section_table(name)
    return [
        parse_record(table, name, index, record, now=now) for index, record in enumerate(records)
    ]


@dataclass(frozen=True)
class ColumnReader:
    """How one column's values are read and checked, worked out once per table."""

    column: Column[Any]
    read: Callable[[Column[Any], Any], Any]
    # Which future check applies: "datetime", "date", "fuzzy_date", or None.
    future_kind: str | None


@cache
def column_readers(table_name: str) -> tuple[ColumnReader, ...]:
    columns = exported_columns(section_table(table_name))
    return tuple(
        ColumnReader(
            column=column,
            read=reader_for(column),
            future_kind=None if may_be_future(column) else future_kind_of(column),
        )
        for column in columns
    )


@cache
def known_fields(table_name: str) -> frozenset[str]:
    return frozenset(reader.column.name for reader in column_readers(table_name))


@cache
def date_groups(table_name: str) -> tuple[str, ...]:
    return tuple(fuzzy_date_prefixes(section_table(table_name)))


def future_kind_of(column: Column[Any]) -> str | None:
    kind = kind_of(column)
    return kind if kind in {"datetime", "date", "fuzzy_date"} else None


def parse_record(
    table: Table, section: str, index: int, record: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """Column values of one record, each checked; the first problem is raised with its path."""
    readers = column_readers(table.name)
    unknown = record.keys() - known_fields(table.name)
    if unknown:
        fail_at(path_of(section, index), f"unknown field {sorted(unknown)[0]!r}")
    values = {}
    for reader in readers:
        try:
            values[reader.column.name] = parse_value(reader, record, now=now)
        except FieldProblem as problem:
            fail_at(path_of(section, index, reader.column.name), str(problem))
    check_fuzzy_groups(table, section, index, values)
    return values


def parse_value(reader: ColumnReader, record: dict[str, Any], *, now: datetime) -> Any:
    column = reader.column
    value = record.get(column.name)
    if value is None:
        if not column.nullable:
            raise FieldProblem("must not be null" if column.name in record else "is missing")
        return None
    parsed = reader.read(column, value)
    if reader.future_kind is not None:
        check_not_future(reader.future_kind, parsed, now=now)
    return parsed


def check_not_future(kind: str, value: Any, *, now: datetime) -> None:
    """Raises FieldProblem for a moment or a first possible day still to come."""
    latest_allowed = now + FUTURE_TOLERANCE
    if kind == "datetime" and value > latest_allowed:
        raise FieldProblem(f"is in the future ({value.isoformat()})")
    day = value.earliest if kind == "fuzzy_date" else value if kind == "date" else None
    if day is not None and day > latest_allowed.date():
        raise FieldProblem(f"is in the future ({day.isoformat()})")


def may_be_future(column: Column[Any]) -> bool:
    return column.name.endswith("_latest") or (column.table.name, column.name) in FUTURE_ALLOWED


def check_fuzzy_groups(table: Table, section: str, index: int, values: dict[str, Any]) -> None:
    """Date column groups (start_*, end_*) form valid fuzzy dates, the end not before the start."""
    dates = {
        prefix: fuzzy_from_columns(values, prefix, path_of(section, index))
        for prefix in date_groups(table.name)
    }
    start, end = dates.get("start"), dates.get("end")
    if start is not None:
        try:
            validate_date_order(start, end)
        except InvalidDate as error:
            fail_at(path_of(section, index, "end_latest"), str(error))


def fuzzy_from_columns(values: dict[str, Any], prefix: str, path: str) -> FuzzyDate | None:
    """The FuzzyDate a column group holds, None when the group is empty (an end not given).

    Raises InvalidInput naming the first inconsistent column.
    """
    parts = {
        part: values[f"{prefix}_{part}"]
        for part in ("text", "earliest", "latest", "precision", "qualifier")
    }
    if parts["text"] is None:
        filled = [part for part, value in parts.items() if value is not None]
        if filled:
            fail_at(f"{path}.{prefix}_{filled[0]}", f"set while {prefix}_text is null")
        return None
    precision = enum_value(DatePrecision, parts["precision"], f"{path}.{prefix}_precision")
    qualifier = enum_value(DateQualifier, parts["qualifier"], f"{path}.{prefix}_qualifier")
    try:
        return FuzzyDate(
            original_text=parts["text"],
            earliest=parts["earliest"],
            latest=parts["latest"],
            precision=precision,
            qualifier=qualifier,
        )
    except InvalidDate as error:
        fail_at(f"{path}.{prefix}_earliest", str(error))


def enum_value(kind: type[DatePrecision] | type[DateQualifier], value: Any, path: str) -> Any:
    known = [member.value for member in kind]
    if value not in known:
        fail_at(path, f"unknown value {value!r}; known: {', '.join(known)}")
    return kind(value)


# --- across records and against the database -----------------------------------------------


def check_duplicate_ids(parsed: dict[str, Rows]) -> None:
    """A UUID names one record: twice in the file is an error, whichever sections hold it."""
    seen: dict[uuid.UUID, str] = {}
    for name, rows in parsed.items():
        for index, row in enumerate(rows):
            here = path_of(name, index, "id")
            earlier = seen.setdefault(row["id"], here)
            if earlier != here:
                fail_at(here, f"duplicated UUID {row['id']} (also at {earlier})")


def known_codes(session: Session, parsed: dict[str, Rows]) -> dict[str, set[str]]:
    """Vocabulary codes (and role codes) in the database or in the file."""
    codes: dict[str, set[str]] = {}
    pairs = [
        *session.execute(
            select(
                section_table("vocabulary_term").c.vocabulary,
                section_table("vocabulary_term").c.code,
            )
        ).tuples(),
        *((row["vocabulary"], row["code"]) for row in parsed.get("vocabulary_term", [])),
    ]
    roles = [
        *session.execute(select(section_table("role").c.code)).scalars(),
        *(row["code"] for row in parsed.get("role", [])),
    ]
    for vocabulary, code in [*pairs, *(("role", code) for code in roles)]:
        codes.setdefault(vocabulary, set()).add(code)
    return codes


def check_codes(name: str, rows: Rows, codes: dict[str, set[str]]) -> None:
    """Raises InvalidInput for a coded column holding a code no vocabulary has."""
    for (table_name, column), vocabulary in CODED_COLUMNS.items():
        if table_name != name:
            continue
        for index, row in enumerate(rows):
            for code in codes_in(row[column]):
                if not isinstance(code, str) or not is_known_code(vocabulary, code, codes):
                    fail_at(
                        path_of(name, index, column),
                        f"unknown {vocabulary.replace('_', ' ')} code {code!r}",
                    )


def codes_in(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def check_references(
    session: Session, name: str, rows: Rows, file_ids: dict[str, set[uuid.UUID]]
) -> None:
    """Every foreign key must resolve within the file or the database."""
    table = section_table(name)
    for foreign_key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
        column, target = foreign_key.parent.name, foreign_key.column.table
        wanted: dict[uuid.UUID, int] = {}
        for index, row in enumerate(rows):
            value = row[column]
            if value is not None and value not in file_ids.get(target.name, ()):
                wanted.setdefault(value, index)
        found = existing_ids(session, target, list(wanted))
        for value, index in wanted.items():
            if value not in found:
                fail_at(
                    path_of(name, index, column),
                    f"refers to {target.name} {value}, "
                    "which is neither in the file nor in the database",
                )


def existing_ids(session: Session, table: Table, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for chunk in chunks(ids):
        found.update(session.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
    return found


def unique_column_sets(table: Table) -> list[tuple[str, ...]]:
    """The column sets a unique constraint covers (the primary key aside)."""
    sets = {
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    sets.update((column.name,) for column in table.columns if column.unique)
    return sorted(sets)


def check_unique_values(session: Session, name: str, rows: Rows) -> None:
    """A unique value (incident code, username...) may not repeat in the file or clash with the
    database under another UUID."""
    table = section_table(name)
    for columns in unique_column_sets(table):
        owners: dict[tuple[Any, ...], tuple[uuid.UUID, int]] = {}
        for index, row in enumerate(rows):
            key = tuple(row[column] for column in columns)
            if None in key:
                continue
            if key in owners:
                fail_at(
                    path_of(name, index, columns[0]),
                    f"{'+'.join(columns)} repeats {path_of(name, owners[key][1])}",
                )
            owners[key] = (row["id"], index)
        check_unique_in_database(session, table, name, columns, owners)


def check_unique_in_database(
    session: Session,
    table: Table,
    name: str,
    columns: tuple[str, ...],
    owners: dict[tuple[Any, ...], tuple[uuid.UUID, int]],
) -> None:
    key_columns = [table.c[column] for column in columns]
    key_of = tuple_(*key_columns) if len(key_columns) > 1 else key_columns[0]
    keys = list(owners)
    for chunk in chunks(keys):
        values = chunk if len(key_columns) > 1 else [key[0] for key in chunk]
        statement = select(table.c.id, *key_columns).where(key_of.in_(values))
        for row in session.execute(statement):
            record_id, index = owners[tuple(row[1:])]
            if row[0] != record_id:
                fail_at(
                    path_of(name, index, columns[0]),
                    f"{'+'.join(columns)} already belongs to {name} {row[0]} in the database",
                )


# --- what to do with each record -----------------------------------------------------------


def plan_section(session: Session, name: str, rows: Rows) -> SectionPlan:
    """New rows are inserted; a present UUID is skipped if identical, updated if the file holds
    a newer version, kept if the database's is newer; same version, other content: refused."""
    table = section_table(name)
    plan = SectionPlan(name=name, table=table)
    existing = existing_rows(session, table, [row["id"] for row in rows])
    for index, row in enumerate(rows):
        current = existing.get(row["id"])
        if current is not None and name == AUDIT_SECTION:
            current = without_withheld_changes(current)
        if current is None:
            plan.new_rows.append(row)
        elif all(current[column] == value for column, value in row.items()):
            plan.unchanged += 1
        elif "version" in row and row["version"] != current["version"]:
            add_newer(plan, row, current)
        else:
            fail_at(
                path_of(name, index, "id"),
                f"{name} {row['id']} already exists with different content",
            )
    plan.new_rows = parents_first(table, plan.new_rows)
    return plan


def add_newer(plan: SectionPlan, row: dict[str, Any], current: dict[str, Any]) -> None:
    if row["version"] > current["version"]:
        plan.updated_rows.append(row)
    else:
        plan.unchanged += 1


def existing_rows(
    session: Session, table: Table, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in chunks(ids):
        for row in session.execute(select(table).where(table.c.id.in_(chunk))):
            found[row.id] = dict(row._mapping)
    return found


def parents_first(table: Table, rows: Rows) -> Rows:
    """Order rows so one referring to another of the same table comes after it.

    Raises InvalidInput when records refer to each other in a cycle.
    """
    self_columns = [key.parent.name for key in table.foreign_keys if key.column.table is table]
    if not self_columns:
        return rows
    pending = {row["id"]: row for row in rows}
    ordered: Rows = []
    while pending:
        ready = [
            row
            for row in pending.values()
            if not any(row[column] in pending for column in self_columns)
        ]
        if not ready:
            raise InvalidInput(f"$.{table.name}: records refer to each other in a cycle")
        ordered.extend(ready)
        for row in ready:
            del pending[row["id"]]
    return ordered


def renumber_audit(session: Session, plan: SectionPlan) -> SectionPlan:
    """Keep imported audit sequence numbers unless they clash; then append after the last."""
    table = plan.table
    sequences = [row["sequence"] for row in plan.new_rows if row["sequence"] is not None]
    clashes = any(
        session.execute(select(table.c.id).where(table.c.sequence.in_(chunk))).first()
        for chunk in chunks(sequences)
    )
    if not clashes:
        return plan
    start = session.execute(select(func.max(table.c.sequence))).scalar() or 0
    ordered = sorted(plan.new_rows, key=lambda row: (row["sequence"] is None, row["sequence"] or 0))
    plan.new_rows = [
        {**row, "sequence": start + position} for position, row in enumerate(ordered, start=1)
    ]
    return plan
