"""Which tables travel in an interchange file, in what order, and how their values are written."""

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, String, Table, Uuid
from sqlalchemy.sql import ColumnElement
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers every table in the metadata)
from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate
from tracker.domain.errors import InvalidDate
from tracker.domain.text import has_control_characters
from tracker.models.base import FuzzyDateType, UTCDateTime
from tracker.services.records import MAX_TEXT_LENGTH

FORMAT_NAME = "tracker-interchange"
FORMAT_VERSION = 1
# Dependency order: a section refers only to itself or to sections above it.
SECTION_NAMES = (
    "vocabulary_term",
    "role",
    "user_account",
    "user_role",
    "place",
    "place_alias",
    "organisation",
    "organisation_alias",
    "person",
    "source",
    "incident",
    "citation",
    "person_name",
    "consent",
    "person_merge",
    "involvement",
    "incident_link",
    "case_file",
    "case_incident",
    "case_client",
    "campaign",
    "campaign_incident",
    "legal_action",
    "evidence",
    "custody_entry",
    "record_restriction",
)
AUDIT_SECTION = "audit_entry"
# Sessions, login counters and recovery codes belong to one instance's running web app; the
# search index is derived from the records and rebuilt from them; the master key's check row
# names this instance's keys, and evidence files' data keys are wrapped under it (the files
# themselves never travel in an interchange file).
INSTANCE_ONLY_TABLES = frozenset(
    {
        "user_session",
        "rate_limit_counter",
        "recovery_code",
        "search_entry",
        "master_key_check",
        "evidence_file_key",
    }
)
# Import and export events belong to one instance; they never travel, so round trips hold.
INSTANCE_AUDIT_TABLE = "interchange"
# A password hash or a TOTP secret is a credential: it never leaves the instance it was set on.
# The audit log's hash chain belongs to one instance too (its own entries are in it): imported
# entries are chained anew after the importing instance's last entry (planning.chain_audit).
WITHHELD_COLUMNS: dict[str, frozenset[str]] = {
    "user_account": frozenset(
        {"password_hash", "must_change_password", "totp_secret", "totp_last_step"}
    ),
    AUDIT_SECTION: frozenset({"previous_hash", "entry_hash"}),
}
# What withheld columns become on import: imported users must set a password first; the audit
# chain's placeholders are replaced by planning.chain_audit (left empty, the database refuses).
IMPORT_DEFAULTS: dict[str, dict[str, Any]] = {
    "user_account": {
        "password_hash": "",
        "must_change_password": True,
        "totp_secret": None,
        "totp_last_step": None,
    },
    AUDIT_SECTION: {"previous_hash": None, "entry_hash": None},
}
# Values the import assigns itself when a file leaves them out or null: audit entries are
# numbered on after the log's last entry (planning.renumber_audit). Files written before the
# log was chained may hold null.
ASSIGNED_ON_IMPORT: dict[str, frozenset[str]] = {AUDIT_SECTION: frozenset({"sequence"})}
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
UUID_FORM = re.compile(UUID_PATTERN)
DATE_FORM = re.compile(DATE_PATTERN)
DATETIME_FORM = re.compile(DATETIME_PATTERN)
FUZZY_DATE_PARTS = ("text", "earliest", "latest", "precision", "qualifier")


class FieldProblem(ValueError):
    """A value that does not fit its column; the caller adds the JSON path."""


def all_section_names(*, with_audit: bool) -> tuple[str, ...]:
    return SECTION_NAMES + ((AUDIT_SECTION,) if with_audit else ())


def section_table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def exported_columns(table: Table) -> list[Column[Any]]:
    """The table's columns in declaration order, less those that never leave the instance."""
    withheld = WITHHELD_COLUMNS.get(table.name, frozenset())
    return [column for column in table.columns if column.name not in withheld]


def has_import_default(column: Column[Any]) -> bool:
    """Whether a file may leave the field out, the import filling in the column's default:
    a fixed value ("", 0, false, 1), not one computed per row (a UUID, a timestamp). Files
    written before a column was added stay readable in the same format version."""
    default = column.default
    return default is not None and bool(getattr(default, "is_scalar", False))


def import_default(column: Column[Any]) -> Any:
    """The interchange value a left-out field stands for (None for one the import assigns)."""
    if not has_import_default(column):
        return None
    return to_json_value(kind_of(column), getattr(column.default, "arg", None))


def is_assigned_on_import(column: Column[Any]) -> bool:
    return column.name in ASSIGNED_ON_IMPORT.get(column.table.name, frozenset())


