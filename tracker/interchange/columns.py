"""Check and convert a section's values a column at a time, in C loops where the form allows.

These checks only ever vouch for values. When one cannot (a bad value, or an unusual but
perhaps valid one), it raises NeedsRecordCheck and the section is checked record by record,
which names the first problem and its JSON path. So a value passes here only if it would pass
there and the JSON Schema too (tests/interchange/test_json_columns.py checks both).
"""

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from itertools import chain, compress
from operator import itemgetter
from typing import Any

import fastjsonschema
from sqlalchemy import Column
from sqlalchemy.engine import Dialect

from tracker.domain.text import has_control_characters
from tracker.interchange.bulk import Processor, convert, row_processor
from tracker.interchange.tables import (
    DATE_FORM,
    FieldProblem,
    column_schema,
    exported_columns,
    import_default,
    kind_of,
    null_on_import,
    optional_on_import,
    reader_for,
    section_table,
    to_json_value,
)
from tracker.services.records import MAX_TEXT_LENGTH

# Dates that may lie ahead: a computed ECtHR deadline, and the upper bound of a range said
# before it ended ("2025" said in June 2025).
FUTURE_ALLOWED = frozenset({("legal_action", "deadline_on")})
# Clocks and time zones differ between instances; a day's slack avoids false alarms.
FUTURE_TOLERANCE = timedelta(days=1)
# The one timestamp form the exporter writes (UTC, microseconds). Other offsets and precisions
# are valid too; they take the record-by-record path.
MOMENT_FORM = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}\\+00:00")


class NeedsRecordCheck(Exception):
    """The column checks cannot vouch for a section; check it record by record."""


@dataclass
class Reading:
    """What reading one document carries from column to column: the latest moment and day a
    value may name (also in the exporter's forms), and the values already found well formed,
    by kind, so a UUID or timestamp met again (a reference, updated_at) is not checked again."""

    now: datetime
    moment_text: str
    day_text: str
    well_formed: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def at(cls, now: datetime) -> "Reading":
        latest = now + FUTURE_TOLERANCE
        return cls(now, to_json_value("datetime", latest), latest.date().isoformat())


# --- what each column is -------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnReader:
    """How one column's values are read and checked, worked out once per table."""

    column: Column[Any]
    read: Callable[[Column[Any], Any], Any]
    kind: str
    # Which future check applies: "datetime", "date", "fuzzy_date", or None.
    future_kind: str | None
    # Whether the file may give null (for a column the import assigns, too).
    nullable: bool
    # Whether the file may leave the field out, and what it then stands for.
    optional: bool
    default: Any

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def limit(self) -> int:
        return getattr(self.column.type, "length", None) or MAX_TEXT_LENGTH


@cache
def column_readers(table_name: str) -> tuple[ColumnReader, ...]:
    return tuple(
        ColumnReader(
            column=column,
            read=reader_for(column),
            kind=kind_of(column),
            future_kind=None if may_be_future(column) else future_kind_of(column),
            nullable=null_on_import(column),
            optional=optional_on_import(column),
            default=import_default(column),
        )
        for column in exported_columns(section_table(table_name))
    )


def may_be_future(column: Column[Any]) -> bool:
    return column.name.endswith("_latest") or (column.table.name, column.name) in FUTURE_ALLOWED


def future_kind_of(column: Column[Any]) -> str | None:
    kind = kind_of(column)
    return kind if kind in {"datetime", "date", "fuzzy_date"} else None


def check_not_future(kind: str, value: Any, *, now: datetime) -> None:
    """Raises FieldProblem for a moment or a first possible day still to come."""
    latest_allowed = now + FUTURE_TOLERANCE
    if kind == "datetime" and value > latest_allowed:
        raise FieldProblem(f"is in the future ({value.isoformat()})")
    day = value.earliest if kind == "fuzzy_date" else value if kind == "date" else None
    if day is not None and day > latest_allowed.date():
        raise FieldProblem(f"is in the future ({day.isoformat()})")


# --- how each column's values reach the driver ---------------------------------------------


def hex_digits(text: str) -> str:
    return text.replace("-", "")


def naive_utc_text(text: str) -> str:
    return text.replace("T", " ").replace("+00:00", "")


def same_text(text: str) -> str:
    return text


