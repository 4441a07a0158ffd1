"""What every record page shares: its revision history and the two-versions conflict view."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.identity import WITHHELD, is_identity_field
from tracker.models import UserAccount
from tracker.models.base import TimestampedRecord
from tracker.services.audit import history_of, opened_value
from tracker.services.records import table_name_of
from tracker.services.restrictions import Viewer

EMPTY_VALUES: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Revision:
    """One audited change of a record, as a history table shows it."""

    occurred_at: datetime
    author: str
    action: str
    changes: tuple[FieldChange, ...]
    reason: str


def record_history(
    db: Session, viewer: Viewer, model: type[TimestampedRecord], record_id: uuid.UUID
) -> list[Revision]:
    """The record's revisions, newest first, identity values withheld from those not allowed."""
    table_name = table_name_of(model)
    entries = history_of(db, table_name=table_name, record_id=record_id)
    authors = usernames(db, {entry.actor_id for entry in entries if entry.actor_id})
    return [
        Revision(
            occurred_at=entry.occurred_at,
            author=authors.get(entry.actor_id, "system") if entry.actor_id else "system",
            action=entry.action,
            changes=visible_changes(table_name, entry.changes, viewer),
            reason=entry.reason,
        )
        for entry in reversed(entries)
    ]


def visible_changes(
    table_name: str, changes: Mapping[str, Any], viewer: Viewer
) -> tuple[FieldChange, ...]:
    def shown(field: str, value: Any) -> Any:
        hidden = is_identity_field(table_name, field) and not viewer.sees_identity
        if hidden and value not in (None, ""):
            return WITHHELD
        return opened_value(table_name, field, value)

    return tuple(
        FieldChange(field, shown(field, values[0]), shown(field, values[1]))
        for field, values in sorted(changes.items())
        if isinstance(values, list | tuple) and len(values) == 2 and not both_empty(*values)
    )


def both_empty(old: Any, new: Any) -> bool:
    """A field created empty says nothing worth a line of history."""
    return old in EMPTY_VALUES and new in EMPTY_VALUES


def usernames(db: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    statement = select(col(UserAccount.id), col(UserAccount.username)).where(
        col(UserAccount.id).in_(user_ids)
    )
    return {row.id: row.username for row in db.execute(statement)}


@dataclass(frozen=True)
class ConflictRow:
    """One field that differs between what the user typed and what is saved now."""

    field: str
    label: str
    yours: Any
    theirs: Any


def conflict_rows(
    yours: Mapping[str, Any], theirs: Mapping[str, Any], labels: Mapping[str, str]
) -> list[ConflictRow]:
    """The fields where the user's version and the saved version differ, in the form's order."""
    return [
        ConflictRow(field, labels.get(field, field), yours[field], theirs.get(field))
        for field in yours
        if field in theirs and display_value(yours[field]) != display_value(theirs.get(field))
    ]


def display_value(value: Any) -> str:
    return "" if value is None else str(value)
