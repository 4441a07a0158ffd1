"""What the admin pages ask that other services do not: accounts at a glance, the audit log
filtered, soft-deleted records across the main tables and their restoration."""

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, literal, select, union_all
from sqlmodel import Session, SQLModel, col

from tracker.domain.audit_chain import ChainReport
from tracker.domain.errors import RecordNotFound
from tracker.models import (
    AuditEntry,
    Campaign,
    Case,
    Citation,
    Evidence,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    Person,
    Place,
    Role,
    Source,
    UserAccount,
    UserRole,
    UserSession,
    VocabularyTerm,
)
from tracker.models.base import TimestampedRecord
from tracker.services import (
    campaigns,
    cases,
    evidence,
    incidents,
    involvements,
    links,
    organisations,
    people,
    places,
    sources,
)
from tracker.services.audit_chain import verify_audit_log
from tracker.services.records import get_record, restore_record
from tracker.services.restrictions import Viewer

# --- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSummary:
    """One row of the accounts list."""

    id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool
    has_second_factor: bool
    # False for an account imported from another instance: it cannot sign in until reset.
    has_password: bool
    must_change_password: bool
    last_seen_at: datetime | None
    version: int


def last_activity() -> Any:
    return (
        select(col(UserSession.user_id), func.max(UserSession.last_seen_at).label("last_seen_at"))
        .group_by(col(UserSession.user_id))
        .subquery()
    )


def list_users(session: Session, *, limit: int, offset: int = 0) -> list[UserSummary]:
    """Accounts by username, with their roles and when a session of theirs was last used."""
    activity = last_activity()
    statement = (
        select(UserAccount, activity.c.last_seen_at)
        .outerjoin(activity, activity.c.user_id == col(UserAccount.id))
        .where(col(UserAccount.deleted_at).is_(None))
        .order_by(col(UserAccount.username))
        .limit(limit)
        .offset(offset)
    )
    rows = session.execute(statement).all()
    roles = roles_by_user(session, [row[0].id for row in rows])
    return [summary_of(user, roles.get(user.id, ()), seen) for user, seen in rows]


def summary_of(user: UserAccount, roles: tuple[str, ...], seen: datetime | None) -> UserSummary:
    return UserSummary(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        is_active=user.is_active,
        has_second_factor=bool(user.totp_secret),
        has_password=bool(user.password_hash),
        must_change_password=user.must_change_password,
        last_seen_at=seen,
        version=user.version,
    )


def user_summary(session: Session, user_id: uuid.UUID) -> UserSummary:
    """One account as the list shows it. Raises RecordNotFound."""
    user = get_record(session, UserAccount, user_id)
    activity = last_activity()
    seen = session.execute(
        select(activity.c.last_seen_at).where(activity.c.user_id == user_id)
    ).scalar()
    return summary_of(user, roles_by_user(session, [user_id]).get(user_id, ()), seen)


