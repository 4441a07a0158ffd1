"""Places as a tree from country to site, with aliases in several scripts and folded search."""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import CTE, func, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.models import Incident, Place, PlaceAlias
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import name_values, require_code

PLACE_FIELDS = (
    "name",
    "kind",
    "parent_id",
    "geo_precision",
    "latitude",
    "longitude",
    "sensitive",
    "platform",
)


def require_place(session: Session, place_id: uuid.UUID | None, field: str) -> Place | None:
    """The live place, or None when no id is given.

    Raises InvalidInput naming the field when the place does not exist or is deleted.
    """
    if place_id is None:
        return None
    place = session.get(Place, place_id)
    if place is None or place.is_deleted:
        raise InvalidInput(f"{field}: no place {place_id} (it does not exist or was deleted)")
    return place


def check_precision(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(
            "geo_precision: use 1 site, 2 district or town, 3 first-level unit, 4 country,"
            " 5 unknown"
        )
    return value


def check_coordinates(values: Mapping[str, Any]) -> None:
    """Coordinates come in pairs, within range, and never on a sensitive place (homes, shelters).

    Raises InvalidInput naming the field.
    """
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if latitude is None and longitude is None:
        return
    if values.get("sensitive"):
        raise InvalidInput("latitude: sensitive places (homes, shelters) never carry coordinates")
    if latitude is None or longitude is None:
        raise InvalidInput("latitude: give both latitude and longitude, or neither")
    if not -90 <= latitude <= 90:
        raise InvalidInput("latitude: must lie between -90 and 90")
    if not -180 <= longitude <= 180:
        raise InvalidInput("longitude: must lie between -180 and 180")


def check_parent(session: Session, values: Mapping[str, Any], place_id: uuid.UUID | None) -> None:
    """A parent must exist, must not be the place or below it, and may not be finer than it.

    Raises InvalidInput naming the field.
    """
    parent = require_place(session, values.get("parent_id"), "parent_id")
    if parent is None:
        return
    if place_id is not None and parent.id in descendant_place_ids(session, place_id):
        raise InvalidInput("parent_id: a place cannot sit inside itself or one of its sub-places")
    if values["geo_precision"] > parent.geo_precision:
        raise InvalidInput(
            f"geo_precision: {values['geo_precision']} is coarser than its parent"
            f" '{parent.name}' ({parent.geo_precision}); a sub-place must be as fine or finer"
        )


def check_children(session: Session, place_id: uuid.UUID, precision: int) -> None:
    """Raises InvalidInput when a sub-place would be coarser than this place."""
    statement = live(select(func.max(Place.geo_precision)), Place).where(
        col(Place.parent_id) == place_id
    )
    finest_allowed = session.execute(statement).scalar()
    if finest_allowed is not None and finest_allowed > precision:
        raise InvalidInput(
            f"geo_precision: a sub-place has precision {finest_allowed}, coarser than {precision}"
        )


def check_place_values(
    session: Session, values: Mapping[str, Any], place_id: uuid.UUID | None = None
) -> None:
    """Every rule a place obeys. Raises InvalidInput naming the field."""
    if not str(values.get("name", "")).strip():
        raise InvalidInput("name: a place needs a name")
    require_code(session, "place_kind", values.get("kind"), "kind")
    check_precision(values.get("geo_precision"))
    check_coordinates(values)
    check_parent(session, values, place_id)
    if place_id is not None:
        check_children(session, place_id, values["geo_precision"])


def create_place(
    session: Session,
    *,
    name: str,
    kind: str,
    actor_id: uuid.UUID | None,
    parent_id: uuid.UUID | None = None,
    geo_precision: int = 5,
    latitude: float | None = None,
    longitude: float | None = None,
    sensitive: bool = False,
    platform: str = "",
    aliases: Iterable[str] = (),
) -> Place:
    """Add a node to the place tree, with its aliases.

    Raises InvalidInput naming the field.
    """
    values = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "geo_precision": geo_precision,
        "latitude": latitude,
        "longitude": longitude,
        "sensitive": sensitive,
        "platform": platform,
    }
    check_place_values(session, values)
    place = create_record(session, Place, actor_id=actor_id, values=values)
    for alias in aliases:
        add_place_alias(session, place_id=place.id, text=alias, actor_id=actor_id)
    return place


def get_place(session: Session, place_id: uuid.UUID, *, include_deleted: bool = False) -> Place:
    """Raises RecordNotFound."""
    return get_record(session, Place, place_id, include_deleted=include_deleted)


def list_places(
    session: Session, *, parent_id: uuid.UUID | None = None, include_deleted: bool = False
) -> list[Place]:
    """Places by name; with parent_id, only that place's direct sub-places."""
    if parent_id is None:
        places = list_records(session, Place, include_deleted=include_deleted)
        return sorted(places, key=lambda place: fold_for_search(place.name))
    statement = select(Place).where(col(Place.parent_id) == parent_id)
    if not include_deleted:
        statement = live(statement, Place)
    places = list(session.execute(statement).scalars())
    return sorted(places, key=lambda place: fold_for_search(place.name))


