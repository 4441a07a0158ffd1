"""Dates as people give them: one import for the value, its parsing and its formatting."""

from tracker.domain.date_formatting import describe_fuzzy_date, format_fuzzy_date
from tracker.domain.date_parsing import parse_fuzzy_date
from tracker.domain.date_words import MAX_TEXT_LENGTH
from tracker.domain.errors import InvalidDate
from tracker.domain.fuzzy_date import (
    UNKNOWN_DATE,
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    Overlap,
    falls_wholly_within,
    overlaps,
)

__all__ = [
    "MAX_TEXT_LENGTH",
    "UNKNOWN_DATE",
    "DatePrecision",
    "DateQualifier",
    "FuzzyDate",
    "Overlap",
    "describe_fuzzy_date",
    "falls_wholly_within",
    "format_fuzzy_date",
    "overlaps",
    "parse_fuzzy_date",
    "validate_date_order",
]


def validate_date_order(start: FuzzyDate, end: FuzzyDate | None) -> None:
    """Refuse an end wholly before its start; overlapping dates are fine.

    Raises InvalidDate when end.latest < start.earliest.
    """
    if end is None or end.latest is None or start.earliest is None:
        return
    if end.latest < start.earliest:
        raise InvalidDate(
            f"The end ({describe_fuzzy_date(end)}) is before the start "
            f"({describe_fuzzy_date(start)})."
        )
