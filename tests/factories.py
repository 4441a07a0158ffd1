"""Test records with sensible defaults, so a test states only what matters to it."""

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from tracker.models import (
    Campaign,
    Case,
    Citation,
    Evidence,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    Person,
    Place,
    Source,
    VocabularyTerm,
)
from tracker.services.campaigns import create_campaign
from tracker.services.cases import add_legal_action, create_case
from tracker.services.evidence import add_evidence, sha256_of
from tracker.services.incidents import IncidentDraft, record_incident
from tracker.services.involvements import InvolvementDraft, add_involvement
from tracker.services.links import link_incidents
from tracker.services.organisations import create_organisation
from tracker.services.people import create_person
from tracker.services.places import create_place
from tracker.services.sources import cite, create_source
from tracker.services.vocabularies import add_term

ACTOR_ID = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
# A fixed "today" keeps date parsing independent of when the tests run.
TODAY = date(2024, 6, 1)


def make_place(session: Session, **values: Any) -> Place:
    values = {"name": "Baku", "kind": "first_level_unit", "geo_precision": 3, **values}
    return create_place(session, actor_id=ACTOR_ID, **values)


def make_incident(session: Session, **values: Any) -> Incident:
    today = values.pop("today", TODAY)
    reference_date = values.pop("reference_date", None)
    draft = IncidentDraft(**{"type": "DET", "start_text": "8 March 2023", **values})
    return record_incident(
        session, draft=draft, actor_id=ACTOR_ID, today=today, reference_date=reference_date
    )


def make_person(session: Session, **values: Any) -> Person:
    values = {"role_letter": "V", **values}
    return create_person(session, actor_id=ACTOR_ID, **values)


def make_source(session: Session, **values: Any) -> Source:
    values = {"kind": "ngo_report", "title": "Report on the 8 March march", **values}
    return create_source(session, actor_id=ACTOR_ID, **values)


def make_case(session: Session, **values: Any) -> Case:
    values = {"title": "Detention of V-2017-001", **values}
    return create_case(session, actor_id=ACTOR_ID, **values)


def make_organisation(session: Session, **values: Any) -> Organisation:
    values = {"name": "Nasimi district police", "kind": "police_station", **values}
    return create_organisation(session, actor_id=ACTOR_ID, **values)


def make_campaign(session: Session, **values: Any) -> Campaign:
    values = {"name": "2017 round-up", **values}
    return create_campaign(session, actor_id=ACTOR_ID, **values)


def make_citation(session: Session, **values: Any) -> Citation:
    """A claim of a new source about a new incident, unless either is given."""
    source_id = values.pop("source_id", None) or make_source(session).id
    incident_id = values.pop("incident_id", None) or make_incident(session).id
    return cite(session, source_id=source_id, incident_id=incident_id, actor_id=ACTOR_ID, **values)


def make_evidence(session: Session, **values: Any) -> Evidence:
    values = {"kind": "photo", "sha256": sha256_of(b"original photo"), **values}
    return add_evidence(session, actor_id=ACTOR_ID, **values)


def make_legal_action(session: Session, **values: Any) -> LegalAction:
    case_id = values.pop("case_id", None) or make_case(session).id
    values = {"kind": "complaint", **values}
    return add_legal_action(session, case_id=case_id, actor_id=ACTOR_ID, today=TODAY, **values)


def make_involvement(session: Session, **values: Any) -> Involvement:
    """A new person as victim of a new incident, unless told otherwise."""
    incident_id = values.pop("incident_id", None) or make_incident(session).id
    if "person_id" not in values and "organisation_id" not in values:
        values["person_id"] = make_person(session).id
    draft = InvolvementDraft(**{"role": "victim", **values})
    return add_involvement(session, incident_id=incident_id, draft=draft, actor_id=ACTOR_ID)


def make_link(session: Session, **values: Any) -> IncidentLink:
    """The first of two new incidents precedes the second, unless told otherwise."""
    from_incident_id = values.pop("from_incident_id", None) or make_incident(session).id
    to_incident_id = values.pop("to_incident_id", None) or make_incident(session).id
    values = {"link_type": "precedes", **values}
    return link_incidents(
        session,
        from_incident_id=from_incident_id,
        to_incident_id=to_incident_id,
        actor_id=ACTOR_ID,
        **values,
    )


def make_term(session: Session, **values: Any) -> VocabularyTerm:
    values = {"vocabulary": "incident_type", "code": "DEPT", "label_en": "Deportation", **values}
    return add_term(session, actor_id=ACTOR_ID, **values)
