"""Incidents, the roles people and bodies played in them, and typed links between them."""

import uuid
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Index, text
from sqlmodel import Field

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate
from tracker.models.base import (
    TimestampedRecord,
    code_field,
    date_field,
    long_text_field,
    text_field,
)


class Incident(TimestampedRecord, table=True):
    """One event at one time and one place."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_start_range", "start_earliest", "start_latest"),
        # The default list order (DOMAIN §4: earliest, then latest, an open bound borrowing
        # the other), so a first page reads 50 index entries instead of sorting every incident.
        Index(
            "ix_incident_date_order",
            text("coalesce(start_earliest, start_latest)"),
            text("coalesce(start_latest, start_earliest)"),
            "code",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # Newest first, as the list shows by default. PostgreSQL reads an ascending index
        # backwards as DESC NULLS FIRST, which would put undated incidents first; SQLite's
        # planner reads the index above backwards and needs none.
        Index(
            "ix_incident_date_order_desc",
            text("coalesce(start_earliest, start_latest) DESC NULLS LAST"),
            text("coalesce(start_latest, start_earliest) DESC NULLS LAST"),
            text("code DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ).ddl_if(dialect="postgresql"),
        # The dashboard's recently changed incidents: ten index entries, not a sort of all.
        Index("ix_incident_updated_at", "updated_at"),
        CheckConstraint(
            "reported_victims_min IS NULL OR reported_victims_max IS NULL"
            " OR reported_victims_min <= reported_victims_max",
            name="reported_victims_order",
        ),
    )

    code: str = Field(max_length=20, unique=True, nullable=False)
    title: str = text_field(max_length=300)
    type: str = code_field(index=True)
    secondary_types: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # ECHR articles the facts engage (codes of the `violation` vocabulary); a lawyer's call.
    violations: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    # The start and end as the witness said them; bounds are inclusive days, None when open.
    start_text: str = text_field(max_length=200)
    start_earliest: date | None = date_field()
    start_latest: date | None = date_field()
    start_precision: str = code_field(default="unknown")
    start_qualifier: str = code_field(default="exact")
    end_text: str | None = Field(default=None, max_length=200)
    end_earliest: date | None = date_field()
    end_latest: date | None = date_field()
    end_precision: str | None = Field(default=None, max_length=40)
    end_qualifier: str | None = Field(default=None, max_length=40)
    place_id: uuid.UUID | None = Field(default=None, foreign_key="place.id", index=True)
    summary: str = long_text_field()
    narrative: str = long_text_field()
    # Aggregate-only events ("nearly 100") count as incidents, never as victims.
    reported_victims_text: str = text_field(max_length=200)
    reported_victims_min: int | None = Field(default=None)
    reported_victims_max: int | None = Field(default=None)
    verification_status: str = code_field(default="unverified", index=True)
    sector: str = text_field(max_length=100)
    # Set when a fact (often the year) was inferred from context rather than stated.
    inferred_note: str = text_field(max_length=500)
    publishable: bool = Field(default=False, nullable=False)

    @property
    def start(self) -> FuzzyDate:
        return FuzzyDate(
            original_text=self.start_text,
            earliest=self.start_earliest,
            latest=self.start_latest,
            precision=DatePrecision(self.start_precision),
            qualifier=DateQualifier(self.start_qualifier),
        )

    @property
    def end(self) -> FuzzyDate | None:
        if self.end_text is None:
            return None
        return FuzzyDate(
            original_text=self.end_text,
            earliest=self.end_earliest,
            latest=self.end_latest,
            precision=DatePrecision(self.end_precision or "unknown"),
            qualifier=DateQualifier(self.end_qualifier or "exact"),
        )


class Involvement(TimestampedRecord, table=True):
    """A person or an organisation in an incident, in one role, with that role's details."""

    __tablename__ = "involvement"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (organisation_id IS NULL)", name="person_or_organisation"
        ),
        CheckConstraint(
            "duration_days_min IS NULL OR duration_days_min >= 0", name="duration_not_negative"
        ),
        CheckConstraint(
            "duration_days_min IS NULL OR duration_days_max IS NULL"
            " OR duration_days_min <= duration_days_max",
            name="duration_order",
        ),
        Index("ix_involvement_role_person", "role", "person_id"),
    )

    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True)
    organisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    role: str = code_field()
    # Victim details.
    injuries: str = long_text_field()
    duration_text: str = text_field(max_length=200)
    duration_days_min: int | None = Field(default=None)
    duration_days_max: int | None = Field(default=None)
    charges: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    outcome: str = long_text_field()
    # Perpetrator details.
    perpetrator_type: str | None = Field(default=None, max_length=40, index=True)
    unit_organisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    identified: bool | None = Field(default=None)
    # Witness details: direct or hearsay.
    witness_kind: str | None = Field(default=None, max_length=40)
    notes: str = long_text_field()


class IncidentLink(TimestampedRecord, table=True):
    """A typed link between two incidents: precedes, retaliation_for, same_operation, duplicate."""

    __tablename__ = "incident_link"
    __table_args__ = (CheckConstraint("from_incident_id <> to_incident_id", name="no_self_link"),)

    from_incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)
    to_incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)
    link_type: str = code_field()
    note: str = long_text_field()
