"""Controlled vocabularies stored as data: stable codes, labels in en, az and ru."""

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from tracker.models.base import TimestampedRecord, code_field, long_text_field, text_field


class VocabularyTerm(TimestampedRecord, table=True):
    """One code of one vocabulary; codes are stored on records, labels are translated."""

    __tablename__ = "vocabulary_term"
    __table_args__ = (UniqueConstraint("vocabulary", "code"),)

    vocabulary: str = code_field(index=True)
    code: str = code_field()
    label_en: str = text_field(max_length=200)
    label_az: str = text_field(max_length=200)
    label_ru: str = text_field(max_length=200)
    description: str = long_text_field()
    sort_order: int = Field(default=0, nullable=False)
    active: bool = Field(default=True, nullable=False)
