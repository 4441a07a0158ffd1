"""Load what an annual report counts in a few bulk queries, never one query per incident."""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput, RecordNotFound
from tracker.domain.fuzzy_date import DatePrecision, DateQualifier, FuzzyDate
from tracker.models import (
    CaseIncident,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Person,
    Place,
    VocabularyTerm,
)
from tracker.reporting.counting import IncidentRow, LegalActionRow

FIRST_LEVEL_UNIT = 3  # DOMAIN §5 geo_precision
PERPETRATOR_ROLE = "alleged_perpetrator"
VICTIM_ROLE = "victim"
VOCABULARIES = ("incident_type", "perpetrator_type", "legal_action_kind")


@dataclass(frozen=True)
class PlaceNode:
    parent_id: uuid.UUID | None
    geo_precision: int
    name: str


@dataclass(frozen=True)
class ReportScope:
    """The report's filters, resolved: which places and which type it covers."""

    place_ids: frozenset[uuid.UUID] | None  # None: every place, and incidents with none
    incident_type: str | None

    def incident_condition(self) -> ColumnElement[bool]:
        """Live incidents of the scope (the date window is added separately)."""
        conditions: list[ColumnElement[bool]] = [col(Incident.deleted_at).is_(None)]
        if self.incident_type is not None:
            conditions.append(col(Incident.type) == self.incident_type)
        if self.place_ids is not None:
            conditions.append(col(Incident.place_id).in_(sorted(self.place_ids)))
        return and_(*conditions)


# --- places ------------------------------------------------------------------------------


def load_place_tree(session: Session) -> dict[uuid.UUID, PlaceNode]:
    """Every place (deleted ones too: an incident may still point at one), in one query."""
    statement = select(
        col(Place.id), col(Place.parent_id), col(Place.geo_precision), col(Place.name)
    )
    return {
        row.id: PlaceNode(row.parent_id, row.geo_precision, row.name)
        for row in session.execute(statement)
    }


def first_level_unit(tree: Mapping[uuid.UUID, PlaceNode], place_id: uuid.UUID | None) -> str | None:
    """The first-level unit at or above the place; None when the place is coarser or unknown."""
    seen: set[uuid.UUID] = set()
    while place_id is not None and place_id in tree and place_id not in seen:
        node = tree[place_id]
        if node.geo_precision == FIRST_LEVEL_UNIT:
            return node.name
        if node.geo_precision > FIRST_LEVEL_UNIT:
            return None
        seen.add(place_id)
        place_id = node.parent_id
    return None


