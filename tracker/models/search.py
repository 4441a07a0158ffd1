"""The full-text search index: folded words of each searchable record, and their upkeep.

Rows are derived data, rebuilt at will, so they belong to this instance and never travel in an
interchange file. On SQLite an FTS5 table follows search_entry through triggers; on PostgreSQL
a GIN index over `to_tsvector('simple', folded)` does the same job (migration 0003).

Every change a service makes is audited, so the index follows the audit log, as a trigger
would: when an audit entry is inserted, the record it names is indexed again on the same
connection, in the same transaction. Synthetic data writes one audit entry for the whole load
and is indexed again from scratch; a JSON import indexes what it wrote before its audit entry
(tracker.interchange.indexing). Target tables the index holds nothing for are built in bulk
(tracker.models.search_bulk). The listener lives here, with the table, so that every process
that loads the models (web, CLI, tests) keeps the index.
"""

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Index,
    Integer,
    Table,
    Text,
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapper
from sqlmodel import Field, Session, SQLModel

from tracker.domain.text import _FOLD_BEFORE
from tracker.models.audit import AuditEntry
from tracker.models.base import TimestampedRecord
from tracker.models.cases import Case
from tracker.models.incidents import Incident
from tracker.models.organisations import Organisation, OrganisationAlias
from tracker.models.people import Person
from tracker.models.places import Place, PlaceAlias
from tracker.models.sources import Citation, Source