# Text-to-text shortcuts from the exporter's forms to what the driver is handed, each tried on a
# probe at start-up and kept only where it gives exactly the driver value (the first that fits):
# SQLite keeps UUIDs, timestamps and days as text, and PostgreSQL's COPY is handed text too.
ROUTES: dict[str, tuple[str, tuple[Callable[[str], str], ...]]] = {
    "uuid": ("0d8c76fe-f91c-482f-88ed-de1346c5a809", (hex_digits, same_text)),
    "datetime": ("2024-02-29T23:59:58.000001+00:00", (naive_utc_text,)),
    "date": ("2024-02-29", (same_text,)),
}


@dataclass(frozen=True)
class ColumnDriver:
    """What turns a checked value into the driver's: a bind processor, or a text shortcut."""

    processor: Processor | None
    route: Callable[[str], str] | None
    # What a null becomes ('null' for JSON columns, as SQLAlchemy writes it).
    null: Any


@lru_cache(maxsize=64)
def column_drivers(table_name: str, dialect: Dialect) -> tuple[ColumnDriver, ...]:
    return tuple(column_driver(reader, dialect) for reader in column_readers(table_name))


def column_driver(reader: ColumnReader, dialect: Dialect) -> ColumnDriver:
    processor = row_processor(reader.column, dialect)
    null = convert(None, processor)
    return ColumnDriver(processor, fitting_route(reader, processor), null)


def fitting_route(reader: ColumnReader, processor: Processor | None) -> Callable[[str], str] | None:
    """The first route giving what the database would receive, for a column without nulls to
    stand in for (a JSON column's null is 'null')."""
    if reader.kind not in ROUTES or convert(None, processor) is not None:
        return None
    probe, routes = ROUTES[reader.kind]
    expected = convert(reader.read(reader.column, probe), processor)
    return next((route for route in routes if route(probe) == expected), None)


# --- one section, column by column ---------------------------------------------------------


def fast_section(
    name: str, records: Sequence[Any], dialect: Dialect, reading: Reading
) -> tuple[dict[str, Sequence[Any]], list[tuple[Any, ...]]]:
    """Each column's values as in the file, and each record's values for the driver.

    Raises NeedsRecordCheck when a column's checks cannot vouch for every value.
    """
    readers = column_readers(name)
    columns = column_values(readers, records)
    converted = [
        driver_values(reader, driver, columns[reader.name], reading)
        for reader, driver in zip(readers, column_drivers(name, dialect), strict=True)
    ]
    return columns, list(zip(*converted, strict=True))


def column_values(
    readers: Sequence[ColumnReader], records: Sequence[Any]
) -> dict[str, Sequence[Any]]:
    """Each column's values, a field every record leaves out (a file written before its
    column existed) standing for its default.

    Raises NeedsRecordCheck unless every record is an object with exactly the same known
    fields, those left out being optional.
    """
    if not records:
        return {reader.name: () for reader in readers}
    if not only(records, dict):
        raise NeedsRecordCheck
    first = records[0]
    present = [reader.name for reader in readers if reader.name in first]
    absent = [reader for reader in readers if reader.name not in first]
    if not all(reader.optional for reader in absent) or set(map(len, records)) != {len(present)}:
        raise NeedsRecordCheck
    try:
        # Every table has the eight bookkeeping columns, so itemgetter returns tuples.
        rows = list(map(itemgetter(*present), records))
    except KeyError:
        raise NeedsRecordCheck from None
    columns: dict[str, Sequence[Any]] = dict(zip(present, zip(*rows, strict=True), strict=True))
    for reader in absent:
        columns[reader.name] = [reader.default] * len(records)
    return {reader.name: columns[reader.name] for reader in readers}


def only(values: Iterable[Any], *types: type) -> bool:
    return set(map(type, values)) <= set(types)


def driver_values(
    reader: ColumnReader, driver: ColumnDriver, values: Sequence[Any], reading: Reading
) -> Sequence[Any]:
    if None not in values:
        present = values
    elif reader.nullable:
        present = [value for value in values if value is not None]
    else:
        raise NeedsRecordCheck
    if not present:
        return values if driver.null is None else [driver.null] * len(values)
    return KIND_CHECKS[reader.kind](Batch(reader, driver, values, present, reading))


@dataclass(frozen=True)
class Batch:
    """One column's values (VALUES; PRESENT, the non-null ones, at least one) to check."""

    reader: ColumnReader
    driver: ColumnDriver
    values: Sequence[Any]
    present: Sequence[Any]
    reading: Reading


