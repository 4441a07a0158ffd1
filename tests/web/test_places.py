"""Place pages: the tree, aliases, internal coordinates, incidents of sub-places, bad input."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident, make_place
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Place
from tracker.services.places import aliases_of, update_place


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def load(engine: Engine, place_id: uuid.UUID) -> Place:
    with Session(engine) as session:
        place = session.get(Place, place_id)
        assert place is not None
        return place


@pytest.fixture
def site(engine: Engine, sample: Sample) -> Place:
    """A club inside Baku with coordinates and an incident of its own."""
    with Session(engine, expire_on_commit=False) as session:
        district = make_place(
            session, name="Nəsimi", kind="district", geo_precision=2, parent_id=sample.place_id
        )
        club = make_place(
            session,
            name="Club 28",
            kind="site",
            geo_precision=1,
            parent_id=district.id,
            latitude=40.3777,
            longitude=49.8542,
        )
        make_incident(session, title="Raid on the club", place_id=club.id)
        session.commit()
        return club


def test_pages_render_for_every_role(
    engine: Engine, sample: Sample, site: Place, signed_in: Any
) -> None:
    for role in ROLE_CODES:
        client = signed_in(role)
        assert "Club 28" in client.get("/places/?q=club").get_data(as_text=True)
        page = client.get(f"/places/{site.id}").get_data(as_text=True)
        assert "Baku" in page and "Nəsimi" in page and "Raid on the club" in page
        baku = client.get(f"/places/{sample.place_id}").get_data(as_text=True)
        assert "Raid on the club" in baku and "Sample incident" in baku  # sub-places included
        expected = 403 if role == "analyst" else 200
        assert client.get("/places/new").status_code == expected


def test_coordinates_only_for_roles_that_see_identities(
    engine: Engine, site: Place, signed_in: Any
) -> None:
    assert "40.3777" in signed_in("lawyer").get(f"/places/{site.id}").get_data(as_text=True)
    for role in ("analyst", "documenter"):
        client = signed_in(role)
        urls = [f"/places/{site.id}"] + (
            [f"/places/{site.id}/edit"] if role == "documenter" else []
        )
        for url in urls:
            assert "40.3777" not in client.get(url).get_data(as_text=True), (role, url)
    documenter = signed_in("documenter")
    fields = {
        "version": "1",
        "name": "Club 28 (renamed)",
        "kind": "site",
        "geo_precision": "1",
        "parent_id": str(site.parent_id),
    }
    assert documenter.post(f"/places/{site.id}/edit", fields).status_code == 302
    place = load(engine, site.id)
    assert (place.name, place.latitude) == ("Club 28 (renamed)", 40.3777)


def test_create_edit_conflict_and_aliases(engine: Engine, sample: Sample, signed_in: Any) -> None:
    client = signed_in("documenter")
    fields = {"name": "Sumqayıt", "kind": "first_level_unit", "geo_precision": "3", "parent_id": ""}
    created = client.post("/places/new", fields)
    assert created.status_code == 302, created.get_data(as_text=True)
    place_id = uuid.UUID(created.location.rsplit("/", 1)[1])
    show = f"/places/{place_id}"
    for text in ("Sumgait", "Сумгаит"):
        assert client.post(f"{show}/aliases", {"text": text}, form_url=show).status_code == 302
    assert "Sumqayıt" in client.get("/places/?q=сумгаит").get_data(as_text=True)
    with Session(engine, expire_on_commit=False) as session:
        alias = aliases_of(session, place_id)[0]
        update_place(
            session,
            place_id=place_id,
            expected_version=1,
            changes={"name": "Sumqayit (theirs)"},
            actor_id=ACTOR_ID,
        )
        session.commit()
    conflict = client.post(f"{show}/edit", {**fields, "version": "1", "name": "Mine"})
    assert conflict.status_code == 409
    assert "Sumqayit (theirs)" in conflict.get_data(as_text=True)
    assert load(engine, place_id).name == "Sumqayit (theirs)"
    removed = client.post(f"{show}/aliases/remove", {"item_id": str(alias.id)}, form_url=show)
    assert removed.status_code == 302
    with Session(engine) as session:
        assert [a.text for a in aliases_of(session, place_id)] == ["Сумгаит"]
    other = client.post(
        f"/places/{sample.place_id}/aliases/remove", {"item_id": str(alias.id)}, form_url=show
    )
    assert other.status_code == 404


def test_delete_is_refused_while_used_then_allowed_and_restored(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client, admin = signed_in("documenter"), signed_in("admin")
    show = f"/places/{sample.place_id}"
    before = table_counts(engine)
    used = client.post(f"{show}/delete", {"version": "1", "reason": "wrong"}, form_url=show)
    assert used.status_code == 400 and "still used" in used.get_data(as_text=True)
    assert table_counts(engine) == before
    with Session(engine, expire_on_commit=False) as session:
        spare = make_place(session, name="Spare")
        session.commit()
    spare_url = f"/places/{spare.id}"
    assert (
        client.post(
            f"{spare_url}/delete", {"version": "1", "reason": "typo"}, form_url=spare_url
        ).status_code
        == 302
    )
    assert client.get(spare_url).status_code == 404
    assert "Spare" in admin.get("/places/?deleted=1").get_data(as_text=True)
    assert (
        admin.post(f"{spare_url}/restore", {"version": "2"}, form_url=spare_url).status_code == 302
    )
    assert not load(engine, spare.id).is_deleted


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x" * 100_000, "kind": "site", "geo_precision": "1"},
        {"name": "nul\x00", "kind": "site", "geo_precision": "1"},
        {"name": "ok", "kind": "<script>", "geo_precision": "1"},
        {"name": "ok", "kind": "site", "geo_precision": "9"},
        {"name": "ok", "kind": "site", "geo_precision": "1", "parent_id": str(uuid.uuid4())},
        {"name": "ok", "kind": "site", "geo_precision": "1", "latitude": "nan", "longitude": "1"},
        {
            "name": "Home",
            "kind": "site",
            "geo_precision": "1",
            "sensitive": "y",
            "latitude": "40",
            "longitude": "49",
        },
    ],
)
def test_bad_input_writes_nothing(engine: Engine, signed_in: Any, fields: dict[str, str]) -> None:
    client = signed_in("lawyer")
    before = table_counts(engine)
    response = client.post("/places/new", {"parent_id": "", **fields})
    assert response.status_code == 400
    assert table_counts(engine) == before


def test_markup_escaped_and_forged_tokens(engine: Engine, sample: Sample, signed_in: Any) -> None:
    client = signed_in("documenter")
    payload = "<script>alert(1)</script>"
    fields = {"name": payload, "kind": "site", "geo_precision": "1", "parent_id": ""}
    before = table_counts(engine)
    assert client.post("/places/new", {**fields, "csrf_token": "forged"}).status_code == 400
    assert client.post("/places/new", fields, with_token=False).status_code == 400
    assert client.get(f"/places/{uuid.uuid4()}").status_code == 404
    assert table_counts(engine) == before
    created = client.post("/places/new", fields)
    assert created.status_code == 302
    for url in (created.location, "/places/"):
        page = client.get(url).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;" in page


def test_long_lists_are_paginated(engine: Engine, signed_in: Any) -> None:
    with Session(engine) as session:
        for number in range(55):
            make_place(session, name=f"Site {number:02d}", kind="site", geo_precision=1)
        session.commit()
    client = signed_in("analyst")
    first = client.get("/places/?kind=site").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Site 00" in first and "Site 54" not in first
    assert 'href="/places/?kind=site&amp;page=2"' in first
    second = client.get("/places/?kind=site&page=2").get_data(as_text=True)
    assert "Site 54" in second and "Site 00" not in second
