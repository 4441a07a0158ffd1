"""Who may see what, and the web sessions and counters that several app servers share."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import TimestampedRecord, UTCDateTime, text_field, utc_now


class RecordRestriction(TimestampedRecord, table=True):
    """A record restricted to named users: once a record has one, only they (and admins) see it."""

    __tablename__ = "record_restriction"
    __table_args__ = (UniqueConstraint("table_name", "record_id", "user_id"),)

    table_name: str = text_field(max_length=60)
    record_id: uuid.UUID = Field(index=True, nullable=False)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, nullable=False)


class UserSession(SQLModel, table=True):
    """A server-side web session; the browser holds only a random token whose hash is the key.

    Kept in the database so that any app server can serve any request, and so that a user or an
    admin can end every session of an account at once.
    """

    __tablename__ = "user_session"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the cookie token, hex
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_account.id", index=True, nullable=True
    )
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=True
    )
    user_agent: str = text_field(max_length=200)


class RateLimitCounter(SQLModel, table=True):
    """One fixed-window counter of the login throttle, shared by every app server."""

    __tablename__ = "rate_limit_counter"

    key: str = Field(primary_key=True, max_length=255)
    count: int = Field(default=0, nullable=False)
    expires_at: float = Field(nullable=False, index=True)  # Unix time


class RecoveryCode(SQLModel, table=True):
    """A one-use recovery code for a lost second factor, stored hashed."""

    __tablename__ = "recovery_code"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, nullable=False)
    code_hash: str = text_field(max_length=300)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
