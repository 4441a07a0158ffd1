"""Involvements: who played which role in an incident, and the rules on roles."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident, make_person
from tracker.domain.errors import EditConflict, InvalidInput
from tracker.models import Incident, Organisation, Person
from tracker.services.incident_queries import IncidentFilters, list_incidents
from tracker.services.involvements import (
    InvolvementDraft,
    add_involvement,
    involvements_of_incident,
    remove_involvement,
    restore_involvement,
    update_involvement,
)
from tracker.services.organisations import create_organisation


def police(session: Session) -> Organisation:
    return create_organisation(
        session,
        name="Police",
        kind="police_station",
        perpetrator_type="state_agent",
        state_relation="state",
        actor_id=ACTOR_ID,
    )


def test_add_update_remove_restore(session: Session) -> None:
    incident = make_incident(session)
    victim = add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=(
            InvolvementDraft(
                role="victim",
                person_id=make_person(session).id,
                charges=("AZ-CAO-510", "AZ-CC-150.1"),
                duration_text="about 10 days",
                duration_days_min=10,
                duration_days_max=30,
            )
        ),
    )
    update_involvement(
        session,
        involvement_id=victim.id,
        expected_version=1,
        changes={"injuries": "bruises"},
        actor_id=ACTOR_ID,
    )
    with pytest.raises(EditConflict):
        update_involvement(
            session,
            involvement_id=victim.id,
            expected_version=1,
            changes={"injuries": "none"},
            actor_id=ACTOR_ID,
        )
    assert victim.injuries == "bruises" and victim.charges == ["AZ-CAO-510", "AZ-CC-150.1"]
    remove_involvement(session, involvement_id=victim.id, expected_version=2, actor_id=ACTOR_ID)
    assert involvements_of_incident(session, incident.id) == []
    restore_involvement(session, involvement_id=victim.id, expected_version=3, actor_id=ACTOR_ID)
    assert involvements_of_incident(session, incident.id) == [victim]


def test_perpetrator_and_organisation_filters(session: Session) -> None:
    unit = police(session)
    first, second = make_incident(session), make_incident(session)
    add_involvement(
        session,
        incident_id=first.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(
            role="alleged_perpetrator", organisation_id=unit.id, perpetrator_type="state_agent"
        ),
    )
    person = make_person(session, role_letter="P")
    add_involvement(
        session,
        incident_id=second.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(
            role="alleged_perpetrator", person_id=person.id, perpetrator_type="family_member"
        ),
    )

    def listed(filters: IncidentFilters) -> list[uuid.UUID]:
        return [item.id for item in list_incidents(session, filters=filters)]

    assert listed(IncidentFilters(perpetrator_type="state_agent")) == [first.id]
    assert listed(IncidentFilters(organisation_id=unit.id)) == [first.id]
    assert listed(IncidentFilters(person_id=person.id)) == [second.id]


def scene(session: Session) -> tuple[Incident, Person, Organisation]:
    incident = make_incident(session)
    person = make_person(session)
    unit = police(session)
    add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="victim", person_id=person.id),
    )
    add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="alleged_perpetrator", organisation_id=unit.id),
    )
    return incident, person, unit


BAD_INVOLVEMENTS: list[tuple[dict[str, Any], str]] = [
    ({"role": "bystander", "person_id": "person"}, "role: unknown involvement role"),
    ({"role": "witness"}, "either a person or an organisation, not both or none"),
    ({"role": "witness", "person_id": "person", "organisation_id": "unit"}, "not both or none"),
    ({"role": "victim", "person_id": "person"}, "role: already recorded as victim"),
    ({"role": "alleged_perpetrator", "organisation_id": "unit"}, "already recorded"),
    ({"role": "witness", "person_id": "missing"}, "person_id: no person"),
    ({"role": "victim", "organisation_id": "missing"}, "organisation_id: no organisation"),
    (
        {"role": "alleged_perpetrator", "person_id": "person", "perpetrator_type": "alien"},
        "perpetrator_type: unknown perpetrator type 'alien'",
    ),
    (
        {"role": "witness", "person_id": "person", "perpetrator_type": "state_agent"},
        "only an alleged perpetrator",
    ),
    ({"role": "witness", "person_id": "person", "witness_kind": "rumour"}, "witness_kind:"),
    (
        {"role": "reporter", "person_id": "person", "charges": ("AZ-CAO-999",)},
        "charges: unknown charge 'AZ-CAO-999'",
    ),
    ({"role": "reporter", "person_id": "person", "charges": ("AZ-CC-abc",)}, "charges:"),
    (
        {
            "role": "reporter",
            "person_id": "person",
            "duration_days_min": 30,
            "duration_days_max": 10,
        },
        "duration_days_min: 30 is more than",
    ),
    (
        {"role": "reporter", "person_id": "person", "duration_days_min": -1},
        "duration_days_min: a whole number",
    ),
]


@pytest.mark.parametrize(("values", "message"), BAD_INVOLVEMENTS)
def test_invalid_involvements_change_nothing(
    engine: Engine, session: Session, values: dict[str, Any], message: str
) -> None:
    incident, person, unit = scene(session)
    session.commit()
    ids = {"person": person.id, "unit": unit.id, "missing": uuid.uuid4()}
    values = {
        key: ids.get(value, value) if isinstance(value, str) and key.endswith("_id") else value
        for key, value in values.items()
    }
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        add_involvement(
            session, incident_id=incident.id, actor_id=ACTOR_ID, draft=InvolvementDraft(**values)
        )
    session.rollback()
    assert table_counts(engine) == before


def test_update_cannot_create_a_repeated_role(session: Session) -> None:
    incident, person, _unit = scene(session)
    witness = add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="witness", person_id=person.id),
    )
    with pytest.raises(InvalidInput, match="already recorded as victim"):
        update_involvement(
            session,
            involvement_id=witness.id,
            expected_version=1,
            changes={"role": "victim"},
            actor_id=ACTOR_ID,
        )
    assert witness.role == "witness"
