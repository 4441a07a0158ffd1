"""Organisations: police units, courts, media, NGOs, state-linked bodies, in a hierarchy."""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.models import Organisation, OrganisationAlias
from tracker.services.places import require_place
from tracker.services.records import (
    create_record,
    get_record,
    list_records,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import name_values, require_code

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "parent_id",
    "state_relation",
    "perpetrator_type",
    "place_id",
    "description",
)


def ancestor_ids(session: Session, organisation_id: uuid.UUID) -> set[uuid.UUID]:
    """The organisation and everything above it."""
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = organisation_id
    while current is not None and current not in seen:
        seen.add(current)
        organisation = session.get(Organisation, current)
        current = organisation.parent_id if organisation is not None else None
    return seen


def check_organisation_values(
    session: Session, values: Mapping[str, Any], organisation_id: uuid.UUID | None = None
) -> None:
    """Raises InvalidInput naming the field."""
    if not str(values.get("name", "")).strip():
        raise InvalidInput("name: an organisation needs a name")
    require_code(session, "organisation_kind", values.get("kind"), "kind")
    require_code(session, "state_relation", values.get("state_relation"), "state_relation")
    require_code(session, "perpetrator_type", values.get("perpetrator_type"), "perpetrator_type")
    require_place(session, values.get("place_id"), "place_id")
    parent_id = values.get("parent_id")
    if parent_id is None:
        return
    require_live(session, Organisation, parent_id, "parent_id")
    if organisation_id is not None and organisation_id in ancestor_ids(session, parent_id):
        raise InvalidInput("parent_id: an organisation cannot sit inside itself or its units")


def create_organisation(
    session: Session,
    *,
    name: str,
    kind: str,
    actor_id: uuid.UUID | None,
    parent_id: uuid.UUID | None = None,
    state_relation: str = "unknown",
    perpetrator_type: str = "unknown",
    place_id: uuid.UUID | None = None,
    description: str = "",
    aliases: Iterable[str] = (),
) -> Organisation:
    """Raises InvalidInput naming the field."""
    values = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "state_relation": state_relation,
        "perpetrator_type": perpetrator_type,
        "place_id": place_id,
        "description": description,
    }
    check_organisation_values(session, values)
    organisation = create_record(session, Organisation, actor_id=actor_id, values=values)
    for alias in aliases:
        add_organisation_alias(
            session, organisation_id=organisation.id, text=alias, actor_id=actor_id
        )
    return organisation


def get_organisation(
    session: Session, organisation_id: uuid.UUID, *, include_deleted: bool = False
) -> Organisation:
    """Raises RecordNotFound."""
    return get_record(session, Organisation, organisation_id, include_deleted=include_deleted)


def list_organisations(
    session: Session,
    *,
    kind: str | None = None,
    parent_id: uuid.UUID | None = None,
    include_deleted: bool = False,
) -> list[Organisation]:
    """Organisations by name, optionally of one kind or directly under one parent."""
    found = list_records(session, Organisation, include_deleted=include_deleted)
    matching = [
        organisation
        for organisation in found
        if (kind is None or organisation.kind == kind)
        and (parent_id is None or organisation.parent_id == parent_id)
    ]
    return sorted(matching, key=lambda organisation: fold_for_search(organisation.name))


def update_organisation(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Organisation:
    """Raises InvalidInput naming the field, EditConflict, RecordNotFound."""
    organisation = get_organisation(session, organisation_id)
    unknown = sorted(set(changes) - set(ORGANISATION_FIELDS))
    if unknown:
        raise InvalidInput(f"organisation: unknown or read-only fields {', '.join(unknown)}")
    current = {field: getattr(organisation, field) for field in ORGANISATION_FIELDS}
    check_organisation_values(session, {**current, **changes}, organisation.id)
    return update_record(
        session, organisation, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def delete_organisation(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Organisation:
    """Raises InvalidInput while live units sit under it; EditConflict, RecordNotFound."""
    organisation = get_organisation(session, organisation_id)
    if list_organisations(session, parent_id=organisation_id):
        raise InvalidInput("organisation: still has units under it; move them first")
    return soft_delete_record(
        session, organisation, actor_id=actor_id, expected_version=expected_version
    )


def restore_organisation(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> Organisation:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    organisation = get_organisation(session, organisation_id, include_deleted=True)
    return restore_record(
        session, organisation, actor_id=actor_id, expected_version=expected_version
    )


def add_organisation_alias(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    text: str,
    actor_id: uuid.UUID | None,
    script: str | None = None,
) -> OrganisationAlias:
    """Raises InvalidInput naming the field."""
    require_live(session, Organisation, organisation_id, "organisation_id")
    values = {
        "organisation_id": organisation_id,
        **name_values(session, text, script, "an alias"),
    }
    return create_record(session, OrganisationAlias, actor_id=actor_id, values=values)


def aliases_of(session: Session, organisation_id: uuid.UUID) -> list[OrganisationAlias]:
    statement = live(select(OrganisationAlias), OrganisationAlias).where(
        col(OrganisationAlias.organisation_id) == organisation_id
    )
    return list(session.execute(statement.order_by(col(OrganisationAlias.created_at))).scalars())


def find_organisations(session: Session, text: str) -> list[Organisation]:
    """Live organisations whose name or an alias matches `text` once both are folded."""
    key = fold_for_search(text)
    if not key:
        return []
    alias_ids = live(select(col(OrganisationAlias.organisation_id)), OrganisationAlias).where(
        col(OrganisationAlias.folded) == key
    )
    by_alias = live(select(Organisation), Organisation).where(col(Organisation.id).in_(alias_ids))
    found = {organisation.id: organisation for organisation in session.execute(by_alias).scalars()}
    for organisation in list_records(session, Organisation):
        if fold_for_search(organisation.name) == key:
            found[organisation.id] = organisation
    return sorted(found.values(), key=lambda organisation: organisation.name)
