"""Case pages: incidents, clients, legal actions with ECtHR deadlines, edits and bad input."""

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident
from tests.web.conftest import Account
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Case, Incident, LegalAction, Person
from tracker.services.cases import (
    add_incident_to_case,
    clients_of_case,
    incidents_of_case,
    update_case,
)
from tracker.services.restrictions import set_restriction


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def load(engine: Engine, case_id: uuid.UUID) -> Case:
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def restrict(engine: Engine, model: Any, record_id: uuid.UUID, account: Account) -> None:
    with Session(engine) as session:
        set_restriction(
            session, model=model, record_id=record_id, user_ids=[account.user_id], actor_id=ACTOR_ID
        )
        session.commit()


def test_pages_render_for_every_role(engine: Engine, sample: Sample, signed_in: Any) -> None:
    code = load(engine, sample.case_id).code
    for role in ROLE_CODES:
        client = signed_in(role)
        assert code in client.get("/cases/").get_data(as_text=True)
        page = client.get(f"/cases/{sample.case_id}")
        assert page.status_code == 200
        assert "History" in page.get_data(as_text=True)
        expected = 200 if role in ("admin", "lawyer") else 403
        assert client.get("/cases/new").status_code == expected
        assert client.get(f"/cases/{sample.case_id}/edit").status_code == expected


