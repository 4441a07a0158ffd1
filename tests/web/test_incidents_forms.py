"""Creating and editing incidents: dates checked before saving, places made inline, conflicts,
quick entry, and bad input that writes nothing."""

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident, make_person, make_place
from tests.web.conftest import Account, WebClient, make_account
from tracker.domain.errors import RecordNotFound
from tracker.models import Citation, Incident, Involvement, Person, Place, Source
from tracker.services.incidents import get_incident, get_incident_by_code
from tracker.services.restrictions import set_restriction

T = TypeVar("T")
REAL_NAME = "Əli Məlikov"


def seed(engine: Engine, build: Callable[[Session], T]) -> T:
    with Session(engine, expire_on_commit=False) as session:
        result = build(session)
        session.commit()
        return result


def incident_form(**values: Any) -> dict[str, Any]:
    return {
        "title": "Detention after the march",
        "type": "DET",
        "start_text": "8 March 2023",
        "end_text": "",
        "place": "",
        "new_place_name": "",
        "new_place_kind": "site",
        "summary": "",
        "verification_status": "unverified",
        "submit": "Save",
        **values,
    }


def quick_form(**values: Any) -> dict[str, Any]:
    return {
        "type": "DET",
        "summary": "Detained near the metro",
        "start_text": "March 2023",
        "place": "",
        "new_place_name": "",
        "new_place_kind": "site",
        "victim_real_name": "",
        "victim_code": "",
        "source_kind": "",
        "source_text": "",
        "submit": "Save",
        **values,
    }


def saved_id(response: Any) -> uuid.UUID:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/incidents/([0-9a-f-]{36})$", response.location)
    assert match, response.location
    return uuid.UUID(match.group(1))


def load(engine: Engine, incident_id: uuid.UUID) -> Incident:
    with Session(engine, expire_on_commit=False) as session:
        return get_incident(session, incident_id)


def count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


# --- create ----------------------------------------------------------------------------------


