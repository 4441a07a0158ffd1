"""Cases: codes, incidents and clients, legal actions with computed ECtHR deadlines."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, TODAY, make_case, make_incident, make_person
from tracker.domain.errors import EditConflict, InvalidDate, InvalidInput, RecordNotFound
from tracker.services.audit import history_of
from tracker.services.cases import (
    add_client,
    add_incident_to_case,
    add_legal_action,
    clients_of_case,
    delete_case,
    get_case,
    incidents_of_case,
    legal_actions_of_case,
    list_cases,
    remove_client,
    remove_incident_from_case,
    restore_case,
    update_case,
    update_legal_action,
)
from tracker.services.incident_queries import IncidentFilters, count_incidents
from tracker.services.incidents import delete_incident


def test_codes_and_lifecycle(session: Session) -> None:
    first = make_case(session)
    second = make_case(session, status="pending")
    assert (first.code, second.code) == ("CASE-0001", "CASE-0002")
    assert list_cases(session, status="pending") == [second]
    update_case(
        session,
        case_id=first.id,
        expected_version=1,
        changes={"status": "closed"},
        actor_id=ACTOR_ID,
    )
    with pytest.raises(EditConflict):
        update_case(
            session,
            case_id=first.id,
            expected_version=1,
            changes={"status": "open"},
            actor_id=ACTOR_ID,
        )
    assert get_case(session, first.id).status == "closed"
    delete_case(session, case_id=first.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_case(session, first.id)
    assert make_case(session).code == "CASE-0003"
    restore_case(session, case_id=first.id, expected_version=3, actor_id=ACTOR_ID)
    assert [case.code for case in list_cases(session)] == ["CASE-0001", "CASE-0002", "CASE-0003"]
    assert history_of(session, table_name="case_file", record_id=first.id)[1].changes == {
        "status": ["open", "closed"]
    }


def test_incidents_and_clients(session: Session) -> None:
    case = make_case(session)
    incident = make_incident(session)
    person = make_person(session)
    add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    add_client(session, case_id=case.id, person_id=person.id, actor_id=ACTOR_ID)
    assert incidents_of_case(session, case.id) == [incident]
    assert [client.person_id for client in clients_of_case(session, case.id)] == [person.id]
    assert count_incidents(session, filters=IncidentFilters(case_id=case.id)) == 1
    with pytest.raises(InvalidInput, match="already in the case"):
        add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    with pytest.raises(InvalidInput, match="already a client"):
        add_client(session, case_id=case.id, person_id=person.id, actor_id=ACTOR_ID)
    remove_incident_from_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    remove_client(session, case_id=case.id, person_id=person.id, actor_id=ACTOR_ID)
    assert incidents_of_case(session, case.id) == []
    assert clients_of_case(session, case.id) == []
    assert count_incidents(session, filters=IncidentFilters(case_id=case.id)) == 0


def test_dangling_references_change_nothing(engine: Engine, session: Session) -> None:
    case = make_case(session)
    incident = make_incident(session)
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    session.commit()
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="incident_id: no incident"):
        add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    with pytest.raises(InvalidInput, match="person_id: no person"):
        add_client(session, case_id=case.id, person_id=incident.id, actor_id=ACTOR_ID)
    with pytest.raises(InvalidInput, match="status: unknown case status"):
        make_case(session, status="won")
    session.rollback()
    assert table_counts(engine) == before


def test_legal_action_deadline_from_a_final_decision(session: Session) -> None:
    case = make_case(session)
    judgment = add_legal_action(
        session,
        case_id=case.id,
        kind="judgment",
        actor_id=ACTOR_ID,
        decided_on_text="15 March 2023",
        is_final_domestic=True,
        sentence_months=114,
        today=TODAY,
    )
    assert judgment.deadline_on == date(2023, 7, 15)
    assert judgment.deadline_needs_confirmation is False
    assert judgment.decided_on is not None and judgment.decided_on.original_text == (
        "15 March 2023"
    )
    update_legal_action(
        session,
        legal_action_id=judgment.id,
        expected_version=1,
        changes={"decided_on_text": "March 2023"},
        actor_id=ACTOR_ID,
        today=TODAY,
    )
    assert judgment.deadline_on == date(2023, 7, 1)
    assert judgment.deadline_needs_confirmation is True
    update_legal_action(
        session,
        legal_action_id=judgment.id,
        expected_version=2,
        changes={"is_final_domestic": False},
        actor_id=ACTOR_ID,
    )
    assert judgment.deadline_on is None
    assert legal_actions_of_case(session, case.id) == [judgment]


def test_pre_protocol_15_decisions_have_six_months(session: Session) -> None:
    appeal = add_legal_action(
        session,
        case_id=make_case(session).id,
        kind="cassation",
        actor_id=ACTOR_ID,
        decided_on_text="30.10.2017",
        is_final_domestic=True,
        today=TODAY,
    )
    assert appeal.deadline_on == date(2018, 4, 30)


def test_invalid_legal_actions_change_nothing(engine: Engine, session: Session) -> None:
    case = make_case(session)
    session.commit()
    before = table_counts(engine)
    attempts: list[tuple[str, dict[str, Any], type[Exception], str]] = [
        ("verdict", {}, InvalidInput, "kind: unknown legal action kind"),
        ("judgment", {"decided_on_text": "March 14th"}, InvalidDate, "decided_on:"),
        ("judgment", {"sentence_months": -3}, InvalidInput, "sentence_months:"),
        ("judgment", {"deadline_on": date(2030, 1, 1)}, InvalidInput, "read-only"),
    ]
    for kind, fields, error, message in attempts:
        with pytest.raises(error, match=message):
            add_legal_action(
                session, case_id=case.id, kind=kind, actor_id=ACTOR_ID, today=TODAY, **fields
            )
        session.rollback()
    assert table_counts(engine) == before
