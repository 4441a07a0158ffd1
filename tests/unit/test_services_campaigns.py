"""Campaigns: codes, the record's life cycle, and the incidents in each."""

from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_campaign, make_incident
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.models import Campaign, CampaignIncident
from tracker.services.audit import history_of
from tracker.services.campaigns import (
    add_incident_to_campaign,
    delete_campaign,
    get_campaign,
    incidents_of_campaign,
    list_campaigns,
    remove_incident_from_campaign,
    restore_campaign,
    update_campaign,
)
from tracker.services.incidents import delete_incident


def test_codes_count_up_and_are_never_reused(session: Session) -> None:
    first = make_campaign(session)
    assert first.code == "CAMP-0001"
    delete_campaign(session, campaign_id=first.id, expected_version=1, actor_id=ACTOR_ID)
    assert make_campaign(session).code == "CAMP-0002"
    session.execute(update(Campaign).where(col(Campaign.id) == first.id).values(code="CAMP-9999"))
    assert make_campaign(session).code == "CAMP-10000"


def test_get_list_update_delete_restore(session: Session) -> None:
    campaign = make_campaign(session, name="Round-up", description="September 2017")
    later = make_campaign(session, name="Second wave")
    assert get_campaign(session, campaign.id).description == "September 2017"
    update_campaign(
        session,
        campaign_id=campaign.id,
        expected_version=1,
        changes={"name": "2017 round-up"},
        actor_id=ACTOR_ID,
    )
    with pytest.raises(EditConflict):
        update_campaign(
            session,
            campaign_id=campaign.id,
            expected_version=1,
            changes={"name": "stale"},
            actor_id=ACTOR_ID,
        )
    assert campaign.name == "2017 round-up" and campaign.version == 2
    delete_campaign(session, campaign_id=campaign.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_campaign(session, campaign.id)
    assert list_campaigns(session) == [later]
    assert list_campaigns(session, include_deleted=True) == [campaign, later]
    restore_campaign(session, campaign_id=campaign.id, expected_version=3, actor_id=ACTOR_ID)
    assert list_campaigns(session) == [campaign, later]
    actions = [
        entry.action for entry in history_of(session, table_name="campaign", record_id=campaign.id)
    ]
    assert actions == ["create", "update", "delete", "restore"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "name: a campaign needs a name"),
        ({"code": "CAMP-0042"}, "campaign: unknown or read-only fields code"),
        ({"version": 5}, "campaign: unknown or read-only fields version"),
        ({"description": "x\x00"}, "description: contains control characters"),
    ],
)
def test_invalid_updates_change_nothing(
    engine: Engine, session: Session, changes: dict[str, Any], message: str
) -> None:
    campaign = make_campaign(session)
    session.commit()
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        update_campaign(
            session,
            campaign_id=campaign.id,
            expected_version=1,
            changes=changes,
            actor_id=ACTOR_ID,
        )
    session.rollback()
    assert table_counts(engine) == before
    assert get_campaign(session, campaign.id).version == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [({"name": ""}, "name: a campaign needs a name"), ({"name": "x" * 301}, "name: longer")],
)
def test_invalid_campaigns_are_not_created(
    engine: Engine, session: Session, values: dict[str, Any], message: str
) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        make_campaign(session, **values)
    session.rollback()
    assert table_counts(engine) == before


def test_incidents_join_and_leave(session: Session) -> None:
    campaign = make_campaign(session)
    first, second = make_incident(session), make_incident(session)
    for incident in (second, first):
        add_incident_to_campaign(
            session, campaign_id=campaign.id, incident_id=incident.id, actor_id=ACTOR_ID
        )
    assert incidents_of_campaign(session, campaign.id) == [first, second]
    membership = remove_incident_from_campaign(
        session, campaign_id=campaign.id, incident_id=first.id, actor_id=ACTOR_ID
    )
    assert membership.is_deleted
    assert incidents_of_campaign(session, campaign.id) == [second]
    add_incident_to_campaign(
        session, campaign_id=campaign.id, incident_id=first.id, actor_id=ACTOR_ID
    )
    assert incidents_of_campaign(session, campaign.id) == [first, second]
    actions = [
        entry.action
        for entry in history_of(session, table_name="campaign_incident", record_id=membership.id)
    ]
    assert actions == ["create", "delete"]


def test_deleted_incidents_leave_the_campaign_list(session: Session) -> None:
    campaign = make_campaign(session)
    incident = make_incident(session)
    add_incident_to_campaign(
        session, campaign_id=campaign.id, incident_id=incident.id, actor_id=ACTOR_ID
    )
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    assert incidents_of_campaign(session, campaign.id) == []


def test_refused_memberships_change_nothing(engine: Engine, session: Session) -> None:
    campaign = make_campaign(session)
    deleted_campaign = make_campaign(session)
    delete_campaign(session, campaign_id=deleted_campaign.id, expected_version=1, actor_id=ACTOR_ID)
    member, outsider, deleted = (make_incident(session) for _ in range(3))
    delete_incident(session, incident_id=deleted.id, expected_version=1, actor_id=ACTOR_ID)
    add_incident_to_campaign(
        session, campaign_id=campaign.id, incident_id=member.id, actor_id=ACTOR_ID
    )
    session.commit()
    before = table_counts(engine)
    attempts = [
        (add_incident_to_campaign, campaign.id, member.id, "incident_id: .* already in"),
        (add_incident_to_campaign, campaign.id, deleted.id, "incident_id: no incident"),
        (add_incident_to_campaign, deleted_campaign.id, outsider.id, "campaign_id: no campaign"),
        (add_incident_to_campaign, member.id, outsider.id, "campaign_id: no campaign"),
        (remove_incident_from_campaign, campaign.id, outsider.id, "incident_id: .* not in"),
    ]
    for function, campaign_id, incident_id, message in attempts:
        with pytest.raises(InvalidInput, match=message):
            function(session, campaign_id=campaign_id, incident_id=incident_id, actor_id=ACTOR_ID)
        session.rollback()
    assert table_counts(engine) == before
    rows = session.execute(select(CampaignIncident)).scalars().all()
    assert [(row.campaign_id, row.incident_id) for row in rows] == [(campaign.id, member.id)]