def optional_on_import(column: Column[Any]) -> bool:
    """Whether a file may leave the field out: a nullable column (null), one with a default,
    or one the import assigns."""
    return bool(column.nullable) or has_import_default(column) or is_assigned_on_import(column)


def null_on_import(column: Column[Any]) -> bool:
    """Whether a file may give the field as null."""
    return bool(column.nullable) or is_assigned_on_import(column)


def order_columns(table: Table) -> list[ColumnElement[Any]]:
    """The stable key rows are written in: the audit log's sequence, otherwise the UUID."""
    if table.name == AUDIT_SECTION:
        # Spelled out because SQLite and PostgreSQL sort NULL at opposite ends.
        return [table.c.sequence.is_(None), table.c.sequence, table.c.id]
    return [table.c.id]


def kind_of(column: Column[Any]) -> str:
    """The value kind of a column, which decides how it is written and read."""
    for column_type in (column.type, getattr(column.type, "impl_instance", None)):
        for kind, types in _KINDS:
            if isinstance(column_type, types):
                return kind
    raise TypeError(f"no interchange kind for {column.table.name}.{column.name}")


_KINDS: tuple[tuple[str, Any], ...] = (
    ("fuzzy_date", FuzzyDateType),
    ("datetime", (UTCDateTime, DateTime)),
    ("uuid", Uuid),
    ("date", Date),
    ("json", JSON),
    ("boolean", Boolean),
    ("integer", Integer),
    ("float", Float),
    ("text", String),
)


def fuzzy_date_prefixes(table: Table) -> list[str]:
    """Prefixes of column groups holding one FuzzyDate (incident's start_* and end_*)."""
    names = set(table.columns.keys())
    candidates = [name.removesuffix("_earliest") for name in names if name.endswith("_earliest")]
    return sorted(
        prefix
        for prefix in candidates
        if all(f"{prefix}_{part}" in names for part in FUZZY_DATE_PARTS)
    )


# --- writing -------------------------------------------------------------------------------


def to_json_value(kind: str, value: Any) -> Any:
    """A column value in its interchange form (UUID text, ISO days, UTC timestamps)."""
    if value is None:
        return None
    if kind == "uuid":
        return str(value)
    if kind == "datetime":
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind == "date":
        return value.isoformat()
    if kind == "fuzzy_date":
        return value.to_dict()
    return value


def column_kinds(table: Table) -> list[tuple[str, str]]:
    """(name, kind) of each exported column, worked out once per table."""
    return [(column.name, kind_of(column)) for column in exported_columns(table)]


def record_to_json(kinds: list[tuple[str, str]], row: Mapping[Any, Any]) -> dict[str, Any]:
    return {name: to_json_value(kind, row[name]) for name, kind in kinds}


