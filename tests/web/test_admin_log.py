"""Admin pages for the audit log (filters, paging, what is shown) and deleted records."""

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import make_incident, make_place, make_term
from tests.web.conftest import Account, WebClient
from tests.web.sample import Sample, make_sample
from tracker.models import Incident, Place
from tracker.services.incidents import delete_incident
from tracker.services.places import delete_place

AUDIT = "/admin/audit"
DELETED = "/admin/deleted"
ROW = re.compile(r"<tr>\s*<td>", re.MULTILINE)


@pytest.fixture
def admin(signed_in: Any) -> WebClient:
    client: WebClient = signed_in("admin")
    return client


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def audit_page(client: WebClient, **filters: Any) -> tuple[int, str]:
    response = client.get(AUDIT, query_string=filters)
    return response.status_code, response.get_data(as_text=True)


def rows_of(page: str) -> int:
    return len(ROW.findall(page.split("<tbody>", 1)[1]))


def test_filters_by_actor_table_record_and_action(
    admin: WebClient, sample: Sample, accounts: dict[str, Account]
) -> None:
    status, everything = audit_page(admin)
    assert status == 200 and "person" in everything and "user_account" in everything
    _, by_admin = audit_page(admin, actor="nobody-at-all")
    assert "No entries match." in by_admin
    _, person = audit_page(admin, table="person", record_id=str(sample.person_id))
    assert rows_of(person) == 1 and "Canary Realname" in person  # admins see identities
    _, creates = audit_page(admin, action="create", table="incident")
    assert rows_of(creates) == 1
    _, updates = audit_page(admin, action="update", table="incident")
    assert "No entries match." in updates


def test_filters_by_the_actor_username(
    admin: WebClient, engine: Engine, accounts: dict[str, Account]
) -> None:
    created = admin.post("/admin/users/new", {"username": "fresh", "roles": ["analyst"]})
    assert created.status_code == 200
    _, page = audit_page(admin, actor="admin")
    assert rows_of(page) == 2  # the account and its role
    _, none = audit_page(admin, actor="lawyer")
    assert "No entries match." in none


def test_filters_by_days(admin: WebClient, sample: Sample) -> None:
    today = date.today()
    _, around = audit_page(
        admin, date_from=str(today - timedelta(days=1)), date_to=str(today + timedelta(days=1))
    )
    assert rows_of(around) > 0
    _, later = audit_page(admin, date_from=str(today + timedelta(days=2)))
    assert "No entries match." in later
    _, earlier = audit_page(admin, date_to=str(today - timedelta(days=2)))
    assert "No entries match." in earlier


def test_secrets_stay_hidden(admin: WebClient, accounts: dict[str, Account]) -> None:
    _, page = audit_page(admin, table="user_account")
    assert "[hidden]" in page
    assert "argon2" not in page and accounts["admin"].totp_secret not in page


def test_markup_in_changes_is_escaped(admin: WebClient, engine: Engine) -> None:
    with Session(engine) as session:
        make_place(session, name="<script>alert(1)</script>")
        session.commit()
    _, page = audit_page(admin, table="place")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_record_ids_link_to_record_pages(app: Flask, admin: WebClient, sample: Sample) -> None:
    _, page = audit_page(admin, table="person")
    if "persons.show" in app.view_functions:
        assert f'href="/persons/{sample.person_id}"' in page
    assert str(sample.person_id) in page


def test_the_log_is_paged_newest_first(admin: WebClient, engine: Engine) -> None:
    with Session(engine) as session:
        for number in range(55):
            make_term(session, code=f"T{number:02d}", label_en=f"Term {number:02d}")
        session.commit()
    _, first = audit_page(admin, table="vocabulary_term")
    assert rows_of(first) == 50
    assert first.index("T54") < first.index("T53")
    assert "Page 1 of 2" in first and "T04" not in first
    _, second = audit_page(admin, table="vocabulary_term", page=2)
    assert rows_of(second) == 5 and "T00" in second
    assert 'name="table"' in second and "page=1" in second and "table=vocabulary_term" in second


BAD_FILTERS = (
    {"record_id": "not-an-id"},
    {"record_id": "x" * 100_000},
    {"table": "no_such_table"},
    {"table": "incident'; DROP TABLE incident; --"},
    {"action": "<script>"},
    {"actor": "a" * 100_000},
    {"actor": "nul\x00"},
    {"date_from": "yesterday"},
    {"date_from": "2024-05-02", "date_to": "2024-05-01"},
)


