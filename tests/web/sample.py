"""One record of every kind, for tests that need something to open."""

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import (
    make_case,
    make_citation,
    make_evidence,
    make_incident,
    make_involvement,
    make_legal_action,
    make_organisation,
    make_person,
    make_place,
    make_source,
)


@dataclass(frozen=True)
class Sample:
    place_id: uuid.UUID
    organisation_id: uuid.UUID
    person_id: uuid.UUID
    source_id: uuid.UUID
    incident_id: uuid.UUID
    case_id: uuid.UUID
    evidence_id: uuid.UUID
    legal_action_id: uuid.UUID
    involvement_id: uuid.UUID
    citation_id: uuid.UUID


def make_sample(engine: Engine) -> Sample:
    with Session(engine, expire_on_commit=False) as session:
        place = make_place(session)
        organisation = make_organisation(session)
        person = make_person(session, real_name="Canary Realname")
        source = make_source(session)
        incident = make_incident(session, title="Sample incident", place_id=place.id)
        involvement = make_involvement(session, incident_id=incident.id, person_id=person.id)
        citation = make_citation(session, incident_id=incident.id, source_id=source.id)
        case = make_case(session)
        evidence = make_evidence(session, incident_id=incident.id)
        legal_action = make_legal_action(session, case_id=case.id)
        session.commit()
        return Sample(
            place.id,
            organisation.id,
            person.id,
            source.id,
            incident.id,
            case.id,
            evidence.id,
            legal_action.id,
            involvement.id,
            citation.id,
        )
