"""SQL fragments, LIKE wildcards and full-text syntax in the search box and in every query
parameter of every page: never a 500, no database or Python error shown, and nothing found
that the user may not see (a restricted incident, a deleted one, a real name).

The parameters of each page are read from its GET forms, plus those the views read directly
(`page`, `q`, `deleted`, `sort`...), so a new filter is attacked without a change here.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, url_for
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import ACTOR_ID, make_incident, make_person
from tests.hostile import payloads
from tests.hostile.html_forms import forms_in
from tests.hostile.tally import TALLY
from tests.web.conftest import Account, WebClient
from tracker.models import Incident
from tracker.services.incidents import delete_incident
from tracker.services.restrictions import set_restriction

# Never shown to an analyst, whatever the query.
CANARY = "zebracanary"
RESTRICTED_TITLE = f"Restricted {CANARY} detention"
DELETED_TITLE = f"Deleted {CANARY} detention"
REAL_NAME = f"Realname {CANARY}"
# Parameters views read without a form; tried on every page.
READ_DIRECTLY = ("q", "page", "deleted", "sort", "next", "user", "level", "filter")
# Pages the admin attacks (the analyst cannot open them); the rest are the analyst's.
ADMIN_PAGES = frozenset({"admin.audit_log", "admin.deleted", "admin.users_page"})
SKIPPED = frozenset(
    {"static", "auth.quick_exit", "account.second_factor_qr", "auth.second_factor", "auth.login"}
)
# Pages reading the incident list's filters without showing its form.
SAME_FILTERS_AS = {"/incidents/export.csv": "/incidents/", "/reports/timeline": "/incidents/"}
# Choices are checked against a list: a few values show that, the full corpus adds nothing.
CHOICE_PAYLOADS = (*payloads.SQL[:4], payloads.SQL[8], *payloads.CONTROL[:1], payloads.LONG[0])


@dataclass(frozen=True)
class Secrets:
    restricted_id: uuid.UUID
    deleted_id: uuid.UUID


@pytest.fixture
def secrets(engine: Engine, accounts: dict[str, Account]) -> Secrets:
    """A restricted incident (the admin alone may see it), a deleted one, a victim's real name;
    and a visible incident, so that queries find something."""
    with Session(engine, expire_on_commit=False) as session:
        make_incident(session, title="Detention at the market")
        restricted = make_incident(session, title=RESTRICTED_TITLE, summary=CANARY)
        set_restriction(
            session,
            model=Incident,
            record_id=restricted.id,
            user_ids=[accounts["admin"].user_id],
            actor_id=ACTOR_ID,
        )
        deleted = make_incident(session, title=DELETED_TITLE, summary=CANARY)
        delete_incident(
            session, incident_id=deleted.id, expected_version=deleted.version, actor_id=ACTOR_ID
        )
        make_person(session, real_name=REAL_NAME)
        session.commit()
        return Secrets(restricted.id, deleted.id)


def page_parameters(client: WebClient, url: str) -> dict[str, bool]:
    """{parameter: takes free text} from the page's GET forms (for the CSV and the timeline of
    a filter, the incident list's); the directly read ones get the short list (the list pages'
    search boxes, read directly too, are in their forms)."""
    path = url.split("?")[0]
    page = client.get(SAME_FILTERS_AS.get(path, url))
    found = dict.fromkeys(READ_DIRECTLY, False)
    if page.mimetype == "text/html":
        for form in forms_in(page.get_data(as_text=True), "http://localhost" + url):
            if form.method == "get":
                for item in form.fields:
                    if item.kind not in ("submit", "button"):
                        found[item.name] = item.kind not in ("select", "checkbox", "radio")
    return found


def query_pages(app: Flask) -> Iterator[tuple[str, str]]:
    """(endpoint, URL) of every page without URL arguments, and the timeline of filters."""
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint):
            page = "GET" in (rule.methods or ()) and not rule.arguments
            if page and rule.endpoint not in SKIPPED:
                yield rule.endpoint, url_for(rule.endpoint)
        yield "reports.timeline", url_for("reports.timeline", filter="1")


def attacked_urls(client: WebClient, url: str) -> Iterator[tuple[str, str]]:
    for name, free_text in page_parameters(client, url).items():
        for payload in payloads.QUERY if free_text else CHOICE_PAYLOADS:
            joiner = "&" if "?" in url else "?"
            yield name, url + joiner + urlencode({name: payload})


def hidden_things(secrets: Secrets) -> tuple[str, ...]:
    return (str(secrets.restricted_id), str(secrets.deleted_id), *HIDDEN_TEXTS)


HIDDEN_TEXTS = (RESTRICTED_TITLE, DELETED_TITLE, REAL_NAME)


def shown_hidden(text: str, secrets: Secrets) -> list[str]:
    return [thing for thing in hidden_things(secrets) if thing in text]


def check_answer(client: WebClient, url: str, secrets: Secrets | None) -> None:
    """No failure, no error text; nothing hidden shown (None: the admin, who sees it all)."""
    response = client.client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    text = response.get_data().decode("utf-8", "replace")
    assert payloads.leaked_errors(text) == [], url
    if secrets is not None:
        assert shown_hidden(text, secrets) == [], url


def test_every_query_parameter_of_every_page_takes_sql_and_search_syntax(
    app: Flask, secrets: Secrets, signed_in: Any
) -> None:
    analyst, admin = signed_in("analyst"), signed_in("admin")
    for endpoint, url in query_pages(app):
        client = admin if endpoint in ADMIN_PAGES else analyst
        for name, attacked in attacked_urls(client, url):
            check_answer(client, attacked, None if client is admin else secrets)
            TALLY.tried("query parameters", route=endpoint, fields=(name,))


@pytest.mark.parametrize("role", ["documenter", "analyst"])
def test_the_search_box_takes_every_fragment_and_shows_only_what_the_role_may_see(
    secrets: Secrets, signed_in: Any, role: str
) -> None:
    client = signed_in(role)
    for payload in (*payloads.QUERY, CANARY, f"{CANARY}*", f'"{CANARY}"', f"title:{CANARY}"):
        response = client.post("/search", {"q": payload})
        assert response.status_code == 200, payload
        text = response.get_data(as_text=True)
        assert payloads.leaked_errors(text) == [], payload
        assert shown_hidden(text, secrets) == [], payload
        TALLY.tried("search box", route="search.index", fields=("q",))


def test_the_canaries_are_found_by_those_who_may_see_them(secrets: Secrets, signed_in: Any) -> None:
    """The check above proves something: the admin's search does find the restricted one."""
    page = signed_in("admin").post("/search", {"q": CANARY}).get_data(as_text=True)
    assert str(secrets.restricted_id) in page
    assert RESTRICTED_TITLE in payloads.decoded_text(page)


# Names url_for takes for itself, and the timeline link's own flag: a page that carries its
# query into its links (the next page, the CSV, the timeline) must not hand them over.
CRAFTED = {
    "endpoint": "auth.logout",
    "filter": "1",
    "_external": "1",
    "_scheme": "javascript",
    "_anchor": "x",
    "_method": "POST",
}


@pytest.fixture
def two_pages(engine: Engine) -> None:
    """More places, and audit entries, than a page holds."""
    from tests.factories import make_place

    with Session(engine) as session:
        for number in range(55):
            make_place(session, name=f"Place {number}")
        session.commit()


@pytest.mark.parametrize(
    "role, url", [("analyst", "/incidents/"), ("analyst", "/places/"), ("admin", "/admin/audit")]
)
def test_crafted_link_parameters_neither_break_a_page_nor_send_its_links_away(
    two_pages: None, signed_in: Any, role: str, url: str
) -> None:
    response = signed_in(role).get(url + "?" + urlencode(CRAFTED))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "javascript:" not in page and "http://localhost" not in page
    assert payloads.injected_markup(page) == []
    assert 'rel="next"' in page or url == "/incidents/"
