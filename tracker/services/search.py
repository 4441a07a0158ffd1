"""Full-text search over incidents, citations, sources, people, places, organisations and cases.

The same API on both engines: FTS5 on SQLite, a tsvector GIN index on PostgreSQL. Queries and
rows are folded alike (İ/ı/I → i, Ə → e, no diacritics, no case), and every word the user
types becomes a quoted prefix term, so nothing typed is ever read as search syntax or SQL.
Records a viewer may not see never appear: restricted records, and for viewers who may not
see identities, anything found only through a person's alias.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    bindparam,
    case,
    distinct,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col

from tracker.domain.text import fold_for_search
from tracker.models import RecordRestriction, SearchEntry
from tracker.models.search import (
    INDEXED_TEXTS,
    WORD,
    IndexedText,
    is_code,
    rebuild_search_index,
    reindex_record,
)
from tracker.services.people import find_people_by_name
from tracker.services.restrictions import Viewer, may_view

PER_PAGE = 20
MAX_PAGE = 50
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MAX_TERM_LENGTH = 60
MIN_PREFIX_LENGTH = 2
SNIPPET_BEFORE = 60
SNIPPET_AFTER = 120
# Looking for the words in a long narrative costs time; past this, the snippet is its start.
SNIPPET_SCAN = 50_000
# A person found by a whole name through its blind index (names are not in the index).
NAME_FIELD = "person.name"
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
    "search_phrases",
    "search_entry_count",
    "search_records",
    "search_terms",
]


Phrase = tuple[str, ...]


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


def search_entry_count(session: Session) -> int:
    """How many entries the index holds (one per indexed field, or chunk of a long one)."""
    return int(session.execute(select(func.count()).select_from(SearchEntry)).scalar_one())


def query_chunks(query: str) -> list[list[str]]:
    """The folded words of each stretch the user typed between spaces."""
    return [
        [word[:MAX_TERM_LENGTH] for word in WORD.findall(fold_for_search(chunk))]
        for chunk in query[:MAX_QUERY_LENGTH].split()
    ]


def phrase_of(words: list[str]) -> Phrase:
    """A stretch as a phrase: a code or date (V-2017-014, 08.03.2023) as the one word the
    index also holds it as (see code_tails), other words in order."""
    if is_code(words):
        return ("".join(words)[:MAX_TERM_LENGTH],)
    return tuple(words[:MAX_TERMS])


def search_phrases(query: str) -> tuple[Phrase, ...]:
    """The query as phrases of folded words, one per stretch typed between spaces; a few
    phrases at most, no operators survive."""
    phrases = (phrase_of(words) for words in query_chunks(query) if words)
    return tuple(dict.fromkeys(phrases))[:MAX_TERMS]


def search_terms(query: str) -> tuple[str, ...]:
    """Every folded word of the query, once: what snippets look for."""
    words = (word for chunk in query_chunks(query) for word in chunk)
    return tuple(dict.fromkeys(words))[:MAX_TERMS]


def is_prefix(word: str) -> bool:
    # A one-letter prefix matches nearly every entry; one letter is taken as a whole word.
    return len(word) >= MIN_PREFIX_LENGTH


def fts5_phrase(phrase: Phrase) -> str:
    # Words hold letters and digits only, so quoting them leaves no FTS5 syntax to inject.
    words = [f'"{word}"' for word in phrase]
    if is_prefix(phrase[-1]):
        words[-1] += "*"
    return " + ".join(words)


def tsquery_phrase(phrase: Phrase) -> str:
    # Letters and digits only again: to_tsquery sees nothing but words, <->, :*, | and ().
    words = list(phrase)
    if is_prefix(phrase[-1]):
        words[-1] += ":*"
    return "(" + " <-> ".join(words) + ")"


def sqlite_matching(statement: Select[Any], phrases: tuple[Phrase, ...], name: str) -> Select[Any]:
    """Keep the entries holding any of the phrases, found in the FTS5 table."""
    fts = text(
        f"SELECT rowid AS entry_id FROM search_entry_fts WHERE search_entry_fts MATCH :{name}"
    ).bindparams(bindparam(name, " OR ".join(fts5_phrase(phrase) for phrase in phrases)))
    matched = fts.columns(entry_id=Integer).subquery(name)
    return statement.join(matched, matched.c.entry_id == col(SearchEntry.id))


def postgres_matching(
    statement: Select[Any], phrases: tuple[Phrase, ...], name: str
) -> Select[Any]:
    """The same through the GIN index; the expression must read exactly as the index's."""
    simple: ColumnElement[Any] = literal_column("'simple'")
    document = func.to_tsvector(simple, col(SearchEntry.folded))
    tsquery = " | ".join(tsquery_phrase(phrase) for phrase in phrases)
    return statement.where(document.op("@@")(func.to_tsquery(simple, bindparam(name, tsquery))))


def matching(
    session: Session, statement: Select[Any], phrases: tuple[Phrase, ...], name: str
) -> Select[Any]:
    """The statement (over search_entry) kept to entries holding any of the phrases; the one
    place where the engines differ."""
    if session.get_bind().dialect.name == "postgresql":
        return postgres_matching(statement, phrases, name)
    return sqlite_matching(statement, phrases, name)


def weight() -> ColumnElement[int]:
    """How much a matching entry counts: a record's own heading most, then an alias.

    Cheaper than bm25 or ts_rank, which read every match's text again.
    """
    return case(
        (col(SearchEntry.field).in_(HEADING_FIELDS), 3),
        (col(SearchEntry.reveals_identity), 2),
        else_=1,
    )


