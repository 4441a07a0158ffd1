"""Decide, record by record, what an import does: insert, update to a newer version, or skip."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from tracker.domain.audit_chain import HASHED_FIELDS, canonical_moment, hash_fields, stored_uuid
from tracker.domain.errors import InvalidInput
from tracker.interchange.bulk import convert, row_processor
from tracker.interchange.columns import MOMENT_FORM, Reading, column_readers
from tracker.interchange.references import check_across_records
from tracker.interchange.tables import (
    ASSIGNED_ON_IMPORT,
    AUDIT_SECTION,
    IMPORT_DEFAULTS,
    all_section_names,
    without_withheld_changes,
)
from tracker.interchange.validation import (
    Rows,
    Section,
    chunks,
    fail_at,
    parse_record,
    path_of,
    read_section,
)
from tracker.services.audit import audit_chain_head, lock_audit_log, next_link


@dataclass
class SectionPlan:
    """What importing one section will do: insert, update (a newer version), or leave alone."""

    name: str
    table: Table
    # The columns of each new row, in order.
    keys: tuple[str, ...]
    # Driver values, parents before children.
    new_rows: list[tuple[Any, ...]] = field(default_factory=list)
    # Python values by column.
    updated_rows: Rows = field(default_factory=list)
    # The database's rows the updated ones replace (what they pointed to before, say).
    replaced_rows: Rows = field(default_factory=list)
    unchanged: int = 0
    # The table held no rows before: nothing in it to compare with or to keep indexed.
    was_empty: bool = False
    # Every record of the section, new or not: interchange values by column, as in the file.
    columns: dict[str, Sequence[Any]] = field(default_factory=dict)


def plan_import(session: Session, document: dict[str, Any], *, now: datetime) -> list[SectionPlan]:
    """Parse and check every record; decide per record whether it is new, newer or present.

    Raises InvalidInput naming the JSON path of the first bad record; nothing is written.
    """
    dialect = session.connection().dialect
    reading = Reading.at(now)
    sections = {
        name: read_section(name, document[name], dialect=dialect, reading=reading)
        for name in all_section_names(with_audit=True)
        if name in document
    }
    filled = check_across_records(session, sections)
    plans = [
        plan_section(session, section, dialect, now=now, filled=section.name in filled)
        for section in sections.values()
    ]
    return [
        plan_audit(session, plan, sections[AUDIT_SECTION]) if plan.name == AUDIT_SECTION else plan
        for plan in plans
    ]


def plan_section(
    session: Session, section: Section, dialect: Dialect, *, now: datetime, filled: bool
) -> SectionPlan:
    """New rows are inserted; a present UUID is skipped if identical, updated if the file holds
    a newer version, kept if the database's is newer; same version, other content: refused."""
    plan = SectionPlan(
        name=section.name,
        table=section.table,
        keys=insert_keys(section.table),
        was_empty=not filled,
        columns=section.columns,
    )
    new = list(range(len(section.rows)))
    if filled:
        new = compare_present(plan, section, existing_rows(session, section), now=now)
    complete = row_completer(section.table, dialect)
    plan.new_rows = [complete(section.rows[index]) for index in parents_first(section, new)]
    return plan


def insert_keys(table: Table) -> tuple[str, ...]:
    """The columns an import writes, in the table's order: those that travel, and the defaults
    standing in for those that never do (a password hash)."""
    written = {reader.name for reader in column_readers(table.name)}
    written |= set(IMPORT_DEFAULTS.get(table.name, {}))
    return tuple(column.name for column in table.columns if column.name in written)


def row_completer(table: Table, dialect: Dialect) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """What turns a section's row into an insert_keys row: the defaults added, where needed."""
    defaults = IMPORT_DEFAULTS.get(table.name, {})
    if not defaults:
        return same_row
    extra = tuple(
        convert(value, row_processor(table.c[key], dialect)) for key, value in defaults.items()
    )
    held = [reader.name for reader in column_readers(table.name)] + list(defaults)
    order = itemgetter(*(held.index(key) for key in insert_keys(table)))
    return lambda row: order(row + extra)


def same_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def compare_present(
    plan: SectionPlan, section: Section, present: dict[str, dict[str, Any]], *, now: datetime
) -> list[int]:
    """Sort out the records the database already holds; return the indices of the others."""
    new = []
    for index, record_id in enumerate(section.columns["id"]):
        current = present.get(record_id)
        if current is None:
            new.append(index)
        else:
            compare(plan, section, index, current, now=now)
    return new


