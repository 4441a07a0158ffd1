"""Full-text search: folding per script, identity and restriction rules, safe query parsing."""

import uuid

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_incident,
    make_person,
    make_place,
    make_source,
)
from tracker.demo.synthetic import generate_synthetic
from tracker.models import Incident, Person
from tracker.models.search import CHUNK_CHARACTERS
from tracker.services.incidents import delete_incident, restore_incident
from tracker.services.merges import merge_persons
from tracker.services.people import add_person_name
from tracker.services.places import add_place_alias
from tracker.services.restrictions import Viewer, set_restriction
from tracker.services.search import (
    SearchResults,
    rebuild_search_index,
    search_phrases,
    search_records,
    search_terms,
)
from tracker.services.users import create_user

ANALYST = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
LAWYER = Viewer(user_id=uuid.uuid4(), roles=frozenset({"lawyer"}))
ADMIN = Viewer(user_id=uuid.uuid4(), roles=frozenset({"admin"}))
INJECTIONS = [
    "' OR 1=1 --",
    '"',
    '"unbalanced',
    "*",
    "-",
    "NEAR(",
    "NEAR(a b",
    "a OR",
    "AND",
    "title:x",
    "^start",
    "a & | ! <-> b:*",
    "());DROP TABLE incident;--",
    "\x00",
    "\ufffd\ufffd",
    "x" * 5000,
    " ".join(["word"] * 500),
]


def ids(results: SearchResults) -> list[uuid.UUID]:
    return [hit.record.id for hit in results.hits]


def search(session: Session, query: str, viewer: Viewer = ANALYST, page: int = 1) -> SearchResults:
    return search_records(session, viewer, query=query, page=page)


def user_viewer(session: Session, role: str) -> Viewer:
    user, _ = create_user(
        session,
        username=f"{role}-{uuid.uuid4().hex[:6]}",
        display_name=role,
        roles=(role,),
        actor_id=None,
    )
    return Viewer(user_id=user.id, roles=frozenset({role}))


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("Əli saxlanıldı", "ƏLİ"),
        ("Əli saxlanıldı", "əli"),
        ("Əli saxlanıldı", "eli"),
        ("İsmayıllı rayonu", "ismayıllı"),
        ("İsmayıllı rayonu", "ISMAYILLI"),
        ("Ismayilli", "İsmayıllı"),
        ("Задержание в Баку", "баку"),
        ("Задержание в Баку", "БАКУ"),
        ("Şəkidə basqın", "sekide"),
        ("Çox ağır", "ÇOX AĞIR"),
    ],
)
def test_titles_match_whatever_the_case_and_script(
    session: Session, stored: str, typed: str
) -> None:
    incident = make_incident(session, title=stored)
    assert ids(search(session, typed)) == [incident.id]


def test_words_are_prefixes_and_all_must_match(session: Session) -> None:
    incident = make_incident(session, title="Raid on a café in Nasimi", summary="Nine detained")
    make_incident(session, title="Raid elsewhere")
    assert ids(search(session, "nasim raid")) == [incident.id]
    assert ids(search(session, "cafe detained")) == [incident.id]
    assert search(session, "nasimi nowhere").hits == ()


def test_a_citation_claim_leads_to_its_incident_with_a_snippet(session: Session) -> None:
    incident = make_incident(session, title="Detention")
    claim = "Witnesses say the officers from the Nasimi station took phones. " * 3
    make_citation(session, incident_id=incident.id, claim=claim)
    (hit,) = search(session, "phones").hits
    assert (hit.kind, hit.record.id, hit.field) == ("incident", incident.id, "citation.claim")
    assert "took phones" in hit.snippet and len(hit.snippet) < len(claim)


def test_sources_places_and_cases_are_found(session: Session) -> None:
    source = make_source(session, title="Nafas report", url="https://example.org/raid-2017")
    place = make_place(session, name="Bakı")
    add_place_alias(session, place_id=place.id, text="Баку", actor_id=ACTOR_ID)
    case = make_case(session, title="Appeal of Zaur")
    assert ids(search(session, "nafas")) == [source.id]
    assert ids(search(session, "example org")) == [source.id]
    assert place.id in ids(search(session, "баку"))
    assert ids(search(session, "zaur")) == [case.id]


def test_aliases_are_found_whole_only_by_viewers_who_see_identities(session: Session) -> None:
    person = make_person(session, names=["Rəşad Quliyev"])
    assert search(session, "rəşad quliyev", ANALYST).hits == ()
    # Names are sealed and not in the index: only the whole name matches, by its blind index.
    assert search(session, "RƏŞAD", LAWYER).hits == ()
    (hit,) = search(session, "RƏŞAD QULİYEV", LAWYER).hits
    assert (hit.kind, hit.record.id, hit.field) == ("person", person.id, "person.name")
    assert hit.snippet == ""


def test_real_names_are_not_searchable_by_anyone(session: Session) -> None:
    make_person(session, real_name="Canary Realname")
    for viewer in (ANALYST, LAWYER, ADMIN):
        assert search(session, "canary", viewer).hits == ()


def test_pseudonym_codes_are_found_by_everyone(session: Session) -> None:
    person = make_person(session, names=["Hidden Alias"])
    for viewer in (ANALYST, LAWYER):
        assert ids(search(session, person.pseudonym_code, viewer)) == [person.id]
        assert ids(search(session, person.pseudonym_code.lower(), viewer)) == [person.id]


