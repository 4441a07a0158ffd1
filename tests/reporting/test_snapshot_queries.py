"""A snapshot reads its records in a fixed number of queries, however many incidents it holds.

Reading consents, names, places, units, restrictions or custody logs one record at a time
made a 300-incident dossier take seconds; this test fails if any of them slips back into a
query per record.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_evidence,
    make_incident,
    make_involvement,
    make_organisation,
    make_person,
    make_place,
    make_source,
)
from tests.reporting.conftest import CONSENT_DAY, GENERATED_AT
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.snapshots import build_dossier
from tracker.services.cases import add_incident_to_case
from tracker.services.consents import record_consent
from tracker.services.evidence import add_custody_entry, sha256_of
from tracker.services.people import add_person_name
from tracker.services.restrictions import Viewer


def add_full_incident(session: Session, case_id: uuid.UUID, number: int) -> None:
    """An incident with its own place chain, victim (consented, with an alias), police unit
    under a ministry, source with a contact person, and an evidence item with custody."""
    country = make_place(session, name=f"Country {number}", kind="country", geo_precision=5)
    city = make_place(session, name=f"City {number}", parent_id=country.id)
    incident = make_incident(session, title=f"Raid {number}", place_id=city.id)
    add_incident_to_case(session, case_id=case_id, incident_id=incident.id, actor_id=ACTOR_ID)
    victim = make_person(session, real_name=f"Victim Number{number}")
    add_person_name(session, person_id=victim.id, text=f"Alias Number{number}", kind="nickname",
                    actor_id=ACTOR_ID)  # fmt: skip
    record_consent(session, person_id=victim.id, scope="legal_filing", status="granted",
                   decided_on=CONSENT_DAY, method="written", actor_id=ACTOR_ID)  # fmt: skip
    make_involvement(session, incident_id=incident.id, person_id=victim.id)
    ministry = make_organisation(session, name=f"Ministry {number}", kind="ministry")
    station = make_organisation(session, name=f"Station {number}", parent_id=ministry.id)
    make_involvement(session, incident_id=incident.id, organisation_id=station.id,
                     role="alleged_perpetrator", perpetrator_type="state_agent")  # fmt: skip
    contact = make_person(session, real_name=f"Witness Number{number}", role_letter="W")
    source = make_source(session, title=f"Testimony {number}", contact_person_id=contact.id)
    make_citation(session, source_id=source.id, incident_id=incident.id)
    digest = sha256_of(f"photo {number}".encode())
    item = make_evidence(session, incident_id=incident.id, sha256=digest, file_name=f"{number}.jpg")
    add_custody_entry(session, evidence_id=item.id, action="received", actor="documenter",
                      actor_id=ACTOR_ID, occurred_at=datetime(2024, 1, 2, tzinfo=UTC),
                      holders="team", sha256_seen=digest)  # fmt: skip


@contextmanager
def counted_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*arguments: object) -> None:
        statements.append(str(arguments[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def dossier_queries(session: Session, case_id: uuid.UUID, viewer: Viewer) -> list[str]:
    session.expire_all()  # nothing read before may be served from the identity map
    with counted_queries(session) as statements:
        build_dossier(session, case_id=case_id, level=DisclosureLevel.LEGAL, viewer=viewer,
                      generated_at=GENERATED_AT, generated_by="tester")  # fmt: skip
    return statements


def test_a_dossier_takes_as_many_queries_for_six_incidents_as_for_two(
    session: Session, viewers: dict[str, Viewer]
) -> None:
    lawyer = viewers["lawyer"]
    small, large = make_case(session, title="Small"), make_case(session, title="Large")
    for number in range(2):
        add_full_incident(session, small.id, number)
    for number in range(2, 8):
        add_full_incident(session, large.id, number)
    session.flush()
    dossier_queries(session, small.id, lawyer)  # warms the per-worker name index
    few = dossier_queries(session, small.id, lawyer)
    many = dossier_queries(session, large.id, lawyer)
    assert len(many) == len(few), "\n".join(many)
