"""Cases (a lawyer's file), campaigns, and the legal actions taken on a case."""

import uuid
from datetime import date

from sqlmodel import Field

from tracker.domain.dates import FuzzyDate
from tracker.models.base import (
    FuzzyDateType,
    TimestampedRecord,
    code_field,
    date_field,
    long_text_field,
    text_field,
)


class Case(TimestampedRecord, table=True):
    """A lawyer's file on one victim or matter: the dossier's unit."""

    __tablename__ = "case_file"

    code: str = Field(max_length=20, unique=True, nullable=False)
    title: str = text_field(max_length=300)
    summary: str = long_text_field()
    status: str = code_field(default="open", index=True)
    lead_lawyer_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class CaseIncident(TimestampedRecord, table=True):
    """Membership of an incident in a case (many-to-many)."""

    __tablename__ = "case_incident"

    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True, nullable=False)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)


class CaseClient(TimestampedRecord, table=True):
    """A person the case's lawyers act for."""

    __tablename__ = "case_client"

    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True, nullable=False)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, nullable=False)


class Campaign(TimestampedRecord, table=True):
    """A named set of incidents from one operation or pattern."""

    __tablename__ = "campaign"

    code: str = Field(max_length=20, unique=True, nullable=False)
    name: str = text_field(max_length=300)
    description: str = long_text_field()


class CampaignIncident(TimestampedRecord, table=True):
    """Membership of an incident in a campaign."""

    __tablename__ = "campaign_incident"

    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True, nullable=False)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True, nullable=False)


class LegalAction(TimestampedRecord, table=True):
    """A complaint, refusal, hearing, judgment, appeal or application on a case."""

    __tablename__ = "legal_action"

    case_id: uuid.UUID = Field(foreign_key="case_file.id", index=True, nullable=False)
    kind: str = code_field()
    forum: str = text_field(max_length=300)
    filed_on: FuzzyDate | None = Field(default=None, sa_type=FuzzyDateType)
    decided_on: FuzzyDate | None = Field(default=None, sa_type=FuzzyDateType)
    served_on: FuzzyDate | None = Field(default=None, sa_type=FuzzyDateType)
    outcome: str = long_text_field()
    sentence_months: int | None = Field(default=None)
    is_final_domestic: bool = Field(default=False, nullable=False)
    # Computed from the decision (ECtHR: 4 months from 1 Feb 2022, else 6); a lawyer confirms.
    deadline_on: date | None = date_field(index=True)
    deadline_needs_confirmation: bool = Field(default=False, nullable=False)
    notes: str = long_text_field()
