"""A victim, a publishable incident and a case for consent-withdrawal and export-recall tests.

Each value a consent governs carries its own marker, so a test can tell which one a PDF shows:
the real name (legal_filing at the legal level, name_public in public), the gender identity
(share_partner at the partner level), the incident summary (narrative_public in a public
timeline), the case summary (narrative_public in a public dossier) and the incident's
narrative (narrative_public in an annual report at the partner and public levels).
"""

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pypdf import PdfReader
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_incident,
    make_involvement,
    make_person,
    make_place,
)
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.exports import OPERATOR, ReportBundle, ReportRequest, produce_report
from tracker.reporting.snapshots import TimelineSubject
from tracker.services.cases import add_client, add_incident_to_case
from tracker.services.consents import record_consent
from tracker.services.people import update_person
from tracker.services.restrictions import Viewer

REAL_NAME = "Nigar Recallova"
GENDER = "recallgender"
SUMMARY = "Summaryword: the victim was held overnight."
CASE_SUMMARY = "Casesummaryword: redress is sought."
NARRATIVE = "Narrativeword: held overnight and released."
GRANTED_ON, WITHDRAWN_ON = date(2024, 1, 10), date(2024, 3, 1)
GENERATED_AT = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class RecallSample:
    victim_id: uuid.UUID
    witness_id: uuid.UUID
    incident_id: uuid.UUID
    case_id: uuid.UUID
    victim_code: str


def make_recall_sample(session: Session) -> RecallSample:
    """The records above, flushed; the victim has consented only to record_sensitive."""
    baku = make_place(session)
    victim = make_person(session, real_name=REAL_NAME, first_recorded_year=2023)
    decide(session, victim.id, "record_sensitive", "granted")
    update_person(
        session,
        person_id=victim.id,
        expected_version=victim.version,
        changes={"gender_identity": GENDER},
        actor_id=ACTOR_ID,
    )
    incident = make_incident(
        session,
        start_text="March 2023",
        place_id=baku.id,
        summary=SUMMARY,
        narrative=NARRATIVE,
        publishable=True,
    )
    make_involvement(session, incident_id=incident.id, person_id=victim.id)
    witness = make_person(session, role_letter="W")
    make_involvement(session, incident_id=incident.id, person_id=witness.id, role="witness")
    case = make_case(session, summary=CASE_SUMMARY)
    add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    add_client(session, case_id=case.id, person_id=victim.id, actor_id=ACTOR_ID)
    session.flush()
    return RecallSample(victim.id, witness.id, incident.id, case.id, victim.pseudonym_code)


def decide(
    session: Session,
    person_id: uuid.UUID,
    scope: str,
    status: str,
    decided_on: date = GRANTED_ON,
) -> None:
    record_consent(
        session,
        person_id=person_id,
        scope=scope,
        status=status,
        decided_on=decided_on,
        method="in person",
        actor_id=ACTOR_ID,
    )


def request_for(sample: RecallSample, kind: str, level: DisclosureLevel) -> ReportRequest:
    if kind == "dossier":
        return ReportRequest(kind="dossier", level=level, case_id=sample.case_id)
    if kind == "annual":
        return ReportRequest(kind="annual", level=level, year=2023)
    subject = TimelineSubject(kind="case", record_id=sample.case_id)
    return ReportRequest(kind="timeline", level=level, subject=subject)


def export(
    session: Session,
    sample: RecallSample,
    kind: str,
    level: DisclosureLevel,
    viewer: Viewer = OPERATOR,
) -> ReportBundle:
    return produce_report(
        session,
        request=request_for(sample, kind, level),
        viewer=viewer,
        generated_at=GENERATED_AT,
        generated_by="exporter",
        suppression_threshold=3,
    )


def pdf_text(data: bytes) -> str:
    """The PDF's text with line breaks folded to spaces, so a name split across lines joins."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
