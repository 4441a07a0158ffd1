"""Generic record operations: audited writes, version checks, soft deletion, all-or-nothing."""

import uuid

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.conftest import table_counts
from tracker.db import unit_of_work
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.models import AuditEntry, Person, Place
from tracker.services.audit import history_of
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    restore_record,
    soft_delete_record,
    update_record,
)

ACTOR = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER = uuid.UUID("22222222-2222-4222-8222-222222222222")


def make_baku(session: Session) -> Place:
    return create_record(
        session,
        Place,
        actor_id=ACTOR,
        values={"name": "Bakı", "kind": "first_level_unit", "geo_precision": 3},
    )


def test_create_is_audited_with_every_field(session: Session) -> None:
    place = make_baku(session)
    [entry] = history_of(session, table_name="place", record_id=place.id)
    assert entry.action == "create"
    assert entry.actor_id == ACTOR
    assert entry.changes["name"] == [None, "Bakı"]
    assert place.created_by == ACTOR
    assert place.version == 1


def test_update_records_old_and_new_values(session: Session) -> None:
    place = make_baku(session)
    update_record(
        session,
        place,
        actor_id=OTHER,
        expected_version=1,
        changes={"name": "Baku", "geo_precision": 3},
    )
    assert place.version == 2
    assert place.updated_by == OTHER
    entries = history_of(session, table_name="place", record_id=place.id)
    assert [entry.action for entry in entries] == ["create", "update"]
    assert entries[1].changes == {"name": ["Bakı", "Baku"]}
    assert entries[1].sequence == entries[0].sequence + 1  # type: ignore[operator]


def test_update_without_changes_writes_nothing(session: Session) -> None:
    place = make_baku(session)
    update_record(session, place, actor_id=ACTOR, expected_version=1, changes={"name": "Bakı"})
    assert place.version == 1
    assert len(history_of(session, table_name="place", record_id=place.id)) == 1


def test_stale_version_is_refused_and_nothing_changes(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        place_id = make_baku(session).id
    with Session(engine) as first, Session(engine) as second:
        mine = get_record(first, Place, place_id)
        first.commit()  # the user reads version 1 and goes away to edit it
        theirs = get_record(second, Place, place_id)
        update_record(second, theirs, actor_id=OTHER, expected_version=1, changes={"name": "Baku"})
        second.commit()
        with pytest.raises(EditConflict, match="changed by someone else"):
            update_record(first, mine, actor_id=ACTOR, expected_version=1, changes={"name": "Баку"})
        first.rollback()
    with Session(engine) as session:
        assert get_record(session, Place, place_id).name == "Baku"


def test_version_check_is_inside_the_update(engine: Engine) -> None:
    """Even when the loaded copy looks current, a concurrent save makes the write fail."""
    with unit_of_work(engine) as session:
        place_id = make_baku(session).id
    with Session(engine) as first:
        mine = get_record(first, Place, place_id)
        first.commit()  # release SQLite's lock; `mine` keeps version 1 in memory
        with unit_of_work(engine) as second:
            update_record(
                second,
                get_record(second, Place, place_id),
                actor_id=OTHER,
                expected_version=1,
                changes={"name": "Baku"},
            )
        with pytest.raises(EditConflict):
            update_record(first, mine, actor_id=ACTOR, expected_version=1, changes={"name": "Баку"})


def test_rollback_leaves_neither_record_nor_audit_entry(engine: Engine) -> None:
    before = table_counts(engine)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        make_baku(session)
        raise RuntimeError("failure after the write")
    assert table_counts(engine) == before


def test_soft_delete_and_restore(session: Session) -> None:
    place = make_baku(session)
    soft_delete_record(session, place, actor_id=ACTOR, expected_version=1, reason="duplicate")
    with pytest.raises(RecordNotFound):
        get_record(session, Place, place.id)
    assert get_record(session, Place, place.id, include_deleted=True).is_deleted
    assert list_records(session, Place) == []
    restore_record(session, place, actor_id=ACTOR, expected_version=2)
    assert get_record(session, Place, place.id).version == 3
    actions = [
        entry.action for entry in history_of(session, table_name="place", record_id=place.id)
    ]
    assert actions == ["create", "delete", "restore"]


def test_deleting_twice_or_restoring_a_live_record_is_refused(session: Session) -> None:
    place = make_baku(session)
    with pytest.raises(InvalidInput, match="not deleted"):
        restore_record(session, place, actor_id=ACTOR, expected_version=1)
    soft_delete_record(session, place, actor_id=ACTOR, expected_version=1)
    with pytest.raises(InvalidInput, match="already deleted"):
        soft_delete_record(session, place, actor_id=ACTOR, expected_version=2)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"name": "Bak\x00ı", "kind": "town"}, "control characters"),
        ({"name": "x" * 201, "kind": "town"}, "longer than 200"),
        ({"name": "Baku", "kind": "town", "colour": "red"}, "unknown or read-only"),
        ({"name": "Baku", "kind": "town", "version": 7}, "unknown or read-only"),
    ],
)
def test_bad_values_are_refused_before_anything_is_written(
    session: Session, engine: Engine, values: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        create_record(session, Place, actor_id=ACTOR, values=values)
    assert session.execute(select(AuditEntry)).first() is None


def test_password_hashes_never_reach_the_audit_log(session: Session) -> None:
    from tracker.services.users import create_user

    user, password = create_user(
        session, username="leyla", display_name="Leyla", roles=("documenter",), actor_id=ACTOR
    )
    [entry] = history_of(session, table_name="user_account", record_id=user.id)
    assert entry.changes["password_hash"] == [None, "[hidden]"]
    assert user.password_hash not in str(entry.changes)
    assert password not in str(entry.changes)


def test_database_errors_never_show_the_values_written(engine: Engine) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    row = {"id": uuid.uuid4(), "pseudonym_code": "V-2017-001", "real_name": "Leyla Həsənova"}
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(insert(Person.__table__), [row, row])  # type: ignore[attr-defined]
    assert "Həsənova" not in str(caught.value)
