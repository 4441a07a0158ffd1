"""Shared by the audit chain tests: a populated log, and the ways someone could tamper with it,
in the database (SQL on audit_entry) and in an exported file (its lines)."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, update
from sqlmodel import Session

from tracker.domain.audit_chain import (
    GENESIS_HASH,
    BreakKind,
    ChainEntry,
    chain_entry,
    link_after,
)
from tracker.domain.audit_log_file import entry_line
from tracker.services.audit import add_audit_entry
from tracker.services.audit_chain import audit_table, stored_entries

# Values a JSON column must give back exactly as hashed: scripts, nesting, numbers, tuples.
VARIED_CHANGES: tuple[dict[str, Any], ...] = (
    {"description": [None, "Əli Məlikov"], "notes": ["", "Иванов 🔥 \t tab"]},
    {"count": [1, 2], "ratio": [0.1, 1e-7], "big": [2**60, -(2**53)], "flag": [False, True]},
    {"nested": [{"b": [1, {"z": None, "a": "x"}]}, {"a": []}], "codes": [("A", "B"), ["C"]]},
    {},
    {"zeta": ["ё", "é"], "alpha": [12345678.9, 0.0], "Mid": ["<b>R&D</b>", '"quoted"']},
)
ENTRY_COUNT = 8


def populate(session: Session, count: int = ENTRY_COUNT) -> list[ChainEntry]:
    """COUNT committed entries with varied actors and changes; the whole log, as stored."""
    for number in range(count):
        add_audit_entry(
            session,
            actor_id=uuid.uuid4() if number % 2 else None,
            action="update",
            table_name="person",
            record_id=uuid.uuid4(),
            changes=VARIED_CHANGES[number % len(VARIED_CHANGES)],
            reason=f"entry {number}",
        )
    session.commit()
    return list(stored_entries(session))


# --- tampering in the database ----------------------------------------------------------------

# (what verify must report: the kind, and the id of the entry it must name)
Expected = tuple[BreakKind, str]


def set_values(connection: Connection, at: int, **values: Any) -> None:
    """Set VALUES on the entry whose sequence is AT."""
    table = audit_table()
    connection.execute(update(table).where(table.c.sequence == at).values(**values))


def edit_reason(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, reason="nothing happened here")
    return BreakKind.EDITED, entries[k].id


def edit_changes(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, changes={"real_name": [None, "someone else"]})
    return BreakKind.EDITED, entries[k].id


def edit_time(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, occurred_at=datetime(2020, 1, 1, tzinfo=UTC))
    return BreakKind.EDITED, entries[k].id


def edit_actor(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, actor_id=uuid.uuid4())
    return BreakKind.EDITED, entries[k].id


def edit_own_hash(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, entry_hash="e" * 64)
    return BreakKind.EDITED, entries[k].id


def delete_entry(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    """Delete entry k (not the last: a cut tail needs the head written down)."""
    table = audit_table()
    connection.execute(delete(table).where(table.c.sequence == entries[k].sequence))
    return BreakKind.DELETED, entries[k + 1].id


def change_link(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    set_values(connection, entries[k].sequence, previous_hash="ab" * 32)
    return BreakKind.BROKEN_LINK, entries[k].id


def edit_and_rehash(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    """Edit entry k and recompute its own hash: the next entry's link gives it away."""
    entry = entries[k]
    forged = {**entry.hashed_fields(), "reason": "rewritten", "occurred_at": moment(entry)}
    _, own_hash = link_after(forged, entry.previous_hash)
    set_values(connection, entry.sequence, reason="rewritten", entry_hash=own_hash)
    return BreakKind.BROKEN_LINK, entries[k + 1].id


def insert_forged(connection: Connection, entries: list[ChainEntry], k: int) -> Expected:
    """Renumber entries from k on, and insert before them an entry with a correct link and
    hash: the strongest insertion short of recomputing the rest of the chain."""
    table = audit_table()
    start = entries[k].sequence
    # Two steps: a unique column cannot take sequence + 1 row by row.
    connection.execute(
        update(table).where(table.c.sequence >= start).values(sequence=-table.c.sequence - 1)
    )
    connection.execute(update(table).where(table.c.sequence < 0).values(sequence=-table.c.sequence))
    values = forged_values(start)
    link = GENESIS_HASH if k == 0 else entries[k - 1].entry_hash
    values["previous_hash"], values["entry_hash"] = link_after(values, link)
    connection.execute(insert(table).values(**values))
    return BreakKind.INSERTED, str(values["id"])


