"""The earlier exports that carried a person's data, read from the audit log, to recall them.

Every report export writes one audit entry (action "export", table "report") listing the
persons whose data its files hold (tracker.reporting.exports). When a person withdraws a
consent, later exports at the levels that consent governs leave them out, but files that
already left the tracker do not change: this module finds them, so an admin can ask whoever
received them to destroy or return them. Who received a file is not recorded anywhere here.
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlmodel import Session, col

from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel
from tracker.domain.errors import RecordNotFound
from tracker.domain.text import PSEUDONYM_PATTERN
from tracker.models import AuditEntry, Case, Organisation, Person, PersonMerge, Place, UserAccount
from tracker.services.people import get_person_by_code

EXPORT_ACTION = "export"
REPORT_TABLE = "report"
INTERNAL, LEGAL = DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL
PARTNER, PUBLIC = DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC
# The levels at which each consent scope changes what a report prints (the snapshot builders
# in tracker.reporting): legal_filing names a client or source at the legal level; share_partner
# gives partners gender identity and orientation; name_public names someone in public; and
# narrative_public lets an account out in public timelines and dossiers and in annual reports
# at both the partner and public levels. For the dead an organisational decision stands in
# for each of these. record_sensitive governs whether gender identity and orientation are
# kept at all, so every level that can print them.
LEVELS_OF_SCOPE: dict[str, tuple[DisclosureLevel, ...]] = {
    "legal_filing": (LEGAL,),
    "share_partner": (PARTNER,),
    "name_public": (PUBLIC,),
    "narrative_public": (PARTNER, PUBLIC),
    "organisational_decision": (LEGAL, PARTNER, PUBLIC),
    "record_sensitive": (INTERNAL, LEGAL, PARTNER),
}


@dataclass(frozen=True)
class ExportedFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class EarlierExport:
    """One export whose audit entry lists the person (or someone merged into them)."""

    audit_entry_id: uuid.UUID
    occurred_at: datetime
    actor: str  # the username; "" for the command line, which exports as the operator
    kind: str  # timeline, dossier, annual
    level: str
    scope_kind: str  # case, person, place, organisation, filter or year
    scope_label: str  # a case or pseudonym code, a place's name, a year, the filters
    files: tuple[ExportedFile, ...]  # the main file first
    listed_ids: tuple[uuid.UUID, ...]  # which of the person's ids the entry lists

    @property
    def main_file(self) -> ExportedFile:
        return self.files[0] if self.files else ExportedFile("", "")


def levels_affected_by(scope: str) -> tuple[DisclosureLevel, ...]:
    """The levels whose exports a decision on this scope changes; every level for a scope
    this module does not know (a vocabulary added later), the safe side."""
    return LEVELS_OF_SCOPE.get(scope, LEVEL_ORDER)


def find_person(session: Session, text: str) -> Person:
    """The person with this id or pseudonym code, deleted or merged away too (their exports
    still count). Raises RecordNotFound without echoing anything but a code."""
    typed = text.strip()
    try:
        person = session.get(Person, uuid.UUID(typed))
    except ValueError:
        person = get_person_by_code(session, typed.upper())
    if person is None:
        # Only a code is echoed: a name typed by mistake must not reach a terminal or a log.
        shown = f" {typed.upper()}" if PSEUDONYM_PATTERN.match(typed.upper()) else ""
        raise RecordNotFound(f"person: no person with the pseudonym code or id{shown}")
    return person


def exports_including(
    session: Session,
    person_id: uuid.UUID,
    level: DisclosureLevel | Collection[DisclosureLevel] | None = None,
) -> list[EarlierExport]:
    """Report exports whose audit entry lists the person or anyone merged into them, at the
    level (or any of the levels) given, newest first.

    Raises RecordNotFound for an unknown person.
    """
    if session.get(Person, person_id) is None:
        raise RecordNotFound("person: no such person")
    person_ids = folded_person_ids(session, person_id)
    wanted = wanted_levels(level)
    found = [
        (entry, listed)
        for entry in candidate_entries(session, person_ids)
        if (listed := listed_among(entry, person_ids)) and entry.changes.get("level") in wanted
    ]
    actors = usernames(session, {entry.actor_id for entry, _ in found if entry.actor_id})
    return [earlier_export(session, entry, listed, actors) for entry, listed in found]


def wanted_levels(level: DisclosureLevel | Collection[DisclosureLevel] | None) -> set[str]:
    if level is None:
        return {value.value for value in LEVEL_ORDER}
    if isinstance(level, DisclosureLevel):
        return {level.value}
    return {DisclosureLevel(value).value for value in level}


def folded_person_ids(session: Session, person_id: uuid.UUID) -> set[uuid.UUID]:
    """The person and everyone merged into them, through chains of merges; an undone merge
    gave its records back, so its exports belong to the other person again."""
    found, frontier = {person_id}, {person_id}
    while frontier:
        statement = select(col(PersonMerge.merged_id)).where(
            col(PersonMerge.survivor_id).in_(sorted(frontier)),
            col(PersonMerge.undone_at).is_(None),
        )
        frontier = set(session.execute(statement).scalars()) - found
        found |= frontier
    return found


def candidate_entries(session: Session, person_ids: Iterable[uuid.UUID]) -> list[AuditEntry]:
    """Export entries whose JSON text mentions one of the ids, newest first.

    The JSON column is matched as text, which SQLite and PostgreSQL both allow; a UUID holds
    no LIKE wildcard. A mention may sit elsewhere (a timeline's subject id), so listed_among
    confirms each entry against its person list.
    """
    text = cast(col(AuditEntry.changes), String)
    statement = (
        select(AuditEntry)
        .where(col(AuditEntry.action) == EXPORT_ACTION, col(AuditEntry.table_name) == REPORT_TABLE)
        .where(or_(*(text.like(f"%{person_id}%") for person_id in sorted(person_ids))))
        .order_by(col(AuditEntry.sequence).desc())
    )
    return list(session.execute(statement).scalars())


def listed_among(entry: AuditEntry, person_ids: Collection[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """The ids among PERSON_IDS that the entry's person list holds."""
    listed = {str(value) for value in entry.changes.get("person_ids") or ()}
    return tuple(sorted(person_id for person_id in person_ids if str(person_id) in listed))


def usernames(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    statement = select(col(UserAccount.id), col(UserAccount.username)).where(
        col(UserAccount.id).in_(sorted(user_ids))
    )
    return {row.id: row.username for row in session.execute(statement)}


def earlier_export(
    session: Session,
    entry: AuditEntry,
    listed: tuple[uuid.UUID, ...],
    actors: dict[uuid.UUID, str],
) -> EarlierExport:
    changes = entry.changes
    scope_kind, scope_label = describe_scope(session, changes.get("kind", ""), changes)
    files = tuple(
        ExportedFile(str(item.get("name", "")), str(item.get("sha256", "")))
        for item in changes.get("files") or ()
    )
    return EarlierExport(
        audit_entry_id=entry.id,
        occurred_at=entry.occurred_at,
        actor=actors.get(entry.actor_id, "") if entry.actor_id else "",
        kind=str(changes.get("kind", "")),
        level=str(changes.get("level", "")),
        scope_kind=scope_kind,
        scope_label=scope_label,
        files=files,
        listed_ids=listed,
    )


# --- what an export covered, in words an admin recognises -------------------------------------


def describe_scope(session: Session, kind: str, changes: dict[str, Any]) -> tuple[str, str]:
    """(scope kind, label): ("case", "C-2023-004"), ("year", "2023 · DET"), ("filter", ...)."""
    scope = changes.get("scope") or {}
    if kind == "dossier":
        return "case", record_label(session, "case", scope.get("case_id"))
    if kind == "annual":
        return "year", annual_label(session, scope)
    subject = str(scope.get("subject", ""))
    if subject == "filter":
        filters = scope.get("filters") or {}
        return "filter", ", ".join(f"{key}={value}" for key, value in sorted(filters.items()))
    return subject, record_label(session, subject, scope.get("id"))


def annual_label(session: Session, scope: dict[str, Any]) -> str:
    region = scope.get("region_id")
    parts = [
        str(scope.get("year", "")),
        scope.get("incident_type") or "",
        record_label(session, "place", region) if region else "",
    ]
    return " · ".join(part for part in parts if part)


RECORD_LABELS: dict[str, tuple[Any, str]] = {
    "case": (Case, "code"),
    "person": (Person, "pseudonym_code"),
    "place": (Place, "name"),
    "organisation": (Organisation, "name"),
}


def record_label(session: Session, kind: str, record_id: object) -> str:
    """A record's code or name, deleted records too; the id itself when it is gone."""
    if kind not in RECORD_LABELS or not record_id:
        return str(record_id or "")
    model, attribute = RECORD_LABELS[kind]
    try:
        record = session.get(model, uuid.UUID(str(record_id)))
    except ValueError:
        return str(record_id)
    return str(getattr(record, attribute)) if record is not None else str(record_id)