def roles_by_user(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    statement = (
        select(col(UserRole.user_id), col(UserRole.role_code))
        .where(col(UserRole.user_id).in_(user_ids), col(UserRole.deleted_at).is_(None))
        .order_by(col(UserRole.role_code))
    )
    roles: dict[uuid.UUID, tuple[str, ...]] = {}
    for user_id, code in session.execute(statement):
        roles[user_id] = (*roles.get(user_id, ()), code)
    return roles


def count_users(session: Session) -> int:
    statement = select(func.count()).where(col(UserAccount.deleted_at).is_(None))
    return int(session.execute(statement).scalar_one())


def count_without_second_factor(session: Session) -> int:
    """Active accounts that have not set up a second factor."""
    statement = select(func.count()).where(
        col(UserAccount.deleted_at).is_(None),
        col(UserAccount.is_active).is_(True),
        col(UserAccount.totp_secret).is_(None),
    )
    return int(session.execute(statement).scalar_one())


@dataclass(frozen=True)
class UserChoice:
    id: uuid.UUID
    username: str
    display_name: str


def active_users(session: Session) -> list[UserChoice]:
    """Every active account by username, for choosing whom a record is restricted to."""
    statement = (
        select(col(UserAccount.id), col(UserAccount.username), col(UserAccount.display_name))
        .where(col(UserAccount.deleted_at).is_(None), col(UserAccount.is_active).is_(True))
        .order_by(col(UserAccount.username))
    )
    return [UserChoice(*row) for row in session.execute(statement)]


def usernames_of(session: Session, user_ids: Iterable[uuid.UUID]) -> list[str]:
    ids = list(user_ids)
    statement = select(col(UserAccount.username)).where(col(UserAccount.id).in_(ids))
    return sorted(session.execute(statement).scalars()) if ids else []


def restriction_users(viewer: Viewer, chosen: Iterable[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Whom to restrict a record to: the chosen users, plus the one saving unless an admin.

    Someone who restricts a record to others only would lose sight of it on saving; admins see
    every record anyway. Choosing nobody lifts the restriction.
    """
    wanted = frozenset(chosen)
    if wanted and not viewer.sees_every_record:
        return wanted | {viewer.user_id}
    return wanted


def list_roles(session: Session) -> list[Role]:
    statement = select(Role).where(col(Role.deleted_at).is_(None)).order_by(col(Role.code))
    return list(session.execute(statement).scalars())


# --- vocabularies -----------------------------------------------------------------------------


def vocabulary_sizes(session: Session) -> dict[str, int]:
    """Each vocabulary with its number of terms, inactive ones included."""
    statement = (
        select(col(VocabularyTerm.vocabulary), func.count())
        .where(col(VocabularyTerm.deleted_at).is_(None))
        .group_by(col(VocabularyTerm.vocabulary))
        .order_by(col(VocabularyTerm.vocabulary))
    )
    return {name: int(count) for name, count in session.execute(statement).tuples()}


def get_term(session: Session, term_id: uuid.UUID) -> VocabularyTerm:
    """Raises RecordNotFound."""
    return get_record(session, VocabularyTerm, term_id)


# --- audit log --------------------------------------------------------------------------------

AUDIT_ACTIONS = ("create", "update", "delete", "restore", "merge", "undo_merge", "advance_stage")


@dataclass(frozen=True)
class AuditFilters:
    """What to look for in the audit log; None means any."""

    actor: str | None = None
    table_name: str | None = None
    record_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor: str


def audited_tables() -> list[str]:
    """Tables whose records carry versions, and so audit entries (no query needed)."""
    return sorted(
        name for name, table in SQLModel.metadata.tables.items() if "version" in table.columns
    )


def audit_conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.actor is not None:
        actor_ids = select(col(UserAccount.id)).where(col(UserAccount.username) == filters.actor)
        conditions.append(col(AuditEntry.actor_id).in_(actor_ids))
    if filters.table_name is not None:
        conditions.append(col(AuditEntry.table_name) == filters.table_name)
    if filters.record_id is not None:
        conditions.append(col(AuditEntry.record_id) == filters.record_id)
    if filters.action is not None:
        conditions.append(col(AuditEntry.action) == filters.action)
    if filters.since is not None:
        conditions.append(col(AuditEntry.occurred_at) >= filters.since)
    if filters.before is not None:
        conditions.append(col(AuditEntry.occurred_at) < filters.before)
    return conditions


def list_audit_entries(
    session: Session, *, filters: AuditFilters, limit: int, offset: int = 0
) -> list[AuditRow]:
    """Matching entries, newest first, with the actor's username ("system" for none)."""
    statement = (
        select(AuditEntry, col(UserAccount.username))
        .outerjoin(UserAccount, col(UserAccount.id) == col(AuditEntry.actor_id))
        .where(*audit_conditions(filters))
        .order_by(col(AuditEntry.sequence).desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        AuditRow(entry, username or ("system" if entry.actor_id is None else str(entry.actor_id)))
        for entry, username in session.execute(statement)
    ]


def count_audit_entries(session: Session, *, filters: AuditFilters) -> int:
    statement = select(func.count()).select_from(AuditEntry).where(*audit_conditions(filters))
    return int(session.execute(statement).scalar_one())


@dataclass(frozen=True)
class AuditChainCheck:
    """The audit chain's state for the admin page, and how long verifying it took."""

    report: ChainReport
    seconds: float


def check_audit_chain(session: Session) -> AuditChainCheck:
    """Verify the whole chain now (streamed in batches; nothing is cached)."""
    started = time.perf_counter()
    report = verify_audit_log(session)
    return AuditChainCheck(report, time.perf_counter() - started)


# --- deleted records --------------------------------------------------------------------------

Restorer = Callable[[Session, uuid.UUID, int, uuid.UUID], Any]


@dataclass(frozen=True)
class DeletableKind:
    """A table whose records an admin may restore: how a row is named, how it comes back."""

    model: type[TimestampedRecord]
    label: Any
    restore: Restorer


def generic_restorer(model: type[TimestampedRecord]) -> Restorer:
    def restore(session: Session, record_id: uuid.UUID, version: int, actor: uuid.UUID) -> Any:
        record = get_record(session, model, record_id, include_deleted=True)
        return restore_record(session, record, actor_id=actor, expected_version=version)

    return restore


def family_restorer(restore: Callable[..., Any], id_argument: str) -> Restorer:
    """A family's restore_* service, called the one way every row of the list is."""

    def call(session: Session, record_id: uuid.UUID, version: int, actor: uuid.UUID) -> Any:
        values = {id_argument: record_id, "expected_version": version, "actor_id": actor}
        return restore(session, **values)

    return call


# Families whose restore checks more than the row (parents alive, no duplicate role, merges)
# go through their own service.
DELETABLE: dict[str, DeletableKind] = {
    "incident": DeletableKind(
        Incident, Incident.code, family_restorer(incidents.restore_incident, "incident_id")
    ),
    "case_file": DeletableKind(Case, Case.code, family_restorer(cases.restore_case, "case_id")),
    "campaign": DeletableKind(
        Campaign, Campaign.code, family_restorer(campaigns.restore_campaign, "campaign_id")
    ),
    "person": DeletableKind(
        Person, Person.pseudonym_code, family_restorer(people.restore_person, "person_id")
    ),
    "place": DeletableKind(Place, Place.name, family_restorer(places.restore_place, "place_id")),
    "organisation": DeletableKind(
        Organisation,
        Organisation.name,
        family_restorer(organisations.restore_organisation, "organisation_id"),
    ),
    "source": DeletableKind(
        Source, Source.title, family_restorer(sources.restore_source, "source_id")
    ),
    "evidence": DeletableKind(
        Evidence, Evidence.title, family_restorer(evidence.restore_evidence, "evidence_id")
    ),
    "legal_action": DeletableKind(LegalAction, LegalAction.kind, generic_restorer(LegalAction)),
    "involvement": DeletableKind(
        Involvement,
        Involvement.role,
        family_restorer(involvements.restore_involvement, "involvement_id"),
    ),
    "citation": DeletableKind(
        Citation, Citation.locator, family_restorer(sources.restore_citation, "citation_id")
    ),
    "incident_link": DeletableKind(
        IncidentLink, IncidentLink.link_type, family_restorer(links.restore_link, "link_id")
    ),
}


@dataclass(frozen=True)
class DeletedRow:
    table_name: str
    record_id: uuid.UUID
    label: str
    deleted_at: datetime
    deleted_by: str
    version: int


def deleted_of(table_name: str) -> Select[Any]:
    kind = DELETABLE[table_name]
    model = kind.model
    return select(
        literal(table_name, String(60)).label("table_name"),
        col(model.id).label("record_id"),
        cast(kind.label, String(500)).label("label"),
        col(model.deleted_at).label("deleted_at"),
        col(model.deleted_by).label("deleted_by"),
        col(model.version).label("version"),
    ).where(col(model.deleted_at).is_not(None))


def deleted_union(table_name: str | None) -> Any:
    names = [table_name] if table_name else list(DELETABLE)
    return union_all(*(deleted_of(name) for name in names)).subquery()


def list_deleted(
    session: Session, *, table_name: str | None, limit: int, offset: int = 0
) -> list[DeletedRow]:
    """Soft-deleted records of one table (None: every restorable table), latest deletion first.

    Raises RecordNotFound for a table that is not restorable here.
    """
    check_deletable(table_name)
    rows = deleted_union(table_name)
    statement = (
        select(rows, col(UserAccount.username))
        .outerjoin(UserAccount, col(UserAccount.id) == rows.c.deleted_by)
        .order_by(rows.c.deleted_at.desc(), rows.c.record_id)
        .limit(limit)
        .offset(offset)
    )
    return [deleted_row(row) for row in session.execute(statement)]


def deleted_row(row: Any) -> DeletedRow:
    deleted_at = row.deleted_at
    return DeletedRow(
        table_name=row.table_name,
        record_id=row.record_id,
        label=row.label or "",
        deleted_at=deleted_at,
        deleted_by=row.username or ("system" if row.deleted_by is None else str(row.deleted_by)),
        version=row.version,
    )


def count_deleted(session: Session, *, table_name: str | None) -> int:
    check_deletable(table_name)
    statement = select(func.count()).select_from(deleted_union(table_name))
    return int(session.execute(statement).scalar_one())


def check_deletable(table_name: str | None) -> None:
    if table_name is not None and table_name not in DELETABLE:
        raise RecordNotFound(f"No restorable records of {table_name}.")


def restore_deleted(
    session: Session,
    *,
    table_name: str,
    record_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID,
) -> None:
    """Bring a deleted record back through its family's service.

    Raises RecordNotFound for an unknown table or record, InvalidInput when it is not deleted
    or cannot come back (its parent is gone), EditConflict when it moved on.
    """
    check_deletable(table_name)
    DELETABLE[table_name].restore(session, record_id, expected_version, actor_id)
