"""Gather a snapshot's incidents with their parties and sources, then whitelist them as events."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.dates import DateQualifier, FuzzyDate, format_fuzzy_date
from tracker.domain.disclosure import (
    CLASSIFICATION_MARKINGS,
    DisclosureLevel,
    is_pseudonymised,
    widen_date,
)
from tracker.domain.errors import InvalidInput
from tracker.models import Citation, Incident, Involvement, Organisation, Person, Place, Source
from tracker.models.base import TimestampedRecord
from tracker.reporting.model import GradedCitation, ReportHeader, Timeline, TimelineEvent
from tracker.reporting.other_names import other_names
from tracker.reporting.redaction import NameRule, build_redactor
from tracker.reporting.snapshot_context import (
    SnapshotContext,
    consents_to,
    place_label,
    read_ahead_chains,
    read_ahead_people,
    viewer_may_see,
)
from tracker.reporting.snapshot_people import involvement_line, name_rule, only_perpetrator_type
from tracker.services.incident_queries import IncidentFilters, count_incidents, list_incidents
from tracker.services.records import id_chunks, live

RecordT = TypeVar("RecordT", bound=TimestampedRecord)


@dataclass(frozen=True)
class IncidentFacts:
    """The incidents of a snapshot and everything linked to them, read once."""

    incidents: tuple[Incident, ...]
    involvements: dict[uuid.UUID, list[Involvement]]  # by incident
    citations: dict[uuid.UUID, list[Citation]]  # by incident
    sources: dict[uuid.UUID, Source]
    persons: dict[uuid.UUID, Person]
    # None for a person with any role besides alleged perpetrator.
    perpetrator_types: dict[uuid.UUID, str | None]


# --- reading ------------------------------------------------------------------------------------


def visible_filters(filters: IncidentFilters, context: SnapshotContext) -> IncidentFilters:
    """Live incidents only, and only those the viewer may see."""
    viewer = context.viewer
    user_id = None if viewer.sees_every_record else viewer.user_id
    return replace(filters, include_deleted=False, visible_to_user_id=user_id)


# A timeline is read by people: past this many incidents it is a table, not a story, and a
# hand-typed filter must not make the server render the whole database.
MAX_TIMELINE_INCIDENTS = 2_000


def load_incidents(session: Session, filters: IncidentFilters) -> tuple[Incident, ...]:
    """The matching incidents; raises InvalidInput past MAX_TIMELINE_INCIDENTS."""
    matching = count_incidents(session, filters=filters, up_to=MAX_TIMELINE_INCIDENTS)
    if matching > MAX_TIMELINE_INCIDENTS:
        raise InvalidInput(
            f"filters: more than {MAX_TIMELINE_INCIDENTS:,} incidents match; a timeline holds"
            " at most that many: narrow the filters (type, dates, place)"
        )
    ids = [row.id for row in list_incidents(session, filters=filters)]
    return tuple(rows_by_ids(session, Incident, col(Incident.id), ids))


def rows_by_ids(
    session: Session, model: type[RecordT], column: Any, ids: Sequence[uuid.UUID]
) -> list[RecordT]:
    """Live rows whose column is one of the ids, oldest first within each chunk."""
    rows: list[RecordT] = []
    for chunk in id_chunks(ids):
        chosen = live(select(model), model).where(column.in_(chunk))
        rows.extend(session.execute(chosen.order_by(col(model.created_at))).scalars())
    return rows


def gather_facts(
    session: Session, incidents: tuple[Incident, ...], extra_person_ids: Iterable[uuid.UUID] = ()
) -> IncidentFacts:
    """Involvements, citations, sources and persons of the incidents (and of extra persons)."""
    incident_ids = [incident.id for incident in incidents]
    involvements = rows_by_ids(session, Involvement, col(Involvement.incident_id), incident_ids)
    citations = rows_by_ids(session, Citation, col(Citation.incident_id), incident_ids)
    source_ids = sorted({citation.source_id for citation in citations})
    sources = {row.id: row for row in rows_by_ids(session, Source, col(Source.id), source_ids)}
    person_ids = {row.person_id for row in involvements if row.person_id is not None}
    person_ids |= {row.contact_person_id for row in sources.values() if row.contact_person_id}
    person_ids |= set(extra_person_ids)
    persons = {
        row.id: row for row in rows_by_ids(session, Person, col(Person.id), sorted(person_ids))
    }
    live_sources = set(sources)
    return IncidentFacts(
        incidents=incidents,
        involvements=grouped(involvements, "incident_id"),
        citations=grouped(
            [row for row in citations if row.source_id in live_sources], "incident_id"
        ),
        sources=sources,
        persons=persons,
        perpetrator_types=perpetrator_types(involvements),
    )


def grouped(rows: Iterable[RecordT], key: str) -> dict[uuid.UUID, list[RecordT]]:
    groups: dict[uuid.UUID, list[RecordT]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return dict(groups)


def perpetrator_types(involvements: Iterable[Involvement]) -> dict[uuid.UUID, str | None]:
    by_person: dict[uuid.UUID, list[Involvement]] = defaultdict(list)
    for involvement in involvements:
        if involvement.person_id is not None:
            by_person[involvement.person_id].append(involvement)
    return {person_id: only_perpetrator_type(roles) for person_id, roles in by_person.items()}


# --- the redactor every free text of the snapshot goes through --------------------------------


def read_ahead(context: SnapshotContext, facts: IncidentFacts) -> None:
    """What the whitelisting will ask about each record, read in a few queries up front."""
    read_ahead_people(context, facts.persons)
    places = [incident.place_id for incident in facts.incidents if incident.place_id]
    read_ahead_chains(context, Place, places)
    involvements = [row for rows in facts.involvements.values() for row in rows]
    organisations = {row.organisation_id for row in involvements if row.organisation_id}
    organisations |= {row.unit_organisation_id for row in involvements if row.unit_organisation_id}
    read_ahead_chains(context, Organisation, organisations)


def with_redactor(context: SnapshotContext, facts: IncidentFacts) -> SnapshotContext:
    """The context with a redactor for every person the snapshot knows of."""
    read_ahead(context, facts)
    if context.level is DisclosureLevel.INTERNAL:
        return context
    rules: list[NameRule] = []
    for person in facts.persons.values():
        rule = name_rule(context, person, facts.perpetrator_types.get(person.id))
        if rule is not None:
            rules.append(rule)
    withheld = [
        text
        for person in facts.persons.values()
        for text in (person.contact_info, person.exact_address)
        if text
    ]
    pseudonymised = is_pseudonymised(context.level)
    redactor = build_redactor(
        rules, withheld_strings=withheld, scrub_contacts=pseudonymised, scrub_days=pseudonymised
    )
    known_codes = {person.pseudonym_code for person in facts.persons.values()}
    others = other_names(
        context.session,
        known_codes=known_codes,
        by_code=context.level is not DisclosureLevel.PUBLIC,
    )
    return replace(context, redactor=redactor, other_names=others)


# --- whitelisting -------------------------------------------------------------------------------


def make_header(
    context: SnapshotContext, *, title: str, subject: str, generated_at: datetime, generated_by: str
) -> ReportHeader:
    return ReportHeader(
        title=title,
        subject=subject,
        level=context.level,
        classification=CLASSIFICATION_MARKINGS[context.level],
        generated_at=generated_at,
        generated_by=generated_by,
        language=context.language,
    )


def timeline_of(context: SnapshotContext, header: ReportHeader, facts: IncidentFacts) -> Timeline:
    """Events in DOMAIN §4 order: by the printed date, then code; unknown dates apart."""
    events = sorted(
        (timeline_event(context, facts, incident) for incident in facts.incidents),
        key=lambda event: (event.sort_key, event.code),
    )
    dated = tuple(event for event in events if event.sort_key[0] == 0)
    undated = tuple(event for event in events if event.sort_key[0] != 0)
    return Timeline(header=header, dated=dated, undated=undated)


def timeline_event(
    context: SnapshotContext, facts: IncidentFacts, incident: Incident
) -> TimelineEvent:
    """One incident, field by field, as the level allows."""
    start = widen_date(incident.start, context.level)
    involvements = facts.involvements.get(incident.id, [])
    return TimelineEvent(
        code=incident.code,
        date_label=date_label(context, incident),
        sort_key=start.sort_key,
        approximate=is_approximate(incident.start, start),
        type_label=context.label("incident_type", incident.type),
        secondary_type_labels=tuple(
            context.label("incident_type", code) for code in incident.secondary_types
        ),
        place_label=place_label(context, incident.place_id),
        title=context.redact(incident.title),
        summary=event_summary(context, facts, incident),
        involvements=tuple(
            involvement_line(context, row, facts.perpetrator_types) for row in involvements
        ),
        citations=tuple(
            graded_citation(context, citation, facts.sources[citation.source_id])
            for citation in facts.citations.get(incident.id, [])
        ),
    )


def date_label(context: SnapshotContext, incident: Incident) -> str:
    start = format_fuzzy_date(widen_date(incident.start, context.level))
    end = incident.end
    if end is None:
        return start
    return f"{start} – {format_fuzzy_date(widen_date(end, context.level))}"


def is_approximate(recorded: FuzzyDate, printed: FuzzyDate) -> bool:
    """The witness said "about", or the level widened the date."""
    widened = (recorded.earliest, recorded.latest) != (printed.earliest, printed.latest)
    return printed.qualifier is DateQualifier.APPROXIMATE or widened


def event_summary(context: SnapshotContext, facts: IncidentFacts, incident: Incident) -> str:
    if context.level is DisclosureLevel.PUBLIC and not narrative_public(context, facts, incident):
        return ""
    return context.redact(incident.summary)


def narrative_public(context: SnapshotContext, facts: IncidentFacts, incident: Incident) -> bool:
    """Public narratives are reviewed (publishable) and consented by every victim named in them."""
    victims = [
        facts.persons[row.person_id]
        for row in facts.involvements.get(incident.id, [])
        if row.role == "victim" and row.person_id in facts.persons
    ]
    consented = all(consents_to(context, person, "narrative_public") for person in victims)
    return incident.publishable and consented


def graded_citation(context: SnapshotContext, citation: Citation, source: Source) -> GradedCitation:
    identified = source_identified(context, source)
    return GradedCitation(
        source_title=context.redact(source.title) if identified else "",
        source_kind=context.label("source_kind", source.kind),
        reliability=source.reliability,
        credibility=citation.credibility,
        locator=context.redact(citation.locator),
        claim=context.redact(citation.claim),
        url=source.url if identified else "",
    )


def source_identified(context: SnapshotContext, source: Source) -> bool:
    """A person as source is shown internally, at legal with consent, else by kind only."""
    if source.contact_person_id is None or context.level is DisclosureLevel.INTERNAL:
        return True
    if context.level is not DisclosureLevel.LEGAL:
        return False
    contact = context.session.get(Person, source.contact_person_id)
    if contact is None or not viewer_may_see(context, contact):
        return False
    return consents_to(context, contact, "legal_filing")
