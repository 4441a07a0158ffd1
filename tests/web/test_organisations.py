"""Organisation pages: hierarchy, units, aliases, incidents, edits and bad input."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_involvement, make_organisation
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Organisation
from tracker.services.organisations import update_organisation


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def load(engine: Engine, organisation_id: uuid.UUID) -> Organisation:
    with Session(engine) as session:
        organisation = session.get(Organisation, organisation_id)
        assert organisation is not None
        return organisation


@pytest.fixture
def ministry(engine: Engine, sample: Sample) -> Organisation:
    """The sample police station as a unit of a ministry, alleged perpetrator in the incident."""
    with Session(engine, expire_on_commit=False) as session:
        top = make_organisation(
            session,
            name="Ministry of Internal Affairs",
            kind="ministry",
            state_relation="state",
            perpetrator_type="state_agent",
        )
        station = session.get(Organisation, sample.organisation_id)
        assert station is not None
        update_organisation(
            session,
            organisation_id=station.id,
            expected_version=1,
            changes={"parent_id": top.id},
            actor_id=ACTOR_ID,
        )
        make_involvement(
            session,
            incident_id=sample.incident_id,
            organisation_id=station.id,
            role="alleged_perpetrator",
            perpetrator_type="state_agent",
        )
        session.commit()
        return top


def test_pages_render_for_every_role(
    engine: Engine, sample: Sample, ministry: Organisation, signed_in: Any
) -> None:
    for role in ROLE_CODES:
        client = signed_in(role)
        assert "Ministry of Internal" in client.get("/organisations/?q=ministry").get_data(
            as_text=True
        )
        station = client.get(f"/organisations/{sample.organisation_id}").get_data(as_text=True)
        assert "Ministry of Internal Affairs" in station and "Sample incident" in station
        top = client.get(f"/organisations/{ministry.id}").get_data(as_text=True)
        assert "Nasimi district police" in top  # listed as a unit
        assert client.get("/organisations/new").status_code == (403 if role == "analyst" else 200)


def test_create_edit_alias_and_conflict(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    fields = {
        "name": "Gender and Development",
        "kind": "state_linked_body",
        "parent_id": "",
        "state_relation": "state_affiliated",
        "perpetrator_type": "state_affiliated",
        "place_id": "",
    }
    created = client.post("/organisations/new", fields)
    assert created.status_code == 302, created.get_data(as_text=True)
    show = created.location
    organisation_id = uuid.UUID(show.rsplit("/", 1)[1])
    assert (
        client.post(f"{show}/aliases", {"text": "Gender və İnkişaf"}, form_url=show).status_code
        == 302
    )
    assert "Gender and Development" in client.get("/organisations/?q=inkisaf").get_data(
        as_text=True
    )
    edited = client.post(f"{show}/edit", {**fields, "version": "1", "description": "Note"})
    assert edited.status_code == 302
    stale = client.post(f"{show}/edit", {**fields, "version": "1", "description": "Mine"})
    assert stale.status_code == 409
    assert load(engine, organisation_id).description == "Note"


def test_delete_refused_with_units_and_restore(
    engine: Engine, sample: Sample, ministry: Organisation, signed_in: Any
) -> None:
    client, admin = signed_in("documenter"), signed_in("admin")
    top = f"/organisations/{ministry.id}"
    before = table_counts(engine)
    refused = client.post(f"{top}/delete", {"version": "1", "reason": "x"}, form_url=top)
    assert refused.status_code == 400 and "units" in refused.get_data(as_text=True)
    assert table_counts(engine) == before
    unit = f"/organisations/{sample.organisation_id}"
    assert (
        client.post(
            f"{unit}/delete", {"version": "2", "reason": "duplicate"}, form_url=unit
        ).status_code
        == 302
    )
    assert client.get(unit).status_code == 404
    assert admin.post(f"{unit}/restore", {"version": "3"}, form_url=unit).status_code == 302


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "x" * 100_000},
        {"name": "nul\x00"},
        {"kind": "'; DROP TABLE organisation; --"},
        {"parent_id": str(uuid.uuid4())},
        {"place_id": "not-a-uuid"},
    ],
)
def test_bad_input_writes_nothing(engine: Engine, signed_in: Any, changes: dict[str, str]) -> None:
    client = signed_in("lawyer")
    fields = {
        "name": "Court",
        "kind": "court",
        "parent_id": "",
        "state_relation": "state",
        "perpetrator_type": "state_agent",
        "place_id": "",
        **changes,
    }
    before = table_counts(engine)
    assert client.post("/organisations/new", fields).status_code == 400
    assert table_counts(engine) == before


def test_markup_escaped_and_forged_tokens(engine: Engine, signed_in: Any) -> None:
    client = signed_in("lawyer")
    payload = "<script>alert(1)</script>"
    fields = {
        "name": payload,
        "kind": "court",
        "parent_id": "",
        "state_relation": "state",
        "perpetrator_type": "state_agent",
        "place_id": "",
    }
    before = table_counts(engine)
    assert client.post("/organisations/new", {**fields, "csrf_token": "x"}).status_code == 400
    assert client.get(f"/organisations/{uuid.uuid4()}").status_code == 404
    assert table_counts(engine) == before
    created = client.post("/organisations/new", fields)
    page = client.get(created.location).get_data(as_text=True)
    assert payload not in page and "&lt;script&gt;" in page
