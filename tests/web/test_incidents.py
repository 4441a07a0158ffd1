"""The incident page per role, restriction and deletion, and the date preview."""

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_evidence,
    make_incident,
    make_involvement,
    make_legal_action,
    make_link,
    make_person,
    make_place,
    make_source,
)
from tests.web.conftest import Account
from tracker.models import Incident
from tracker.services.cases import add_incident_to_case
from tracker.services.evidence import sha256_of
from tracker.services.incidents import delete_incident, get_incident
from tracker.services.restrictions import set_restriction

T = TypeVar("T")
REAL_NAME = "Canary Realname"


def seed(engine: Engine, build: Callable[[Session], T]) -> T:
    with Session(engine, expire_on_commit=False) as session:
        result = build(session)
        session.commit()
        return result


def full_incident(session: Session) -> dict[str, Any]:
    """An incident with one of everything its page shows."""
    baku = make_place(session, name="Baku")
    club = make_place(session, name="A club", kind="site", geo_precision=1, parent_id=baku.id)
    incident = make_incident(
        session,
        title="Raid on a club",
        type="RAID",
        secondary_types=("DET",),
        start_text="spring 2019",
        place_id=club.id,
        violations=("ECHR-5", "ECHR-14"),
        summary="Police came at night.",
    )
    person = make_person(session, real_name=REAL_NAME)
    make_involvement(session, incident_id=incident.id, person_id=person.id)
    source = make_source(session, title="Nafas report", reliability="B")
    make_citation(session, incident_id=incident.id, source_id=source.id, credibility=2)
    make_evidence(session, incident_id=incident.id, title="Photo of the door")
    before = make_incident(session, title="Earlier threat", start_text="2018")
    after = make_incident(session, title="Later detention", start_text="2020")
    make_link(session, from_incident_id=before.id, to_incident_id=incident.id)
    make_link(session, from_incident_id=incident.id, to_incident_id=after.id)
    case = make_case(session, title="Club raid case")
    add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    make_legal_action(session, case_id=case.id, kind="complaint", forum="Nasimi court")
    return {"incident": incident, "person": person, "before": before, "after": after}


def test_the_page_shows_everything_about_the_incident(engine: Engine, signed_in: Any) -> None:
    records = seed(engine, full_incident)
    incident = records["incident"]
    response = signed_in("analyst").get(f"/incidents/{incident.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        incident.code,
        "Raid on a club",
        "Police raid",  # the type's label, not its code
        "spring 2019 (Mar–May 2019)",
        "Baku › ",
        "A club",
        "Nafas report",
        "B2",
        sha256_of(b"original photo"),
        "Photo of the door",
        records["before"].code,
        records["after"].code,
        "Club raid case",
        "Nasimi court",
        "Complaint",
        "History",
        records["person"].pseudonym_code,
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("role", "sees_name"),
    [("analyst", False), ("documenter", False), ("lawyer", True), ("reviewer", True)],
)
def test_names_only_for_roles_that_may_see_identities(
    engine: Engine, signed_in: Any, role: str, sees_name: bool
) -> None:
    records = seed(engine, full_incident)
    page = signed_in(role).get(f"/incidents/{records['incident'].id}").get_data(as_text=True)
    assert (REAL_NAME in page) is sees_name
    assert records["person"].pseudonym_code in page


