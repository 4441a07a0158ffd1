"""Test records with sensible defaults, so a test states only what matters to it."""

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from tracker.models import Case, Incident, Person, Place, Source
from tracker.services.cases import create_case
from tracker.services.incidents import IncidentDraft, record_incident
from tracker.services.people import create_person
from tracker.services.places import create_place
from tracker.services.sources import create_source

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
