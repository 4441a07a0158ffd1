"""The versioned JSON interchange file: a streamed export and an all-or-nothing import."""

import gc
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import Row, Select, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tracker.domain.errors import InvalidInput
from tracker.interchange.blind_indexes import refresh_blind_indexes
from tracker.interchange.bulk import (
    built_after_load,
    insert_rows,
    larger_sqlite_cache,
    refresh_sqlite_statistics,
)
from tracker.interchange.columns import only
from tracker.interchange.indexing import plan_indexing
from tracker.interchange.planning import SectionPlan, plan_import
from tracker.interchange.progress import PhaseCallback, Progress, ProgressCallback
from tracker.interchange.tables import (
    AUDIT_SECTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    INSTANCE_AUDIT_TABLE,
    all_section_names,
    column_kinds,
    dump_record,
    order_columns,
    record_to_json,
    section_table,
    to_json_value,
    without_withheld_changes,
)
from tracker.interchange.validation import chunks, validate_envelope
from tracker.models.base import utc_now
from tracker.services.audit import add_audit_entry

# Larger files are refused before reading: json.load holds the whole document in memory.
MAX_IMPORT_BYTES = 1 << 30
EXPORT_BATCH = 1000
INSERT_BATCH = 5000
# orjson reads integers past 64 bits as floating point: a float this large may have been one.
LARGEST_EXACT_INTEGER = 2**63


