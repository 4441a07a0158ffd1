"""Rows for the CSV of a filtered incident list, read a batch at a time."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.models import (
    Campaign,
    CampaignIncident,
    Case,
    CaseIncident,
    Incident,
    Involvement,
    Place,
)
from tracker.services.incident_queries import IncidentFilters, list_incidents
from tracker.services.records import live
from tracker.services.restrictions import visible_condition

EXPORT_BATCH = 500
# Places are few (country to site); the tree is read whole to write each incident's path.
PLACE_TREE_LIMIT = 5000


@dataclass(frozen=True)
class ExportBatch:
    """A run of filtered incidents with what their CSV rows need besides the incident."""

    incidents: list[Incident]
    victims: dict[Any, int]
    perpetrators: dict[Any, set[str]]
    cases: dict[Any, set[str]]
    campaigns: dict[Any, set[str]]


def all_places(session: Session) -> dict[Any, Place]:
    """Every place, deleted ones included, for paths of the places incidents point at."""
    statement = select(Place).limit(PLACE_TREE_LIMIT)
    return {place.id: place for place in session.execute(statement).scalars()}


def export_batches(
    session: Session, *, filters: IncidentFilters, sort: str, batch_size: int = EXPORT_BATCH
) -> Iterator[ExportBatch]:
    """The filtered list in its sort order, a batch at a time: never every row at once.

    Raises InvalidInput for an unknown sort.
    """
    offset = 0
    while True:
        items = list_incidents(session, filters=filters, sort=sort, limit=batch_size, offset=offset)
        if not items:
            return
        yield export_batch(session, [item.id for item in items], filters.visible_to_user_id)
        if len(items) < batch_size:
            return
        offset += len(items)


def export_batch(
    session: Session, ids: list[uuid.UUID], viewer_id: uuid.UUID | None
) -> ExportBatch:
    found = {
        incident.id: incident
        for incident in session.execute(select(Incident).where(col(Incident.id).in_(ids))).scalars()
    }
    victims: dict[Any, int] = {}
    perpetrators: dict[Any, set[str]] = {}
    statement = live(
        select(
            col(Involvement.incident_id), col(Involvement.role), col(Involvement.perpetrator_type)
        ),
        Involvement,
    ).where(col(Involvement.incident_id).in_(ids))
    for incident_id, role, perpetrator_type in session.execute(statement):
        if role == "victim":
            victims[incident_id] = victims.get(incident_id, 0) + 1
        elif perpetrator_type:
            perpetrators.setdefault(incident_id, set()).add(perpetrator_type)
    return ExportBatch(
        incidents=[found[incident_id] for incident_id in ids if incident_id in found],
        victims=victims,
        perpetrators=perpetrators,
        cases=member_codes(session, ids, Case, CaseIncident, viewer_id),
        campaigns=member_codes(session, ids, Campaign, CampaignIncident, None),
    )


def member_codes(
    session: Session,
    ids: list[uuid.UUID],
    parent: type[Case] | type[Campaign],
    membership: type[CaseIncident] | type[CampaignIncident],
    viewer_id: uuid.UUID | None,
) -> dict[Any, set[str]]:
    """Codes of the live cases or campaigns holding each incident; hidden cases left out."""
    key = membership.case_id if membership is CaseIncident else membership.campaign_id  # type: ignore[union-attr]
    statement: Any = (
        select(col(membership.incident_id), col(parent.code))
        .join(parent, col(parent.id) == key)
        .where(
            col(membership.deleted_at).is_(None),
            col(parent.deleted_at).is_(None),
            col(membership.incident_id).in_(ids),
        )
    )
    if viewer_id is not None and parent is Case:
        statement = statement.where(visible_condition("case_file", col(Case.id), viewer_id))
    found: dict[Any, set[str]] = {}
    for incident_id, code in session.execute(statement):
        found.setdefault(incident_id, set()).add(code)
    return found
