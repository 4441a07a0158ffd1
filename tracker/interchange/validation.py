"""Read and check each section of an interchange document, column by column or record by record."""

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, NoReturn

import fastjsonschema
from sqlalchemy import Table
from sqlalchemy.engine import Dialect

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate, validate_date_order
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.interchange.bulk import convert
from tracker.interchange.columns import (
    ColumnReader,
    NeedsRecordCheck,
    Reading,
    check_not_future,
    column_drivers,
    column_readers,
    fast_section,
)
from tracker.interchange.tables import (
    FUZZY_DATE_PARTS,
    FieldProblem,
    all_section_names,
    fuzzy_date_prefixes,
    section_table,
)

SCHEMA_FILE = "interchange.schema.json"
QUERY_CHUNK = 900

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """One checked section: its values as in the file, and as the driver will take them."""

    name: str
    table: Table
    records: Sequence[dict[str, Any]]
    # Interchange values by column: UUIDs in their one lower-case form, so text compares.
    columns: dict[str, Sequence[Any]]
    # One tuple per record, in column_readers order.
    rows: list[tuple[Any, ...]]


def path_of(section: str, index: int, column: str | None = None) -> str:
    return f"$.{section}[{index}]" + (f".{column}" if column else "")


def fail_at(path: str, message: str) -> NoReturn:
    raise InvalidInput(f"{path}: {message}")


def chunks(values: Sequence[Any], size: int = QUERY_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def read_section(
    name: str, records: Sequence[Any], *, dialect: Dialect, reading: Reading
) -> Section:
    """A section checked a column at a time, or record by record when that cannot vouch for it.

    Raises InvalidInput naming the JSON path of the section's first bad record.
    """
    try:
        columns, rows = section_by_columns(name, records, dialect, reading)
    except NeedsRecordCheck:
        columns, rows = section_by_records(name, records, dialect, reading)
    return Section(name, section_table(name), records, columns, rows)


def section_by_columns(
    name: str, records: Sequence[Any], dialect: Dialect, reading: Reading
) -> tuple[dict[str, Sequence[Any]], list[tuple[Any, ...]]]:
    """The fast path: each column at once, then the date groups; raises NeedsRecordCheck."""
    columns, rows = fast_section(name, records, dialect, reading)
    check_date_groups(name, columns)
    return columns, rows


def section_by_records(
    name: str, records: Sequence[Any], dialect: Dialect, reading: Reading
) -> tuple[dict[str, Sequence[Any]], list[tuple[Any, ...]]]:
    """The slow path, which names problems: the JSON Schema, then each value, record by record."""
    table = section_table(name)
    validate = record_validator(name)
    typed = [
        checked_record(validate, table, name, index, record, now=reading.now)
        for index, record in enumerate(records)
    ]
    pairs = list(zip(column_readers(name), column_drivers(name, dialect), strict=True))
    rows = [
        tuple(convert(row[reader.name], driver.processor) for reader, driver in pairs)
        for row in typed
    ]
    columns: dict[str, Sequence[Any]] = {
        reader.name: [record.get(reader.name, reader.default) for record in records]
        for reader, _ in pairs
    }
    return columns, rows


def checked_record(
    validate: Callable[..., Any],
    table: Table,
    section: str,
    index: int,
    record: Any,
    *,
    now: datetime,
) -> dict[str, Any]:
    try:
        validate(record, name_prefix=path_of(section, index))
    except fastjsonschema.JsonSchemaValueException as error:
        raise schema_problem(error) from None
    return parse_record(table, section, index, record, now=now)


# --- the JSON Schema, compiled per section -------------------------------------------------


@cache
def shipped_schema() -> dict[str, Any]:
    text = resources.files("tracker.interchange").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def envelope_validator() -> Callable[..., Any]:
    """The shipped schema less its records: header fields, known sections, each an array."""
    schema = {key: value for key, value in shipped_schema().items() if key != "$defs"}
    names = all_section_names(with_audit=True)
    schema["properties"] = {
        key: {"type": "array"} if key in names else value
        for key, value in schema["properties"].items()
    }
    return fastjsonschema.compile(schema)


@cache
def record_validator(name: str) -> Callable[..., Any]:
    return fastjsonschema.compile(shipped_schema()["$defs"][name])


def validate_envelope(document: dict[str, Any]) -> None:
    """Raises InvalidInput for a missing header, an unknown section or one that is no array."""
    try:
        envelope_validator()(document, name_prefix="$")
    except fastjsonschema.JsonSchemaValueException as error:
        raise schema_problem(error) from None


def schema_problem(error: fastjsonschema.JsonSchemaValueException) -> InvalidInput:
    name = str(error.name)
    return InvalidInput(f"{name}: {str(error.message).removeprefix(name).strip()}")


# --- one record at a time ------------------------------------------------------------------


@cache
def known_fields(table_name: str) -> frozenset[str]:
    return frozenset(reader.name for reader in column_readers(table_name))


@cache
def date_groups(table_name: str) -> tuple[str, ...]:
    return tuple(fuzzy_date_prefixes(section_table(table_name)))


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
            values[reader.name] = parse_value(reader, record, now=now)
        except FieldProblem as problem:
            fail_at(path_of(section, index, reader.name), str(problem))
    check_fuzzy_groups(table, section, index, values)
    return values


def parse_value(reader: ColumnReader, record: dict[str, Any], *, now: datetime) -> Any:
    column = reader.column
    value = record.get(column.name, reader.default)
    if value is None:
        if not reader.nullable:
            raise FieldProblem("must not be null" if column.name in record else "is missing")
        return None
    parsed = reader.read(column, value)
    if reader.future_kind is not None:
        check_not_future(reader.future_kind, parsed, now=now)
    return parsed


def check_date_groups(name: str, columns: dict[str, Sequence[Any]]) -> None:
    """check_fuzzy_groups for columns checked the fast way; raises NeedsRecordCheck on a problem."""
    prefixes = date_groups(name)
    if not prefixes:
        return
    try:
        dates = {prefix: group_dates(name, prefix, columns) for prefix in prefixes}
        starts = dates.get("start", [])
        for start, end in zip(starts, dates.get("end", [None] * len(starts)), strict=True):
            if start is not None:
                validate_date_order(start, end)
    except (InvalidInput, InvalidDate):
        raise NeedsRecordCheck from None


def group_dates(name: str, prefix: str, columns: dict[str, Sequence[Any]]) -> list[Any]:
    """The FuzzyDate each record's group holds; a group seen before is not built again."""
    names = [f"{prefix}_{part}" for part in FUZZY_DATE_PARTS]
    built: dict[tuple[Any, ...], FuzzyDate | None] = {}
    dates = []
    for index, group in enumerate(zip(*(columns[column] for column in names), strict=True)):
        if group not in built:
            values = dict(zip(names, typed_group(group), strict=True))
            built[group] = fuzzy_from_columns(values, prefix, path_of(name, index))
        dates.append(built[group])
    return dates


def typed_group(group: tuple[Any, ...]) -> tuple[Any, ...]:
    """A group's bounds as dates (their form is already checked); text, precision stay text."""
    text, earliest, latest, precision, qualifier = group
    return (text, day_or_none(earliest), day_or_none(latest), precision, qualifier)


def day_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


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
    known = enum_values(kind)
    if value not in known:
        fail_at(path, f"unknown value {value!r}; known: {', '.join(known)}")
    return kind(value)


@cache
def enum_values(kind: type[DatePrecision] | type[DateQualifier]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)