def update_place(
    session: Session,
    *,
    place_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Place:
    """Change a place. Raises InvalidInput, EditConflict, RecordNotFound."""
    place = get_place(session, place_id)
    unknown = sorted(set(changes) - set(PLACE_FIELDS))
    if unknown:
        raise InvalidInput(f"place: unknown or read-only fields {', '.join(unknown)}")
    values = {**{field: getattr(place, field) for field in PLACE_FIELDS}, **changes}
    check_place_values(session, values, place.id)
    return update_record(
        session, place, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def place_usage(session: Session, place_id: uuid.UUID) -> tuple[int, int]:
    """Live sub-places and live incidents that point at a place."""
    children = session.execute(
        live(select(func.count()).select_from(Place), Place).where(col(Place.parent_id) == place_id)
    ).scalar_one()
    incidents = session.execute(
        live(select(func.count()).select_from(Incident), Incident).where(
            col(Incident.place_id) == place_id
        )
    ).scalar_one()
    return int(children), int(incidents)


def delete_place(
    session: Session, *, place_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Place:
    """Soft-delete a place nothing live points at.

    Raises InvalidInput while sub-places or incidents use it; EditConflict, RecordNotFound.
    """
    place = get_place(session, place_id)
    children, incidents = place_usage(session, place_id)
    if children or incidents:
        raise InvalidInput(
            f"place: still used by {children} sub-places and {incidents} incidents; move them first"
        )
    return soft_delete_record(session, place, actor_id=actor_id, expected_version=expected_version)


def restore_place(
    session: Session, *, place_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Place:
    """Raises InvalidInput when the place is not deleted or its parent is; RecordNotFound."""
    place = get_place(session, place_id, include_deleted=True)
    require_place(session, place.parent_id, "parent_id")
    return restore_record(session, place, actor_id=actor_id, expected_version=expected_version)


def add_place_alias(
    session: Session,
    *,
    place_id: uuid.UUID,
    text: str,
    actor_id: uuid.UUID | None,
    script: str | None = None,
) -> PlaceAlias:
    """Another name of a place (Bakı / Baku / Баку), stored as typed with its folded key.

    Raises InvalidInput naming the field.
    """
    require_place(session, place_id, "place_id")
    values = {"place_id": place_id, **name_values(session, text, script, "an alias")}
    return create_record(session, PlaceAlias, actor_id=actor_id, values=values)


def aliases_of(session: Session, place_id: uuid.UUID) -> list[PlaceAlias]:
    statement = live(select(PlaceAlias), PlaceAlias).where(col(PlaceAlias.place_id) == place_id)
    return list(session.execute(statement.order_by(col(PlaceAlias.created_at))).scalars())


def remove_place_alias(
    session: Session, *, alias_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> PlaceAlias:
    """Raises RecordNotFound, EditConflict."""
    alias = get_record(session, PlaceAlias, alias_id)
    return soft_delete_record(session, alias, actor_id=actor_id, expected_version=expected_version)


def find_places(session: Session, text: str) -> list[Place]:
    """Live places whose name or an alias matches `text` once both are folded (Baki = Bakı)."""
    key = fold_for_search(text)
    if not key:
        return []
    alias_ids = live(select(col(PlaceAlias.place_id)), PlaceAlias).where(
        col(PlaceAlias.folded) == key
    )
    by_alias = live(select(Place), Place).where(col(Place.id).in_(alias_ids))
    found = {place.id: place for place in session.execute(by_alias).scalars()}
    # Place names are few and not stored folded; folding them here keeps one rule for both.
    for place in session.execute(live(select(Place), Place)).scalars():
        if fold_for_search(place.name) == key:
            found[place.id] = place
    return sorted(found.values(), key=lambda place: (place.geo_precision, place.name))


def descendants_cte(place_id: uuid.UUID) -> CTE:
    """A recursive query of a place and every place below it, deleted ones included."""
    tree = select(col(Place.id)).where(col(Place.id) == place_id).cte("place_tree", recursive=True)
    below = select(col(Place.id)).where(col(Place.parent_id) == tree.c.id)
    return tree.union_all(below)


def descendant_place_ids(session: Session, place_id: uuid.UUID) -> set[uuid.UUID]:
    """The place and all its sub-places, at any depth."""
    tree = descendants_cte(place_id)
    return set(session.execute(select(tree.c.id)).scalars())


def ancestors_of(session: Session, place: Place) -> list[Place]:
    """The chain of parents from the nearest up to the country."""
    chain: list[Place] = []
    seen = {place.id}
    parent_id = place.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Place, parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    return chain