class HashingWriter:
    """Writes UTF-8 text to a binary handle, keeping the file's SHA-256 for the audit log."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.handle.write(data)


# --- export --------------------------------------------------------------------------------


def export_json(
    session: Session,
    handle: BinaryIO,
    *,
    with_audit: bool,
    exported_at: datetime,
    progress: ProgressCallback | None = None,
) -> int:
    """Stream every record (and the audit log if asked) to HANDLE; return how many were written.

    Rows go out one by one from a streamed query, so memory stays flat however many there are.
    Calls progress(done, total) every EXPORT_BATCH records, lastly with (count, count).
    """
    session.flush()
    names = all_section_names(with_audit=with_audit)
    counter = Progress(progress, total=count_records(session, names), batch=EXPORT_BATCH)
    writer = HashingWriter(handle)
    writer.write(header_text(exported_at))
    count = sum(write_section(session, writer, name, counter) for name in names)
    writer.write("\n}\n")
    counter.finish()
    log_interchange(
        session,
        action="export",
        reason="JSON export",
        changes={"records": count, "with_audit": with_audit, "sha256": writer.digest.hexdigest()},
    )
    return count


def header_text(exported_at: datetime) -> str:
    """The opening lines; `exported_at` sits alone on its line so round trips compare easily."""
    lines = [
        f'  "format": {json.dumps(FORMAT_NAME)}',
        f'  "format_version": {FORMAT_VERSION}',
        f'  "exported_at": {json.dumps(to_json_value("datetime", exported_at))}',
    ]
    return "{\n" + ",\n".join(lines)


def count_records(session: Session, names: tuple[str, ...]) -> int:
    """How many records an export will write, from one COUNT per section."""
    counts = (
        select(func.count()).select_from(travelling_rows(section_table(name)).subquery())
        for name in names
    )
    return sum(int(session.execute(statement).scalar_one()) for statement in counts)


def write_section(session: Session, writer: HashingWriter, name: str, counter: Progress) -> int:
    table = section_table(name)
    kinds = column_kinds(table)
    writer.write(f',\n  "{name}": [')
    count = 0
    for row in stream_rows(session, table):
        separator = "\n    " if count == 0 else ",\n    "
        record = record_to_json(kinds, row._mapping)
        if name == AUDIT_SECTION:
            record = without_withheld_changes(record)
        writer.write(separator + dump_record(record))
        count += 1
        counter.advance()
    writer.write("\n  ]" if count else "]")
    return count


def travelling_rows(table: Table) -> Select[Any]:
    statement = select(table)
    if table.name == AUDIT_SECTION:
        # Import and export events describe this instance, not the records; they stay home.
        statement = statement.where(table.c.table_name != INSTANCE_AUDIT_TABLE)
    return statement


def stream_rows(session: Session, table: Table) -> Iterator[Row[Any]]:
    """Rows in their stable order, fetched in batches through a server-side cursor."""
    statement = travelling_rows(table).order_by(*order_columns(table))
    result = session.connection().execute(statement.execution_options(yield_per=EXPORT_BATCH))
    yield from result


def log_interchange(session: Session, *, action: str, changes: dict[str, Any], reason: str) -> None:
    add_audit_entry(
        session,
        actor_id=None,
        action=action,
        table_name=INSTANCE_AUDIT_TABLE,
        record_id=uuid.uuid4(),
        changes=changes,
        reason=reason,
    )


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per section."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: int

    def __str__(self) -> str:
        created = sum(self.created.values())
        details = ", ".join(f"{name} {count}" for name, count in self.created.items() if count)
        return (
            f"Imported {created} new records"
            + (f" ({details})" if details else "")
            + f"; {sum(self.updated.values())} updated to a newer version"
            + f"; {self.unchanged} already present."
        )

    def as_changes(self) -> dict[str, Any]:
        return {
            "created": {name: count for name, count in self.created.items() if count},
            "updated": {name: count for name, count in self.updated.items() if count},
            "unchanged": self.unchanged,
        }


def import_json(
    session: Session,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    on_phase: PhaseCallback | None = None,
) -> ImportReport:
    """Import an interchange file: check all of it, then insert in bulk and index what was
    written for search, in one transaction.

    Calls progress(done, total) after each batch written, total being the records to write,
    lastly with (total, total), and on_phase(name) as each phase begins: read, parse, check
    and plan, write, search index, audit entry.
    Raises InvalidInput naming the JSON path of the first problem; nothing is written then.
    """
    phase = on_phase or (lambda _name: None)
    phase("read")
    raw = read_file(path)
    session.flush()
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="import") as background,
        collection_paused(),
    ):
        # hashlib lets go of Python's lock for large data: the file is hashed meanwhile.
        digest = background.submit(hashlib.sha256, raw)
        phase("parse")
        document = parse_document(raw)
        phase("check and plan")
        plans = plan_import(session, document, now=utc_now())
        with plan_indexing(session, plans) as indexing:
            phase("write")
            write_plans(session, plans, progress, meanwhile=indexing.start)
            refresh_blind_indexes(session, plans)
            report = import_report(plans)
            # The file's records are freed (millions of objects, a second or more) in a
            # thread while the database builds the search indexes, and before the collector
            # resumes: awake, it would walk them all once first.
            leftovers: list[Any] = [document, plans]
            del document, plans
            freed: list[Future[None]] = []
            phase("search index")
            indexing.write(
                session, meanwhile=lambda: freed.append(background.submit(leftovers.clear))
            )
        phase("audit entry")
        log_interchange(
            session,
            action="import",
            reason=f"JSON import of {path.name}",
            changes={**report.as_changes(), "sha256": digest.result().hexdigest()},
        )
        for future in freed:
            future.result()
        del indexing
    return report


def import_report(plans: list[SectionPlan]) -> "ImportReport":
    return ImportReport(
        created={plan.name: len(plan.new_rows) for plan in plans},
        updated={plan.name: len(plan.updated_rows) for plan in plans},
        unchanged=sum(plan.unchanged for plan in plans),
    )


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of records are built.

    Each full collection walks every object built so far and finds nothing to free; paused,
    json.loads of a large file takes about a third less time. The records should be freed
    before it resumes: its first collection would walk all that are left.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_file(path: Path) -> bytes:
    """Raises InvalidInput for a file too large to import."""
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise InvalidInput(
            f"{path.name} is {size // 2**20} MB; an interchange file may be at "
            f"most {MAX_IMPORT_BYTES // 2**20} MB"
        )
    return path.read_bytes()


def parse_document(raw: bytes) -> dict[str, Any]:
    """The document, parsed and checked against the format's JSON Schema.

    Raises InvalidInput for invalid UTF-8, malformed or deeply nested JSON, another format or
    version, or a header or section the schema refuses (records are checked by plan_import).
    """
    document = parse_json(raw)
    check_envelope(document)
    validate_envelope(document)
    return document  # type: ignore[no-any-return]


def parse_json(raw: bytes) -> Any:
    """The JSON value of the file: orjson, faster by a third or more, for a file it takes as
    it is; the standard library for any other, which either takes it too (a byte order mark,
    lone surrogates, numbers past 64 bits) or names the problem and where it is.

    Raises InvalidInput for invalid UTF-8, malformed or deeply nested JSON, NaN or Infinity.
    """
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        if not has_rounded_numbers(document):
            return document
    text = decode_utf8(raw)
    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise InvalidInput("the JSON is nested too deeply to be an interchange file") from None


def has_rounded_numbers(document: Any) -> bool:
    """Whether a free-form JSON value (an audit entry's changes, say) holds a number orjson
    may have rounded: it reads integers past 64 bits as floating point, where the standard
    library keeps them whole. Numbers in other columns are checked as numbers anyway."""
    if not isinstance(document, dict):
        return False
    for name in all_section_names(with_audit=True):
        records = document.get(name)
        columns = json_columns(name)
        if not isinstance(records, list) or not columns:
            continue
        for column in columns:
            values = [record.get(column) for record in records if isinstance(record, dict)]
            if not only_texts(values) and any(map(holds_large_float, values)):
                return True
    return False


def only_texts(values: list[Any]) -> bool:
    """Whether the values are nulls and lists of text (codes), which hold no numbers."""
    lists = [value for value in values if value is not None]
    return only(lists, list) and only(chain.from_iterable(lists), str)


def json_columns(name: str) -> list[str]:
    return [column for column, kind in column_kinds(section_table(name)) if kind == "json"]


def holds_large_float(value: Any) -> bool:
    """A float of at least 2**63 anywhere inside VALUE (walked without recursion: the value
    may be nested as deep as orjson allows)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and abs(item) >= LARGEST_EXACT_INTEGER:
            return True
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


def decode_utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise InvalidInput(f"the file is not valid UTF-8 (line {line})") from None


def refuse_constant(name: str) -> Any:
    raise InvalidInput(f"{name} is not a JSON number")


def check_envelope(document: Any) -> None:
    """Name the format problem plainly before the schema's more technical words."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise InvalidInput(f'not a tracker interchange file ("format" must be "{FORMAT_NAME}")')
    version = document.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise InvalidInput(
            f"$.format_version: {json.dumps(version)} is not supported; "
            f"this tracker reads version {FORMAT_VERSION}"
        )


def write_plans(
    session: Session,
    plans: list[SectionPlan],
    progress: ProgressCallback | None,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Insert and update in bulk inside a savepoint, so a refused write leaves nothing behind.

    MEANWHILE is called once the rows are in, before the indexes dropped for the load are
    built again (work for a thread while the database builds them).
    Raises InvalidInput when the database refuses a row (a check constraint, say).
    """
    total = sum(len(plan.new_rows) + len(plan.updated_rows) for plan in plans)
    counter = Progress(progress, total=total, batch=INSERT_BATCH)
    were_empty = [plan.table for plan in plans if plan.was_empty and plan.new_rows]
    try:
        with (
            session.begin_nested(),
            larger_sqlite_cache(session),
            built_after_load(session, were_empty, meanwhile=meanwhile),
        ):
            for plan in plans:
                write_plan(session, plan, counter)
    except IntegrityError as error:
        reason = str(error.orig).splitlines()[0]
        raise InvalidInput(f"the database refused the file: {reason}") from None
    refresh_sqlite_statistics(session, [plan.table for plan in plans if plan.new_rows])
    counter.finish()


def write_plan(session: Session, plan: SectionPlan, counter: Progress) -> None:
    connection = session.connection()
    for batch in chunks(plan.new_rows, INSERT_BATCH):
        insert_rows(connection, plan.table, plan.keys, batch)
        counter.advance(len(batch))
    for row in plan.updated_rows:
        connection.execute(update(plan.table).where(plan.table.c.id == row["id"]).values(**row))
        counter.advance()