def test_create_saves_and_shows_the_new_code(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    assert client.get("/incidents/new").status_code == 200
    response = client.post("/incidents/new", incident_form(verification_status="verified"))
    incident = load(engine, saved_id(response))
    # Only reviewers change verification; a documenter's entry stays unverified.
    assert (incident.title, incident.verification_status) == (
        "Detention after the march",
        "unverified",
    )
    assert incident.start_precision == "day"
    assert f"Incident {incident.code} recorded." in client.get(response.location).get_data(
        as_text=True
    )


def test_reviewers_set_verification(engine: Engine, signed_in: Any) -> None:
    response = signed_in("reviewer").post(
        "/incidents/new", incident_form(verification_status="verified")
    )
    assert load(engine, saved_id(response)).verification_status == "verified"


def test_a_new_place_is_created_inside_the_chosen_one(engine: Engine, signed_in: Any) -> None:
    baku = seed(engine, lambda s: make_place(s, name="Baku"))
    response = signed_in("documenter").post(
        "/incidents/new",
        incident_form(place=str(baku.id), new_place_name="Nasimi police station"),
    )
    incident = load(engine, saved_id(response))
    with Session(engine) as session:
        place = session.get(Place, incident.place_id)
        assert place is not None
        assert (place.name, place.parent_id, place.geo_precision) == (
            "Nasimi police station",
            baku.id,
            1,
        )


def test_check_shows_how_the_date_was_understood_and_saves_nothing(
    engine: Engine, signed_in: Any
) -> None:
    client = signed_in("documenter")
    before = table_counts(engine)
    data = incident_form(start_text="late 2021", new_place_name="Somewhere new", check="Check")
    del data["submit"]
    response = client.post("/incidents/new", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Understood as: late 2021 (Sep–Dec 2021)" in page
    assert 'value="Somewhere new"' in page  # the rest of the form is kept
    assert table_counts(engine) == before


def test_check_marks_a_date_it_cannot_read(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    before = table_counts(engine)
    response = client.post("/incidents/new", {**incident_form(start_text="soonish"), "check": "1"})
    assert response.status_code == 400
    assert "is not a date this tracker understands" in response.get_data(as_text=True)
    assert table_counts(engine) == before


def test_the_form_page_loads_the_preview_script(signed_in: Any) -> None:
    page = signed_in("documenter").get("/incidents/new").get_data(as_text=True)
    assert "js/incident_form.js" in page
    assert 'data-date-preview="/incidents/date-preview"' in page


def test_analysts_may_not_create(signed_in: Any) -> None:
    assert signed_in("analyst").get("/incidents/new").status_code == 403


# --- bad input -------------------------------------------------------------------------------


BAD_FIELDS = [
    ("title", "x" * 100_000, "Field cannot be longer than 300 characters."),
    ("summary", "x" * 100_000, "Field cannot be longer than 20000 characters."),
    ("title", "bad\x00title", "contains control characters"),
    ("start_text", "8 March\x00 2023", ""),
    ("start_text", "2090", "in the future"),
    ("start_text", "next blue moon", "not a date this tracker understands"),
    ("type", "NOPE", "Not a valid choice"),
    ("type", "", "This field is required."),
    ("secondary_types", "NOPE", "not a valid choice"),
    ("place", str(uuid.uuid4()), "no place"),
    ("place", "'; DROP TABLE incident; --", "Choose one of the listed records."),
    ("reported_victims_min", "-3", "Number must be between 0 and"),
    ("reported_victims_min", "lots", "Not a valid integer value."),
    ("new_place_name", "x" * 300, "Field cannot be longer than 200 characters."),
    ("new_place_kind", "palace", "Not a valid choice"),
    ("end_text", "1 March 2023", "before the start"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_FIELDS)
def test_bad_input_is_shown_at_its_field_and_writes_nothing(
    engine: Engine, signed_in: Any, name: str, value: str, message: str
) -> None:
    client = signed_in("documenter")
    client.get("/incidents/new")
    before = table_counts(engine)
    response = client.post("/incidents/new", incident_form(**{name: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    field_block = page.split(f'for="{name}"')[1].split('<div class="field')[0]
    assert "field-error" in field_block, page
    assert message in page
    assert table_counts(engine) == before


def test_markup_is_kept_as_text_everywhere(engine: Engine, signed_in: Any) -> None:
    payload = "<script>alert(1)</script>"
    client = signed_in("documenter")
    refused = client.post("/incidents/new", incident_form(title=payload, type="NOPE"))
    assert payload not in refused.get_data(as_text=True)
    assert "&lt;script&gt;" in refused.get_data(as_text=True)
    response = client.post("/incidents/new", incident_form(title=payload, summary=payload))
    page = client.get(response.location).get_data(as_text=True)
    assert payload not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_missing_or_forged_csrf_writes_nothing(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    before = table_counts(engine)
    missing = client.post("/incidents/new", incident_form(), with_token=False)
    forged = client.post("/incidents/new", incident_form(csrf_token="forged"))
    quick = client.post("/incidents/quick", quick_form(csrf_token="forged"))
    assert missing.status_code == forged.status_code == quick.status_code == 400
    assert table_counts(engine) == before


# --- edit and the conflict view --------------------------------------------------------------


def edit_values(client: WebClient, incident_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    page = client.get(f"/incidents/{incident_id}/edit").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page)
    assert version, page
    return incident_form(version=version.group(1), **changes)


def test_edit_saves_changes(engine: Engine, signed_in: Any) -> None:
    incident = seed(engine, lambda s: make_incident(s, title="Old title"))
    client = signed_in("documenter")
    values = edit_values(client, incident.id, title="New title", start_text="spring 2019")
    response = client.post(f"/incidents/{incident.id}/edit", values)
    assert saved_id(response) == incident.id
    saved = load(engine, incident.id)
    assert (saved.title, saved.start_precision, saved.version) == ("New title", "season", 2)


def test_edit_without_a_version_is_refused(engine: Engine, signed_in: Any) -> None:
    incident = seed(engine, lambda s: make_incident(s, title="Old title"))
    client = signed_in("documenter")
    url = f"/incidents/{incident.id}/edit"
    for version in ("", "abc"):
        response = client.post(url, incident_form(title="Changed", version=version))
        assert response.status_code == 400
    assert load(engine, incident.id).title == "Old title"


def test_a_second_save_sees_both_versions_and_overwrites_only_on_purpose(
    app: Flask, engine: Engine, signed_in: Any
) -> None:
    incident = seed(engine, lambda s: make_incident(s, title="First draft"))
    first = signed_in("documenter")
    other_account = make_account(engine, "documenter", username="documenter2")
    second = WebClient(app.test_client())
    assert second.login(other_account).status_code == 302
    url = f"/incidents/{incident.id}/edit"
    first_values = edit_values(first, incident.id, title="Title from the first tab")
    second_values = edit_values(second, incident.id, title="Title from the second tab")

    assert first.post(url, first_values).status_code == 302
    conflict = second.post(url, second_values)
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this record" in page
    assert "Title from the first tab" in page and "Title from the second tab" in page
    assert 'name="version" type="hidden" value="2"' in page  # saving again is deliberate
    assert load(engine, incident.id).title == "Title from the first tab"

    overwrite = second.post(url, {**second_values, "version": "2"})
    assert overwrite.status_code == 302
    assert load(engine, incident.id).title == "Title from the second tab"


def test_a_stale_version_never_overwrites(engine: Engine, signed_in: Any) -> None:
    incident = seed(engine, lambda s: make_incident(s, title="Kept"))
    client = signed_in("documenter")
    response = client.post(
        f"/incidents/{incident.id}/edit",
        {**edit_values(client, incident.id, title="X"), "version": "0"},
    )
    assert response.status_code == 409
    assert load(engine, incident.id).title == "Kept"


# --- quick entry -----------------------------------------------------------------------------


def test_quick_entry_with_a_new_victim_and_a_source(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    page = client.get("/incidents/quick").get_data(as_text=True)
    assert 'name="viewport"' in page and "Quick entry" in page
    response = client.post(
        "/incidents/quick",
        quick_form(
            new_victim="y",
            victim_real_name=REAL_NAME,
            new_place_name="Nizami metro",
            source_kind="victim_testimony",
            source_text="https://example.org/report",
        ),
    )
    incident_id = saved_id(response)
    shown = client.get(response.location).get_data(as_text=True)
    incident = load(engine, incident_id)
    with Session(engine) as session:
        involvement = session.execute(select(Involvement)).scalar_one()
        person = session.get(Person, involvement.person_id)
        assert person is not None and person.real_name == REAL_NAME
        assert person.pseudonym_code.startswith("V-")
        citation = session.execute(select(Citation)).scalar_one()
        source = session.get(Source, citation.source_id)
        assert source is not None
        assert (source.url, source.reliability, citation.credibility) == (
            "https://example.org/report",
            "F",
            6,
        )
        place = session.get(Place, incident.place_id)
        assert place is not None and place.name == "Nizami metro"
    assert f"Incident {incident.code} recorded" in shown and person.pseudonym_code in shown
    # A documenter writes the name but never reads it back; a lawyer does.
    assert REAL_NAME not in shown
    assert REAL_NAME in signed_in("lawyer").get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_quick_entry_needs_only_the_type(engine: Engine, signed_in: Any) -> None:
    response = signed_in("documenter").post(
        "/incidents/quick", quick_form(summary="", start_text="")
    )
    incident = load(engine, saved_id(response))
    assert (incident.type, incident.start_precision) == ("DET", "unknown")
    assert count(engine, Person) == count(engine, Source) == 0


def test_quick_entry_names_a_recorded_person_by_code(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> tuple[Person, Person]:
        known, hidden = make_person(session), make_person(session)
        set_restriction(
            session,
            model=Person,
            record_id=hidden.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return known, hidden

    known, hidden = seed(engine, build)
    client = signed_in("documenter")
    response = client.post("/incidents/quick", quick_form(victim_code=known.pseudonym_code))
    saved_id(response)
    with Session(engine) as session:
        assert session.execute(select(Involvement.person_id)).scalar_one() == known.id
    before = table_counts(engine)
    for code in (hidden.pseudonym_code, "V-1999-999", "<b>x</b>"):
        refused = client.post("/incidents/quick", quick_form(victim_code=code))
        assert refused.status_code == 400
        assert "is recorded" in refused.get_data(as_text=True)
    both = client.post(
        "/incidents/quick", quick_form(victim_code=known.pseudonym_code, new_victim="y")
    )
    assert both.status_code == 400
    assert table_counts(engine) == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("victim_real_name", "x" * 100_000),
        ("victim_real_name", "Ali\x00"),
        ("source_text", "x" * 100_000),
        ("source_kind", "rumour"),
        ("start_text", "whenever"),
        ("type", "NOPE"),
        ("new_place_name", "bad\x00place"),
    ],
)
def test_quick_entry_bad_input_writes_nothing(
    engine: Engine, signed_in: Any, name: str, value: str
) -> None:
    client = signed_in("documenter")
    client.get("/incidents/quick")
    before = table_counts(engine)
    response = client.post("/incidents/quick", quick_form(new_victim="y", **{name: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "field-error" in page.split(f'for="{name}"')[1].split('<div class="field')[0]
    assert table_counts(engine) == before


def test_quick_entry_source_text_without_a_kind_is_refused(engine: Engine, signed_in: Any) -> None:
    client = signed_in("documenter")
    client.get("/incidents/quick")
    before = table_counts(engine)
    response = client.post("/incidents/quick", quick_form(source_text="Told by a friend"))
    assert response.status_code == 400
    assert table_counts(engine) == before
    with Session(engine) as session, pytest.raises(RecordNotFound):
        get_incident_by_code(session, "INC-000001")
