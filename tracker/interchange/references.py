"""Checks across records: unique UUIDs and values, known codes, references that resolve."""

import uuid
from collections.abc import Iterable, Sequence
from itertools import chain
from types import NoneType
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint, exists, select, tuple_
from sqlmodel import Session

from tracker.interchange.columns import only
from tracker.interchange.tables import (
    AUDIT_SECTION,
    kind_of,
    reader_for,
    section_table,
    to_json_value,
)
from tracker.interchange.validation import Section, chunks, fail_at, path_of
from tracker.services.integrity import VOCABULARY_COLUMNS, is_known_code

# Which codes each coded column draws from; user roles draw from the role table.
CODED_COLUMNS: dict[tuple[str, str], str] = {
    **VOCABULARY_COLUMNS,
    ("user_role", "role_code"): "role",
}


def check_across_records(session: Session, sections: dict[str, Section]) -> frozenset[str]:
    """Raises InvalidInput naming the first record that breaks a rule across records.

    Returns the tables that held rows before the import: only those are looked up.
    """
    check_duplicate_ids(sections)
    filled = filled_tables(session, sections)
    file_ids = {name: set(section.columns["id"]) for name, section in sections.items()}
    codes = known_codes(session, sections)
    for section in sections.values():
        check_codes(section, codes)
        check_references(session, section, file_ids, filled)
        check_unique_values(session, section, filled)
    return filled


def filled_tables(session: Session, sections: dict[str, Section]) -> frozenset[str]:
    """Tables with at least one row: the sections' own, and those their references point to."""
    tables = {section.table for section in sections.values()}
    tables |= {key.column.table for table in list(tables) for key in table.foreign_keys}
    return frozenset(
        table.name
        for table in tables
        if session.execute(select(exists().select_from(table))).scalar()
    )


def check_duplicate_ids(sections: dict[str, Section]) -> None:
    """A UUID names one record: twice in the file is an error, whichever sections hold it."""
    ids = [section.columns["id"] for section in sections.values()]
    if len(set(chain.from_iterable(ids))) == sum(map(len, ids)):
        return
    seen: dict[str, str] = {}
    for name, section in sections.items():
        for index, record_id in enumerate(section.columns["id"]):
            here = path_of(name, index, "id")
            earlier = seen.setdefault(record_id, here)
            if earlier != here:
                fail_at(here, f"duplicated UUID {record_id} (also at {earlier})")


def known_codes(session: Session, sections: dict[str, Section]) -> dict[str, set[str]]:
    """Vocabulary codes (and role codes) in the database or in the file."""
    terms = section_table("vocabulary_term").c
    pairs = [
        *session.execute(select(terms.vocabulary, terms.code)).tuples(),
        *file_values(sections, "vocabulary_term", "vocabulary", "code"),
    ]
    roles = [
        *session.execute(select(section_table("role").c.code)).scalars(),
        *(code for (code,) in file_values(sections, "role", "code")),
    ]
    codes: dict[str, set[str]] = {}
    for vocabulary, code in [*pairs, *(("role", code) for code in roles)]:
        codes.setdefault(vocabulary, set()).add(code)
    return codes


def file_values(
    sections: dict[str, Section], name: str, *columns: str
) -> Iterable[tuple[Any, ...]]:
    section = sections.get(name)
    return zip(*(section.columns[column] for column in columns), strict=True) if section else ()


def check_codes(section: Section, codes: dict[str, set[str]]) -> None:
    """Raises InvalidInput for a coded column holding a code no vocabulary has."""
    for (table_name, column), vocabulary in CODED_COLUMNS.items():
        if table_name != section.name:
            continue
        values = section.columns[column]
        if all_known(vocabulary, distinct_codes(values), codes):
            continue
        for index, value in enumerate(values):
            for code in codes_in(value):
                if not isinstance(code, str) or not is_known_code(vocabulary, code, codes):
                    fail_at(
                        path_of(section.name, index, column),
                        f"unknown {vocabulary.replace('_', ' ')} code {code!r}",
                    )


def distinct_codes(values: Sequence[Any]) -> set[Any] | None:
    """The codes a column holds, None when some are not hashable (the slow loop names them)."""
    try:
        if only(values, str, NoneType):
            return set(values) - {None}
        if only(values, list, NoneType):
            # Lists of codes repeat: each distinct one is unpacked once. None and [] hold none.
            return set(chain.from_iterable(set(map(tuple, filter(None, values)))))
    except TypeError:
        pass
    return None