def text_values(batch: Batch) -> Sequence[Any]:
    if not plain_text(batch.present, batch.reader.limit):
        raise NeedsRecordCheck
    return processed(batch.driver, batch.values)


def plain_text(texts: Sequence[Any], limit: int) -> bool:
    """All text, none too long, none with control characters (the same whether joined or not)."""
    try:
        joined = "".join(texts)
    except TypeError:
        return False
    return max(map(len, texts)) <= limit and not has_control_characters(joined)


def integer_values(batch: Batch) -> Sequence[Any]:
    # type(True) is bool, not int: true and false are no numbers here.
    if not only(batch.present, int):
        raise NeedsRecordCheck
    return processed(batch.driver, batch.values)


def boolean_values(batch: Batch) -> Sequence[Any]:
    if not only(batch.present, bool):
        raise NeedsRecordCheck
    return processed(batch.driver, batch.values)


def uuid_values(batch: Batch) -> Sequence[Any]:
    if not uuid_form_holds(batch.present):
        raise NeedsRecordCheck
    if batch.driver.route is not None:
        return routed(batch.driver.route, batch)
    return processed(batch.driver, merged(batch.values, list(map(uuid.UUID, batch.present))))


def datetime_values(batch: Batch) -> Sequence[Any]:
    if not moment_form_holds(batch.present):
        raise NeedsRecordCheck
    # One form, all in UTC: the text order is the time order.
    if batch.reader.future_kind is not None and max(batch.present) > batch.reading.moment_text:
        raise NeedsRecordCheck
    if batch.driver.route is not None:
        return routed(batch.driver.route, batch)
    moments = list(map(datetime.fromisoformat, batch.present))
    return processed(batch.driver, merged(batch.values, moments))


def date_values(batch: Batch) -> Sequence[Any]:
    check_form(batch, DATE_FORM, date.fromisoformat)
    if batch.reader.future_kind is not None and max(batch.present) > batch.reading.day_text:
        raise NeedsRecordCheck
    if batch.driver.route is not None:
        return routed(batch.driver.route, batch)
    days = list(map(date.fromisoformat, batch.present))
    return processed(batch.driver, merged(batch.values, days))


# The exporter's forms with every digit made 0: a value is in the form when translating its
# digits (hex digits for a UUID) to 0 gives this, and a moment's offset is really +00:00. Only
# ASCII digits are translated.
UUID_SHAPE = "00000000-0000-0000-0000-000000000000"
MOMENT_SHAPE = "0000-00-00T00:00:00.000000+00:00"
UTC_OFFSET = "+00:00"
HEX_TO_ZERO = str.maketrans(dict.fromkeys("0123456789abcdef", "0"))
DIGIT_TO_ZERO = str.maketrans(dict.fromkeys("0123456789", "0"))


def joined_if_shaped(values: Sequence[Any], shape: str, digits: dict[int, str]) -> str | None:
    """All values joined, if every one is text of SHAPE once its DIGITS are made 0: one
    translation in C, rather than a regular expression per value; else None."""
    if not only(values, str) or set(map(len, values)) != {len(shape)}:
        return None
    joined = "".join(values)
    return joined if joined.translate(digits) == shape * len(values) else None


def times_in_range(joined: str) -> bool:
    """Whether the moments joined (each of MOMENT_SHAPE) have hours up to 23, minutes and
    seconds up to 59: a digit at a time, every value's at once (its Nth character is at
    N, N + 32, N + 64...)."""
    step = len(MOMENT_SHAPE)
    hour_tens, hour_units = joined[11::step], joined[12::step]
    if not set(hour_tens) <= set("012"):
        return False
    after_twenty = compress(hour_units, map("2".__eq__, hour_tens))
    if not set(after_twenty) <= set("0123"):
        return False
    return set(joined[14::step]) | set(joined[17::step]) <= set("012345")


def uuid_form_holds(values: Sequence[Any]) -> bool:
    """Whether every value is a UUID in lower-case hyphenated form (UUID_FORM)."""
    return joined_if_shaped(values, UUID_SHAPE, HEX_TO_ZERO) is not None


