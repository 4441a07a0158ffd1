"""Case pages: incidents, clients, legal actions with ECtHR deadlines, edits and bad input."""

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_case, make_incident, make_legal_action
from tests.web.conftest import Account
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import AuditEntry, Case, Incident, LegalAction, Person, VocabularyTerm
from tracker.services.cases import (
    add_incident_to_case,
    clients_of_case,
    incidents_of_case,
    update_case,
    update_legal_action,
)
from tracker.services.restrictions import set_restriction
from tracker.web.cases import changed_fields


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


# --- editing and deleting legal actions ---------------------------------------------------------


def add_final_decision(engine: Engine, case_id: uuid.UUID, **values: Any) -> LegalAction:
    """A final domestic judgment decided 15.03.2024: ECtHR deadline 15 July 2024."""
    with Session(engine, expire_on_commit=False) as session:
        action = make_legal_action(
            session,
            case_id=case_id,
            kind="judgment",
            forum="Baku Court of Appeal",
            decided_on_text="15.03.2024",
            is_final_domestic=True,
            **values,
        )
        session.commit()
        return action


def load_action(engine: Engine, action_id: uuid.UUID) -> LegalAction:
    with Session(engine) as session:
        action = session.get(LegalAction, action_id)
        assert action is not None
        return action


def action_fields(**changes: str) -> dict[str, str]:
    fields = {
        "version": "1",
        "kind": "judgment",
        "forum": "Baku Court of Appeal",
        "decided_on_text": "15.03.2024",
        "is_final_domestic": "y",
    }
    return {**fields, **changes}


def field_block(page: str, name: str) -> str:
    """The markup of one field of a form, from its div to the next field's."""
    start = page.index(f'name="{name}"')
    end = page.find('<div class="field', start)
    return page[page.rfind('<div class="field', 0, start) : end if end != -1 else None]


