"""Places: the tree, precision rules, coordinates, aliases and folded search."""

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident, make_place
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.models import Place
from tracker.services.audit import history_of
from tracker.services.places import (
    add_place_alias,
    aliases_of,
    delete_place,
    descendant_place_ids,
    find_places,
    get_place,
    list_places,
    restore_place,
    update_place,
)


def country(session: Session) -> Place:
    return make_place(session, name="Azerbaijan", kind="country", geo_precision=4)


def test_tree_and_descendants(session: Session) -> None:
    azerbaijan = country(session)
    baku = make_place(session, name="Bakı", parent_id=azerbaijan.id)
    sabail = make_place(session, name="Səbail", kind="district", geo_precision=2, parent_id=baku.id)
    station = make_place(
        session,
        name="Police station",
        kind="site",
        geo_precision=1,
        parent_id=sabail.id,
        latitude=40.36,
        longitude=49.83,
    )
    ganja = make_place(session, name="Gəncə", parent_id=azerbaijan.id)
    assert descendant_place_ids(session, baku.id) == {baku.id, sabail.id, station.id}
    assert descendant_place_ids(session, azerbaijan.id) == {
        azerbaijan.id,
        baku.id,
        sabail.id,
        station.id,
        ganja.id,
    }
    assert list_places(session, parent_id=azerbaijan.id) == [baku, ganja]


def test_aliases_in_several_scripts_are_found_folded(session: Session) -> None:
    baku = make_place(session, name="Bakı", aliases=["Baku", "Баку"])
    make_place(session, name="Sumqayıt", aliases=["Sumgait", "Сумгаит"])
    assert [alias.script for alias in aliases_of(session, baku.id)] == ["latn", "cyrl"]
    assert find_places(session, "BAKI") == [baku]
    assert find_places(session, "баку") == [baku]
    assert find_places(session, "baki") == [baku]
    assert find_places(session, "Ganja") == []
    alias = add_place_alias(session, place_id=baku.id, text="Bakou", actor_id=ACTOR_ID)
    assert alias.folded == "bakou" and alias.text == "Bakou"


def test_update_delete_restore_and_conflict(session: Session) -> None:
    place = make_place(session, name="Baku")
    update_place(
        session, place_id=place.id, expected_version=1, changes={"name": "Bakı"}, actor_id=ACTOR_ID
    )
    with pytest.raises(EditConflict):
        update_place(
            session,
            place_id=place.id,
            expected_version=1,
            changes={"name": "Baki"},
            actor_id=ACTOR_ID,
        )
    assert get_place(session, place.id).name == "Bakı"
    delete_place(session, place_id=place.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_place(session, place.id)
    restore_place(session, place_id=place.id, expected_version=3, actor_id=ACTOR_ID)
    changes = history_of(session, table_name="place", record_id=place.id)[1].changes
    assert changes == {"name": ["Baku", "Bakı"]}


def test_places_in_use_cannot_be_deleted(session: Session) -> None:
    parent = country(session)
    child = make_place(session, parent_id=parent.id)
    make_incident(session, place_id=child.id)
    for place in (parent, child):
        with pytest.raises(InvalidInput, match="still used by"):
            delete_place(session, place_id=place.id, expected_version=1, actor_id=ACTOR_ID)


BAD_PLACES: list[tuple[dict[str, Any], str]] = [
    ({"name": " "}, "name: a place needs a name"),
    ({"kind": "planet"}, "kind: unknown place kind 'planet'"),
    ({"geo_precision": 7}, "geo_precision: use 1 site"),
    ({"latitude": 40.4}, "give both latitude and longitude"),
    ({"latitude": 91.0, "longitude": 49.8}, "latitude: must lie between"),
    (
        {
            "sensitive": True,
            "kind": "site",
            "geo_precision": 1,
            "latitude": 40.4,
            "longitude": 49.8,
        },
        "latitude: sensitive places",
    ),
    ({"parent_id": "finer_parent"}, "geo_precision: 3 is coarser than its parent"),
    ({"parent_id": "missing"}, "parent_id: no place"),
]


@pytest.mark.parametrize(("values", "message"), BAD_PLACES)
def test_invalid_places_change_nothing(
    engine: Engine, session: Session, values: dict[str, Any], message: str
) -> None:
    site = make_place(session, name="Club", kind="site", geo_precision=1)
    session.commit()
    parents = {"finer_parent": site.id, "missing": Place().id}
    if "parent_id" in values:
        values = {**values, "parent_id": parents[values["parent_id"]]}
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        make_place(session, **values)
    session.rollback()
    assert table_counts(engine) == before


def test_updates_keep_the_tree_consistent(session: Session) -> None:
    azerbaijan = country(session)
    baku = make_place(session, name="Bakı", parent_id=azerbaijan.id)
    sabail = make_place(session, name="Səbail", kind="district", geo_precision=2, parent_id=baku.id)
    with pytest.raises(InvalidInput, match="inside itself or one of its sub-places"):
        update_place(
            session,
            place_id=baku.id,
            expected_version=1,
            changes={"parent_id": sabail.id},
            actor_id=ACTOR_ID,
        )
    with pytest.raises(InvalidInput, match="a sub-place has precision 2, coarser than 1"):
        update_place(
            session,
            place_id=baku.id,
            expected_version=1,
            changes={"geo_precision": 1},
            actor_id=ACTOR_ID,
        )
    with pytest.raises(InvalidInput, match="sensitive places"):
        site = make_place(
            session,
            name="Flat",
            kind="site",
            geo_precision=1,
            parent_id=sabail.id,
            latitude=40.0,
            longitude=49.0,
        )
        update_place(
            session,
            place_id=site.id,
            expected_version=1,
            changes={"sensitive": True},
            actor_id=ACTOR_ID,
        )
    assert (baku.version, baku.parent_id, baku.geo_precision) == (1, azerbaijan.id, 3)