def moment_form_holds(values: Sequence[Any]) -> bool:
    """Whether every value is a timestamp in the exporter's form (MOMENT_FORM) that
    datetime.fromisoformat takes: the shape, the offset +00:00 (the shape holds one "+" a
    value), hours, minutes and seconds in range, and each distinct day a real one."""
    joined = joined_if_shaped(values, MOMENT_SHAPE, DIGIT_TO_ZERO)
    if joined is None or joined.count(UTC_OFFSET) != len(values):
        return False
    if not times_in_range(joined):
        return False
    try:
        for day in set(map(itemgetter(slice(0, 10)), values)):
            date.fromisoformat(day)
    except ValueError:
        return False
    return True


def check_form(
    batch: Batch, form: re.Pattern[str], parse: Callable[[str], Any] | None = None
) -> None:
    """Raises NeedsRecordCheck unless each value is text in FORM that PARSE takes (no 30
    February); values found well formed before in this document are not checked again."""
    well_formed = batch.reading.well_formed.setdefault(batch.reader.kind, set())
    try:
        fresh = set(batch.present) - well_formed
        if not all(map(form.fullmatch, fresh)):
            raise NeedsRecordCheck
        if parse is not None:
            list(map(parse, fresh))
    except (TypeError, ValueError):
        raise NeedsRecordCheck from None
    well_formed.update(fresh)


def json_values(batch: Batch) -> Sequence[Any]:
    """Lists of codes (secondary types, charges) checked at once; any other JSON one by one."""
    if not only(batch.present, list):
        return each_value(batch)
    items = list(chain.from_iterable(batch.present))
    if not only(items, str):
        return each_value(batch)
    if items and not plain_text(items, MAX_TEXT_LENGTH):
        raise NeedsRecordCheck
    return processed_lists(batch.driver, batch.values)


def each_value(batch: Batch) -> Sequence[Any]:
    """The record-by-record reader, one value at a time (numbers, fuzzy dates, nested JSON)."""
    reader = batch.reader
    validate = column_validator(reader.column.table.name, reader.name)
    try:
        typed = [read_value(reader, validate, value, batch.reading) for value in batch.present]
    except (FieldProblem, fastjsonschema.JsonSchemaValueException):
        raise NeedsRecordCheck from None
    return processed(batch.driver, merged(batch.values, typed))


def read_value(
    reader: ColumnReader, validate: Callable[[Any], Any], value: Any, reading: Reading
) -> Any:
    validate(value)
    typed = reader.read(reader.column, value)
    if reader.future_kind is not None:
        check_not_future(reader.future_kind, typed, now=reading.now)
    return typed


@cache
def column_validator(table_name: str, column_name: str) -> Callable[[Any], Any]:
    """The column's own JSON Schema, which a fuzzy date's object must meet as well."""
    column = section_table(table_name).c[column_name]
    return fastjsonschema.compile(column_schema(column))


KIND_CHECKS: dict[str, Callable[[Batch], Sequence[Any]]] = {
    "text": text_values,
    "integer": integer_values,
    "boolean": boolean_values,
    "uuid": uuid_values,
    "datetime": datetime_values,
    "date": date_values,
    "json": json_values,
    "float": each_value,
    "fuzzy_date": each_value,
}


# --- helpers -------------------------------------------------------------------------------


def merged(values: Sequence[Any], converted: list[Any]) -> Sequence[Any]:
    """CONVERTED (one per non-null value) back in place among the nulls of VALUES."""
    if len(converted) == len(values):
        return converted
    remaining = iter(converted)
    return [None if value is None else next(remaining) for value in values]


def routed(route: Callable[[str], str], batch: Batch) -> Sequence[Any]:
    """The route applied to all values joined: one C loop, not one call per value.

    The forms routes apply to hold no line breaks, so splitting gives the values back.
    """
    return merged(batch.values, route("\n".join(batch.present)).split("\n"))


def processed(driver: ColumnDriver, values: Sequence[Any]) -> Sequence[Any]:
    processor = driver.processor
    return values if processor is None else list(map(processor, values))


def processed_lists(driver: ColumnDriver, values: Sequence[Any]) -> Sequence[Any]:
    """Lists of codes repeat ([] most of all): serialise each distinct one once."""
    processor = driver.processor
    if processor is None:
        return values
    done: dict[tuple[str, ...] | None, Any] = {}
    result = []
    for value in values:
        key = None if value is None else tuple(value)
        if key not in done:
            done[key] = processor(value)
        result.append(done[key])
    return result