def test_a_restricted_incident_is_not_found_for_others(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> tuple[Incident, Incident]:
        hidden = make_incident(session, title="Hidden")
        visible = make_incident(session, title="Visible")
        make_link(session, from_incident_id=visible.id, to_incident_id=hidden.id)
        set_restriction(
            session,
            model=Incident,
            record_id=hidden.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return hidden, visible

    hidden, visible = seed(engine, build)
    documenter = signed_in("documenter")
    assert documenter.get(f"/incidents/{hidden.id}").status_code == 404
    assert documenter.get(f"/incidents/{hidden.id}/edit").status_code == 404
    assert (
        documenter.post(
            f"/incidents/{hidden.id}/delete", {"version": "1"}, form_url="/incidents/"
        ).status_code
        == 404
    )
    # Its link from a visible incident does not reveal it either.
    assert hidden.code not in documenter.get(f"/incidents/{visible.id}").get_data(as_text=True)
    assert signed_in("lawyer").get(f"/incidents/{hidden.id}").status_code == 200
    assert signed_in("admin").get(f"/incidents/{hidden.id}").status_code == 200


def test_deleted_incidents_only_admins_open_and_restore(engine: Engine, signed_in: Any) -> None:
    def build(session: Session) -> Incident:
        incident = make_incident(session)
        return delete_incident(
            session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID
        )

    incident = seed(engine, build)
    assert signed_in("reviewer").get(f"/incidents/{incident.id}").status_code == 404
    admin = signed_in("admin")
    page = admin.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "This incident is deleted." in page and "Restore" in page
    restored = admin.post(
        f"/incidents/{incident.id}/restore", {"version": "2", "reason": "deleted by mistake"}
    )
    assert restored.status_code == 302
    with Session(engine) as session:
        assert not get_incident(session, incident.id).is_deleted


def test_delete_needs_the_current_version(engine: Engine, signed_in: Any) -> None:
    incident = seed(engine, lambda s: make_incident(s))
    documenter = signed_in("documenter")
    url = f"/incidents/{incident.id}"
    stale = documenter.post(f"{url}/delete", {"version": "7"}, form_url=url)
    assert stale.status_code == 409
    missing = documenter.post(f"{url}/delete", {}, form_url=url)
    assert missing.status_code == 400
    done = documenter.post(f"{url}/delete", {"version": "1", "reason": "duplicate"}, form_url=url)
    assert done.status_code == 302
    assert documenter.get(url).status_code == 404
    analyst = signed_in("analyst")
    assert analyst.post(f"{url}/delete", {"version": "2"}, form_url="/").status_code == 403


def test_unknown_ids_are_not_found(signed_in: Any) -> None:
    client = signed_in("admin")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/incidents/{unknown}").status_code == 404
    assert client.get(f"/incidents/{unknown}/edit").status_code == 404
    assert client.get("/incidents/not-a-uuid").status_code == 404


def test_date_preview_answers_json(signed_in: Any) -> None:
    client = signed_in("documenter")
    good = client.get("/incidents/date-preview?text=late+2021").get_json()
    assert good == {"ok": True, "text": "late 2021 (Sep–Dec 2021)"}
    bad = client.get("/incidents/date-preview?text=next+blue+moon").get_json()
    assert bad["ok"] is False and "not a date" in bad["text"]
    long = client.get("/incidents/date-preview?text=" + "9" * 100_000)
    assert long.status_code == 200 and long.get_json()["ok"] is False
    assert client.get("/incidents/date-preview?text=2019%00").get_json()["ok"] is False


def test_the_page_adds_people_sources_and_links(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> dict[str, Any]:
        hidden = make_incident(session, title="Hidden")
        set_restriction(
            session,
            model=Incident,
            record_id=hidden.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return {
            "incident": make_incident(session),
            "other": make_incident(session, start_text="2024"),
            "hidden": hidden,
            "person": make_person(session),
            "source": make_source(session, title="Witness account", reliability="C"),
        }

    records = seed(engine, build)
    client = signed_in("documenter")
    url = f"/incidents/{records['incident'].id}"
    person_code = records["person"].pseudonym_code
    added = client.post(
        f"{url}/involvements", {"role": "victim", "person_code": person_code}, form_url=url
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    cited = client.post(
        f"{url}/citations",
        {"source": str(records["source"].id), "claim": "Saw it", "credibility": "3"},
        form_url=url,
    )
    assert cited.status_code == 302
    linked = client.post(
        f"{url}/links",
        {"link_type": "precedes", "other_code": records["other"].code},
        form_url=url,
    )
    assert linked.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert person_code in page and "C3" in page and records["other"].code in page

    # Refused additions come back at their field, and write nothing.
    before = table_counts(engine)
    for path, data, message in (
        ("involvements", {"role": "victim", "person_code": person_code}, "already"),
        ("involvements", {"role": "victim", "person_code": "V-1900-001"}, "no person"),
        ("involvements", {"role": "victim"}, "either a person or an organisation"),
        ("links", {"link_type": "precedes", "other_code": records["hidden"].code}, "no incident"),
        ("links", {"link_type": "precedes", "other_code": records["incident"].code}, "itself"),
        ("citations", {"source": "", "credibility": "3"}, "Choose a source."),
        ("citations", {"source": str(records["source"].id), "credibility": "9"}, "valid choice"),
    ):
        response = client.post(f"{url}/{path}", data, form_url=url)
        assert response.status_code == 400, (path, data)
        assert message in response.get_data(as_text=True), (path, message)
    assert table_counts(engine) == before
    assert signed_in("analyst").post(f"{url}/links", {}, form_url="/").status_code == 403
