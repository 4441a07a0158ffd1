"""Audit entries: who changed which record, when, field by field, in the same transaction."""

import dataclasses
import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, SQLModel, col

from tracker.domain.audit_chain import GENESIS_HASH, ChainHead, canonical_changes, link_after
from tracker.domain.sealing import (
    Keyring,
    SealingError,
    current_keyring,
    is_sealed,
    open_text,
    seal_text,
)
from tracker.models import AuditEntry
from tracker.models.sealed import sealed_columns

# Fields every record has; their changes are implied by the entry itself.
BOOKKEEPING_FIELDS = frozenset(
    {"created_at", "created_by", "updated_at", "updated_by", "version", "deleted_at", "deleted_by"}
)
# Secrets never enter the audit log; an entry says only that they changed.
SECRET_FIELDS = frozenset({"password_hash", "totp_secret", "totp_last_step"})
HIDDEN = "[hidden]"
# Shown for a sealed value of the audit log that no longer opens (another instance's key).
UNREADABLE = "[sealed, cannot be opened]"
# Any fixed number: PostgreSQL writers queue on it so audit sequence numbers never collide.
AUDIT_LOCK_KEY = 741_852_963


def json_safe(value: Any) -> Any:
    """A JSON-ready form of a column value (UUIDs, dates, fuzzy dates, lists)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot audit a value of type {type(value).__name__}")


def record_values(record: SQLModel) -> dict[str, Any]:
    """The record's own fields (bookkeeping left out) as JSON-safe values."""
    return {
        column.key: json_safe(getattr(record, column.key))
        for column in record.__table__.columns  # type: ignore[attr-defined]
        if column.key not in BOOKKEEPING_FIELDS
    }


def diff_values(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level differences: {field: [old, new]} for each field that changed."""
    return {key: [old.get(key), value] for key, value in new.items() if old.get(key) != value}


def hide_secrets(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes with every secret field's values replaced by a marker."""
    return {
        field: [hidden_value(value) for value in values] if field in SECRET_FIELDS else values
        for field, values in changes.items()
    }


def hidden_value(value: Any) -> Any:
    return None if value in (None, "") else HIDDEN


def seal_identity_changes(table_name: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes with every old and new value of a sealed column sealed as the column is
    (an identity value never sits in the audit log in the clear). Raises MasterKeyUnavailable."""
    sealed = sealed_columns().get(table_name, ())
    if not any(field in sealed for field in changes):
        return changes
    keyring = current_keyring()
    return {
        field: [sealed_value(keyring, value, f"{table_name}.{field}") for value in values]
        if field in sealed and isinstance(values, list | tuple)
        else values
        for field, values in changes.items()
    }


def sealed_value(keyring: Keyring, value: Any, context: str) -> Any:
    return seal_text(keyring, value, context) if isinstance(value, str) and value else value


def opened_value(table_name: str, field: str, value: Any) -> Any:
    """A value of an audit entry's changes as it was typed: sealed ones opened (or a marker
    when they cannot be), others as they are."""
    if not is_sealed(value):
        return value
    try:
        return open_text(current_keyring(), value, f"{table_name}.{field}")
    except SealingError:
        return UNREADABLE


def lock_audit_log(session: Session) -> None:
    """Queue behind other writers of the audit log until this transaction ends.

    PostgreSQL: an advisory lock, so two writers never take the same sequence number or chain
    two entries to the same predecessor. SQLite: writing transactions begin IMMEDIATE and so
    hold the database's one write lock already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def audit_chain_head(session: Session) -> ChainHead | None:
    """The last entry's sequence and hash (None for an empty log); lock the log first."""
    statement = (
        select(col(AuditEntry.sequence), col(AuditEntry.entry_hash))
        .order_by(col(AuditEntry.sequence).desc())
        .limit(1)
    )
    row = session.execute(statement).first()
    return None if row is None else ChainHead(int(row[0]), row[1] or "")


def next_link(head: ChainHead | None) -> tuple[int, str]:
    """The sequence number and previous hash of the entry that follows HEAD."""
    return (1, GENESIS_HASH) if head is None else (head.sequence + 1, head.entry_hash)


def add_audit_entry(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    table_name: str,
    record_id: uuid.UUID,
    changes: dict[str, Any],
    reason: str = "",
) -> AuditEntry:
    """Append one audit entry to the session's transaction, chained to the last one."""
    lock_audit_log(session)
    sequence, previous_hash = next_link(audit_chain_head(session))
    entry = AuditEntry(
        sequence=sequence,
        actor_id=actor_id,
        action=action,
        table_name=table_name,
        record_id=record_id,
        # As the JSON column gives them back, so the hash matches what is read later.
        changes=canonical_changes(seal_identity_changes(table_name, hide_secrets(changes))),
        reason=reason,
    )
    entry.previous_hash, entry.entry_hash = link_after(entry.model_dump(), previous_hash)
    session.add(entry)
    session.flush([entry])
    return entry


def history_of(session: Session, *, table_name: str, record_id: uuid.UUID) -> list[AuditEntry]:
    """Every audit entry of one record, oldest first."""
    statement = (
        select(AuditEntry)
        .where(col(AuditEntry.table_name) == table_name, col(AuditEntry.record_id) == record_id)
        .order_by(col(AuditEntry.sequence))
    )
    return list(session.execute(statement).scalars())
