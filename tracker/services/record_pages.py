"""What the case, person, place, organisation and source pages need beyond the entity services.

Paged, searchable lists that hide restricted records; members of a record the viewer may see;
actions taken by code (an incident or person named as typed); deletion with a reason.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput, RecordNotFound
from tracker.domain.sealing import blind_index, current_keyring
from tracker.domain.text import fold_for_search
from tracker.models import (
    Case,
    CaseClient,
    Citation,
    Incident,
    Involvement,
    Organisation,
    OrganisationAlias,
    Person,
    PersonMerge,
    PersonName,
    Place,
    PlaceAlias,
    Source,
    UserAccount,
    UserRole,
)
from tracker.models.base import TimestampedRecord
from tracker.services import cases, merges, people
from tracker.services.incident_queries import (
    IncidentFilters,
    IncidentListItem,
    count_incidents,
    list_incidents,
)
from tracker.services.organisations import list_organisations
from tracker.services.places import place_usage
from tracker.services.records import get_record, live, soft_delete_record, table_name_of
from tracker.services.restrictions import Viewer, may_view, visible_condition

ItemT = TypeVar("ItemT")
PAGE_SIZE = 50
# Deep pages are refused rather than scanned: a search narrows better than page 2,000.
MAX_PAGE = 2_000
# Incident lists count matches up to this, then say "more than": an exact count of a broad
# filter reads every matching incident, which costs more than the page it heads.
COUNT_LIMIT = 1_000
# Fields a person is created with after the code is assigned (the service sets the rest).
LATER_IDENTITY_FIELDS = ("contact_info", "exact_address", "identity_notes")


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of a list: its items, the total and where it sits."""

    items: Sequence[ItemT]
    total: int
    number: int
    size: int = PAGE_SIZE
    # True when counting stopped at COUNT_LIMIT: there are more than `total` items.
    more: bool = False

    @property
    def last_number(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def paginated(self) -> bool:
        return self.more or self.total > self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        if self.more:
            return len(self.items) == self.size
        return self.number < self.last_number


def clamp_page(number: int) -> int:
    return min(max(number, 1), MAX_PAGE)


def page_of(session: Session, statement: Select[Any], number: int) -> Page[Any]:
    """The page `number` (from 1) of a statement's rows, with the total count."""
    number = clamp_page(number)
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(statement.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE))
    return Page(items=list(rows.scalars()), total=int(total), number=number)


def like_pattern(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str) -> Any:
    return col(column).ilike(like_pattern(text), escape="\\")


def deletion_state(statement: Select[Any], model: type[TimestampedRecord], deleted: bool) -> Any:
    """Live records, or (for restoring) only the deleted ones."""
    if deleted:
        return statement.where(col(model.deleted_at).is_not(None))
    return live(statement, model)


def visible_to(statement: Select[Any], model: type[TimestampedRecord], viewer: Viewer) -> Any:
    """Leave out records restricted to other users (admins see every record)."""
    if viewer.sees_every_record:
        return statement
    return statement.where(visible_condition(table_name_of(model), col(model.id), viewer.user_id))


# --- lists ------------------------------------------------------------------------------------


def search_cases(
    session: Session,
    *,
    viewer: Viewer,
    text: str = "",
    status: str = "",
    deleted: bool = False,
    number: int = 1,
) -> Page[Case]:
    """Cases the viewer may see, by code; `text` matches code or title."""
    statement = visible_to(deletion_state(select(Case), Case, deleted), Case, viewer)
    if text:
        statement = statement.where(or_(contains(Case.code, text), contains(Case.title, text)))
    if status:
        statement = statement.where(col(Case.status) == status)
    return page_of(session, statement.order_by(col(Case.code)), number)


def search_people(
    session: Session, *, viewer: Viewer, text: str = "", deleted: bool = False, number: int = 1
) -> Page[Person]:
    """People the viewer may see, by pseudonym code.

    `text` matches the code; names only for viewers who may see identities, since finding a
    code by a name would tell anyone else who that code is.
    """
    statement = visible_to(deletion_state(select(Person), Person, deleted), Person, viewer)
    if text:
        statement = statement.where(person_matches(text, viewer))
    return page_of(session, statement.order_by(col(Person.pseudonym_code)), number)


def person_matches(text: str, viewer: Viewer) -> Any:
    """Part of the code; for viewers who may see identities, also a whole name (real name or
    any name), matched through its blind index: names are sealed, so never a part of one."""
    by_code = contains(Person.pseudonym_code, text)
    digest = blind_index(current_keyring(), text)
    if not viewer.sees_identity or not digest:
        return by_code
    named = live(select(col(PersonName.person_id)), PersonName).where(
        col(PersonName.folded) == digest
    )
    return or_(by_code, col(Person.name_index) == digest, col(Person.id).in_(named))