def version_in(page: str) -> str:
    """The version the edit form names, which a save must match."""
    match = re.search(r'<input[^>]*name="version"[^>]*>', page)
    assert match is not None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_a_lawyer_fixes_a_decision_date_and_the_deadline_follows(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    action = add_final_decision(engine, sample.case_id)
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    edit = f"{show}/legal-actions/{action.id}/edit"
    assert f'href="{edit}"' in client.get(show).get_data(as_text=True)
    form = client.get(edit).get_data(as_text=True)
    assert 'value="15.03.2024"' in field_block(form, "decided_on_text")
    assert version_in(form) == "1"
    response = client.post(edit, action_fields(decided_on_text="20.05.2024"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert str(load_action(engine, action.id).deadline_on) == "2024-09-20"
    page = client.get(show).get_data(as_text=True)
    assert "September 20, 2024" in page and "July 15, 2024" not in page
    assert "20.05.2024" in page


def test_a_date_is_fixed_even_when_the_kind_was_since_retired(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    action = add_final_decision(engine, sample.case_id)
    with Session(engine) as session:
        term = session.exec(
            select(VocabularyTerm).where(
                VocabularyTerm.vocabulary == "legal_action_kind", VocabularyTerm.code == "judgment"
            )
        ).one()
        term.active = False
        session.add(term)
        session.commit()
    client = signed_in("lawyer")
    edit = f"/cases/{sample.case_id}/legal-actions/{action.id}/edit"
    assert 'value="judgment"' in field_block(client.get(edit).get_data(as_text=True), "kind")
    assert client.post(edit, action_fields(decided_on_text="20.05.2024")).status_code == 302
    saved = load_action(engine, action.id)
    assert (saved.kind, str(saved.deadline_on)) == ("judgment", "2024-09-20")


def test_a_stale_legal_action_edit_shows_both_versions_and_writes_nothing(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    action = add_final_decision(engine, sample.case_id)
    with Session(engine) as session:
        update_legal_action(
            session,
            legal_action_id=action.id,
            expected_version=1,
            changes={"forum": "Supreme Court", "decided_on_text": "2.04.2024"},
            actor_id=ACTOR_ID,
            today=date(2024, 6, 1),
        )
        session.commit()
    client = signed_in("lawyer")
    edit = f"/cases/{sample.case_id}/legal-actions/{action.id}/edit"
    client.get(edit)
    before = table_counts(engine)
    mine = action_fields(forum="Baku Grave Crimes Court", decided_on_text="20.05.2024")
    response = client.post(edit, mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this record" in page
    assert "Baku Grave Crimes Court" in page and "Supreme Court" in page
    assert "20.05.2024" in page and "2.04.2024" in page
    assert version_in(page) == "2"
    assert table_counts(engine) == before
    saved = load_action(engine, action.id)
    assert (saved.forum, saved.version, str(saved.deadline_on)) == (
        "Supreme Court",
        2,
        "2024-08-02",
    )


def test_an_impossible_date_is_shown_at_its_field_and_writes_nothing(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    action = add_final_decision(engine, sample.case_id)
    client = signed_in("lawyer")
    edit = f"/cases/{sample.case_id}/legal-actions/{action.id}/edit"
    client.get(edit)
    before = table_counts(engine)
    response = client.post(edit, action_fields(decided_on_text="31.02.2023"))
    assert response.status_code == 400
    block = field_block(response.get_data(as_text=True), "decided_on_text")
    assert 'value="31.02.2023"' in block and 'class="field-error"' in block
    for fields in (
        action_fields(kind="no-such-kind"),
        action_fields(sentence_months="-3"),
        action_fields(forum="x" * 100_000),
        action_fields(version=""),
    ):
        assert client.post(edit, fields).status_code == 400, fields
    assert table_counts(engine) == before
    saved = load_action(engine, action.id)
    assert (saved.version, str(saved.deadline_on)) == (1, "2024-07-15")


def test_only_those_who_edit_cases_may_change_legal_actions(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    action = add_final_decision(engine, sample.case_id)
    show = f"/cases/{sample.case_id}"
    base = f"{show}/legal-actions/{action.id}"
    for role in ("analyst", "documenter", "reviewer"):
        client = signed_in(role)
        assert f"{base}/edit" not in client.get(show).get_data(as_text=True)
        assert client.get(f"{base}/edit").status_code == 403, role
        posted = client.post(f"{base}/edit", action_fields(forum="Changed"), form_url=show)
        assert posted.status_code == 403, role
        assert client.post(f"{base}/delete", {"version": "1"}, form_url=show).status_code == 403
    saved = load_action(engine, action.id)
    assert (saved.forum, saved.is_deleted) == ("Baku Court of Appeal", False)
    assert signed_in("admin").get(f"{base}/edit").status_code == 200


def test_a_legal_action_of_another_case_is_not_found(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        other_case = make_case(session, title="Another file")
        session.commit()
    other = add_final_decision(engine, other_case.id)
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    wrong = f"{show}/legal-actions/{other.id}"
    assert client.get(f"{wrong}/edit").status_code == 404
    changed = action_fields(forum="Changed")
    assert client.post(f"{wrong}/edit", changed, form_url=show).status_code == 404
    assert client.post(f"{wrong}/delete", {"version": "1"}, form_url=show).status_code == 404
    assert client.get(f"{show}/legal-actions/{uuid.uuid4()}/edit").status_code == 404
    saved = load_action(engine, other.id)
    assert (saved.forum, saved.is_deleted) == ("Baku Court of Appeal", False)
    restrict(engine, Case, other_case.id, accounts["admin"])
    own = f"/cases/{other_case.id}/legal-actions/{other.id}/edit"
    assert client.get(own).status_code == 404
    assert signed_in("admin").get(own).status_code == 200


def test_deleting_a_legal_action_removes_it_and_is_audited(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    action = add_final_decision(engine, sample.case_id, outcome="Appeal rejected")
    client = signed_in("lawyer")
    show = f"/cases/{sample.case_id}"
    delete = f"{show}/legal-actions/{action.id}/delete"
    assert client.post(delete, {"version": "9"}, form_url=show).status_code == 409
    assert client.post(delete, {}, form_url=show).status_code == 400
    assert not load_action(engine, action.id).is_deleted
    response = client.post(delete, {"version": "1"}, form_url=show)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Legal action deleted." in page
    assert "Appeal rejected" not in page and "July 15, 2024" not in page
    assert load_action(engine, action.id).is_deleted
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(
                AuditEntry.table_name == "legal_action", AuditEntry.record_id == action.id
            )
        ).all()
    deletes = [entry for entry in entries if entry.action == "delete"]
    assert [entry.actor_id for entry in deletes] == [accounts["lawyer"].user_id]
    assert client.get(f"{show}/legal-actions/{action.id}/edit").status_code == 404
    assert client.post(delete, {"version": "2"}, form_url=show).status_code == 404
    admin = signed_in("admin")
    restored = admin.post(
        f"/admin/deleted/legal_action/{action.id}/restore",
        {"version": "2"},
        form_url="/admin/deleted",
    )
    assert restored.status_code == 302
    assert "Appeal rejected" in client.get(show).get_data(as_text=True)


@given(st.text(max_size=40), st.text(alphabet=" \t", max_size=3))
def test_only_changed_date_texts_are_sent_again(text: str, padding: str) -> None:
    action = LegalAction(case_id=uuid.uuid4(), kind="judgment", forum="Court", version=1)
    entered = {"kind": "judgment", "forum": "Court", "decided_on_text": text}
    changes = changed_fields({**entered, "decided_on_text": f"{padding}{text}{padding}"}, action)
    assert ("decided_on_text" in changes) == bool(text.strip())