def forged_values(sequence: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "sequence": sequence,
        "occurred_at": datetime.now(UTC),
        "actor_id": None,
        "action": "update",
        "table_name": "person",
        "record_id": uuid.uuid4(),
        "changes": {"alibi": [None, "was at home"]},
        "reason": "",
    }


def swap(connection: Connection, entries: list[ChainEntry], a: int, b: int) -> Expected:
    """Swap the places (sequence numbers) of entries a < b."""
    first, second = entries[a].sequence, entries[b].sequence
    set_values(connection, first, sequence=-1)
    set_values(connection, second, sequence=first)
    set_values(connection, -1, sequence=second)
    return BreakKind.REORDERED, entries[b].id


def moment(entry: ChainEntry) -> datetime:
    return datetime.fromisoformat(entry.occurred_at)


@dataclass(frozen=True)
class Tampering:
    """One way to tamper at position k (0-based) of a log of n entries."""

    name: str
    apply: Callable[[Connection, list[ChainEntry], int], Expected]
    # Positions it applies to: some need an entry after k.
    last_allowed: int = 0  # how far from the end: 0 = any entry, 1 = not the last


DATABASE_TAMPERINGS = (
    Tampering("edit reason", edit_reason),
    Tampering("edit changes", edit_changes),
    Tampering("edit time", edit_time),
    Tampering("edit actor", edit_actor),
    Tampering("edit own hash", edit_own_hash),
    Tampering("delete", delete_entry, last_allowed=1),
    Tampering("change link", change_link),
    Tampering("edit and rehash", edit_and_rehash, last_allowed=1),
    Tampering("insert", insert_forged),
)


# --- tampering in an exported file ------------------------------------------------------------

Lines = list[str]  # the file's lines: header, entries, closing


def parsed(line: str) -> dict[str, Any]:
    return json.loads(line)  # type: ignore[no-any-return]


def dumped(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def file_edit(lines: Lines, k: int) -> Expected:
    record = parsed(lines[k + 1])
    record["reason"] = "nothing happened here"
    lines[k + 1] = dumped(record)
    return BreakKind.EDITED, record["id"]


def file_delete(lines: Lines, k: int) -> Expected:
    following = parsed(lines[k + 2])
    del lines[k + 1]
    return BreakKind.DELETED, following["id"]


def file_change_link(lines: Lines, k: int) -> Expected:
    record = parsed(lines[k + 1])
    record["previous_hash"] = "cd" * 32
    lines[k + 1] = dumped(record)
    return BreakKind.BROKEN_LINK, record["id"]


def file_insert(lines: Lines, k: int) -> Expected:
    """A forged entry before entry k, with a correct link and hash; the rest renumbered."""
    for index in range(k + 1, len(lines) - 1):
        record = parsed(lines[index])
        record["sequence"] += 1
        lines[index] = dumped(record)
    first = parsed(lines[k + 1])
    values = forged_values(first["sequence"] - 1)
    link = GENESIS_HASH if k == 0 else parsed(lines[k])["entry_hash"]
    values["previous_hash"], values["entry_hash"] = link_after(values, link)
    forged = chain_entry(values)
    lines.insert(k + 1, entry_line(forged))
    return BreakKind.INSERTED, forged.id


def file_swap(lines: Lines, a: int, b: int) -> Expected:
    lines[a + 1], lines[b + 1] = lines[b + 1], lines[a + 1]
    return BreakKind.REORDERED, parsed(lines[a + 1])["id"]


FILE_TAMPERINGS: tuple[tuple[str, Callable[[Lines, int], Expected], int], ...] = (
    ("edit", file_edit, 0),
    ("delete", file_delete, 1),
    ("change link", file_change_link, 0),
    ("insert", file_insert, 0),
)