def compare(
    plan: SectionPlan, section: Section, index: int, current: dict[str, Any], *, now: datetime
) -> None:
    row = parse_record(section.table, section.name, index, section.records[index], now=now)
    if section.name == AUDIT_SECTION:
        current = without_withheld_changes(current)
    assigned = ASSIGNED_ON_IMPORT.get(section.name, frozenset())
    if all(
        current[column] == value or (value is None and column in assigned)
        for column, value in row.items()
    ):
        plan.unchanged += 1
    elif "version" in row and row["version"] != current["version"]:
        add_newer(plan, row, current)
    else:
        fail_at(
            path_of(section.name, index, "id"),
            f"{section.name} {row['id']} already exists with different content",
        )


def add_newer(plan: SectionPlan, row: dict[str, Any], current: dict[str, Any]) -> None:
    if row["version"] > current["version"]:
        plan.updated_rows.append(row)
        plan.replaced_rows.append(current)
    else:
        plan.unchanged += 1


def existing_rows(session: Session, section: Section) -> dict[str, dict[str, Any]]:
    """The database's rows under the section's UUIDs, by UUID in its interchange form."""
    table = section.table
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks([uuid.UUID(value) for value in section.columns["id"]]):
        for row in session.execute(select(table).where(table.c.id.in_(chunk))):
            found[str(row.id)] = dict(row._mapping)
    return found


def parents_first(section: Section, indices: list[int]) -> list[int]:
    """Order records so one referring to another of the same table comes after it.

    Raises InvalidInput when records refer to each other in a cycle.
    """
    table = section.table
    parents = [
        section.columns[key.parent.name] for key in table.foreign_keys if key.column.table is table
    ]
    if not parents:
        return indices
    ids = section.columns["id"]
    pending = {ids[index]: index for index in indices}
    ordered: list[int] = []
    while pending:
        ready = [
            index
            for index in pending.values()
            if not any(column[index] in pending for column in parents)
        ]
        if not ready:
            raise InvalidInput(f"$.{table.name}: records refer to each other in a cycle")
        ordered.extend(ready)
        for index in ready:
            del pending[ids[index]]
    return ordered


def plan_audit(session: Session, plan: SectionPlan, section: Section) -> SectionPlan:
    """Append the new audit entries to the log: numbered after its last entry, and chained.

    The log stays locked to other writers until the import's transaction ends.
    """
    lock_audit_log(session)
    return chain_audit(session, renumber_audit(session, plan), section)


def renumber_audit(session: Session, plan: SectionPlan) -> SectionPlan:
    """Keep imported audit sequence numbers when all come after the last entry (an import into
    an empty log keeps them); otherwise number them on from the last, in their own order."""
    table = plan.table
    position = plan.keys.index("sequence")
    sequences = [row[position] for row in plan.new_rows]
    last = session.execute(select(func.max(table.c.sequence))).scalar() or 0
    if all(sequence is not None and sequence > last for sequence in sequences):
        return plan
    ordered = sorted(plan.new_rows, key=lambda row: (row[position] is None, row[position] or 0))
    plan.new_rows = [
        (*row[:position], last + number, *row[position + 1 :])
        for number, row in enumerate(ordered, start=1)
    ]
    return plan


def chain_audit(session: Session, plan: SectionPlan, section: Section) -> SectionPlan:
    """Fill each new entry's previous_hash and entry_hash, in sequence order, after the head.

    Hashes are computed from the file's values in their canonical form (the driver's forms
    differ by engine), which the database keeps as they are, so the chain verifies when read
    back: tracker.domain.audit_chain.chain_entry would give the same fields.
    """
    keys = plan.keys
    at = {key: keys.index(key) for key in ("id", "sequence", "previous_hash", "entry_hash")}
    contents = audit_contents(section)
    previous_hash = next_link(audit_chain_head(session))[1]
    chained = []
    for row in sorted(plan.new_rows, key=itemgetter(at["sequence"])):
        fields = contents[stored_uuid(row[at["id"]])]
        fields["sequence"] = row[at["sequence"]]
        fields["previous_hash"] = previous_hash
        filled = list(row)
        filled[at["previous_hash"]] = previous_hash
        filled[at["entry_hash"]] = previous_hash = hash_fields(fields)
        chained.append(tuple(filled))
    plan.new_rows = chained
    return plan


def audit_contents(section: Section) -> dict[str, dict[str, Any]]:
    """The hashed fields of each audit entry of the file but its sequence and link, by UUID.

    The file's values are already canonical (UUIDs lower-case and hyphenated, changes as JSON
    gives them), timestamps too when in the exporter's form; others are put in it.
    """
    columns = section.columns
    names = [name for name in HASHED_FIELDS if name not in ("sequence", "previous_hash")]
    moments = [
        moment
        if MOMENT_FORM.fullmatch(moment)
        else canonical_moment(datetime.fromisoformat(moment))
        for moment in columns["occurred_at"]
    ]
    values = [moments if name == "occurred_at" else columns[name] for name in names]
    return {entry[0]: dict(zip(names, entry, strict=True)) for entry in zip(*values, strict=True)}
