"""Sources, graded citations, evidence items and their custody log."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from tracker.domain.dates import FuzzyDate
from tracker.models.base import (
    FuzzyDateType,
    TimestampedRecord,
    UTCDateTime,
    code_field,
    date_field,
    long_text_field,
    text_field,
)


class Source(TimestampedRecord, table=True):
    """Where knowledge came from, graded for reliability (A–F; unset means F)."""

    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="reliability_grade"),
    )

    kind: str = code_field(index=True)
    title: str = text_field(max_length=500)
    citation_text: str = long_text_field()
    url: str = text_field(max_length=2000)
    contact_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    published_on: FuzzyDate | None = Field(default=None, sa_type=FuzzyDateType)
    accessed_on: date | None = date_field()
    reliability: str = Field(default="F", max_length=1, nullable=False)


class Citation(TimestampedRecord, table=True):
    """One source's claim about one incident, graded for credibility (1–6; unset means 6)."""

    __tablename__ = "citation"
    __table_args__ = (CheckConstraint("credibility BETWEEN 1 AND 6", name="credibility_grade"),)

    source_id: uuid.UUID = Field(foreign_key="source.id", index=True, nullable=False)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)
    locator: str = text_field(max_length=500)
    claim: str = long_text_field()
    credibility: int = Field(default=6, nullable=False)


class Evidence(TimestampedRecord, table=True):
    """A file or object with its server-computed hash; originals never change."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name="size_not_negative"),
    )

    incident_id: uuid.UUID | None = Field(default=None, foreign_key="incident.id", index=True)
    title: str = text_field(max_length=500)
    kind: str = code_field()
    file_name: str = text_field(max_length=255)
    media_type: str = text_field(max_length=100)
    size_bytes: int | None = Field(default=None)
    sha256: str = Field(default="", max_length=64, index=True, nullable=False)
    url: str = text_field(max_length=2000)
    captured_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    collected_by: str = text_field(max_length=200)
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Berkeley Protocol stage; moves only forward, each move logged.
    stage: str = code_field(default="online_inquiry")
    derived_from_id: uuid.UUID | None = Field(default=None, foreign_key="evidence.id")
    description: str = long_text_field()
    # The file's random name in the evidence store; empty when the tracker holds no file.
    storage_key: str = Field(default="", max_length=64, nullable=False)
    # How an automatic copy was made from derived_from ("metadata_removed"); "" otherwise.
    derivation: str = code_field(default="")


class CustodyEntry(TimestampedRecord, table=True):
    """One append-only step in an evidence item's chain of custody."""

    __tablename__ = "custody_entry"

    evidence_id: uuid.UUID = Field(foreign_key="evidence.id", index=True, nullable=False)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = text_field(max_length=200)
    action: str = code_field()
    holders: str = text_field(max_length=500)
    sha256_seen: str = Field(default="", max_length=64, nullable=False)
    note: str = long_text_field()
    # From where: the client's address, or cli@<host> for the command line.
    origin: str = text_field(max_length=200)


class EvidenceFileKey(SQLModel, table=True):
    """The data key of one stored evidence file, wrapped under the master key (never in the
    clear): "<master key id>.<wrapped key>" (tracker.domain.sealed_files). Keyed by the file's
    name in the store, so an original and its copy each have their own. Not a record: it is
    never audited (a wrapped key in the audit log would outlive a rotation) and never leaves
    in an interchange file; `tracker keys rotate` rewraps it in the rotation's transaction."""

    __tablename__ = "evidence_file_key"

    storage_key: str = Field(primary_key=True, max_length=64)
    wrapped_key: str = Field(max_length=100, nullable=False)