def places_under(tree: Mapping[uuid.UUID, PlaceNode], root_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The place and every place below it."""
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for place_id, node in tree.items():
        if node.parent_id is not None:
            children[node.parent_id].append(place_id)
    found, waiting = {root_id}, [root_id]
    while waiting:
        for child in children[waiting.pop()]:
            if child not in found:
                found.add(child)
                waiting.append(child)
    return frozenset(found)


def resolve_scope(
    session: Session,
    tree: Mapping[uuid.UUID, PlaceNode],
    *,
    region_id: uuid.UUID | None,
    incident_type: str | None,
) -> ReportScope:
    """Raises RecordNotFound for an unknown region, InvalidInput for an unknown type."""
    if region_id is not None and region_id not in tree:
        raise RecordNotFound(f"region_id: no place {region_id}")
    if incident_type is not None and incident_type not in term_labels(session, "en").get(
        "incident_type", {}
    ):
        raise InvalidInput(f"incident_type: unknown incident type {incident_type!r}")
    place_ids = None if region_id is None else places_under(tree, region_id)
    return ReportScope(place_ids=place_ids, incident_type=incident_type)


# --- incidents ---------------------------------------------------------------------------


def date_window(first_year: int, last_year: int) -> ColumnElement[bool]:
    """Incidents that may touch the years: a generous superset, checked exactly in counting."""
    window_start, window_end = date(first_year, 1, 1), date(last_year, 12, 31)
    return and_(
        col(Incident.start_precision) != DatePrecision.UNKNOWN.value,
        or_(col(Incident.start_earliest).is_(None), col(Incident.start_earliest) <= window_end),
        or_(
            col(Incident.start_latest).is_(None),
            col(Incident.start_latest) >= window_start,
            col(Incident.end_text).is_not(None),
        ),
    )


def stored_date(
    text: str | None,
    earliest: date | None,
    latest: date | None,
    precision: str | None,
    qualifier: str | None,
) -> FuzzyDate:
    return FuzzyDate(
        original_text=text or "",
        earliest=earliest,
        latest=latest,
        precision=DatePrecision(precision or DatePrecision.UNKNOWN.value),
        qualifier=DateQualifier(qualifier or DateQualifier.EXACT.value),
    )


INCIDENT_COLUMNS = (
    col(Incident.id),
    col(Incident.type),
    col(Incident.secondary_types),
    col(Incident.start_text),
    col(Incident.start_earliest),
    col(Incident.start_latest),
    col(Incident.start_precision),
    col(Incident.start_qualifier),
    col(Incident.end_text),
    col(Incident.end_earliest),
    col(Incident.end_latest),
    col(Incident.end_precision),
    col(Incident.end_qualifier),
    col(Incident.place_id),
    col(Incident.reported_victims_text),
    col(Incident.reported_victims_min),
    col(Incident.reported_victims_max),
    col(Incident.publishable),
)


@dataclass(frozen=True)
class LoadedIncidents:
    rows: tuple[IncidentRow, ...]
    publishable_ids: frozenset[uuid.UUID]


def load_incident_rows(
    session: Session,
    scope: ReportScope,
    tree: Mapping[uuid.UUID, PlaceNode],
    *,
    first_year: int,
    last_year: int,
) -> LoadedIncidents:
    """Counting rows of every live incident of the scope that may touch the years."""
    condition = and_(scope.incident_condition(), date_window(first_year, last_year))
    records = session.execute(select(*INCIDENT_COLUMNS).where(condition)).all()
    victims, perpetrators = load_involvements(session, condition)
    duplicates = duplicate_incident_ids(session)
    rows = tuple(
        incident_row(record, tree, victims, perpetrators, duplicates) for record in records
    )
    publishable = frozenset(record.id for record in records if record.publishable)
    return LoadedIncidents(rows=rows, publishable_ids=publishable)


def incident_row(
    record: Any,
    tree: Mapping[uuid.UUID, PlaceNode],
    victims: Mapping[uuid.UUID, list[uuid.UUID]],
    perpetrators: Mapping[uuid.UUID, set[str]],
    duplicates: frozenset[uuid.UUID],
) -> IncidentRow:
    end = None
    if record.end_text is not None:
        end = stored_date(record.end_text, record.end_earliest, record.end_latest,
                          record.end_precision, record.end_qualifier)  # fmt: skip
    return IncidentRow(
        incident_id=record.id,
        incident_type=record.type,
        start=stored_date(
            record.start_text,
            record.start_earliest,
            record.start_latest,
            record.start_precision,
            record.start_qualifier,
        ),  # fmt: skip
        end=end,
        secondary_types=tuple(record.secondary_types or ()),
        region=first_level_unit(tree, record.place_id),
        perpetrator_types=frozenset(perpetrators.get(record.id, ())),
        victim_ids=tuple(victims.get(record.id, ())),
        reported_victims_text=record.reported_victims_text,
        reported_victims_min=record.reported_victims_min,
        reported_victims_max=record.reported_victims_max,
        duplicate=record.id in duplicates,
    )


def load_involvements(
    session: Session, incident_condition: ColumnElement[bool]
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, set[str]]]:
    """Victim ids and perpetrator types per incident, for every incident of the condition."""
    statement = (
        select(
            col(Involvement.incident_id),
            col(Involvement.role),
            col(Involvement.person_id),
            col(Involvement.organisation_id),
            col(Involvement.perpetrator_type),
        )
        .join(Incident, col(Incident.id) == col(Involvement.incident_id))
        .where(incident_condition, col(Involvement.deleted_at).is_(None))
        .where(col(Involvement.role).in_((VICTIM_ROLE, PERPETRATOR_ROLE)))
    )
    survivors = merged_person_survivors(session)
    victims: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    perpetrators: dict[uuid.UUID, set[str]] = defaultdict(set)
    for row in session.execute(statement):
        if row.role == VICTIM_ROLE:
            victim = row.person_id or row.organisation_id
            victims[row.incident_id].append(survivors.get(victim, victim))
        else:
            perpetrators[row.incident_id].add(row.perpetrator_type or "unknown")
    return victims, perpetrators


def merged_person_survivors(session: Session) -> dict[uuid.UUID, uuid.UUID]:
    """Merged persons and the person they were merged into, so one person counts once."""
    statement = select(col(Person.id), col(Person.merged_into_id)).where(
        col(Person.merged_into_id).is_not(None)
    )
    return {row.id: row.merged_into_id for row in session.execute(statement)}


def duplicate_incident_ids(session: Session) -> frozenset[uuid.UUID]:
    """Incidents with a live `duplicate_of` link to a canonical record."""
    statement = select(col(IncidentLink.from_incident_id)).where(
        col(IncidentLink.link_type) == "duplicate_of", col(IncidentLink.deleted_at).is_(None)
    )
    return frozenset(session.execute(statement).scalars())


# --- legal actions and vocabularies ------------------------------------------------------


def load_legal_action_rows(session: Session, scope: ReportScope) -> list[LegalActionRow]:
    """Live legal actions; with a filter, only on cases holding an incident of the scope."""
    statement = select(
        col(LegalAction.kind), col(LegalAction.filed_on), col(LegalAction.decided_on),
        col(LegalAction.is_final_domestic),
    ).where(col(LegalAction.deleted_at).is_(None))  # fmt: skip
    if scope.place_ids is not None or scope.incident_type is not None:
        cases = (
            select(col(CaseIncident.case_id))
            .join(Incident, col(Incident.id) == col(CaseIncident.incident_id))
            .where(scope.incident_condition(), col(CaseIncident.deleted_at).is_(None))
        )
        statement = statement.where(col(LegalAction.case_id).in_(cases))
    return [
        LegalActionRow(row.kind, row.filed_on, row.decided_on, row.is_final_domestic)
        for row in session.execute(statement)
    ]


def term_labels(session: Session, language: str) -> dict[str, dict[str, str]]:
    """Labels of the report's vocabularies in the language, by vocabulary and code."""
    column = col(getattr(VocabularyTerm, f"label_{language}"))
    statement = select(col(VocabularyTerm.vocabulary), col(VocabularyTerm.code), column).where(
        col(VocabularyTerm.vocabulary).in_(VOCABULARIES), col(VocabularyTerm.deleted_at).is_(None)
    )
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for vocabulary, code, text in session.execute(statement):
        labels[vocabulary][code] = text or code
    return labels