# SQLite needs the type to read exactly INTEGER for the key to be the rowid FTS5 points at.
ENTRY_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class SearchEntry(SQLModel, table=True):
    """One field (or one chunk of a long field) of a record, as space-separated folded words."""

    __tablename__ = "search_entry"
    __table_args__ = (
        Index("ix_search_entry_target", "target_table", "target_id"),
        Index(
            "ix_search_entry_document",
            text("to_tsvector('simple'::regconfig, folded)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    # A hash of what the row indexes, not a sequence: rebuilding gives the same rows.
    id: int = Field(
        primary_key=True, sa_type=ENTRY_ID_TYPE, sa_column_kwargs={"autoincrement": False}
    )
    # The record a hit opens (a citation's words lead to its incident, an alias to its person).
    target_table: str = Field(max_length=40, nullable=False)
    target_id: uuid.UUID = Field(nullable=False)
    # The row the words come from (the citation, the alias), for the snippet shown with a hit.
    origin_id: uuid.UUID = Field(nullable=False)
    field: str = Field(max_length=40, nullable=False)
    # Aliases are identity: only viewers who may see identities may match them.
    reveals_identity: bool = Field(default=False, nullable=False)
    folded: str = Field(default="", sa_type=Text, nullable=False)


# Letters and digits of any script; everything else separates words, as FTS5 and the
# PostgreSQL parser see the space-joined words we store.
WORD = re.compile(r"[^\W_]+")
DIGIT = re.compile(r"\d")
CODE_MAX_WORDS = 5
# PostgreSQL refuses a tsvector over 1 MB: long narratives are indexed in pieces.
CHUNK_CHARACTERS = 20_000
BATCH = 500
# Audit entries of loads that write rows in bulk, past the services. A JSON import indexes
# what it wrote itself, before its audit entry (tracker.interchange.indexing).
BULK_LOADS = frozenset({("synthetic", "create")})


@dataclass(frozen=True)
class IndexedText:
    """Text columns of one table, and the record (target) a hit on them opens."""

    model: type[TimestampedRecord]
    target_table: str
    link: str  # the column holding the target's id: "id" when the row is the target
    fields: tuple[str, ...]
    # Aliases are identity (DOMAIN §6): only viewers who may see identities match them.
    reveals_identity: bool = False

    @property
    def table(self) -> Table:
        return SQLModel.metadata.tables[str(self.model.__tablename__)]


# Names are never indexed: a search must not confirm a name to anyone, and the index must
# hold none in the clear (names are sealed at rest). Viewers who may see identities find a
# person by a whole name through its blind index instead (tracker.services.search).
INDEXED_TEXTS = (
    IndexedText(Incident, "incident", "id", ("code", "title", "summary", "narrative")),
    IndexedText(Citation, "incident", "incident_id", ("claim", "locator")),
    IndexedText(Source, "source", "id", ("title", "citation_text", "url")),
    IndexedText(Person, "person", "id", ("pseudonym_code",)),
    IndexedText(Place, "place", "id", ("name",)),
    IndexedText(PlaceAlias, "place", "place_id", ("text",)),
    IndexedText(Organisation, "organisation", "id", ("name",)),
    IndexedText(OrganisationAlias, "organisation", "organisation_id", ("text",)),
    IndexedText(Case, "case_file", "id", ("code", "title", "summary")),
)
TARGET_TABLES = tuple(dict.fromkeys(indexed.target_table for indexed in INDEXED_TEXTS))


@dataclass(frozen=True)
class Document:
    """One field of one row, with the record it leads to."""

    target_table: str
    target_id: uuid.UUID
    origin_id: uuid.UUID
    field: str  # "<table>.<column>", e.g. "citation.claim"
    text: str
    reveals_identity: bool


def search_entry_table() -> Table:
    return SQLModel.metadata.tables["search_entry"]


# ASCII characters that are no part of a word (all but letters and digits).
ASCII_NON_WORD = "".join(chr(code) for code in range(128) if not chr(code).isalnum())
# Characters up to here are remembered once folded; any text folds alike either way.
REMEMBERED_CHARACTERS = 0xFFFF


class FoldedCharacters(dict[int, str]):
    """What each character becomes in fold_for_search before its last step (NFC), worked out
    the first time str.translate meets it.

    Every step up to there is one character at a time: the letter map, case folding,
    compatibility decomposition and dropping combining marks (decomposition may reorder
    marks, but all of them go). So folding a text is one translate and one NFC.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).translate(_FOLD_BEFORE).casefold())
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
        if code <= REMEMBERED_CHARACTERS:
            self[code] = folded
        return folded


FOLDED_CHARACTERS = FoldedCharacters()


def fold(value: str) -> str:
    """İ/ı/I → i, Ə → e, no diacritics, no case: fold_for_search, spaces left as they are."""
    if value.isascii():  # the common case, folded alike without the Unicode steps
        return value.lower()
    return unicodedata.normalize("NFC", value.translate(FOLDED_CHARACTERS))


def is_code(words: Sequence[str]) -> bool:
    """A few words typed together with a digit among them: V-2017-014, 08.03.2023."""
    return 1 < len(words) <= CODE_MAX_WORDS and any(DIGIT.search(word) for word in words)


def code_tails(words: Sequence[str]) -> list[str]:
    """A code's words joined into one, and its tails (v2017014, 2017014): a code is then one
    rare word to look up, not a phrase of common ones (every pseudonym holds "v")."""
    if not is_code(words):
        return []
    return ["".join(words[start:]) for start in range(len(words) - 1)]


def folded_words(value: str) -> str:
    """The words of the text, folded, one space apart, then each code joined into one word.

    A word is a run of letters and digits; a piece typed between spaces holding several
    words and a digit is a code. Most pieces are one word, perhaps with punctuation at an
    end, and need no regular expression.
    """
    pieces = fold(value).split()
    if all(map(str.isalnum, pieces)):
        return " ".join(pieces)
    words: list[str] = []
    codes: list[str] = []
    for piece in pieces:
        core = piece.strip(ASCII_NON_WORD)
        if core.isalnum():
            words.append(core)
        elif core:
            piece_words = WORD.findall(core)
            words.extend(piece_words)
            codes.extend(code_tails(piece_words))
    return " ".join([*words, *codes])


def chunks(words: str) -> list[str]:
    """Pieces of at most CHUNK_CHARACTERS, cut between words."""
    pieces: list[str] = []
    while len(words) > CHUNK_CHARACTERS:
        cut = words.rfind(" ", 0, CHUNK_CHARACTERS + 1)
        cut = cut if cut > 0 else CHUNK_CHARACTERS
        pieces.append(words[:cut])
        words = words[cut:].lstrip()
    return [*pieces, words] if words else pieces


def entry_id(document: Document, chunk: int) -> int:
    """A stable 63-bit key: indexing the same record twice gives the same rows."""
    key = f"{document.target_table}|{document.target_id}|{document.origin_id}|{document.field}"
    digest = hashlib.blake2b(f"{key}|{chunk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


def entry_rows(document: Document) -> Iterator[dict[str, Any]]:
    for number, words in enumerate(chunks(folded_words(document.text))):
        yield {
            "id": entry_id(document, number),
            "target_table": document.target_table,
            "target_id": document.target_id,
            "origin_id": document.origin_id,
            "field": document.field,
            "reveals_identity": document.reveals_identity,
            "folded": words,
        }


def texts_leading_to(target_table: str) -> list[IndexedText]:
    return [indexed for indexed in INDEXED_TEXTS if indexed.target_table == target_table]


def documents_of(
    connection: Connection, indexed: IndexedText, target_ids: Sequence[uuid.UUID]
) -> Iterator[Document]:
    """The live rows' fields that lead to these targets; a deleted target has none."""
    table = indexed.table
    link = table.c[indexed.link]
    statement = select(table.c.id, link, *(table.c[field] for field in indexed.fields)).where(
        link.in_(target_ids), table.c.deleted_at.is_(None)
    )
    if indexed.link != "id":
        target = SQLModel.metadata.tables[indexed.target_table]
        statement = statement.join(target, target.c.id == link).where(target.c.deleted_at.is_(None))
    for row in connection.execute(statement):
        origin_id, target_id, *values = row
        for field, value in zip(indexed.fields, values, strict=True):
            yield Document(
                indexed.target_table,
                target_id,
                origin_id,
                f"{table.name}.{field}",
                value or "",
                indexed.reveals_identity,
            )


def batches(ids: Iterable[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    batch: list[uuid.UUID] = []
    for record_id in ids:
        batch.append(record_id)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def wanted_rows(
    connection: Connection, target_table: str, target_ids: Sequence[uuid.UUID]
) -> dict[int, dict[str, Any]]:
    """The entries these records should have now, by id."""
    return {
        row["id"]: row
        for indexed in texts_leading_to(target_table)
        for document in documents_of(connection, indexed, target_ids)
        for row in entry_rows(document)
    }


def stored_words(
    connection: Connection, target_table: str, target_ids: Sequence[uuid.UUID]
) -> dict[int, str]:
    entries = search_entry_table()
    statement = select(entries.c.id, entries.c.folded).where(
        entries.c.target_table == target_table, entries.c.target_id.in_(target_ids)
    )
    return {entry_id: folded for entry_id, folded in connection.execute(statement).tuples()}


def sync_targets(
    connection: Connection, target_table: str, target_ids: Sequence[uuid.UUID]
) -> None:
    """Make these records' entries match their text, touching only the entries that differ.

    Rewriting unchanged entries would be wasted work, and would churn the FTS5 segments.
    """
    wanted = wanted_rows(connection, target_table, target_ids)
    stored = stored_words(connection, target_table, target_ids)
    stale = [
        key for key, words in stored.items() if key not in wanted or wanted[key]["folded"] != words
    ]
    entries = search_entry_table()
    if stale:
        connection.execute(delete(entries).where(entries.c.id.in_(stale)))
    fresh = [wanted[key] for key in sorted(wanted) if stored.get(key) != wanted[key]["folded"]]
    if fresh:
        # RETURNING makes SQLAlchemy send many rows per INSERT ("insertmanyvalues"): SQLite
        # opens a savepoint per statement and FTS5 writes its buffered words out at each one,
        # so row-by-row inserts would crawl.
        connection.execute(insert(entries).returning(entries.c.id), fresh)


def reindex_records(
    connection: Connection, target_table: str, target_ids: Iterable[uuid.UUID]
) -> None:
    """Index these records of one target table again (deleted ones drop out)."""
    for batch in batches(dict.fromkeys(target_ids)):
        sync_targets(connection, target_table, batch)


def reindex_record(session: Session, table_name: str, record_id: uuid.UUID) -> None:
    """Index the record again, and whatever its words lead to (a citation: its incident)."""
    connection = session.connection()
    for target_table, target_id in targets_of(connection, table_name, record_id, {}):
        reindex_records(connection, target_table, [target_id])


def rebuild_search_index(session: Session) -> None:
    """Bring the whole index in line with the live records; call after writing in bulk."""
    rebuild_on(session.connection())


def rebuild_on(connection: Connection) -> None:
    """Bring the whole index in line with the live records: target tables the index holds
    nothing for are built in bulk (a first build), the others synced record by record."""
    entries = search_entry_table()
    connection.execute(delete(entries).where(entries.c.target_table.not_in(TARGET_TABLES)))
    unindexed = []
    for target_table in TARGET_TABLES:
        table = SQLModel.metadata.tables[target_table]
        live = select(table.c.id).where(table.c.deleted_at.is_(None))
        connection.execute(
            delete(entries).where(
                entries.c.target_table == target_table, entries.c.target_id.not_in(live)
            )
        )
        if not has_entries(connection, target_table):
            unindexed.append(target_table)
            continue
        for batch in batches(list(connection.execute(live.order_by(table.c.id)).scalars())):
            sync_targets(connection, target_table, batch)
    if unindexed:
        # Imported here: the bulk builder uses the interchange's bulk inserts, which need
        # every model loaded first.
        from tracker.models.search_bulk import build_in_bulk, database_texts

        build_in_bulk(connection, database_texts(connection, unindexed))


def has_entries(connection: Connection, target_table: str) -> bool:
    entries = search_entry_table()
    first = select(entries.c.id).where(entries.c.target_table == target_table).limit(1)
    return connection.execute(first).first() is not None


def targets_of(
    connection: Connection, table_name: str, record_id: uuid.UUID, changes: dict[str, Any]
) -> Iterator[tuple[str, uuid.UUID]]:
    """The records whose entries a change to this row touches, before and after a move."""
    for indexed in INDEXED_TEXTS:
        if indexed.table.name != table_name:
            continue
        if indexed.link == "id":
            yield indexed.target_table, record_id
            continue
        for target_id in linked_ids(connection, indexed, record_id, changes):
            yield indexed.target_table, target_id


def linked_ids(
    connection: Connection, indexed: IndexedText, record_id: uuid.UUID, changes: dict[str, Any]
) -> set[uuid.UUID]:
    """The row's target now, and the one it was moved from (a merged person's alias)."""
    table = indexed.table
    current = connection.execute(
        select(table.c[indexed.link]).where(table.c.id == record_id)
    ).scalar()
    found = {current} if current is not None else set()
    for value in changes.get(indexed.link) or ():
        if value:
            found.add(uuid.UUID(str(value)))
    return found


def follow_audit_entry(_mapper: Mapper[Any], connection: Connection, entry: AuditEntry) -> None:
    """after_insert of an audit entry: index again what it changed."""
    if (entry.table_name, entry.action) in BULK_LOADS:
        rebuild_on(connection)
        return
    for target_table, target_id in targets_of(
        connection, entry.table_name, entry.record_id, entry.changes
    ):
        reindex_records(connection, target_table, [target_id])


def follow_audit_log() -> None:
    """Register the listener once, whoever imports this module first."""
    if not event.contains(AuditEntry, "after_insert", follow_audit_entry):
        event.listen(AuditEntry, "after_insert", follow_audit_entry)


follow_audit_log()
