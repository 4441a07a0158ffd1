"""Persons, their names, consents and merges of duplicates."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Connection, event
from sqlalchemy.orm import Mapper
from sqlmodel import Field

from tracker.domain.sealing import blind_index, current_keyring
from tracker.models.base import (
    TimestampedRecord,
    UTCDateTime,
    code_field,
    date_field,
    long_text_field,
    text_field,
)
from tracker.models.sealed import blind_index_field, sealed_field


class Person(TimestampedRecord, table=True):
    """A victim, perpetrator, witness, lawyer or source contact; roles sit on involvements."""

    __tablename__ = "person"

    # Server-assigned, e.g. V-2017-014; never from initials or birth dates, never reused.
    pseudonym_code: str = Field(max_length=12, unique=True, nullable=False)
    # Identity fields: shown only to roles that may see them, withheld below the legal level,
    # and sealed at rest under the master key (tracker.models.sealed; docs/security.md).
    real_name: str = sealed_field("person.real_name", max_length=200)
    contact_info: str = sealed_field("person.contact_info")
    exact_address: str = sealed_field("person.exact_address")
    identity_notes: str = sealed_field("person.identity_notes")
    gender_identity: str = sealed_field("person.gender_identity", max_length=200)
    sexual_orientation: str = sealed_field("person.sexual_orientation", max_length=200)
    age_band: str = code_field(default="unknown")
    deceased: bool = Field(default=False, nullable=False)
    description: str = long_text_field()
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True)
    # The real name's blind index (HMAC of it folded), for exact lookups; set with real_name.
    name_index: str = blind_index_field()


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def index_real_name(_mapper: Mapper[Any], _connection: Connection, person: Person) -> None:
    """Keep the real name's blind index in step with it (the digest, never the name, so the
    audit entry written after the flush holds no name)."""
    person.name_index = blind_index(current_keyring(), person.real_name or "")


class PersonName(TimestampedRecord, table=True):
    """One name of a person as typed: legal, chosen, nickname, transliteration, as published."""

    __tablename__ = "person_name"

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, nullable=False)
    text: str = sealed_field("person_name.text", max_length=200)
    script: str = code_field(default="latn")
    kind: str = code_field(default="as_published")
    citation_id: uuid.UUID | None = Field(default=None, foreign_key="citation.id")
    # The name's blind index (HMAC of it folded), never the name: exact lookups only.
    folded: str = blind_index_field()


class Consent(TimestampedRecord, table=True):
    """A dated, withdrawable permission of one person for one scope; the latest wins."""

    __tablename__ = "consent"

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, nullable=False)
    scope: str = code_field()
    status: str = code_field()
    decided_on: date | None = date_field(nullable=False)
    recorded_by: uuid.UUID | None = Field(default=None)
    method: str = text_field(max_length=200)
    note: str = long_text_field()


class PersonMerge(TimestampedRecord, table=True):
    """A merge of a duplicate person into a survivor, kept so it can be undone."""

    __tablename__ = "person_merge"

    survivor_id: uuid.UUID = Field(foreign_key="person.id", index=True, nullable=False)
    merged_id: uuid.UUID = Field(foreign_key="person.id", index=True, nullable=False)
    reason: str = long_text_field()
    # What the merge moved, so undoing it puts every name and involvement back.
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_by: uuid.UUID | None = Field(default=None)