def search_places(
    session: Session, *, text: str = "", kind: str = "", deleted: bool = False, number: int = 1
) -> Page[Place]:
    """Places by name; `text` matches the name or any alias (Baki finds Bakı)."""
    statement = deletion_state(select(Place), Place, deleted)
    if text:
        aliased = live(select(col(PlaceAlias.place_id)), PlaceAlias).where(
            col(PlaceAlias.folded).contains(fold_for_search(text), autoescape=True)
        )
        statement = statement.where(or_(contains(Place.name, text), col(Place.id).in_(aliased)))
    if kind:
        statement = statement.where(col(Place.kind) == kind)
    return page_of(session, statement.order_by(col(Place.name), col(Place.id)), number)


def search_organisations(
    session: Session, *, text: str = "", kind: str = "", deleted: bool = False, number: int = 1
) -> Page[Organisation]:
    """Organisations by name; `text` matches the name or any alias."""
    statement = deletion_state(select(Organisation), Organisation, deleted)
    if text:
        aliased = live(select(col(OrganisationAlias.organisation_id)), OrganisationAlias).where(
            col(OrganisationAlias.folded).contains(fold_for_search(text), autoescape=True)
        )
        statement = statement.where(
            or_(contains(Organisation.name, text), col(Organisation.id).in_(aliased))
        )
    if kind:
        statement = statement.where(col(Organisation.kind) == kind)
    ordered = statement.order_by(col(Organisation.name), col(Organisation.id))
    return page_of(session, ordered, number)


def search_sources(
    session: Session, *, text: str = "", kind: str = "", deleted: bool = False, number: int = 1
) -> Page[Source]:
    """Sources, newest first; `text` matches the title or the citation."""
    statement = deletion_state(select(Source), Source, deleted)
    if text:
        statement = statement.where(
            or_(contains(Source.title, text), contains(Source.citation_text, text))
        )
    if kind:
        statement = statement.where(col(Source.kind) == kind)
    ordered = statement.order_by(col(Source.created_at).desc(), col(Source.id))
    return page_of(session, ordered, number)


# --- incidents of a record --------------------------------------------------------------------


def visible_filters(viewer: Viewer, **values: Any) -> IncidentFilters:
    """Incident filters that leave out incidents restricted to other users."""
    user_id = None if viewer.sees_every_record else viewer.user_id
    return IncidentFilters(visible_to_user_id=user_id, **values)


def incidents_page(
    session: Session, *, viewer: Viewer, number: int = 1, **filters: Any
) -> Page[IncidentListItem]:
    """A page of the incidents matching the filters that the viewer may see, by date."""
    chosen = visible_filters(viewer, **filters)
    number = clamp_page(number)
    offset = (number - 1) * PAGE_SIZE
    items = list_incidents(session, filters=chosen, limit=PAGE_SIZE, offset=offset)
    total = count_incidents(session, filters=chosen, up_to=COUNT_LIMIT)
    more = total > COUNT_LIMIT
    return Page(items=items, total=min(total, COUNT_LIMIT), number=number, more=more)