def hidden_records(viewer: Viewer) -> Select[tuple[str, uuid.UUID]]:
    """(table, id) of every record restricted to others than this viewer.

    One uncorrelated subquery: both engines look matches up in it by hash, where a
    correlated EXISTS would run once per matching entry.
    """
    restriction = aliased(RecordRestriction)
    named = select(col(restriction.table_name), col(restriction.record_id)).where(
        col(restriction.user_id) == viewer.user_id, col(restriction.deleted_at).is_(None)
    )
    pair = tuple_(col(RecordRestriction.table_name), col(RecordRestriction.record_id))
    return select(col(RecordRestriction.table_name), col(RecordRestriction.record_id)).where(
        col(RecordRestriction.deleted_at).is_(None), pair.not_in(named)
    )


def viewer_conditions(viewer: Viewer) -> list[ColumnElement[bool]]:
    """What this viewer may match: restricted records only when named, aliases only with the
    right to see identities."""
    conditions: list[ColumnElement[bool]] = []
    if not viewer.sees_identity:
        conditions.append(col(SearchEntry.reveals_identity).is_(False))
    if not viewer.sees_every_record:
        target = tuple_(col(SearchEntry.target_table), col(SearchEntry.target_id))
        conditions.append(target.not_in(hidden_records(viewer)))
    return conditions


def phrase_hits(session: Session, phrases: tuple[Phrase, ...], viewer: Viewer) -> Subquery:
    """(record, phrase number, weight) of each entry the viewer may match, phrase by phrase:
    the phrases of a query may sit in different fields of one record (title and a citation)."""
    branches = [
        matching(
            session,
            select(
                col(SearchEntry.target_table),
                col(SearchEntry.target_id),
                literal(number).label("phrase"),
                weight().label("weight"),
            ).where(*viewer_conditions(viewer)),
            (phrase,),
            f"phrase_{number}",
        )
        for number, phrase in enumerate(phrases)
    ]
    return union_all(*branches).subquery("hits")


def page_statement(
    hits: Subquery, phrase_count: int, page: int, per_page: int
) -> Select[tuple[str, uuid.UUID, int]]:
    """One page of records holding every phrase, best first (one more, to tell if a next
    exists)."""
    best = func.sum(hits.c.weight).label("best")
    return (
        select(hits.c.target_table, hits.c.target_id, best)
        .group_by(hits.c.target_table, hits.c.target_id)
        .having(func.count(distinct(hits.c.phrase)) == phrase_count)
        .order_by(best.desc(), hits.c.target_table, hits.c.target_id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )


def best_fields(
    session: Session,
    phrases: tuple[Phrase, ...],
    viewer: Viewer,
    targets: list[tuple[str, uuid.UUID]],
) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """For each record on the page, the field (and row) that matched best."""
    entries = (
        select(col(SearchEntry.target_id), col(SearchEntry.field), col(SearchEntry.origin_id))
        .where(
            tuple_(col(SearchEntry.target_table), col(SearchEntry.target_id)).in_(targets),
            *viewer_conditions(viewer),
        )
        .order_by(weight().desc(), col(SearchEntry.field), col(SearchEntry.id))
    )
    statement = matching(session, entries, phrases, "any_phrase")
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
    """The records holding every phrase of the query, best first, one page. A phrase is what
    was typed between spaces: its words in order, the last one as a prefix.

    Never raises for odd input: a query with no words finds nothing; pages are clamped.
    """
    phrases = search_phrases(query)
    terms = search_terms(query)
    if not phrases:
        return NO_RESULTS
    page = min(max(page, 1), MAX_PAGE)
    named = named_hits(session, viewer, query) if page == 1 else ()
    results = indexed_results(session, viewer, phrases, terms, page, per_page)
    if not named:
        return results
    shown = {hit.record.id for hit in named}
    rest = tuple(hit for hit in results.hits if getattr(hit.record, "id", None) not in shown)
    return SearchResults(terms=terms, hits=named + rest, page=page, has_next=results.has_next)


def named_hits(session: Session, viewer: Viewer, query: str) -> tuple[SearchHit, ...]:
    """People with a name (an alias; real names are never searched) equal to the whole query
    once folded, for viewers who may see identities: an exact match through the blind index,
    never a part of a name."""
    if not viewer.sees_identity:
        return ()
    return tuple(
        SearchHit(kind="person", record=person, field=NAME_FIELD, snippet="")
        for person in find_people_by_name(session, query[:MAX_QUERY_LENGTH], real_names=False)
        if may_view(session, viewer, type(person), person.id)
    )


def indexed_results(
    session: Session,
    viewer: Viewer,
    phrases: tuple[Phrase, ...],
    terms: tuple[str, ...],
    page: int,
    per_page: int,
) -> SearchResults:
    """One page of the records the search index finds."""
    hits = phrase_hits(session, phrases, viewer)
    rows = session.execute(page_statement(hits, len(phrases), page, per_page)).all()
    targets = [(kind, target_id) for kind, target_id, _ in rows[:per_page]]
    if not targets:
        return SearchResults(terms=terms, hits=(), page=page, has_next=False)
    records = load_records(session, targets)
    fields = best_fields(session, phrases, viewer, targets)
    found = tuple(
        make_hit(session, kind, records[target_id], fields[target_id], terms)
        for kind, target_id in targets
        if target_id in records and target_id in fields
    )
    return SearchResults(terms=terms, hits=found, page=page, has_next=len(rows) > per_page)
