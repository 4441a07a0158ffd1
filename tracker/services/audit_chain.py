"""Verify and export the audit log's hash chain: the database's, or an exported file's.

Rows are streamed in sequence order, a batch at a time, so memory stays flat however long the
log is. Only once a break is found is anything looked up (the entry a misplaced one links to).
"""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, String, Table, Uuid, select, type_coerce
from sqlmodel import Session

from tracker.domain.audit_chain import (
    BreakKind,
    ChainBreak,
    ChainEntry,
    ChainHead,
    ChainReport,
    HashLookup,
    chain_entry,
    verify_chain,
)
from tracker.domain.audit_log_file import (
    Closing,
    closing_line,
    entry_line,
    header_line,
    read_header,
    read_line,
)
from tracker.domain.errors import InvalidInput
from tracker.models import AuditEntry
from tracker.services.audit import add_audit_entry
from tracker.services.private_files import write_privately

BATCH = 1000
# Where exports of the audit log are recorded in the audit log itself.
AUDIT_LOG_TABLE = "audit_log"


def audit_table() -> Table:
    return AuditEntry.__table__  # type: ignore[attr-defined,no-any-return]


# --- the database ---------------------------------------------------------------------------


def chain_columns(table: Table) -> list[ColumnElement[Any]]:
    """The columns as stored: UUIDs left as the engine gives them (SQLite: text), which
    chain_entry turns into their canonical text at a fifth of the cost of UUID objects."""
    return [
        type_coerce(column, String).label(column.name) if isinstance(column.type, Uuid) else column
        for column in table.columns
    ]


def stored_entries(session: Session) -> Iterator[ChainEntry]:
    """Every entry in sequence order, fetched BATCH rows at a time."""
    table = audit_table()
    statement = (
        select(*chain_columns(table)).order_by(table.c.sequence).execution_options(yield_per=BATCH)
    )
    for row in session.connection().execute(statement):
        yield chain_entry(row._mapping)


def stored_entry_finder(session: Session) -> HashLookup:
    """Finds an entry by its stored hash (a scan: only ever run once a break is found)."""
    table = audit_table()

    def find(entry_hash: str) -> ChainEntry | None:
        statement = select(*chain_columns(table)).where(table.c.entry_hash == entry_hash).limit(1)
        row = session.connection().execute(statement).first()
        return None if row is None else chain_entry(row._mapping)

    return find


def verify_audit_log(session: Session, *, expect_head: ChainHead | None = None) -> ChainReport:
    """Verify the database's audit log, entry by entry, against its hashes and links."""
    return verify_chain(
        stored_entries(session),
        find_by_hash=stored_entry_finder(session),
        expect_head=expect_head,
    )


@dataclass(frozen=True)
class ExportSummary:
    entries: int
    head: ChainHead | None
    sha256: str


class HashingWriter:
    """Writes UTF-8 text to a binary handle, keeping the file's SHA-256 for the audit log."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.digest.update(data)
        self.handle.write(data)


def export_audit_log(session: Session, handle: BinaryIO, *, exported_at: datetime) -> ExportSummary:
    """Stream the audit log to HANDLE as JSON Lines (tracker.domain.audit_log_file), as stored:
    hashes are copied, not recomputed, so the file can be verified on its own. The export is
    then recorded in the audit log (after the head the file ends with)."""
    session.flush()
    writer = HashingWriter(handle)
    writer.write(header_line(exported_at))
    count, last = 0, None
    for entry in stored_entries(session):
        writer.write(entry_line(entry))
        count, last = count + 1, entry
    head = None if last is None else last.head()
    writer.write(closing_line(count, head))
    summary = ExportSummary(count, head, writer.digest.hexdigest())
    record_audit_export(session, summary)
    return summary


def export_audit_log_to(session: Session, path: Path, *, exported_at: datetime) -> ExportSummary:
    """Export to PATH through a temporary file beside it (readable by its owner only: entries
    hold names), renamed when complete, so a failure leaves no half file.

    Raises InvalidInput for a folder that does not exist, a path naming a folder, or a file
    that cannot be written.
    """
    if not path.parent.is_dir():
        raise InvalidInput(f"output: the folder {path.parent} does not exist")
    if path.is_dir():
        raise InvalidInput(f"output: {path} is a folder; give a file name")
    try:
        return write_privately(
            path, lambda handle: export_audit_log(session, handle, exported_at=exported_at)
        )
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror}") from None


def record_audit_export(session: Session, summary: ExportSummary) -> None:
    add_audit_entry(
        session,
        actor_id=None,
        action="export",
        table_name=AUDIT_LOG_TABLE,
        record_id=uuid.uuid4(),
        changes={
            "entries": summary.entries,
            "head": None if summary.head is None else str(summary.head),
            "sha256": summary.sha256,
        },
        reason="audit log export",
    )


# --- an exported file, without the database ---------------------------------------------------


class AuditLogFile:
    """An exported audit log read line by line; raises InvalidInput naming a bad line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.closing: Closing | None = None

    def lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    yield number, decode_line(raw, number)
        except OSError as error:
            raise InvalidInput(f"cannot read {self.path}: {error.strerror}") from None

    def entries(self) -> Iterator[ChainEntry]:
        """The entries in file order; at the end, the closing line is kept in self.closing."""
        self.closing = None
        number = 0
        for number, text in self.lines():
            if number == 1:
                read_header(text)
                continue
            if self.closing is not None:
                raise InvalidInput(f"line {number}: text after the closing line")
            item = read_line(text, number)
            if isinstance(item, Closing):
                self.closing = item
            else:
                yield item
        if number == 0:
            raise InvalidInput(f"{self.path} is empty, not an exported audit log")
        if self.closing is None:
            raise InvalidInput(
                f"the file ends at line {number} without its closing line: it was cut short"
            )

    def find_by_hash(self, entry_hash: str) -> ChainEntry | None:
        """Another pass over the file (only ever made once a break is found)."""
        for number, text in self.lines():
            if number > 1:
                item = read_line(text, number)
                if isinstance(item, ChainEntry) and item.entry_hash == entry_hash:
                    return item
        return None


def decode_line(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidInput(f"line {number}: not valid UTF-8") from None


def verify_audit_file(path: Path, *, expect_head: ChainHead | None = None) -> ChainReport:
    """Verify an exported audit log without the database.

    Raises InvalidInput for a missing or unreadable file, a line that is not JSON, a field of
    the wrong type, or a file cut short (no closing line).
    """
    log_file = AuditLogFile(path)
    report = verify_chain(
        log_file.entries(), find_by_hash=log_file.find_by_hash, expect_head=expect_head
    )
    return with_closing_checked(report, log_file.closing)


def with_closing_checked(report: ChainReport, closing: Closing | None) -> ChainReport:
    """The report, or a break when the file holds other entries than its closing line says."""
    if closing is None or report.first_break is not None:
        return report
    if closing.entries == report.entries and closing.head == report.head:
        return report
    kind = BreakKind.TRUNCATED if closing.entries > report.entries else BreakKind.INSERTED
    problem = ChainBreak(
        kind,
        None if report.head is None else report.head.sequence,
        None,
        f"the closing line says {closing.entries} entries ending at {closing.head}; "
        f"the file holds {report.entries} ending at {report.head}",
    )
    return ChainReport(report.entries, report.head, problem)
