"""Full-text search over incidents, citations, sources, people, places, organisations and cases.

The same API on both engines: FTS5 on SQLite, a tsvector GIN index on PostgreSQL. Queries and
rows are folded alike (İ/ı/I → i, Ə → e, no diacritics, no case), and every word the user
types becomes a quoted prefix term, so nothing typed is ever read as search syntax or SQL.
Records a viewer may not see never appear: restricted records, and for viewers who may not
see identities, anything found only through a person's alias.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    bindparam,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlmodel import Session, SQLModel, col

from tracker.domain.text import fold_for_search
from tracker.models import RecordRestriction, SearchEntry
from tracker.models.search import (
    INDEXED_TEXTS,
    WORD,
    IndexedText,
    rebuild_search_index,
    reindex_record,
)
from tracker.services.restrictions import Viewer

PER_PAGE = 20
MAX_PAGE = 50
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MAX_TERM_LENGTH = 60
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 120
# Looking for the words in a long narrative costs time; past this, the snippet is its start.
SNIPPET_SCAN = 50_000
# Fields that are the hit's own heading: no snippet repeats them.
HEADING_FIELDS = frozenset(
    {
        "incident.code",
        "incident.title",
        "source.title",
        "person.pseudonym_code",
        "place.name",
        "organisation.name",
        "case_file.code",
        "case_file.title",
    }
)

__all__ = [
    "PER_PAGE",
    "SearchHit",
    "SearchResults",
    "rebuild_search_index",
    "reindex_record",
    "search_records",
    "search_terms",
]


@dataclass(frozen=True)
class SearchHit:
    """One record found: its kind (table), the record, the field that matched best, a snippet."""

    kind: str
    record: Any
    field: str
    snippet: str


@dataclass(frozen=True)
class SearchResults:
    """One page of hits, best first."""

    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    page: int
    has_next: bool


NO_RESULTS = SearchResults(terms=(), hits=(), page=1, has_next=False)


def search_terms(query: str) -> tuple[str, ...]:
    """The folded words of a query, each distinct, a few at most; no operators survive."""
    words = WORD.findall(fold_for_search(query[:MAX_QUERY_LENGTH]))
    kept = [word[:MAX_TERM_LENGTH] for word in words]
    return tuple(dict.fromkeys(kept))[:MAX_TERMS]


def fts5_query(terms: Iterable[str], *, every: bool) -> str:
    # Words hold letters and digits only, so quoting them leaves no FTS5 syntax to inject.
    return (" " if every else " OR ").join(f'"{term}"*' for term in terms)


def tsquery_text(terms: Iterable[str], *, every: bool) -> str:
    # Letters and digits only again: to_tsquery sees nothing but prefix terms and & or |.
    return (" & " if every else " | ").join(f"{term}:*" for term in terms)


def sqlite_matches(terms: tuple[str, ...], name: str, *, every: bool) -> Subquery:
    """Matching entries and their scores (higher is better) from the FTS5 table."""
    statement = text(
        "SELECT rowid AS entry_id, -rank AS score"
        f" FROM search_entry_fts WHERE search_entry_fts MATCH :{name}"
    ).bindparams(bindparam(name, fts5_query(terms, every=every)))
    return statement.columns(entry_id=Integer, score=Float).subquery(name)


def postgres_matches(terms: tuple[str, ...], name: str, *, every: bool) -> Subquery:
    """The same through the GIN index; the expression must read exactly as the index's."""
    simple: ColumnElement[Any] = literal_column("'simple'")
    document = func.to_tsvector(simple, col(SearchEntry.folded))
    query = func.to_tsquery(simple, bindparam(name, tsquery_text(terms, every=every)))
    statement = select(
        col(SearchEntry.id).label("entry_id"),
        func.ts_rank(document, query).label("score"),
    ).where(document.op("@@")(query))
    return statement.subquery(name)


def matches(session: Session, terms: tuple[str, ...], name: str, *, every: bool) -> Subquery:
    """Entries holding every term (or any), as (entry_id, score); the one dialect branch."""
    if session.get_bind().dialect.name == "postgresql":
        return postgres_matches(terms, name, every=every)
    return sqlite_matches(terms, name, every=every)


def restriction_of_target(*extra: ColumnElement[bool]) -> Any:
    return exists().where(
        col(RecordRestriction.table_name) == col(SearchEntry.target_table),
        col(RecordRestriction.record_id) == col(SearchEntry.target_id),
        col(RecordRestriction.deleted_at).is_(None),
        *extra,
    )


def viewer_conditions(viewer: Viewer) -> list[ColumnElement[bool]]:
    """What this viewer may match: restricted records only when named, aliases only with the
    right to see identities."""
    conditions: list[ColumnElement[bool]] = []
    if not viewer.sees_identity:
        conditions.append(col(SearchEntry.reveals_identity).is_(False))
    if not viewer.sees_every_record:
        named = restriction_of_target(col(RecordRestriction.user_id) == viewer.user_id)
        conditions.append(or_(~restriction_of_target(), named))
    return conditions


def term_hits(session: Session, terms: tuple[str, ...], viewer: Viewer) -> Subquery:
    """(record, term number, score) for each entry the viewer may match, term by term: the
    words of a query may sit in different fields of one record (title and a citation)."""
    branches = []
    for number, term in enumerate(terms):
        matched = matches(session, (term,), f"term_{number}", every=True)
        branches.append(
            select(
                col(SearchEntry.target_table),
                col(SearchEntry.target_id),
                literal(number).label("term"),
                matched.c.score,
            )
            .join(matched, matched.c.entry_id == col(SearchEntry.id))
            .where(*viewer_conditions(viewer))
        )
    return union_all(*branches).subquery("hits")


