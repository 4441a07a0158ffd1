"""Script and markup payloads stored in every text field, then every page that shows them:
nothing a payload holds may become an element, an attribute, a script or a link.

Each page is parsed as a browser would; an element or attribute carrying the payloads' marker,
an event handler, a javascript: link, a script or comment holding the marker, or a template
expression evaluated, can only come from a payload rendered unescaped.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, url_for
from sqlalchemy import Engine
from werkzeug.routing import Rule

from tests.hostile import payloads
from tests.hostile.stored import FIELDS, StoredPayloads, store_payloads
from tests.hostile.tally import TALLY
from tests.web.conftest import WebClient
from tests.web.examples import all_examples
from tracker.domain.text import has_control_characters

# Not pages: files, JSON, redirects, and the steps of signing in.
NOT_PAGES = frozenset(
    {
        "static",
        "auth.quick_exit",
        "auth.login",
        "auth.second_factor",
        "account.second_factor_qr",
        "incidents.date_preview",
        "incidents.export_csv",
    }
)
AUDIT_PAGES = 40


@pytest.fixture
def stored(engine: Engine) -> StoredPayloads:
    return store_payloads(engine)


def page_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES
        ),
        key=lambda rule: rule.endpoint,
    )


def page_urls(app: Flask, stored: StoredPayloads) -> Iterator[tuple[str, str]]:
    """Every page once per payload's records, list pages once (and searched), each payload's
    timeline and a search for it."""
    examples = all_examples()
    seen: set[str] = set()
    with app.test_request_context():
        for rule in page_rules(app):
            if not rule.arguments:
                urls = [url_for(rule.endpoint)]
                urls += [url_for(rule.endpoint, q=payloads.MARKER, deleted="1", page="1")]
            else:
                urls = [
                    url_for(rule.endpoint, **examples[rule.endpoint](sample))
                    for sample in stored.samples.values()
                ]
            for url in urls:
                if url not in seen:
                    seen.add(url)
                    yield rule.endpoint, url
        for text, sample in stored.samples.items():
            timeline = url_for("reports.timeline", case=str(sample.case_id), level="internal")
            yield "reports.timeline", timeline
            yield "search.index", "/search?" + urlencode({"q": text[:200]})
        for number in range(2, AUDIT_PAGES):
            yield "admin.audit_log", url_for("admin.audit_log", page=str(number))


def check_page(client: WebClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.get_data(as_text=True)
    assert payloads.injected_markup(page) == [], url
    return page


def test_stored_payloads_are_escaped_on_every_page(
    app: Flask, stored: StoredPayloads, signed_in: Any
) -> None:
    assert len(stored.samples) >= len(payloads.STORED) - len(payloads.CONTROL)
    client = signed_in("admin")
    shown = []
    for endpoint, url in page_urls(app, stored):
        shown.append(payloads.decoded_text(check_page(client, url)))
        TALLY.tried("stored payload pages", route=endpoint)
    everything = "\n".join(shown)
    # Control characters are refused by every service (they never reach a page).
    printable = [text for text in stored.samples if not has_control_characters(text)]
    missing = [text for text in printable if text.strip() not in everything]
    assert missing == [], "these payloads were never shown: the check would prove nothing"
    count = sum(stored.stored.values()) + sum(stored.refused.values())
    names = tuple(f"{kind}.{name}" for kind, fields in FIELDS.items() for name in fields)
    TALLY.tried("stored payloads", fields=names, count=count)


def test_roles_without_identity_access_see_the_payloads_escaped_too(
    app: Flask, stored: StoredPayloads, signed_in: Any
) -> None:
    client = signed_in("documenter")
    with app.test_request_context():
        urls = [(name, url_for(name)) for name in LIST_PAGES]
        for sample in stored.samples.values():
            urls.append(
                ("incidents.show", url_for("incidents.show", incident_id=sample.incident_id))
            )
            urls.append(("persons.show", url_for("persons.show", person_id=sample.person_id)))
    for endpoint, url in urls:
        check_page(client, url)
        TALLY.tried("stored payload pages", route=endpoint)


LIST_PAGES = (
    "dashboard.index",
    "incidents.index",
    "persons.index",
    "places.index",
    "organisations.index",
    "sources.index",
    "cases.index",
)


def test_every_record_kind_took_payloads() -> None:
    """The corpus reaches every kind and field listed (the tally's field count uses them)."""
    assert set(FIELDS) >= {"incident", "person", "place", "organisation", "source", "case"}
