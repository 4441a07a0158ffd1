"""Organisations: police stations, ministries, courts, media outlets, NGOs, state-linked bodies."""

import uuid

from sqlmodel import Field

from tracker.models.base import TimestampedRecord, code_field, long_text_field, text_field


class Organisation(TimestampedRecord, table=True):
    """A body or unit, in a hierarchy (station → district → city police → ministry)."""

    __tablename__ = "organisation"

    name: str = text_field(max_length=300)
    kind: str = code_field(index=True)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    state_relation: str = code_field(default="unknown")
    perpetrator_type: str = code_field(default="unknown", index=True)
    place_id: uuid.UUID | None = Field(default=None, foreign_key="place.id")
    # Allegations about an organisation are citations on incidents, never attributes here.
    description: str = long_text_field()


class OrganisationAlias(TimestampedRecord, table=True):
    """Another name of an organisation; `folded` is the search key."""

    __tablename__ = "organisation_alias"

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True, nullable=False)
    text: str = text_field(max_length=300)
    script: str = code_field(default="latn")
    folded: str = Field(default="", max_length=300, index=True, nullable=False)
