"""Restricting records to named users through the web, and what the others then see."""

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.web.conftest import Account, WebClient
from tests.web.sample import Sample, make_sample
from tracker.models import Case, Incident, Person
from tracker.services.incident_queries import IncidentFilters, list_incidents
from tracker.services.restrictions import Viewer, may_view, restricted_to, set_restriction

MODELS = {"incident": Incident, "case_file": Case, "person": Person}


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def url_of(table_name: str, record_id: Any) -> str:
    return f"/restrictions/{table_name}/{record_id}"


def record_id_of(sample: Sample, table_name: str) -> uuid.UUID:
    return {
        "incident": sample.incident_id,
        "case_file": sample.case_id,
        "person": sample.person_id,
    }[table_name]


def restrict(client: WebClient, table_name: str, record_id: Any, users: list[Any]) -> Any:
    url = url_of(table_name, record_id)
    return client.post(url, {"users": [str(user) for user in users]})


def users_of(engine: Engine, table_name: str, record_id: uuid.UUID) -> frozenset[uuid.UUID]:
    with Session(engine) as session:
        return restricted_to(session, MODELS[table_name], record_id)


def viewer(account: Account) -> Viewer:
    return Viewer(user_id=account.user_id, roles=frozenset({account.role}))


def sees_incident(
    app: Flask, engine: Engine, client: WebClient, account: Account, incident_id: Any
) -> bool:
    """Whether the user finds the incident, in the list service and on its page alike."""
    with Session(engine) as session:
        filters = IncidentFilters(visible_to_user_id=account.user_id)
        listed = any(row.id == incident_id for row in list_incidents(session, filters=filters))
        allowed = may_view(session, viewer(account), Incident, incident_id)
    assert listed == allowed
    if "incidents.show" in app.view_functions:
        status = client.get(f"/incidents/{incident_id}").status_code
        assert status == (200 if allowed else 404)
    return allowed


def test_the_page_renders_for_roles_that_restrict_and_no_others(
    signed_in: Any, sample: Sample
) -> None:
    clients = {role: signed_in(role) for role in ("admin", "reviewer", "lawyer")}
    for table_name in MODELS:
        url = url_of(table_name, record_id_of(sample, table_name))
        for role, client in clients.items():
            page = client.get(url)
            assert page.status_code == 200, (role, table_name)
            assert "Not restricted" in page.get_data(as_text=True)
    for role in ("documenter", "analyst"):
        client = signed_in(role)
        assert client.get(url_of("incident", sample.incident_id)).status_code == 403
        response = client.post(url_of("incident", sample.incident_id), {}, form_url="/account/")
        assert response.status_code == 403


def test_restrict_then_lift(
    app: Flask, engine: Engine, signed_in: Any, sample: Sample, accounts: dict[str, Account]
) -> None:
    admin, analyst = signed_in("admin"), signed_in("analyst")

    def analyst_sees() -> bool:
        return sees_incident(app, engine, analyst, accounts["analyst"], sample.incident_id)

    assert analyst_sees()
    lawyer_id = accounts["lawyer"].user_id
    response = restrict(admin, "incident", sample.incident_id, [lawyer_id])
    assert response.status_code == 302
    assert users_of(engine, "incident", sample.incident_id) == {lawyer_id}  # admin not added
    assert "Restricted to: lawyer." in admin.get(url_of("incident", sample.incident_id)).text
    assert not analyst_sees()
    assert restrict(admin, "incident", sample.incident_id, []).status_code == 302
    assert users_of(engine, "incident", sample.incident_id) == frozenset()
    assert analyst_sees()


def test_a_non_admin_stays_on_the_list(
    engine: Engine, signed_in: Any, sample: Sample, accounts: dict[str, Account]
) -> None:
    lawyer = signed_in("lawyer")
    page = lawyer.get(url_of("case_file", sample.case_id)).get_data(as_text=True)
    assert "You stay on the list" in page
    reviewer_id = accounts["reviewer"].user_id
    assert restrict(lawyer, "case_file", sample.case_id, [reviewer_id]).status_code == 302
    expected = {reviewer_id, accounts["lawyer"].user_id}
    assert users_of(engine, "case_file", sample.case_id) == expected
    assert lawyer.get(url_of("case_file", sample.case_id)).status_code == 200


def test_a_record_one_may_not_see_is_not_found(
    engine: Engine, signed_in: Any, sample: Sample, accounts: dict[str, Account]
) -> None:
    with Session(engine) as session:
        set_restriction(
            session,
            model=Person,
            record_id=sample.person_id,
            user_ids=[accounts["reviewer"].user_id],
            actor_id=accounts["admin"].user_id,
        )
        session.commit()
    lawyer = signed_in("lawyer")
    before = table_counts(engine)
    assert lawyer.get(url_of("person", sample.person_id)).status_code == 404
    response = lawyer.post(
        url_of("person", sample.person_id),
        {"users": [str(accounts["lawyer"].user_id)]},
        form_url="/account/",
    )
    assert response.status_code == 404
    assert table_counts(engine) == before


def test_unknown_tables_and_records_are_not_found(signed_in: Any, sample: Sample) -> None:
    admin = signed_in("admin")
    for url in (
        url_of("place", sample.place_id),
        url_of("user_account", uuid.uuid4()),
        url_of("incident", uuid.uuid4()),
        url_of("incident", "not-an-id"),
        url_of("person", sample.incident_id),
    ):
        assert admin.get(url).status_code == 404, url


def test_bad_input_writes_nothing(
    engine: Engine, signed_in: Any, sample: Sample, accounts: dict[str, Account]
) -> None:
    admin = signed_in("admin")
    url = url_of("incident", sample.incident_id)
    before = table_counts(engine)
    for users in (
        [str(uuid.uuid4())],
        ["<script>alert(1)</script>"],
        ["x" * 100_000],
        [f"{accounts['lawyer'].user_id}\x00"],
    ):
        response = admin.post(url, {"users": users})
        assert response.status_code == 400
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    for token in ("forged", None):
        data = {"users": [str(accounts["lawyer"].user_id)], "csrf_token": token}
        assert admin.post(url, data, with_token=False).status_code == 400
    assert table_counts(engine) == before


def test_deactivated_users_are_not_offered(
    engine: Engine, signed_in: Any, sample: Sample, accounts: dict[str, Account]
) -> None:
    admin = signed_in("admin")
    page = admin.get(url_of("incident", sample.incident_id)).get_data(as_text=True)
    assert str(accounts["analyst"].user_id) in page
    with Session(engine) as session:
        from tracker.services.users import deactivate_user

        deactivate_user(
            session,
            user_id=accounts["analyst"].user_id,
            expected_version=2,
            actor_id=accounts["admin"].user_id,
        )
        session.commit()
    page = admin.get(url_of("incident", sample.incident_id)).get_data(as_text=True)
    assert str(accounts["analyst"].user_id) not in page
