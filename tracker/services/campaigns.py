"""Campaigns: named sets of incidents from one operation or pattern."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.models import Campaign, CampaignIncident, Incident
from tracker.services.codes import allocate_code
from tracker.services.records import (
    create_record,
    get_record,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)

CAMPAIGN_CODE_PREFIX = "CAMP-"
CAMPAIGN_CODE_WIDTH = 4
CAMPAIGN_CODE_LOCK = "campaign"
CAMPAIGN_FIELDS = ("name", "description")


def check_name(name: object) -> None:
    """Raises InvalidInput unless the campaign has a name."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name: a campaign needs a name")


def create_campaign(
    session: Session, *, name: str, actor_id: uuid.UUID | None, description: str = ""
) -> Campaign:
    """A new campaign with a server-assigned code (CAMP-0001).

    Raises InvalidInput naming the field.
    """
    check_name(name)
    code = allocate_code(
        session,
        family=CAMPAIGN_CODE_LOCK,
        column=Campaign.code,
        prefix=CAMPAIGN_CODE_PREFIX,
        width=CAMPAIGN_CODE_WIDTH,
    )
    values = {"code": code, "name": name, "description": description}
    return create_record(session, Campaign, actor_id=actor_id, values=values)


def get_campaign(
    session: Session, campaign_id: uuid.UUID, *, include_deleted: bool = False
) -> Campaign:
    """Raises RecordNotFound."""
    return get_record(session, Campaign, campaign_id, include_deleted=include_deleted)


def list_campaigns(session: Session, *, include_deleted: bool = False) -> list[Campaign]:
    """Campaigns by code."""
    statement = select(Campaign)
    if not include_deleted:
        statement = live(statement, Campaign)
    return list(session.execute(statement.order_by(col(Campaign.code))).scalars())


def update_campaign(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Campaign:
    """Change the name or description; the code never changes.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    campaign = get_campaign(session, campaign_id)
    unknown = sorted(set(changes) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise InvalidInput(f"campaign: unknown or read-only fields {', '.join(unknown)}")
    if "name" in changes:
        check_name(changes["name"])
    return update_record(
        session, campaign, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def delete_campaign(
    session: Session, *, campaign_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Campaign:
    """Soft-delete; the code stays taken and the incidents stay in it. Raises EditConflict,
    RecordNotFound."""
    campaign = get_campaign(session, campaign_id)
    return soft_delete_record(
        session, campaign, actor_id=actor_id, expected_version=expected_version
    )


def restore_campaign(
    session: Session, *, campaign_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Campaign:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    campaign = get_campaign(session, campaign_id, include_deleted=True)
    return restore_record(session, campaign, actor_id=actor_id, expected_version=expected_version)


# --- incidents --------------------------------------------------------------------------------


def live_membership(
    session: Session, campaign_id: uuid.UUID, incident_id: uuid.UUID
) -> CampaignIncident | None:
    """The live row putting the incident in the campaign, if any."""
    statement = live(select(CampaignIncident), CampaignIncident).where(
        col(CampaignIncident.campaign_id) == campaign_id,
        col(CampaignIncident.incident_id) == incident_id,
    )
    membership: CampaignIncident | None = session.execute(statement).scalar()
    return membership


def add_incident_to_campaign(
    session: Session, *, campaign_id: uuid.UUID, incident_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CampaignIncident:
    """Raises InvalidInput naming the field: campaign or incident missing or deleted, or the
    incident already in the campaign."""
    require_live(session, Campaign, campaign_id, "campaign_id")
    require_live(session, Incident, incident_id, "incident_id")
    if live_membership(session, campaign_id, incident_id) is not None:
        raise InvalidInput("incident_id: this incident is already in the campaign")
    values = {"campaign_id": campaign_id, "incident_id": incident_id}
    return create_record(session, CampaignIncident, actor_id=actor_id, values=values)


def remove_incident_from_campaign(
    session: Session, *, campaign_id: uuid.UUID, incident_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CampaignIncident:
    """Raises InvalidInput naming the field when the incident is not in the campaign."""
    membership = live_membership(session, campaign_id, incident_id)
    if membership is None:
        raise InvalidInput("incident_id: this incident is not in the campaign")
    return soft_delete_record(
        session, membership, actor_id=actor_id, expected_version=membership.version
    )


def incidents_of_campaign(session: Session, campaign_id: uuid.UUID) -> list[Incident]:
    """The campaign's live incidents, by code."""
    members = live(select(col(CampaignIncident.incident_id)), CampaignIncident).where(
        col(CampaignIncident.campaign_id) == campaign_id
    )
    statement = live(select(Incident), Incident).where(col(Incident.id).in_(members))
    return list(session.execute(statement.order_by(col(Incident.code))).scalars())
