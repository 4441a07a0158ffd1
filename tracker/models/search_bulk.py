"""Building the search index in bulk: the first build of whole target tables.

sync_targets (tracker.models.search) keeps the index record by record: it reads what is stored,
compares, and writes the difference through SQLAlchemy, a few microseconds per field. A bulk
load into tables the index holds nothing for (a JSON import into an empty database, synthetic
data, `tracker search reindex` after the entries were cleared) has nothing to compare with.
Here each distinct text is folded once, keys are hashed from a prefix hashed once, and the
rows reach the database in one go, sorted by key, with what it would maintain row by row
turned off: SQLite's FTS5 trigger (the FTS5 index is then filled in one statement, in rowid
order), and the plain indexes of an empty search_entry (built once after, on both engines).

The rows are the ones sync_targets would write, key for key (tests compare both builds).
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Text, cast, func, literal, select, text, type_coerce
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

from tracker.interchange.bulk import (
    built_after_load_on,
    convert,
    copies_rows,
    copy_lines,
    insert_rows,
    larger_sqlite_cache_on,
)
from tracker.interchange.columns import column_drivers, column_readers
from tracker.models.search import (
    CHUNK_CHARACTERS,
    INDEXED_TEXTS,
    IndexedText,
    chunks,
    folded_words,
    search_entry_table,
)

ENTRY_KEYS = (
    "id",
    "target_table",
    "target_id",
    "origin_id",
    "field",
    "reveals_identity",
    "folded",
)
KEY_MASK = 2**63 - 1
FTS_INSERT_TRIGGER = "search_entry_fts_insert"
# (first character, length) of each group of a UUID's 32 hex digits.
UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


@dataclass(frozen=True)
class TextColumns:
    """The live rows of one indexed table, column by column: what a first build indexes.

    UUIDs are in their canonical text (lower-case, hyphenated), as entry keys hash them.
    """

    indexed: IndexedText
    origin_ids: Sequence[str]
    target_ids: Sequence[str]
    # One value per row, by column name (the indexed fields).
    texts: Mapping[str, Sequence[str | None]]


class Folder:
    """folded_words, each distinct text folded once (names, places, locators repeat)."""

    def __init__(self) -> None:
        self.done: dict[str, str] = {}

    def words(self, value: str) -> str:
        words = self.done.get(value)
        if words is None:
            words = self.done[value] = folded_words(value)
        return words


class EntryKeys:
    """entry_id for one target table, its prefix hashed once."""

    def __init__(self, target_table: str) -> None:
        self.prefix = hashlib.blake2b(f"{target_table}|".encode(), digest_size=8)

    def key(self, target_id: str, origin_id: str, field: str, chunk: int) -> int:
        digest = self.prefix.copy()
        digest.update(f"{target_id}|{origin_id}|{field}|{chunk}".encode())
        return int.from_bytes(digest.digest(), "big") & KEY_MASK


def entry_rows(columns: TextColumns, folder: Folder, dialect: Dialect) -> list[tuple[Any, ...]]:
    """The search_entry rows (ENTRY_KEYS order, driver values) of these rows' fields.

    A million entries for 100,000 incidents: Folder.words and EntryKeys.key are written out
    in the loop (a method call per entry costs a tenth of the entry).
    """
    indexed = columns.indexed
    target_table, reveals = indexed.target_table, indexed.reveals_identity
    folded = folder.done
    new_hash = EntryKeys(target_table).prefix.copy
    from_bytes = int.from_bytes
    target_driver = uuid_driver_values(columns.target_ids, "target_id", dialect)
    origin_driver = uuid_driver_values(columns.origin_ids, "origin_id", dialect)
    rows: list[tuple[Any, ...]] = []
    for column, values in columns.texts.items():
        field = f"{indexed.table.name}.{column}"
        for number, value in enumerate(values):
            if not value:
                continue
            words = folded.get(value)
            if words is None:
                words = folded[value] = folded_words(value)
            if not words:
                continue
            target_id, origin_id = columns.target_ids[number], columns.origin_ids[number]
            pieces = (words,) if len(words) <= CHUNK_CHARACTERS else chunks(words)
            for chunk, piece in enumerate(pieces):
                digest = new_hash()
                digest.update(f"{target_id}|{origin_id}|{field}|{chunk}".encode())
                rows.append(
                    (
                        from_bytes(digest.digest(), "big") & KEY_MASK,
                        target_table,
                        target_driver[number],
                        origin_driver[number],
                        field,
                        reveals,
                        piece,
                    )
                )
    return rows


def uuid_driver_values(values: Sequence[str], column: str, dialect: Dialect) -> Sequence[Any]:
    """Canonical UUID text as the driver takes it for search_entry.COLUMN (SQLite: 32 hex
    digits; COPY: the text itself), by the interchange's text shortcut when there is one."""
    readers = column_readers("search_entry")
    drivers = column_drivers("search_entry", dialect)
    driver = next(d for r, d in zip(readers, drivers, strict=True) if r.name == column)
    if not values:
        return values
    if driver.route is not None:
        return driver.route("\n".join(values)).split("\n")
    return [convert(uuid.UUID(value), driver.processor) for value in values]


@dataclass(frozen=True)
class PreparedEntries:
    """New entries of some target tables, in key order, ready to write."""

    target_tables: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def prepare_entries(texts: Iterable[TextColumns], dialect: Dialect) -> PreparedEntries:
    """The entries of these rows, sorted by key: B-tree pages then fill in turn, and FTS5
    takes rowids in ascending order without writing out its buffer at each one.

    Pure Python over the values given: it may run in a thread while the database works.
    """
    folder = Folder()
    rows: list[tuple[Any, ...]] = []
    targets: set[str] = set()
    for columns in texts:
        rows.extend(entry_rows(columns, folder, dialect))
        targets.add(columns.indexed.target_table)
    rows.sort(key=entry_key)
    return PreparedEntries(tuple(sorted(targets)), rows)