def test_restricted_records_appear_only_for_the_users_named(session: Session) -> None:
    named = user_viewer(session, "lawyer")
    other_lawyer = user_viewer(session, "lawyer")
    incident = make_incident(session, title="Secret raid")
    make_citation(session, incident_id=incident.id, claim="hidden claim words")
    person = make_person(session)
    for model, record_id in ((Incident, incident.id), (Person, person.id)):
        set_restriction(
            session, model=model, record_id=record_id, user_ids=[named.user_id], actor_id=ACTOR_ID
        )
    for query in ("secret", "hidden claim", person.pseudonym_code):
        assert search(session, query, ANALYST).hits == ()
        assert search(session, query, other_lawyer).hits == ()
        assert len(search(session, query, named).hits) == 1
        assert len(search(session, query, ADMIN).hits) == 1


def test_deleted_records_drop_out_and_come_back(session: Session) -> None:
    incident = make_incident(session, title="Vanishing raid")
    make_citation(session, incident_id=incident.id, claim="vanishing claim")
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    assert search(session, "vanishing").hits == ()
    restore_incident(session, incident_id=incident.id, expected_version=2, actor_id=ACTOR_ID)
    assert ids(search(session, "vanishing")) == [incident.id]


def test_a_merge_moves_aliases_to_the_survivor(session: Session) -> None:
    survivor = make_person(session)
    merged = make_person(session, names=["Tural"])
    merge_persons(
        session, survivor_id=survivor.id, merged_id=merged.id, reason="same", actor_id=ACTOR_ID
    )
    assert ids(search(session, "tural", LAWYER)) == [survivor.id]
    assert search(session, merged.pseudonym_code, LAWYER).hits == ()


def test_every_word_of_a_long_narrative_is_searchable(session: Session) -> None:
    filler = "lorem ipsum dolor " * (CHUNK_CHARACTERS // 9)
    incident = make_incident(session, title="Long", narrative=f"{filler} zanzibar at the end")
    (hit,) = search(session, "zanzibar").hits
    assert hit.record.id == incident.id and "zanzibar" in hit.snippet


@pytest.mark.parametrize("query", INJECTIONS)
def test_search_syntax_and_sql_are_only_text(session: Session, query: str) -> None:
    make_incident(session, title="Raid on 1 March, OR near the station")
    results = search(session, query)
    assert isinstance(results, SearchResults)
    assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1


def test_queries_reduce_to_plain_folded_words() -> None:
    assert search_terms("' OR 1=1 --") == ("or", "1")
    assert search_terms('NEAR("Əli" *) -x') == ("near", "eli", "x")
    assert search_terms("***") == ()
    assert len(search_terms(" ".join(f"w{n}" for n in range(100)))) == 8
    assert search_phrases("V-2017-014 Bakı") == (("v2017014",), ("baki",))
    assert search_phrases("Nafas-LGBTI") == (("nafas", "lgbti"),)


def test_what_was_typed_together_is_a_phrase(session: Session) -> None:
    person = make_person(session)
    letter, year, number = person.pseudonym_code.split("-")
    assert ids(search(session, f"{year}-{number}")) == [person.id]
    assert ids(search(session, f"{letter}-{year}-{number[:2]}")) == [person.id]
    assert search(session, f"{number}-{year}").hits == ()


def test_codes_and_dates_in_text_are_found_as_typed(session: Session) -> None:
    incident = make_incident(session, title="Raid", narrative="Seen on 08.03.2023; see V-2017-014.")
    for query in ("08.03.2023", "08.03", "8.03.2023", "V-2017-014", "v2017014", "2017-014"):
        found = ids(search(session, query))
        assert (incident.id in found) == (query != "8.03.2023"), query


def test_pages_of_twenty_without_overlap(session: Session) -> None:
    created = {make_incident(session, title=f"Roundup number {n}").id for n in range(25)}
    first = search(session, "roundup")
    second = search(session, "roundup", page=2)
    assert (len(first.hits), first.has_next) == (20, True)
    assert (len(second.hits), second.has_next) == (5, False)
    assert set(ids(first)) | set(ids(second)) == created
    assert search(session, "roundup", page=-3).page == 1
    assert search(session, "roundup", page=10**9).hits == ()


def test_rebuilding_gives_the_same_rows(session: Session) -> None:
    incident = make_incident(session, title="Əli", summary="Баку")
    make_citation(session, incident_id=incident.id, claim="claim")
    add_person_name(session, person_id=make_person(session).id, text="Nuray", actor_id=ACTOR_ID)
    table = SQLModel.metadata.tables["search_entry"]
    before = session.execute(select(table).order_by(table.c.id)).all()
    rebuild_search_index(session)
    assert session.execute(select(table).order_by(table.c.id)).all() == before
    assert ids(search(session, "баку")) == [incident.id]


def test_bulk_loads_are_indexed_after_writing(session: Session) -> None:
    generate_synthetic(session, count=5, seed=11, progress=lambda _done: None)
    code = session.execute(select(Person.pseudonym_code).limit(1)).scalar_one()
    assert len(search(session, code).hits) == 1
