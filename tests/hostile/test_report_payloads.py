"""The stored payloads in reports: a timeline and a dossier at the internal level and an annual
report at the partner level (its most revealing) build, and print each payload as written."""

import re
import unicodedata
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import ACTOR_ID
from tests.hostile import payloads
from tests.hostile.stored import StoredPayloads, store_payloads
from tests.hostile.tally import TALLY
from tests.reporting import pdf_samples
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.exports import OPERATOR, ReportRequest, produce_report
from tracker.reporting.pdf.markup import printable_text
from tracker.reporting.snapshots import TimelineSubject
from tracker.services.cases import add_client, add_incident_to_case, create_case

GENERATED_AT = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
# A word of each markup payload: printed means its payload was printed, whole.
MARKED_WORD = re.compile(r"hstl\w*")


@pytest.fixture
def stored(engine: Engine) -> StoredPayloads:
    return store_payloads(engine)


@pytest.fixture
def case_of_everything(engine: Engine, stored: StoredPayloads) -> uuid.UUID:
    """One case holding every payload's incident, with every payload's person as client."""
    with Session(engine, expire_on_commit=False) as session:
        case = create_case(session, title="Every payload", actor_id=ACTOR_ID)
        for sample in stored.samples.values():
            add_incident_to_case(
                session, case_id=case.id, incident_id=sample.incident_id, actor_id=ACTOR_ID
            )
            add_client(session, case_id=case.id, person_id=sample.person_id, actor_id=ACTOR_ID)
        session.commit()
        return case.id


def report(engine: Engine, request: ReportRequest) -> bytes:
    with Session(engine) as session:
        bundle = produce_report(
            session,
            request=request,
            viewer=OPERATOR,
            generated_at=GENERATED_AT,
            generated_by="hostile",
            suppression_threshold=1,
        )
        session.rollback()
    assert bundle.main.data.startswith(b"%PDF-")
    TALLY.tried("report payloads", command=f"report {request.kind}")
    return bundle.main.data


def printed_text(data: bytes) -> str:
    return pdf_samples.squashed(pdf_samples.body_text(data))


def printed_literally(text: str, printed: str) -> bool:
    """As pdf_samples.assert_literal, on text extracted once."""
    visible = pdf_samples.squashed(printable_text(text))
    if any(unicodedata.bidirectional(character) in ("R", "AL") for character in visible):
        return set(visible) <= set(printed)  # pypdf reorders right-to-left runs
    return visible in printed


def not_printed_whole(printed: str, stored: StoredPayloads) -> list[str]:
    """The payloads whose marked word is printed but not the whole payload: markup obeyed."""
    return [
        payload
        for payload in stored.samples
        if any(word in printed for word in MARKED_WORD.findall(payload))
        and not printed_literally(payload, printed)
    ]


def test_reports_print_every_payload_as_written_and_obey_no_markup(
    engine: Engine, stored: StoredPayloads, case_of_everything: uuid.UUID
) -> None:
    internal = DisclosureLevel.INTERNAL
    subject = TimelineSubject(kind="case", record_id=case_of_everything)
    for request in (
        ReportRequest(kind="timeline", level=internal, subject=subject),
        ReportRequest(kind="dossier", level=internal, case_id=case_of_everything),
    ):
        printed = printed_text(report(engine, request))
        assert [text for text in stored.in_incidents if not printed_literally(text, printed)] == []
        assert not_printed_whole(printed, stored) == []
    # The annual report at its most revealing level names the regions: the payload places.
    annual = ReportRequest(kind="annual", level=DisclosureLevel.PARTNER, year=2023)
    printed = printed_text(report(engine, annual))
    assert payloads.MARKER in printed
    assert not_printed_whole(printed, stored) == []