def page_statement(
    hits: Subquery, term_count: int, page: int, per_page: int
) -> Select[tuple[str, uuid.UUID, float]]:
    """One page of records holding every term, best first (one more, to tell if a next exists)."""
    best = func.sum(hits.c.score).label("best")
    return (
        select(hits.c.target_table, hits.c.target_id, best)
        .group_by(hits.c.target_table, hits.c.target_id)
        .having(func.count(distinct(hits.c.term)) == term_count)
        .order_by(best.desc(), hits.c.target_table, hits.c.target_id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )


def best_fields(
    session: Session, terms: tuple[str, ...], viewer: Viewer, target_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """For each record on the page, the field (and row) that matched the query best."""
    matched = matches(session, terms, "any_term", every=False)
    statement = (
        select(col(SearchEntry.target_id), col(SearchEntry.field), col(SearchEntry.origin_id))
        .join(matched, matched.c.entry_id == col(SearchEntry.id))
        .where(col(SearchEntry.target_id).in_(target_ids), *viewer_conditions(viewer))
        .order_by(matched.c.score.desc(), col(SearchEntry.field))
    )
    found: dict[uuid.UUID, tuple[str, uuid.UUID]] = {}
    for target_id, field, origin_id in session.execute(statement):
        found.setdefault(target_id, (field, origin_id))
    return found


def indexed_text_of(field: str) -> IndexedText:
    table_name = field.split(".", 1)[0]
    return next(indexed for indexed in INDEXED_TEXTS if indexed.table.name == table_name)


def load_records(session: Session, targets: list[tuple[str, uuid.UUID]]) -> dict[uuid.UUID, Any]:
    """The records of the page, by id, one query per kind."""
    records: dict[uuid.UUID, Any] = {}
    for kind in dict.fromkeys(kind for kind, _ in targets):
        model = next(i.model for i in INDEXED_TEXTS if i.target_table == kind and i.link == "id")
        ids = [target_id for table, target_id in targets if table == kind]
        statement = select(model).where(col(model.id).in_(ids))
        records.update((record.id, record) for record in session.execute(statement).scalars())
    return records


def original_text(session: Session, field: str, origin_id: uuid.UUID) -> str:
    """The field's text as typed, to cut the snippet from."""
    table = SQLModel.metadata.tables[indexed_text_of(field).table.name]
    column = table.c[field.split(".", 1)[1]]
    value = session.execute(select(column).where(table.c.id == origin_id)).scalar()
    return str(value or "")


def word_matches(word: str, terms: tuple[str, ...]) -> bool:
    folded = WORD.findall(fold_for_search(word))
    return any(piece.startswith(term) for piece in folded for term in terms)


def snippet(text_value: str, terms: tuple[str, ...]) -> str:
    """A short stretch of the original text around the first word the query matched."""
    for match in WORD.finditer(text_value, 0, SNIPPET_SCAN):
        if word_matches(match.group(), terms):
            return cut(text_value, match.start(), match.end())
    return cut(text_value, 0, 0)


def cut(text_value: str, start: int, end: int) -> str:
    first = max(0, start - SNIPPET_BEFORE)
    last = min(len(text_value), end + SNIPPET_AFTER)
    if first > 0:
        space = text_value.find(" ", first, start)
        first = space + 1 if space >= 0 else first
    if last < len(text_value):
        space = text_value.rfind(" ", end, last)
        last = space if space >= 0 else last
    piece = " ".join(text_value[first:last].split())
    return f"{'… ' if first > 0 else ''}{piece}{' …' if last < len(text_value) else ''}"


def make_hit(
    session: Session,
    kind: str,
    record: Any,
    best: tuple[str, uuid.UUID],
    terms: tuple[str, ...],
) -> SearchHit:
    field, origin_id = best
    shown = (
        "" if field in HEADING_FIELDS else snippet(original_text(session, field, origin_id), terms)
    )
    return SearchHit(kind=kind, record=record, field=field, snippet=shown)


def search_records(
    session: Session, viewer: Viewer, *, query: str, page: int = 1, per_page: int = PER_PAGE
) -> SearchResults:
    """The records matching every word of the query (as prefixes), best first, one page.

    Never raises for odd input: a query with no words finds nothing; pages are clamped.
    """
    terms = search_terms(query)
    if not terms:
        return NO_RESULTS
    page = min(max(page, 1), MAX_PAGE)
    hits = term_hits(session, terms, viewer)
    rows = session.execute(page_statement(hits, len(terms), page, per_page)).all()
    targets = [(kind, target_id) for kind, target_id, _ in rows[:per_page]]
    if not targets:
        return SearchResults(terms=terms, hits=(), page=page, has_next=False)
    records = load_records(session, targets)
    fields = best_fields(session, terms, viewer, [target_id for _, target_id in targets])
    found = tuple(
        make_hit(session, kind, records[target_id], fields[target_id], terms)
        for kind, target_id in targets
        if target_id in records and target_id in fields
    )
    return SearchResults(terms=terms, hits=found, page=page, has_next=len(rows) > per_page)
