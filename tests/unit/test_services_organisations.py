"""Organisations: hierarchy, aliases, perpetrator type and state relation."""

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.services.organisations import (
    create_organisation,
    delete_organisation,
    find_organisations,
    get_organisation,
    list_organisations,
    restore_organisation,
    update_organisation,
)


def test_hierarchy_aliases_and_lifecycle(session: Session) -> None:
    ministry = create_organisation(
        session,
        name="Ministry of Internal Affairs",
        kind="ministry",
        state_relation="state",
        perpetrator_type="state_agent",
        actor_id=ACTOR_ID,
        aliases=["Daxili İşlər Nazirliyi"],
    )
    station = create_organisation(
        session,
        name="Police station 22",
        kind="police_station",
        parent_id=ministry.id,
        actor_id=ACTOR_ID,
    )
    assert find_organisations(session, "daxili isler nazirliyi") == [ministry]
    assert list_organisations(session, parent_id=ministry.id) == [station]
    with pytest.raises(InvalidInput, match="inside itself or its units"):
        update_organisation(
            session,
            organisation_id=ministry.id,
            expected_version=1,
            changes={"parent_id": station.id},
            actor_id=ACTOR_ID,
        )
    with pytest.raises(InvalidInput, match="still has units"):
        delete_organisation(
            session, organisation_id=ministry.id, expected_version=1, actor_id=ACTOR_ID
        )
    update_organisation(
        session,
        organisation_id=station.id,
        expected_version=1,
        changes={"state_relation": "state"},
        actor_id=ACTOR_ID,
    )
    with pytest.raises(EditConflict):
        update_organisation(
            session,
            organisation_id=station.id,
            expected_version=1,
            changes={"state_relation": "unknown"},
            actor_id=ACTOR_ID,
        )
    delete_organisation(session, organisation_id=station.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_organisation(session, station.id)
    restore_organisation(session, organisation_id=station.id, expected_version=3, actor_id=ACTOR_ID)
    assert get_organisation(session, station.id).state_relation == "state"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "club", "kind: unknown organisation kind 'club'"),
        ("state_relation", "friendly", "state_relation: unknown state relation"),
        ("perpetrator_type", "police", "perpetrator_type: unknown perpetrator type"),
        ("name", "", "name: an organisation needs a name"),
    ],
)
def test_invalid_organisations_change_nothing(
    engine: Engine, session: Session, field: str, value: str, message: str
) -> None:
    before = table_counts(engine)
    values: dict[str, Any] = {"name": "Court", "kind": "court", field: value}
    with pytest.raises(InvalidInput, match=message):
        create_organisation(session, actor_id=ACTOR_ID, **values)
    session.rollback()
    assert table_counts(engine) == before