def build_in_bulk(connection: Connection, texts: Iterable[TextColumns]) -> int:
    """Index these rows, whose target tables the index holds nothing for; return the count.

    Raises sqlalchemy's IntegrityError if a key is taken (a hash collision, or entries left
    for these targets): the caller's transaction then rolls back.
    """
    prepared = prepare_entries(texts, connection.dialect)
    write_entries(connection, prepared)
    return len(prepared.rows)


def write_entries(
    connection: Connection,
    prepared: PreparedEntries,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Insert the new entries, the plain indexes of an empty table built after, and add them
    to FTS5 in one statement. MEANWHILE is called once the rows are in, as the database
    starts on the indexes."""
    if not prepared.rows:
        if meanwhile is not None:
            meanwhile()
        return
    table = search_entry_table()
    empty = not has_any_entry(connection)
    with larger_sqlite_cache_on(connection):
        with (
            fts_trigger_off(connection),
            built_after_load_on(connection, [table.name] if empty else [], meanwhile=meanwhile),
        ):
            insert_entries(connection, prepared.rows)
        fill_fts(connection, prepared.target_tables)


def insert_entries(connection: Connection, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY, the text written a line per entry; otherwise the driver's rows."""
    table = search_entry_table()
    if copies_rows(connection.dialect):
        copy_lines(connection, table, ENTRY_KEYS, entry_lines(rows))
    else:
        insert_rows(connection, table, ENTRY_KEYS, rows)


COPY_FLAGS = {True: "t", False: "f"}


def entry_lines(rows: list[tuple[Any, ...]]) -> str:
    """The entries in COPY's text format, one f-string each. Nothing needs escaping: keys are
    numbers, UUIDs and names of tables and fields are plain, and the words are letters and
    digits one space apart."""
    return "".join(
        [
            f"{key}\t{table}\t{target}\t{origin}\t{field}\t{COPY_FLAGS[reveals]}\t{words}\n"
            for key, table, target, origin, field, reveals, words in rows
        ]
    )


def entry_key(row: tuple[Any, ...]) -> int:
    return int(row[0])


def has_any_entry(connection: Connection) -> bool:
    entries = search_entry_table()
    return connection.execute(select(entries.c.id).limit(1)).first() is not None


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


@contextmanager
def fts_trigger_off(connection: Connection) -> Iterator[None]:
    """SQLite: no FTS5 insert per row while entries are loaded (fill_fts follows).

    FTS5 writes its buffered words out at the end of every statement, and at every rowid
    lower than the one before: row by row, a load would crawl.
    """
    found = None
    if is_sqlite(connection):
        found = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": FTS_INSERT_TRIGGER},
        ).scalar()
    if found is None:
        yield
        return
    connection.exec_driver_sql(f"DROP TRIGGER {FTS_INSERT_TRIGGER}")
    yield
    connection.exec_driver_sql(found)


def fill_fts(connection: Connection, target_tables: Sequence[str]) -> None:
    """SQLite: add the entries of these target tables to the FTS5 index, in rowid order."""
    if not is_sqlite(connection) or not has_fts_table(connection):
        return
    marks = ", ".join(f":t{number}" for number in range(len(target_tables)))
    connection.execute(
        text(
            # NOT INDEXED: read in rowid order, with no sort, rather than through the index
            # on target_table and then sorted.
            "INSERT INTO search_entry_fts (rowid, folded) SELECT id, folded"
            f" FROM search_entry NOT INDEXED WHERE target_table IN ({marks}) ORDER BY id"
        ),
        {f"t{number}": name for number, name in enumerate(target_tables)},
    )


def has_fts_table(connection: Connection) -> bool:
    statement = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
    return connection.execute(statement, {"name": "search_entry_fts"}).first() is not None


# --- the rows to index, read from the database ------------------------------------------


def database_texts(connection: Connection, target_tables: Sequence[str]) -> Iterator[TextColumns]:
    """The live rows leading to live targets of these target tables, from the database."""
    for indexed in INDEXED_TEXTS:
        if indexed.target_table in target_tables:
            yield stored_columns(connection, indexed)


def stored_columns(connection: Connection, indexed: IndexedText) -> TextColumns:
    table = indexed.table
    link = table.c[indexed.link]
    dialect = connection.dialect
    statement = select(
        uuid_text(table.c.id, dialect),
        uuid_text(link, dialect),
        *(table.c[field] for field in indexed.fields),
    ).where(table.c.deleted_at.is_(None))
    if indexed.link != "id":
        target = SQLModel.metadata.tables[indexed.target_table]
        statement = statement.join(target, target.c.id == link).where(target.c.deleted_at.is_(None))
    rows = connection.execute(statement).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in range(2 + len(indexed.fields))]
    return TextColumns(
        indexed=indexed,
        origin_ids=values[0],
        target_ids=values[1],
        texts=dict(zip(indexed.fields, values[2:], strict=True)),
    )


def uuid_text(column: Any, dialect: Dialect) -> Any:
    """The column's UUIDs as canonical text, in SQL: PostgreSQL casts; SQLite keeps 32 hex
    digits, which get their hyphens."""
    if dialect.name == "postgresql":
        return cast(column, Text)
    digits = type_coerce(column, Text)
    parts = [func.substr(digits, start, length, type_=Text) for start, length in UUID_GROUPS]
    joined: Any = parts[0]
    for part in parts[1:]:
        joined = joined + literal("-", Text) + part
    return joined
