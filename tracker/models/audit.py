"""The audit log: every change to a record, who made it and when, field by field, hash-chained."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime, code_field, utc_now


class AuditEntry(SQLModel, table=True):
    """One change: which record, which action, old and new value of each field."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_record", "table_name", "record_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Monotonic order of entries; timestamps alone can tie. Set by add_audit_entry.
    sequence: int | None = Field(default=None, unique=True, nullable=False)
    occurred_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=True
    )
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = code_field()
    table_name: str = Field(max_length=60, nullable=False)
    record_id: uuid.UUID = Field(nullable=False)
    # {field: [old, new]} in JSON-safe form; identity fields are included (audit is internal).
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    reason: str = Field(default="", max_length=500, nullable=False)
    # The hash chain (tracker.domain.audit_chain): SHA-256 in hex of the entry before (64 zeros
    # for the first) and of this entry's content with that link. Set by add_audit_entry; an
    # entry written any other way lacks them, and the database refuses it.
    previous_hash: str | None = Field(default=None, sa_type=String(64), nullable=False)
    entry_hash: str | None = Field(default=None, sa_type=String(64), nullable=False)