def codes_in(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def all_known(vocabulary: str, found: set[Any] | None, codes: dict[str, set[str]]) -> bool:
    if found is None:
        return False
    return all(isinstance(code, str) and is_known_code(vocabulary, code, codes) for code in found)


def check_references(
    session: Session, section: Section, file_ids: dict[str, set[str]], filled: frozenset[str]
) -> None:
    """Every foreign key must resolve within the file or the database."""
    for foreign_key in sorted(section.table.foreign_keys, key=lambda key: key.parent.name):
        column, target = foreign_key.parent.name, foreign_key.column.table
        values = section.columns[column]
        outside = set(values) - file_ids.get(target.name, set()) - {None}
        if target.name in filled:
            outside -= existing_ids(session, target, outside)
        if not outside:
            continue
        index = next(index for index, value in enumerate(values) if value in outside)
        fail_at(
            path_of(section.name, index, column),
            f"refers to {target.name} {values[index]}, "
            "which is neither in the file nor in the database",
        )


def existing_ids(session: Session, table: Table, ids: Iterable[str]) -> set[str]:
    """Which of these UUIDs (in their interchange form) the table holds."""
    wanted = [uuid.UUID(value) for value in ids]
    found: set[str] = set()
    for chunk in chunks(wanted):
        statement = select(table.c.id).where(table.c.id.in_(chunk))
        found.update(str(record_id) for record_id in session.execute(statement).scalars())
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


# Unique values an import numbers anew when they clash: audit entries are appended after the
# log's last entry, so the hash chain stays one line (planning.renumber_audit).
RENUMBERED_ON_IMPORT = frozenset({(AUDIT_SECTION, ("sequence",))})


def check_unique_values(session: Session, section: Section, filled: frozenset[str]) -> None:
    """A unique value (incident code, username...) may not repeat in the file or clash with the
    database under another UUID."""
    for columns in unique_column_sets(section.table):
        keys = list(zip(*(section.columns[column] for column in columns), strict=True))
        owners = key_owners(section, columns, keys)
        if section.name in filled and (section.name, columns) not in RENUMBERED_ON_IMPORT:
            check_unique_in_database(session, section, columns, owners)


def key_owners(
    section: Section, columns: tuple[str, ...], keys: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[str, int]]:
    """Each complete key's record (UUID, index); raises InvalidInput for a key used twice."""
    ids = section.columns["id"]
    owners = {key: (ids[index], index) for index, key in enumerate(keys) if None not in key}
    if len(owners) == sum(None not in key for key in keys):
        return owners
    first: dict[tuple[Any, ...], int] = {}
    for index, key in enumerate(keys):
        if None not in key and first.setdefault(key, index) != index:
            fail_at(
                path_of(section.name, index, columns[0]),
                f"{'+'.join(columns)} repeats {path_of(section.name, first[key])}",
            )
    return owners


def check_unique_in_database(
    session: Session,
    section: Section,
    columns: tuple[str, ...],
    owners: dict[tuple[Any, ...], tuple[str, int]],
) -> None:
    table = section.table
    key_columns = [table.c[column] for column in columns]
    key_of = tuple_(*key_columns) if len(key_columns) > 1 else key_columns[0]
    for chunk in chunks([typed_key(key_columns, key) for key in owners]):
        values = chunk if len(key_columns) > 1 else [key[0] for key in chunk]
        statement = select(table.c.id, *key_columns).where(key_of.in_(values))
        for row in session.execute(statement):
            # A key the file's form cannot find is left to the database's own constraint.
            record_id, index = owners.get(file_key(key_columns, row[1:]), (str(row[0]), 0))
            if str(row[0]) != record_id:
                fail_at(
                    path_of(section.name, index, columns[0]),
                    f"{'+'.join(columns)} already belongs to {section.name} {row[0]} "
                    f"in the database{CLASH_HINTS.get(section.name, '')}",
                )


# What to do about a clash users run into when they follow the usual steps.
CLASH_HINTS = {
    "user_account": (
        " (moving to a new instance: import before `tracker init`, then"
        " `tracker users reset-password`; see docs/interchange.md)"
    ),
}


def typed_key(columns: list[Column[Any]], key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key in the file's form as the columns' Python values, to look it up."""
    return tuple(
        reader_for(column)(column, value) for column, value in zip(columns, key, strict=True)
    )


def file_key(columns: list[Column[Any]], values: Sequence[Any]) -> tuple[Any, ...]:
    """A key from the database in the file's form."""
    return tuple(
        to_json_value(kind_of(column), value) for column, value in zip(columns, values, strict=True)
    )
