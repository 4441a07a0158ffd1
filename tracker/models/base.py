"""Shared columns and column types of every tracker record."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from tracker.domain.dates import FuzzyDate

# Stable constraint names let Alembic compare the same schema on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """The current time in UTC, to the microsecond."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class FuzzyDateType(TypeDecorator[FuzzyDate]):
    """A FuzzyDate kept whole as JSON, for dates no list filters on."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: FuzzyDate | None, dialect: Dialect) -> Any:
        return None if value is None else value.to_dict()

    def process_result_value(self, value: Any, dialect: Dialect) -> FuzzyDate | None:
        return None if value is None else FuzzyDate.from_dict(value)


def code_field(*, index: bool = False, nullable: bool = False, default: Any = None) -> Any:
    """A column holding a controlled-vocabulary code."""
    return Field(default=default, max_length=40, index=index, nullable=nullable, sa_type=String(40))


def text_field(*, max_length: int, nullable: bool = False, default: Any = "") -> Any:
    """A bounded text column."""
    return Field(
        default=default, max_length=max_length, nullable=nullable, sa_type=String(max_length)
    )


def long_text_field(*, nullable: bool = False, default: Any = "") -> Any:
    """An unbounded text column (narratives, notes)."""
    return Field(default=default, nullable=nullable, sa_type=Text)


def date_field(*, nullable: bool = True, index: bool = False) -> Any:
    """A calendar-day column."""
    return Field(default=None, nullable=nullable, index=index, sa_type=Date)


class TimestampedRecord(SQLModel):
    """Columns every record carries: stable UUID, who and when, version and soft deletion."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    created_by: uuid.UUID | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    updated_by: uuid.UUID | None = Field(default=None)
    # Optimistic concurrency: an update names the version it read and fails if it moved on.
    version: int = Field(default=1, nullable=False)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    deleted_by: uuid.UUID | None = Field(default=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


__all__ = [
    "FuzzyDateType",
    "TimestampedRecord",
    "UTCDateTime",
    "code_field",
    "date_field",
    "long_text_field",
    "text_field",
    "utc_now",
]
