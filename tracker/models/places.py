"""Places as a tree from country to site, with aliases in several scripts."""

import uuid

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from tracker.models.base import TimestampedRecord, code_field, text_field


class Place(TimestampedRecord, table=True):
    """A node of the place tree: country, first-level unit, district or town, site, online."""

    __tablename__ = "place"
    __table_args__ = (
        CheckConstraint("geo_precision BETWEEN 1 AND 5", name="geo_precision_range"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"
        ),
    )

    name: str = text_field(max_length=200)
    kind: str = code_field()
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="place.id", index=True)
    # After ACLED: 1 site, 2 district or town, 3 first-level unit, 4 country, 5 unknown.
    geo_precision: int = Field(default=5, nullable=False)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    # Homes and shelters: never carry coordinates, never leave the internal level.
    sensitive: bool = Field(default=False, nullable=False)
    platform: str = text_field(max_length=100)


class PlaceAlias(TimestampedRecord, table=True):
    """Another name of a place (Bakı / Baku / Баку); `folded` is the search key."""

    __tablename__ = "place_alias"

    place_id: uuid.UUID = Field(foreign_key="place.id", index=True, nullable=False)
    text: str = text_field(max_length=200)
    script: str = code_field(default="latn")
    folded: str = Field(default="", max_length=200, index=True, nullable=False)
