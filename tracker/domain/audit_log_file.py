"""The exported audit log: JSON Lines, a header line, one entry per line, then a closing line.

    {"format": "tracker-audit-log", "format_version": 1, "exported_at": "..."}
    {"sequence": 1, "id": "...", ..., "previous_hash": "000...", "entry_hash": "..."}
    ...
    {"end_of_log": true, "entries": 2, "head": "2:<hash>"}

The closing line reveals a file cut short in transit; it is no defence against someone who
edits the file on purpose (see docs/security.md). Reading never trusts a line's types.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.domain.audit_chain import (
    HASH_FORM,
    HASHED_FIELDS,
    ChainEntry,
    ChainHead,
    canonical_moment,
    canonical_uuid,
)
from tracker.domain.errors import InvalidInput

FORMAT_NAME = "tracker-audit-log"
FORMAT_VERSION = 1
ENTRY_KEYS = (*HASHED_FIELDS, "entry_hash")
CLOSING_KEYS = frozenset({"end_of_log", "entries", "head"})
# The forms the exporter writes (anything else is parsed, and must still be valid).
CANONICAL_UUID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CANONICAL_MOMENT = re.compile(
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}\\+00:00"
)


@dataclass(frozen=True)
class Closing:
    """What the closing line says the file holds."""

    entries: int
    head: ChainHead | None


def dump_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def header_line(exported_at: datetime) -> str:
    return dump_line(
        {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "exported_at": canonical_moment(exported_at),
        }
    )


def entry_line(entry: ChainEntry) -> str:
    return dump_line({key: getattr(entry, key) for key in ENTRY_KEYS})


def closing_line(entries: int, head: ChainHead | None) -> str:
    return dump_line(
        {"end_of_log": True, "entries": entries, "head": None if head is None else str(head)}
    )


# --- reading --------------------------------------------------------------------------------


def fail_on_line(number: int, message: str) -> InvalidInput:
    return InvalidInput(f"line {number}: {message}")


def parse_json_line(text: str, number: int) -> dict[str, Any]:
    """Raises InvalidInput for malformed JSON, or JSON that is no object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail_on_line(number, f"malformed JSON at column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise fail_on_line(number, "the JSON is nested too deeply") from None
    if not isinstance(value, dict):
        raise fail_on_line(number, "each line must be a JSON object")
    return value


def read_header(text: str, number: int = 1) -> None:
    """Raises InvalidInput unless the line opens an audit log export of a known version."""
    header = parse_json_line(text, number)
    if header.get("format") != FORMAT_NAME:
        raise fail_on_line(
            number, f'not an exported audit log (the first line needs "format": "{FORMAT_NAME}")'
        )
    version = header.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise fail_on_line(
            number, f"format_version {json.dumps(version)} is not supported; this reads 1"
        )


def read_line(text: str, number: int) -> ChainEntry | Closing:
    """An entry, or the closing line; raises InvalidInput naming the line and the field."""
    record = parse_json_line(text, number)
    if "end_of_log" in record:
        return read_closing(record, number)
    missing = [key for key in ENTRY_KEYS if key not in record]
    unknown = sorted(record.keys() - set(ENTRY_KEYS))
    if missing or unknown:
        problem = f"missing field {missing[0]!r}" if missing else f"unknown field {unknown[0]!r}"
        raise fail_on_line(number, problem)
    values = {key: read_field(key, record[key], number) for key in ENTRY_KEYS}
    return ChainEntry(**values)


def read_field(key: str, value: Any, number: int) -> Any:
    reader, wanted = FIELD_READERS[key]
    try:
        return reader(value)
    except (TypeError, ValueError, AttributeError):
        raise fail_on_line(number, f"{key} must be {wanted}") from None


def read_closing(record: dict[str, Any], number: int) -> Closing:
    entries, head = record.get("entries"), record.get("head")
    well_formed = (
        record.keys() == CLOSING_KEYS
        and record["end_of_log"] is True
        and is_count(entries)
        and (head is None or isinstance(head, str))
    )
    if not well_formed:
        raise fail_on_line(
            number, 'the closing line must be {"end_of_log": true, "entries": N, "head": ...}'
        )
    try:
        return Closing(whole_number(entries), None if head is None else ChainHead.parse(head))
    except InvalidInput as error:
        raise fail_on_line(number, f"closing {error}") from None


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def whole_number(value: Any) -> int:
    if not is_count(value):
        raise TypeError("not a whole number")
    return int(value)


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def uuid_text(value: Any) -> str:
    value = text(value)
    # The exporter's own form needs no parsing (three per line: it is most of the reading).
    return value if CANONICAL_UUID.fullmatch(value) else canonical_uuid(value)


def optional_uuid_text(value: Any) -> str | None:
    return None if value is None else uuid_text(value)


def moment_text(value: Any) -> str:
    moment = datetime.fromisoformat(text(value))
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    return str(value) if CANONICAL_MOMENT.fullmatch(value) else canonical_moment(moment)


def json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


def hash_text(value: Any) -> str:
    if not HASH_FORM.fullmatch(text(value)):
        raise ValueError("not a hash")
    return str(value)


FIELD_READERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "sequence": (whole_number, "a whole number"),
    "id": (uuid_text, "a UUID"),
    "occurred_at": (moment_text, "an ISO 8601 timestamp with a UTC offset"),
    "actor_id": (optional_uuid_text, "a UUID or null"),
    "action": (text, "text"),
    "table_name": (text, "text"),
    "record_id": (uuid_text, "a UUID"),
    "changes": (json_object, "a JSON object"),
    "reason": (text, "text"),
    "previous_hash": (hash_text, "64 lower-case hexadecimal digits"),
    "entry_hash": (hash_text, "64 lower-case hexadecimal digits"),
}
