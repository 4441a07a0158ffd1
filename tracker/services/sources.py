"""Sources graded for reliability and their citations, each claim graded for credibility."""

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.dates import FuzzyDate, parse_fuzzy_date
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.domain.vocabularies import CREDIBILITY_GRADES, RELIABILITY_GRADES
from tracker.models import Citation, Incident, Person, Source
from tracker.models.base import utc_now
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code

SOURCE_FIELDS = (
    "kind",
    "title",
    "citation_text",
    "url",
    "contact_person_id",
    "published_on",
    "accessed_on",
    "reliability",
)
CITATION_FIELDS = ("locator", "claim", "credibility")


def check_reliability(value: object) -> None:
    if value not in RELIABILITY_GRADES:
        raise InvalidInput(
            f"reliability: '{value}' is not a grade; use A (completely reliable) to F (cannot be"
            " judged)"
        )


def check_credibility(value: object) -> None:
    if isinstance(value, bool) or value not in CREDIBILITY_GRADES:
        raise InvalidInput(
            f"credibility: '{value}' is not a grade; use 1 (confirmed) to 6 (cannot be judged)"
        )


def parse_published(text: str | None, today: date | None) -> FuzzyDate | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_fuzzy_date(text, today=today)
    except InvalidDate as error:
        raise InvalidDate(f"published_on: {error}") from None


def check_source_values(session: Session, values: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the field."""
    require_code(session, "source_kind", values.get("kind"), "kind")
    check_reliability(values.get("reliability"))
    if values.get("contact_person_id") is not None:
        require_live(session, Person, values["contact_person_id"], "contact_person_id")
    accessed = values.get("accessed_on")
    if accessed is not None and (not isinstance(accessed, date) or accessed > utc_now().date()):
        raise InvalidInput("accessed_on: must be a past or present day")


def create_source(
    session: Session,
    *,
    kind: str,
    actor_id: uuid.UUID | None,
    title: str = "",
    citation_text: str = "",
    url: str = "",
    contact_person_id: uuid.UUID | None = None,
    published_text: str | None = None,
    accessed_on: date | None = None,
    reliability: str = "F",
    today: date | None = None,
) -> Source:
    """A source; unset reliability is F (cannot be judged), never A.

    Raises InvalidInput naming the field.
    """
    values: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "citation_text": citation_text,
        "url": url,
        "contact_person_id": contact_person_id,
        "accessed_on": accessed_on,
        "reliability": reliability,
    }
    check_source_values(session, values)
    values["published_on"] = parse_published(published_text, today)
    return create_record(session, Source, actor_id=actor_id, values=values)


def get_source(session: Session, source_id: uuid.UUID, *, include_deleted: bool = False) -> Source:
    """Raises RecordNotFound."""
    return get_record(session, Source, source_id, include_deleted=include_deleted)


def list_sources(
    session: Session, *, kind: str | None = None, include_deleted: bool = False
) -> list[Source]:
    """Sources in the order recorded, optionally of one kind."""
    sources = list_records(session, Source, include_deleted=include_deleted)
    return [source for source in sources if kind is None or source.kind == kind]


def update_source(
    session: Session,
    *,
    source_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
    today: date | None = None,
) -> Source:
    """Change a source; `published_text` is parsed into `published_on`.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    source = get_source(session, source_id)
    columns = dict(changes)
    if "published_text" in columns:
        columns["published_on"] = parse_published(columns.pop("published_text"), today)
    unknown = sorted(set(columns) - set(SOURCE_FIELDS))
    if unknown:
        raise InvalidInput(f"source: unknown or read-only fields {', '.join(unknown)}")
    check_source_values(session, {**{f: getattr(source, f) for f in SOURCE_FIELDS}, **columns})
    return update_record(
        session, source, actor_id=actor_id, expected_version=expected_version, changes=columns
    )


def delete_source(
    session: Session, *, source_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Source:
    """Raises EditConflict, RecordNotFound."""
    source = get_source(session, source_id)
    return soft_delete_record(session, source, actor_id=actor_id, expected_version=expected_version)


def restore_source(
    session: Session, *, source_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Source:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    source = get_source(session, source_id, include_deleted=True)
    return restore_record(session, source, actor_id=actor_id, expected_version=expected_version)


# --- citations --------------------------------------------------------------------------------


def cite(
    session: Session,
    *,
    source_id: uuid.UUID,
    incident_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    locator: str = "",
    claim: str = "",
    credibility: int = 6,
) -> Citation:
    """A source's claim about an incident; unset credibility is 6 (cannot be judged).

    Raises InvalidInput naming the field.
    """
    require_live(session, Source, source_id, "source_id")
    require_live(session, Incident, incident_id, "incident_id")
    check_credibility(credibility)
    values = {
        "source_id": source_id,
        "incident_id": incident_id,
        "locator": locator,
        "claim": claim,
        "credibility": credibility,
    }
    return create_record(session, Citation, actor_id=actor_id, values=values)


def get_citation(
    session: Session, citation_id: uuid.UUID, *, include_deleted: bool = False
) -> Citation:
    """Raises RecordNotFound."""
    return get_record(session, Citation, citation_id, include_deleted=include_deleted)


def citations_of_incident(session: Session, incident_id: uuid.UUID) -> list[Citation]:
    """An incident's live citations, oldest first."""
    statement = live(select(Citation), Citation).where(col(Citation.incident_id) == incident_id)
    return list(session.execute(statement.order_by(col(Citation.created_at))).scalars())


def update_citation(
    session: Session,
    *,
    citation_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Citation:
    """Change locator, claim or credibility. Raises InvalidInput, EditConflict, RecordNotFound."""
    citation = get_citation(session, citation_id)
    unknown = sorted(set(changes) - set(CITATION_FIELDS))
    if unknown:
        raise InvalidInput(f"citation: unknown or read-only fields {', '.join(unknown)}")
    if "credibility" in changes:
        check_credibility(changes["credibility"])
    return update_record(
        session, citation, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def remove_citation(
    session: Session,
    *,
    citation_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Citation:
    """Raises EditConflict, RecordNotFound."""
    citation = get_citation(session, citation_id)
    return soft_delete_record(
        session, citation, actor_id=actor_id, expected_version=expected_version
    )


def restore_citation(
    session: Session,
    *,
    citation_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Citation:
    """Bring a removed citation back while its source and incident are still live.

    Raises InvalidInput naming the field or when not removed, EditConflict, RecordNotFound.
    """
    citation = get_citation(session, citation_id, include_deleted=True)
    require_live(session, Source, citation.source_id, "source_id")
    require_live(session, Incident, citation.incident_id, "incident_id")
    return restore_record(session, citation, actor_id=actor_id, expected_version=expected_version)
