"""Incident list rows keep the driver's values and convert each one as it is read."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from tests.factories import ACTOR_ID, make_incident, make_place
from tracker.services.incident_queries import (
    LIST_COLUMNS,
    IncidentFilters,
    IncidentListItem,
    list_incidents,
)
from tracker.services.incidents import delete_incident


def typed_values(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": uuid.UUID("0d8c76fe-f91c-482f-88ed-de1346c5a809"),
        "code": "INC-000001",
        "title": "Raid",
        "type": "RAID",
        "start_text": "2019",
        "start_earliest": date(2019, 1, 1),
        "start_latest": date(2019, 12, 31),
        "start_precision": "year",
        "start_qualifier": "exact",
        "place_id": None,
        "place_name": None,
        "verification_status": "unverified",
        "updated_at": datetime(2024, 2, 29, 23, 59, 58, 1, tzinfo=UTC),
        "version": 1,
        "deleted_at": None,
    }
    return {**values, **changes}


def test_listed_values_have_the_types_of_the_fields(session: Session) -> None:
    place = make_place(session, name="Bakı")
    incident = make_incident(session, start_text="spring 2019", place_id=place.id)
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    (item,) = list_incidents(session, filters=IncidentFilters(include_deleted=True))
    assert isinstance(item.id, uuid.UUID) and item.id == incident.id
    assert isinstance(item.place_id, uuid.UUID) and item.place_id == place.id
    assert (item.start_earliest, item.start_latest) == (date(2019, 3, 1), date(2019, 5, 31))
    assert item.updated_at == incident.updated_at and item.updated_at.tzinfo == UTC
    assert item.deleted_at is not None and item.deleted_at.tzinfo == UTC
    assert item.is_deleted and item.version == 2


def test_a_listed_row_equals_the_same_row_built_from_typed_values(session: Session) -> None:
    incident = make_incident(session, start_text="2019")
    (item,) = list_incidents(session)
    built = IncidentListItem(**item._asdict())
    assert item == built
    assert (item != built) is False  # tuple.__ne__ would compare the raw values
    assert hash(item) == hash(built)
    assert built.id == incident.id
    assert item != IncidentListItem(**{**item._asdict(), "version": 2})
    assert repr(item) == repr(built)
    assert repr(item).startswith(f"IncidentListItem(id={incident.id!r}, code='INC-000001'")


def test_fields_follow_the_list_columns() -> None:
    names = [getattr(column, "key", None) or column.name for column in LIST_COLUMNS]
    assert tuple(names) == IncidentListItem.FIELDS


def test_a_row_needs_every_field_and_no_other() -> None:
    assert IncidentListItem(**typed_values()).start.original_text == "2019"
    with pytest.raises(TypeError):
        IncidentListItem(**{**typed_values(), "extra": 1})
    values = typed_values()
    del values["deleted_at"]
    with pytest.raises(TypeError):
        IncidentListItem(**values)
