"""Load the hand-built demo dataset from the 2023 Nafas articles, once."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from tracker.demo.source_material import DemoRecord, demo_id, demo_records
from tracker.domain.errors import InvalidInput
from tracker.models import Case, Incident, Person
from tracker.services.records import create_record

SUMMARY_TABLES = ("incident", "person", "place", "source", "case_file")


@dataclass(frozen=True)
class DemoSummary:
    """How many demo records of each kind exist, and whether this run created them."""

    incidents: int
    persons: int
    places: int
    sources: int
    cases: int
    already_loaded: bool

    def __str__(self) -> str:
        counts = (
            f"{self.incidents} incidents, {self.persons} persons, {self.places} places,"
            f" {self.sources} sources, {self.cases} cases"
        )
        if self.already_loaded:
            return f"The demo dataset is already loaded ({counts}); nothing was added."
        return f"Demo dataset loaded: {counts}."


def load_demo(session: Session) -> DemoSummary:
    """Create the demo records (audited, fixed UUIDs); a second call adds nothing.

    Raises InvalidInput when another record already uses a demo code (INC-000001...).
    """
    records = list(demo_records())
    if session.get(Incident, demo_id("incident:E1")) is not None:
        return summarise(records, already_loaded=True)
    check_codes_free(session, records)
    for record in records:
        create_record(
            session, record.model, actor_id=None, values=record.values, record_id=record.record_id
        )
    return summarise(records, already_loaded=False)


def check_codes_free(session: Session, records: list[DemoRecord]) -> None:
    """Raises InvalidInput naming the first demo code some other record holds."""
    for model, column, field in (
        (Incident, Incident.code, "code"),
        (Case, Case.code, "code"),
        (Person, Person.pseudonym_code, "pseudonym_code"),
    ):
        codes = [record.values[field] for record in records if record.model is model]
        taken = session.execute(
            select(func.min(column)).where(or_(*(column == code for code in codes)))
        ).scalar()
        if taken is not None:
            raise InvalidInput(
                f"The demo needs code {taken}, which another record already"
                " uses; load the demo into a database without it."
            )


def summarise(records: list[DemoRecord], *, already_loaded: bool) -> DemoSummary:
    counts = Counter(str(record.model.__tablename__) for record in records)
    return DemoSummary(
        incidents=counts["incident"],
        persons=counts["person"],
        places=counts["place"],
        sources=counts["source"],
        cases=counts["case_file"],
        already_loaded=already_loaded,
    )