def without_withheld_changes(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit entry less the changes to columns that never leave (a user's password hash)."""
    withheld = WITHHELD_COLUMNS.get(entry["table_name"])
    if not withheld or not isinstance(entry["changes"], dict):
        return entry
    changes = {key: value for key, value in entry["changes"].items() if key not in withheld}
    return {**entry, "changes": changes}


def dump_record(record: dict[str, Any]) -> str:
    """One record on one line, keys in column order, non-ASCII kept as typed."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


# --- reading -------------------------------------------------------------------------------


def reader_for(column: Column[Any]) -> Any:
    """The function reading a non-null value of this column; raises FieldProblem saying what is
    wrong with the value."""
    return _READERS[kind_of(column)]


def _read_uuid(column: Column[Any], value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not UUID_FORM.fullmatch(value):
        raise FieldProblem("must be a UUID in lower-case hyphenated form")
    return uuid.UUID(value)


def _read_datetime(column: Column[Any], value: Any) -> datetime:
    if not isinstance(value, str) or not DATETIME_FORM.fullmatch(value):
        raise FieldProblem("must be an ISO 8601 timestamp with a UTC offset")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise FieldProblem(f"is not a real moment: {value}") from None


def _read_date(column: Column[Any], value: Any) -> date:
    if not isinstance(value, str) or not DATE_FORM.fullmatch(value):
        raise FieldProblem("must be a YYYY-MM-DD day")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldProblem(f"is not a real day: {value}") from None


def _read_fuzzy_date(column: Column[Any], value: Any) -> FuzzyDate:
    if not isinstance(value, dict):
        raise FieldProblem("must be a date object (original_text, earliest, latest, ...)")
    try:
        fuzzy = FuzzyDate.from_dict(value)
    except InvalidDate as error:
        raise FieldProblem(str(error)) from None
    check_text(fuzzy.original_text, limit=None)
    return fuzzy


def _read_json(column: Column[Any], value: Any) -> Any:
    check_nested_text(value)
    return value


def _read_boolean(column: Column[Any], value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldProblem("must be true or false")
    return value


def _read_integer(column: Column[Any], value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldProblem("must be a whole number")
    return value


def _read_float(column: Column[Any], value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldProblem("must be a number")
    return float(value)


def _read_text(column: Column[Any], value: Any) -> str:
    if not isinstance(value, str):
        raise FieldProblem("must be text")
    check_text(value, limit=getattr(column.type, "length", None))
    return value


def check_text(value: str, *, limit: int | None) -> None:
    """Raises FieldProblem for NUL or control characters, or text past the column's length."""
    if has_control_characters(value):
        raise FieldProblem("contains control characters (such as NUL)")
    limit = limit or MAX_TEXT_LENGTH
    if len(value) > limit:
        raise FieldProblem(f"is {len(value)} characters long; the limit is {limit}")


def check_nested_text(value: Any) -> None:
    """Check every string inside a JSON value, keys included."""
    if isinstance(value, str):
        check_text(value, limit=None)
    elif isinstance(value, list):
        for item in value:
            check_nested_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, limit=None)
            check_nested_text(item)


_READERS = {
    "uuid": _read_uuid,
    "datetime": _read_datetime,
    "date": _read_date,
    "fuzzy_date": _read_fuzzy_date,
    "json": _read_json,
    "boolean": _read_boolean,
    "integer": _read_integer,
    "float": _read_float,
    "text": _read_text,
}


# --- the JSON Schema, derived from the same metadata ---------------------------------------


def column_schema(column: Column[Any]) -> dict[str, Any]:
    """The JSON Schema of one column's values; nullable columns (and those the import
    assigns) also accept null."""
    kind = kind_of(column)
    schema: dict[str, Any] = dict(_KIND_SCHEMAS[kind])
    if kind == "text":
        schema["maxLength"] = getattr(column.type, "length", None) or MAX_TEXT_LENGTH
    if null_on_import(column) and "type" in schema:
        # A type list, not anyOf: the compiled validator stays fast on large files.
        schema["type"] = [schema["type"], "null"]
    return schema


_FUZZY_DATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "original_text": {"type": "string", "maxLength": 200},
        "earliest": {"type": ["string", "null"], "pattern": DATE_PATTERN},
        "latest": {"type": ["string", "null"], "pattern": DATE_PATTERN},
        "precision": {"enum": [precision.value for precision in DatePrecision]},
        "qualifier": {"enum": [qualifier.value for qualifier in DateQualifier]},
        "reference_date": {"type": ["string", "null"], "pattern": DATE_PATTERN},
    },
    "required": ["original_text", "earliest", "latest", "precision", "qualifier"],
    "additionalProperties": False,
}
_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "uuid": {"type": "string", "pattern": UUID_PATTERN},
    "datetime": {"type": "string", "pattern": DATETIME_PATTERN},
    "date": {"type": "string", "pattern": DATE_PATTERN},
    "fuzzy_date": _FUZZY_DATE_SCHEMA,
    "json": {},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "text": {"type": "string"},
}


def record_schema(table: Table) -> dict[str, Any]:
    columns = exported_columns(table)
    return {
        "type": "object",
        "properties": {column.name: column_schema(column) for column in columns},
        "required": [column.name for column in columns if not optional_on_import(column)],
        "additionalProperties": False,
    }


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of format version 1: interchange.schema.json."""
    sections = {
        name: {"type": "array", "items": {"$ref": f"#/$defs/{name}"}}
        for name in all_section_names(with_audit=True)
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Tracker interchange file, format version {FORMAT_VERSION}",
        "type": "object",
        "required": ["format", "format_version", "exported_at"],
        "properties": {
            "format": {"const": FORMAT_NAME},
            "format_version": {"const": FORMAT_VERSION},
            "exported_at": {"type": "string", "pattern": DATETIME_PATTERN},
            **sections,
        },
        "additionalProperties": False,
        "$defs": {
            **{
                name: record_schema(section_table(name))
                for name in all_section_names(with_audit=True)
            },
        },
    }


def render_schema() -> str:
    return json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    # Regenerate the shipped schema after a model change:
    #   python -m tracker.interchange.tables > tracker/interchange/interchange.schema.json
    print(render_schema(), end="")