def test_a_lawyer_creates_and_edits_a_case(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("lawyer")
    lawyer_id = str(accounts["lawyer"].user_id)
    created = client.post(
        "/cases/new", {"title": "Detention of V-2017-014", "status": "open", "lead_lawyer_id": ""}
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    case_id = uuid.UUID(created.location.rsplit("/", 1)[1])
    assert load(engine, case_id).code == "CASE-0001"
    fields = {"version": "1", "title": "Renamed", "status": "pending", "lead_lawyer_id": lawyer_id}
    assert client.post(f"/cases/{case_id}/edit", fields).status_code == 302
    case = load(engine, case_id)
    assert (case.title, case.status, str(case.lead_lawyer_id)) == ("Renamed", "pending", lawyer_id)
    forged = {**fields, "version": "2", "lead_lawyer_id": str(uuid.uuid4())}
    assert client.post(f"/cases/{case_id}/edit", forged).status_code == 400


def test_an_edit_conflict_shows_both_versions(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    with Session(engine) as session:
        update_case(
            session,
            case_id=sample.case_id,
            expected_version=1,
            changes={"title": "Their title"},
            actor_id=ACTOR_ID,
        )
        session.commit()
    fields = {"version": "1", "title": "My title", "status": "open", "lead_lawyer_id": ""}
    response = client.post(f"/cases/{sample.case_id}/edit", fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Their title" in page and "My title" in page
    assert load(engine, sample.case_id).title == "Their title"


def test_incidents_are_added_and_removed_by_code(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        incident = make_incident(session, title="Second detention")
        hidden = make_incident(session, title="Hidden detention")
        session.commit()
    restrict(engine, Incident, hidden.id, accounts["admin"])
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    added = client.post(f"{show}/incidents", {"incident_code": incident.code}, form_url=show)
    assert added.status_code == 302
    assert "Second detention" in client.get(show).get_data(as_text=True)
    before = table_counts(engine)
    for code in (hidden.code, "INC-999999", incident.code, "<b>x</b>"):
        refused = client.post(f"{show}/incidents", {"incident_code": code}, form_url=show)
        assert refused.status_code == 400, code
        assert "<b>x</b>" not in refused.get_data(as_text=True)
    assert table_counts(engine) == before
    removed = client.post(
        f"{show}/incidents/remove", {"incident_code": incident.code}, form_url=show
    )
    assert removed.status_code == 302
    with Session(engine) as session:
        assert incident.id not in {item.id for item in incidents_of_case(session, sample.case_id)}
    assert "Hidden detention" not in signed_in("analyst").get(show).get_data(as_text=True)


def test_clients_show_as_codes_unless_the_viewer_may_see_names(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    with Session(engine) as session:
        person = session.get(Person, sample.person_id)
        assert person is not None
        code = person.pseudonym_code
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    assert (
        client.post(f"{show}/clients", {"pseudonym_code": code}, form_url=show).status_code == 302
    )
    assert "Canary Realname" in client.get(show).get_data(as_text=True)
    analyst_page = signed_in("analyst").get(show).get_data(as_text=True)
    assert code in analyst_page and "Canary" not in analyst_page
    assert (
        client.post(f"{show}/clients", {"pseudonym_code": code}, form_url=show).status_code == 400
    )
    assert (
        client.post(f"{show}/clients/remove", {"pseudonym_code": code}, form_url=show).status_code
        == 302
    )
    with Session(engine) as session:
        assert clients_of_case(session, sample.case_id) == []


def test_a_legal_action_shows_its_ecthr_deadline(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    fields = {
        "kind": "judgment",
        "forum": "Baku Court of Appeal",
        "decided_on_text": "15.03.2024",
        "is_final_domestic": "y",
        "outcome": "Appeal rejected",
    }
    assert client.post(f"{show}/legal-actions", fields, form_url=show).status_code == 302
    vague = {**fields, "decided_on_text": "March 2023", "forum": "Supreme Court"}
    assert client.post(f"{show}/legal-actions", vague, form_url=show).status_code == 302
    with Session(engine) as session:
        actions = {
            action.forum: action
            for action in session.exec(
                select(LegalAction).where(LegalAction.case_id == sample.case_id)
            )
        }
    assert str(actions["Baku Court of Appeal"].deadline_on) == "2024-07-15"
    assert actions["Supreme Court"].deadline_needs_confirmation
    page = client.get(show).get_data(as_text=True)
    assert "July 15, 2024" in page
    assert "confirm: the decision date is not known to the day" in page
    assert "deadline-overdue" in page


def test_legal_action_bad_input_is_shown_at_the_field(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    before = table_counts(engine)
    for fields in (
        {"kind": "judgment", "decided_on_text": "March 14th"},
        {"kind": "judgment", "decided_on_text": "x" * 100_000},
        {"kind": "no-such-kind"},
        {"kind": "judgment", "outcome": "nul\x00"},
        {"kind": "judgment", "sentence_months": "-3"},
    ):
        response = client.post(f"{show}/legal-actions", fields, form_url=show)
        assert response.status_code == 400, fields
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert table_counts(engine) == before
    assert (
        signed_in("documenter")
        .post(f"{show}/legal-actions", {"kind": "judgment"}, form_url=show)
        .status_code
        == 403
    )


def test_a_restricted_case_is_hidden_from_others(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    restrict(engine, Case, sample.case_id, accounts["lawyer"])
    code = load(engine, sample.case_id).code
    reviewer = signed_in("reviewer")
    assert reviewer.get(f"/cases/{sample.case_id}").status_code == 404
    assert code not in reviewer.get("/cases/").get_data(as_text=True)
    assert signed_in("lawyer").get(f"/cases/{sample.case_id}").status_code == 200
    other = signed_in("admin")
    assert other.get(f"/cases/{sample.case_id}").status_code == 200


def test_delete_and_restore(engine: Engine, sample: Sample, signed_in: Any) -> None:
    lawyer, admin = signed_in("lawyer"), signed_in("admin")
    show = f"/cases/{sample.case_id}"
    assert (
        lawyer.post(f"{show}/delete", {"version": "9", "reason": "x"}, form_url=show).status_code
        == 409
    )
    assert (
        lawyer.post(
            f"{show}/delete", {"version": "1", "reason": "Opened twice"}, form_url=show
        ).status_code
        == 302
    )
    assert lawyer.get(show).status_code == 404
    assert lawyer.post(f"{show}/restore", {"version": "2"}, form_url="/cases/").status_code == 403
    assert admin.post(f"{show}/restore", {"version": "2"}, form_url=show).status_code == 302
    assert not load(engine, sample.case_id).is_deleted


def test_bad_case_forms_write_nothing(engine: Engine, sample: Sample, signed_in: Any) -> None:
    client = signed_in("lawyer")
    before = table_counts(engine)
    for fields in (
        {"title": "x" * 100_000, "status": "open"},
        {"title": "nul\x00", "status": "open"},
        {"title": "ok", "status": "'; DROP TABLE case_file; --"},
        {"title": "", "status": "open"},
    ):
        assert client.post("/cases/new", fields).status_code == 400, fields
    payload = "<script>alert(1)</script>"
    assert (
        client.post(
            "/cases/new", {"title": payload, "status": "open"}, with_token=False
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/cases/new", {"title": payload, "status": "open", "csrf_token": "x"}
        ).status_code
        == 400
    )
    assert client.get(f"/cases/{uuid.uuid4()}").status_code == 404
    assert client.get("/cases/?status=%00&q=%27%20OR%201=1&page=-1").status_code == 200
    assert table_counts(engine) == before
    created = client.post("/cases/new", {"title": payload, "status": "open"})
    page = client.get(created.location).get_data(as_text=True)
    assert payload not in page and "&lt;script&gt;" in page
    assert payload not in client.get("/cases/").get_data(as_text=True)


def test_a_deadline_within_30_days_is_highlighted(sample: Sample, signed_in: Any) -> None:
    decided = date.today() - relativedelta(months=4) + timedelta(days=10)
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    fields = {
        "kind": "judgment",
        "decided_on_text": decided.strftime("%d.%m.%Y"),
        "is_final_domestic": "y",
    }
    assert client.post(f"{show}/legal-actions", fields, form_url=show).status_code == 302
    page = client.get(show).get_data(as_text=True)
    assert "deadline-upcoming" in page and "within 30 days" in page


def test_codes_read_as_labels_in_the_users_language(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    with Session(engine) as session:
        add_incident_to_case(
            session, case_id=sample.case_id, incident_id=sample.incident_id, actor_id=ACTOR_ID
        )
        session.commit()
    client = signed_in("lawyer")
    page = client.get(f"/cases/{sample.case_id}").get_data(as_text=True)
    assert "<dd>Open</dd>" in page and "<dd>open</dd>" not in page
    assert "Arbitrary detention" in page and "<td>DET</td>" not in page
    client.post("/account/language", data={"language": "ru"})
    page = client.get(f"/cases/{sample.case_id}").get_data(as_text=True)
    assert "Произвольное задержание" in page