def citing_incidents(
    session: Session, *, viewer: Viewer, source_id: uuid.UUID, number: int = 1
) -> Page[Any]:
    """Rows of (citation, incident) for the source's live citations of visible incidents."""
    statement = (
        select(Citation, Incident)
        .join(Incident, col(Incident.id) == col(Citation.incident_id))
        .where(col(Citation.source_id) == source_id)
        .where(col(Citation.deleted_at).is_(None), col(Incident.deleted_at).is_(None))
    )
    statement = visible_to(statement, Incident, viewer).order_by(col(Incident.code))
    number = clamp_page(number)
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(statement.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page(items=[tuple(row) for row in rows], total=int(total), number=number)


def roles_in_incidents(
    session: Session, person_id: uuid.UUID, incident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The person's live roles in each of these incidents."""
    if not incident_ids:
        return {}
    statement = live(select(Involvement), Involvement).where(
        col(Involvement.person_id) == person_id, col(Involvement.incident_id).in_(incident_ids)
    )
    roles: dict[uuid.UUID, list[str]] = {}
    for involvement in session.execute(statement.order_by(col(Involvement.role))).scalars():
        roles.setdefault(involvement.incident_id, []).append(involvement.role)
    return roles


# --- finding records by what people type ------------------------------------------------------


def visible_incident_by_code(session: Session, viewer: Viewer, code: str) -> Incident:
    """Raises InvalidInput naming incident_code when there is none the viewer may see."""
    statement = live(select(Incident), Incident).where(col(Incident.code) == code.strip())
    incident: Incident | None = session.execute(statement).scalar()
    if incident is None or not may_view(session, viewer, Incident, incident.id):
        raise InvalidInput(f"incident_code: no incident {code.strip()}")
    return incident


def visible_person_by_code(session: Session, viewer: Viewer, code: str, field: str) -> Person:
    """Raises InvalidInput naming the field when there is no live person the viewer may see."""
    person = people.get_person_by_code(session, code.strip())
    if person is None or person.is_deleted or not may_view(session, viewer, Person, person.id):
        raise InvalidInput(f"{field}: no person {code.strip()}")
    return person


# --- cases ------------------------------------------------------------------------------------


def add_incident_by_code(
    session: Session, *, viewer: Viewer, case_id: uuid.UUID, code: str
) -> Incident:
    """Raises InvalidInput naming incident_code."""
    incident = visible_incident_by_code(session, viewer, code)
    try:
        cases.add_incident_to_case(
            session, case_id=case_id, incident_id=incident.id, actor_id=viewer.user_id
        )
    except InvalidInput as error:
        raise InvalidInput(f"incident_code: {message_of(error)}") from None
    return incident


def remove_incident_by_code(
    session: Session, *, viewer: Viewer, case_id: uuid.UUID, code: str
) -> Incident:
    """Raises InvalidInput naming incident_code."""
    incident = visible_incident_by_code(session, viewer, code)
    try:
        cases.remove_incident_from_case(
            session, case_id=case_id, incident_id=incident.id, actor_id=viewer.user_id
        )
    except InvalidInput as error:
        raise InvalidInput(f"incident_code: {message_of(error)}") from None
    return incident


def add_client_by_code(
    session: Session, *, viewer: Viewer, case_id: uuid.UUID, code: str
) -> Person:
    """Raises InvalidInput naming pseudonym_code."""
    person = visible_person_by_code(session, viewer, code, "pseudonym_code")
    try:
        cases.add_client(session, case_id=case_id, person_id=person.id, actor_id=viewer.user_id)
    except InvalidInput as error:
        raise InvalidInput(f"pseudonym_code: {message_of(error)}") from None
    return person


def remove_client_by_code(
    session: Session, *, viewer: Viewer, case_id: uuid.UUID, code: str
) -> Person:
    """Raises InvalidInput naming pseudonym_code."""
    person = visible_person_by_code(session, viewer, code, "pseudonym_code")
    try:
        cases.remove_client(session, case_id=case_id, person_id=person.id, actor_id=viewer.user_id)
    except InvalidInput as error:
        raise InvalidInput(f"pseudonym_code: {message_of(error)}") from None
    return person


def message_of(error: InvalidInput) -> str:
    """A service message without its leading `field: `."""
    text = str(error)
    field, separator, rest = text.partition(": ")
    return rest if separator and field.replace("_", "").isalnum() else text


def visible_clients(session: Session, viewer: Viewer, case_id: uuid.UUID) -> list[Person]:
    """The case's live clients the viewer may see, by code."""
    members = live(select(col(CaseClient.person_id)), CaseClient).where(
        col(CaseClient.case_id) == case_id
    )
    statement = live(select(Person), Person).where(col(Person.id).in_(members))
    statement = visible_to(statement, Person, viewer).order_by(col(Person.pseudonym_code))
    return list(session.execute(statement).scalars())


def lawyers(session: Session) -> list[UserAccount]:
    """Active accounts holding the lawyer role, by username."""
    holders = select(col(UserRole.user_id)).where(
        col(UserRole.role_code) == "lawyer", col(UserRole.deleted_at).is_(None)
    )
    statement = live(select(UserAccount), UserAccount).where(
        col(UserAccount.id).in_(holders), col(UserAccount.is_active).is_(True)
    )
    return list(session.execute(statement.order_by(col(UserAccount.username))).scalars())


def username_of(session: Session, user_id: uuid.UUID | None) -> str:
    user = session.get(UserAccount, user_id) if user_id is not None else None
    return user.username if user is not None else ""


# --- people -----------------------------------------------------------------------------------


def create_person_record(
    session: Session,
    *,
    role_letter: str,
    first_recorded_year: int | None,
    values: dict[str, Any],
    actor_id: uuid.UUID,
) -> Person:
    """A new person with a server-assigned code; contacts, address and notes set after it.

    Gender identity and orientation wait for recorded consent (people.create_person).
    Raises InvalidInput naming the field.
    """
    later = {field: values.pop(field) for field in LATER_IDENTITY_FIELDS if values.get(field)}
    values = {field: value for field, value in values.items() if field not in LATER_IDENTITY_FIELDS}
    person = people.create_person(
        session,
        role_letter=role_letter,
        first_recorded_year=first_recorded_year,
        actor_id=actor_id,
        **values,
    )
    if later:
        people.update_person(
            session,
            person_id=person.id,
            expected_version=person.version,
            changes=later,
            actor_id=actor_id,
        )
    return person


def merge_by_code(
    session: Session, *, viewer: Viewer, survivor_id: uuid.UUID, code: str, reason: str
) -> PersonMerge:
    """Merge the person with this code into the survivor. Raises InvalidInput naming the field."""
    duplicate = visible_person_by_code(session, viewer, code, "merged_code")
    try:
        return merges.merge_persons(
            session,
            survivor_id=survivor_id,
            merged_id=duplicate.id,
            reason=reason,
            actor_id=viewer.user_id,
        )
    except InvalidInput as error:
        field = "reason" if str(error).startswith("reason:") else "merged_code"
        raise InvalidInput(f"{field}: {message_of(error)}") from None


def undo_merge_of(
    session: Session, *, person_id: uuid.UUID, merge_id: uuid.UUID, actor_id: uuid.UUID
) -> PersonMerge:
    """Undo a merge the person took part in. Raises RecordNotFound, InvalidInput."""
    merge = get_record(session, PersonMerge, merge_id)
    if person_id not in (merge.survivor_id, merge.merged_id):
        raise RecordNotFound(f"No person merge {merge_id}.")
    return merges.undo_merge(session, merge_id=merge_id, actor_id=actor_id)


def visible_duplicates(session: Session, viewer: Viewer, person_id: uuid.UUID) -> list[Person]:
    """Candidates sharing a name with the person, among those the viewer may see."""
    return [
        person
        for person in people.suggest_duplicates(session, person_id)
        if may_view(session, viewer, Person, person.id)
    ]


# --- aliases ----------------------------------------------------------------------------------

AliasT = TypeVar("AliasT", PersonName, PlaceAlias, OrganisationAlias)


def remove_alias(
    session: Session,
    model: type[AliasT],
    *,
    owner_field: str,
    owner_id: uuid.UUID,
    alias_id: uuid.UUID,
    actor_id: uuid.UUID,
) -> AliasT:
    """Soft-delete a name or alias of this record. Raises RecordNotFound when it is another's."""
    alias = get_record(session, model, alias_id)
    if getattr(alias, owner_field) != owner_id:
        raise RecordNotFound(f"No alias {alias_id}.")
    return soft_delete_record(session, alias, actor_id=actor_id, expected_version=alias.version)


# --- places and organisations -----------------------------------------------------------------


def parent_place_choices(session: Session, current: uuid.UUID | None) -> list[Place]:
    """Places that can hold others (coarser than a site), and the current parent, by name."""
    statement = live(select(Place), Place).where(
        or_(col(Place.geo_precision) >= 2, col(Place.id) == current)
    )
    return list(session.execute(statement.order_by(col(Place.name), col(Place.id))).scalars())


def child_places(session: Session, place_id: uuid.UUID, limit: int = 200) -> list[Place]:
    statement = live(select(Place), Place).where(col(Place.parent_id) == place_id)
    ordered = statement.order_by(col(Place.name), col(Place.id)).limit(limit)
    return list(session.execute(ordered).scalars())


def organisation_chain(session: Session, organisation: Organisation) -> list[Organisation]:
    """The parents from the nearest up to the top."""
    chain: list[Organisation] = []
    seen = {organisation.id}
    parent_id = organisation.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Organisation, parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    return chain


def organisation_choices(session: Session) -> list[Organisation]:
    return list_organisations(session)


# --- deletion ---------------------------------------------------------------------------------


def check_deletable(session: Session, record: TimestampedRecord) -> None:
    """The rules the entity services apply before deleting. Raises InvalidInput."""
    if isinstance(record, Place):
        children, incidents = place_usage(session, record.id)
        if children or incidents:
            raise InvalidInput(
                f"reason: still used by {children} sub-places and {incidents} incidents;"
                " move them first"
            )
    if isinstance(record, Organisation) and list_organisations(session, parent_id=record.id):
        raise InvalidInput("reason: still has units under it; move them first")


def delete_with_reason(
    session: Session,
    model: type[TimestampedRecord],
    *,
    record_id: uuid.UUID,
    expected_version: int,
    reason: str,
    actor_id: uuid.UUID,
) -> TimestampedRecord:
    """Soft-delete a record, saying why. Raises InvalidInput, EditConflict, RecordNotFound."""
    if not reason.strip():
        raise InvalidInput("reason: say why this record is deleted")
    record = get_record(session, model, record_id)
    check_deletable(session, record)
    return soft_delete_record(
        session, record, actor_id=actor_id, expected_version=expected_version, reason=reason
    )
