"""Source pages: reliability, safe links, incidents citing it with grades, edits, bad input."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_citation, make_incident
from tests.web.conftest import Account
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Incident, Source
from tracker.services.restrictions import set_restriction
from tracker.services.sources import update_source


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def load(engine: Engine, source_id: uuid.UUID) -> Source:
    with Session(engine) as session:
        source = session.get(Source, source_id)
        assert source is not None
        return source


FIELDS = {
    "kind": "media_article",
    "title": "Nafas report on 8 March",
    "url": "https://nafas.example/report",
    "published_text": "March 2023",
    "accessed_on": "2024-05-02",
    "reliability": "B",
}


def test_pages_render_for_every_role(engine: Engine, sample: Sample, signed_in: Any) -> None:
    for role in ROLE_CODES:
        client = signed_in(role)
        assert "Report on the 8 March march" in client.get("/sources/?q=8 march").get_data(
            as_text=True
        )
        page = client.get(f"/sources/{sample.source_id}").get_data(as_text=True)
        assert "Sample incident" in page and "F6" in page
        assert client.get("/sources/new").status_code == (403 if role == "analyst" else 200)


def test_create_shows_grade_link_and_dates(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    created = client.post("/sources/new", FIELDS)
    assert created.status_code == 302, created.get_data(as_text=True)
    source_id = uuid.UUID(created.location.rsplit("/", 1)[1])
    with Session(engine) as session:
        incident = make_incident(session, title="March detention")
        make_citation(session, source_id=source_id, incident_id=incident.id, credibility=2)
        session.commit()
    page = client.get(created.location).get_data(as_text=True)
    assert 'href="https://nafas.example/report" rel="noreferrer noopener"' in page
    assert "B2" in page and "March detention" in page and "March 2023" in page


def test_unsafe_addresses_are_text_not_links(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example"):
        created = client.post("/sources/new", {**FIELDS, "url": url})
        assert created.status_code == 302
        page = client.get(created.location).get_data(as_text=True)
        assert 'href="javascript' not in page and 'href="data:' not in page
        assert 'href="//evil' not in page and "<b>x</b>" not in page


def test_restricted_incidents_are_left_out(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with Session(engine) as session:
        set_restriction(
            session,
            model=Incident,
            record_id=sample.incident_id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        session.commit()
    show = f"/sources/{sample.source_id}"
    assert "Sample incident" not in signed_in("analyst").get(show).get_data(as_text=True)
    assert "Sample incident" in signed_in("lawyer").get(show).get_data(as_text=True)


def test_edit_conflict_delete_and_restore(engine: Engine, sample: Sample, signed_in: Any) -> None:
    client, admin = signed_in("documenter"), signed_in("admin")
    show = f"/sources/{sample.source_id}"
    with Session(engine) as session:
        update_source(
            session,
            source_id=sample.source_id,
            expected_version=1,
            changes={"title": "Their title"},
            actor_id=ACTOR_ID,
        )
        session.commit()
    conflict = client.post(f"{show}/edit", {**FIELDS, "version": "1", "title": "My title"})
    assert conflict.status_code == 409
    assert "Their title" in conflict.get_data(as_text=True)
    assert load(engine, sample.source_id).title == "Their title"
    saved = client.post(f"{show}/edit", {**FIELDS, "version": "2", "title": "My title"})
    assert saved.status_code == 302
    assert load(engine, sample.source_id).reliability == "B"
    assert (
        client.post(f"{show}/delete", {"version": "3", "reason": "spam"}, form_url=show).status_code
        == 302
    )
    assert client.get(show).status_code == 404
    assert admin.post(f"{show}/restore", {"version": "4"}, form_url=show).status_code == 302
    assert not load(engine, sample.source_id).is_deleted


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "x" * 100_000},
        {"citation_text": "nul\x00"},
        {"reliability": "A1"},
        {"kind": "<script>"},
        {"published_text": "March 14th"},
        {"accessed_on": "2999-01-01"},
        {"accessed_on": "yesterday"},
    ],
)
def test_bad_input_writes_nothing(engine: Engine, signed_in: Any, changes: dict[str, str]) -> None:
    client = signed_in("lawyer")
    before = table_counts(engine)
    response = client.post("/sources/new", {**FIELDS, **changes})
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert table_counts(engine) == before


def test_markup_escaped_forged_tokens_unknown_ids(engine: Engine, signed_in: Any) -> None:
    client = signed_in("lawyer")
    payload = "<script>alert(1)</script>"
    before = table_counts(engine)
    assert client.post("/sources/new", {**FIELDS, "csrf_token": "x"}).status_code == 400
    assert client.post("/sources/new", FIELDS, with_token=False).status_code == 400
    assert client.get(f"/sources/{uuid.uuid4()}").status_code == 404
    assert client.get("/sources/?kind=%27&q=%25_").status_code == 200
    assert table_counts(engine) == before
    created = client.post("/sources/new", {**FIELDS, "title": payload, "citation_text": payload})
    for url in (created.location, "/sources/"):
        page = client.get(url).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;" in page
