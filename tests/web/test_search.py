"""The search page: folding per script, who finds what, hostile input, pages."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_citation, make_incident, make_person
from tests.web.conftest import Account, WebClient
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Incident
from tracker.services.restrictions import set_restriction

SignIn = Callable[[str], WebClient]


def create(engine: Engine, build: Callable[[Session], Any]) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        record = build(session)
        session.commit()
        return record


def search_page(client: WebClient, query: str, **extra: Any) -> str:
    response = client.post("/search", {"q": query, **extra})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def hit_count(page: str) -> int:
    return page.count('<span class="badge">')


@pytest.mark.parametrize("role", ROLE_CODES)
def test_the_page_opens_for_every_role(signed_in: SignIn, role: str) -> None:
    client = signed_in(role)
    page = client.get("/search").get_data(as_text=True)
    assert 'method="post"' in page and 'name="q"' in page
    assert client.get("/search?q=nothing").status_code == 200


def test_anonymous_users_are_sent_to_log_in(web: WebClient) -> None:
    response = web.get("/search?q=baku")
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize(
    "stored, typed",
    [("Əli saxlanıldı", "ƏLİ"), ("İsmayıllı rayonu", "ismayıllı"), ("Задержание в Баку", "баку")],
)
def test_case_and_script_do_not_matter(
    engine: Engine, signed_in: SignIn, stored: str, typed: str
) -> None:
    incident = create(engine, lambda session: make_incident(session, title=stored))
    client = signed_in("analyst")
    assert incident.code in search_page(client, typed)
    assert incident.code in client.get(f"/search?q={typed}").get_data(as_text=True)


def test_a_hit_links_to_its_record_and_marks_the_words(engine: Engine, signed_in: SignIn) -> None:
    def build(session: Session) -> Incident:
        incident = make_incident(session, title="Detention")
        make_citation(session, incident_id=incident.id, claim="Officers copied the contacts.")
        return incident

    incident = create(engine, build)
    page = search_page(signed_in("documenter"), "copied")
    assert f"/incidents/{incident.id}" in page
    assert "<mark>copied</mark>" in page


def test_aliases_are_found_by_lawyers_but_not_analysts(engine: Engine, signed_in: SignIn) -> None:
    person = create(engine, lambda session: make_person(session, names=["Rəşad Quliyev"]))
    analyst_page = search_page(signed_in("analyst"), "rəşad quliyev")
    assert hit_count(analyst_page) == 0 and person.pseudonym_code not in analyst_page
    # Names are sealed and not indexed: a whole name matches, through its blind index.
    assert person.pseudonym_code not in search_page(signed_in("lawyer"), "RƏŞAD")
    lawyer_page = search_page(signed_in("lawyer"), "RƏŞAD QULİYEV")
    assert person.pseudonym_code in lawyer_page and hit_count(lawyer_page) == 1


@pytest.mark.parametrize("role", ROLE_CODES)
def test_pseudonym_codes_are_found_by_every_role(
    engine: Engine, signed_in: SignIn, role: str
) -> None:
    person = create(engine, lambda session: make_person(session, real_name="Canary Realname"))
    page = search_page(signed_in(role), person.pseudonym_code)
    assert person.pseudonym_code in page
    assert hit_count(page) == 1
    assert hit_count(search_page(signed_in(role), "canary")) == 0


def test_restricted_incidents_are_found_only_by_the_users_named(
    engine: Engine, signed_in: SignIn, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> Incident:
        incident = make_incident(session, title="Restricted roundup")
        set_restriction(
            session,
            model=Incident,
            record_id=incident.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return incident

    incident = create(engine, build)
    for role in ("analyst", "documenter", "reviewer"):
        assert incident.code not in search_page(signed_in(role), "roundup"), role
    for role in ("lawyer", "admin"):
        assert incident.code in search_page(signed_in(role), "roundup"), role


HOSTILE_QUERIES = [
    "' OR 1=1 --",
    "'; DROP TABLE incident; --",
    'NEAR("a" "b")',
    '"',
    "*",
    "-",
    "a:* | !b",
    "\x00nul",
    "x" * 100_000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_are_only_text(engine: Engine, signed_in: SignIn, query: str) -> None:
    create(engine, lambda session: make_incident(session, title="Raid OR near the station"))
    client = signed_in("analyst")
    before = table_counts(engine)
    assert client.post("/search", {"q": query}).status_code == 200
    assert client.get("/search", query_string={"q": query}).status_code == 200
    assert table_counts(engine) == before


def test_markup_is_shown_escaped(engine: Engine, signed_in: SignIn) -> None:
    create(engine, lambda session: make_incident(session, title="<script>alert(1)</script> raid"))
    page = search_page(signed_in("analyst"), "<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; raid" in page


def test_invalid_utf8_and_odd_pages_give_no_error(signed_in: SignIn) -> None:
    client = signed_in("analyst")
    assert client.get("/search?q=%ff%fe%00&page=abc").status_code == 200
    assert client.get("/search?q=raid&page=-1").status_code == 200
    assert client.get("/search?q=raid&page=99999999999").status_code == 200


def test_a_post_without_a_valid_token_is_refused(signed_in: SignIn) -> None:
    client = signed_in("analyst")
    assert client.post("/search", {"q": "raid"}, with_token=False).status_code == 400
    assert client.post("/search", {"q": "raid", "csrf_token": "forged"}).status_code == 400


def test_results_come_twenty_to_a_page(engine: Engine, signed_in: SignIn) -> None:
    codes = create(
        engine,
        lambda session: {make_incident(session, title=f"Roundup {n}").code for n in range(25)},
    )
    client = signed_in("analyst")
    first = search_page(client, "roundup")
    assert hit_count(first) == 20 and 'name="page" value="2"' in first
    second = search_page(client, "roundup", page="2")
    assert hit_count(second) == 5 and 'name="page" value="1"' in second
    assert 'name="page" value="3"' not in second
    found = {code for code in codes if code in first or code in second}
    assert found == codes


def test_unknown_words_find_nothing(signed_in: SignIn) -> None:
    page = search_page(signed_in("analyst"), f"nothing{uuid.uuid4().hex}")
    assert "Nothing found." in page