def test_bad_filters_are_shown_at_the_field(admin: WebClient, engine: Engine) -> None:
    before = table_counts(engine)
    for filters in BAD_FILTERS:
        status, page = audit_page(admin, **filters)
        assert status == 400, str(filters)[:80]
        assert "field-error" in page
    assert table_counts(engine) == before


def test_sql_in_a_filter_is_only_text(admin: WebClient, sample: Sample) -> None:
    status, page = audit_page(admin, actor="' OR 1=1 --", page="-5")
    assert status == 200 and "No entries match." in page


# --- deleted records --------------------------------------------------------------------------


def deleted_incident(engine: Engine, actor_id: uuid.UUID) -> Incident:
    with Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session, title="Gone for now")
        delete_incident(
            session, incident_id=incident.id, expected_version=incident.version, actor_id=actor_id
        )
        session.commit()
        return incident


def restore(client: WebClient, table_name: str, record_id: Any, version: Any) -> Any:
    url = f"{DELETED}/{table_name}/{record_id}/restore"
    return client.post(url, {"version": version}, form_url=DELETED)


def test_deleted_records_are_listed_and_restored(
    admin: WebClient, engine: Engine, accounts: dict[str, Account]
) -> None:
    incident = deleted_incident(engine, accounts["reviewer"].user_id)
    page = admin.get(DELETED).get_data(as_text=True)
    assert incident.code in page and "reviewer" in page
    response = restore(admin, "incident", incident.id, incident.version)
    assert response.status_code == 302
    with Session(engine) as session:
        restored = session.get(Incident, incident.id)
        assert restored is not None and not restored.is_deleted
    assert incident.code not in admin.get(DELETED).get_data(as_text=True)


def test_the_list_filters_by_kind(admin: WebClient, engine: Engine, accounts) -> None:
    incident = deleted_incident(engine, accounts["admin"].user_id)
    assert incident.code in admin.get(DELETED, query_string={"table": "incident"}).text
    assert incident.code not in admin.get(DELETED, query_string={"table": "place"}).text
    assert admin.get(DELETED, query_string={"table": "user_account"}).status_code == 400


def test_a_stale_restore_writes_nothing(admin: WebClient, engine: Engine, accounts) -> None:
    incident = deleted_incident(engine, accounts["admin"].user_id)
    before = table_counts(engine)
    assert restore(admin, "incident", incident.id, incident.version - 1).status_code == 409
    for version in ("", "x", "1\x00"):
        assert restore(admin, "incident", incident.id, version).status_code == 400
    assert table_counts(engine) == before
    with Session(engine) as session:
        found = session.get(Incident, incident.id)
        assert found is not None and found.is_deleted


def test_a_place_under_a_deleted_parent_stays_deleted(
    admin: WebClient, engine: Engine, accounts
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        parent = make_place(session, name="Region")
        child = make_place(session, name="Town", parent_id=parent.id)
        for place in (child, parent):
            delete_place(session, place_id=place.id, expected_version=1, actor_id=None)
        session.commit()
    before = table_counts(engine)
    response = restore(admin, "place", child.id, 2)
    assert response.status_code == 400
    assert table_counts(engine) == before
    with Session(engine) as session:
        found = session.get(Place, child.id)
        assert found is not None and found.is_deleted


def test_unknown_tables_and_records(admin: WebClient, engine: Engine, sample: Sample) -> None:
    before = table_counts(engine)
    assert restore(admin, "user_account", uuid.uuid4(), 1).status_code == 404
    assert restore(admin, "incident", uuid.uuid4(), 1).status_code == 404
    assert restore(admin, "incident", "not-an-id", 1).status_code == 404
    assert restore(admin, "incident", sample.incident_id, 1).status_code == 400  # not deleted
    assert table_counts(engine) == before


def test_only_admins_restore(signed_in: Any, engine: Engine, accounts: dict[str, Account]) -> None:
    incident = deleted_incident(engine, accounts["admin"].user_id)
    url = f"{DELETED}/incident/{incident.id}/restore"
    for role in ("documenter", "reviewer", "lawyer", "analyst"):
        client = signed_in(role)
        assert client.get(DELETED).status_code == 403
        assert client.post(url, {"version": 2}, form_url="/account/").status_code == 403
