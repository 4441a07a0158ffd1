"""User accounts and roles (the web application signs them in)."""

import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from tracker.models.base import TimestampedRecord, code_field, text_field


class Role(TimestampedRecord, table=True):
    """A role: admin, documenter, reviewer, lawyer, analyst."""

    __tablename__ = "role"

    code: str = Field(max_length=40, unique=True, nullable=False)
    label: str = text_field(max_length=100)


class UserAccount(TimestampedRecord, table=True):
    """A person who signs in; created by an admin, never by open registration."""

    __tablename__ = "user_account"

    username: str = Field(max_length=100, unique=True, nullable=False)
    display_name: str = text_field(max_length=200)
    password_hash: str = text_field(max_length=300)
    must_change_password: bool = Field(default=True, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    # The second factor: a TOTP secret, and the last time step used so no code works twice.
    totp_secret: str | None = Field(default=None, max_length=64, nullable=True)
    totp_last_step: int | None = Field(default=None, nullable=True)
    language: str | None = Field(default=None, max_length=5, nullable=True)


class UserRole(TimestampedRecord, table=True):
    """A role held by a user."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role_code"),)

    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, nullable=False)
    role_code: str = code_field()
