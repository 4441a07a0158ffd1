"""The FuzzyDate value: bounds, precision and qualifier, their invariants and spans."""

import contextlib
import re
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, Self, TypeVar

from dateutil.relativedelta import relativedelta

from tracker.domain.errors import InvalidDate


class DatePrecision(StrEnum):
    """How fine a date is; season also covers quarters and early/mid/late thirds of a year."""

    DAY = "day"
    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    DECADE = "decade"
    UNKNOWN = "unknown"


class DateQualifier(StrEnum):
    """How the bounds relate to what was said."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    BEFORE = "before"
    AFTER = "after"
    BETWEEN = "between"


class Overlap(StrEnum):
    """How a fuzzy date lies against a reporting period."""

    WHOLLY_WITHIN = "wholly_within"
    PARTLY_WITHIN = "partly_within"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class FuzzyDate:
    """A date as a person gave it, with inclusive bounds; None marks an open or unknown bound.

    `reference_date` is when the account was given; relative phrases ("2 years ago") are
    counted from it, and `format_fuzzy_date` needs it to write them back. Building one whose
    bounds contradict its precision or qualifier raises InvalidDate.
    """

    original_text: str
    earliest: date | None
    latest: date | None
    precision: DatePrecision
    qualifier: DateQualifier
    reference_date: date | None = None

    def __post_init__(self) -> None:
        _check_field_types(self)
        _check_bounds(self)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Earliest, then latest; an open bound borrows the other; unknown sorts last."""
        bounds = [bound for bound in (self.earliest, self.latest) if bound is not None]
        if not bounds:
            return (1, 0, 0)
        return (0, bounds[0].toordinal(), bounds[-1].toordinal())

    def to_dict(self) -> dict[str, str | None]:
        """The date as plain strings for storage and interchange."""
        return {
            "original_text": self.original_text,
            "earliest": _iso_or_none(self.earliest),
            "latest": _iso_or_none(self.latest),
            "precision": self.precision.value,
            "qualifier": self.qualifier.value,
            "reference_date": _iso_or_none(self.reference_date),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        """Rebuild a date from `to_dict` output; raises InvalidDate on missing or bad fields."""
        _check_keys(data)
        return cls(
            original_text=_text_field(data, "original_text"),
            earliest=_date_field(data, "earliest"),
            latest=_date_field(data, "latest"),
            precision=_enum_field(DatePrecision, data, "precision"),
            qualifier=_enum_field(DateQualifier, data, "qualifier"),
            reference_date=_date_field(data, "reference_date"),
        )


# --- invariants and the dictionary form --------------------------------------------------

_OPEN_BOUNDS = {DateQualifier.BEFORE: (True, False), DateQualifier.AFTER: (False, True)}
_REQUIRED_KEYS = ("original_text", "earliest", "latest", "precision", "qualifier")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EnumT = TypeVar("_EnumT", bound=StrEnum)


def _check_field_types(fuzzy: FuzzyDate) -> None:
    if not isinstance(fuzzy.original_text, str):
        raise InvalidDate("A date's original text must be text.")
    if not isinstance(fuzzy.precision, DatePrecision):
        raise InvalidDate(f"Unknown date precision {fuzzy.precision!r}.")
    if not isinstance(fuzzy.qualifier, DateQualifier):
        raise InvalidDate(f"Unknown date qualifier {fuzzy.qualifier!r}.")
    for bound in (fuzzy.earliest, fuzzy.latest, fuzzy.reference_date):
        # A datetime compares with a date only by raising TypeError, so keep them out.
        if bound is not None and (not isinstance(bound, date) or isinstance(bound, datetime)):
            raise InvalidDate("Date bounds must be calendar days.")


def _check_bounds(fuzzy: FuzzyDate) -> None:
    if fuzzy.precision is DatePrecision.UNKNOWN:
        if (fuzzy.earliest, fuzzy.latest, fuzzy.qualifier) != (None, None, DateQualifier.EXACT):
            raise InvalidDate("An unknown date has no bounds and no qualifier.")
        return
    open_earliest, open_latest = _OPEN_BOUNDS.get(fuzzy.qualifier, (False, False))
    if (fuzzy.earliest is None) != open_earliest or (fuzzy.latest is None) != open_latest:
        raise InvalidDate(f"A date qualified '{fuzzy.qualifier}' has the wrong bounds open.")
    if fuzzy.earliest is not None and fuzzy.latest is not None and fuzzy.earliest > fuzzy.latest:
        raise InvalidDate("A date's earliest day comes after its latest day.")


def _iso_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _check_keys(data: Mapping[str, object]) -> None:
    if not isinstance(data, Mapping):
        raise InvalidDate("A stored date must be a mapping of fields.")
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    unknown = sorted(str(key) for key in data if key not in (*_REQUIRED_KEYS, "reference_date"))
    if missing or unknown:
        raise InvalidDate(f"Stored date fields missing: {missing}; not recognised: {unknown}.")


def _text_field(data: Mapping[str, object], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise InvalidDate(f"Stored date field {key} must be text.")
    return value


def _date_field(data: Mapping[str, object], key: str) -> date | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise InvalidDate(f"Stored date field {key} must be a YYYY-MM-DD day or null.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidDate(f"Stored date field {key} is not a real day: {value}.") from None


def _enum_field(kind: type[_EnumT], data: Mapping[str, object], key: str) -> _EnumT:
    value = data[key]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return kind(value)
    raise InvalidDate(f"Stored date field {key} has an unknown value {value!r}.")


UNKNOWN_DATE = FuzzyDate("unknown", None, None, DatePrecision.UNKNOWN, DateQualifier.EXACT)


# --- calendar spans and checked arithmetic, for parsing and formatting -----------------


class _Season(NamedTuple):
    key: str
    first_month: int
    month_count: int
    label: str


_SEASONS = (
    _Season("spring", 3, 3, "spring {year}"),
    _Season("summer", 6, 3, "summer {year}"),
    _Season("autumn", 9, 3, "autumn {year}"),
    _Season("winter", 12, 3, "winter {year}/{next_year}"),
    _Season("q1", 1, 3, "Q1 {year}"),
    _Season("q2", 4, 3, "Q2 {year}"),
    _Season("q3", 7, 3, "Q3 {year}"),
    _Season("q4", 10, 3, "Q4 {year}"),
    _Season("early", 1, 4, "early {year}"),
    _Season("mid", 5, 4, "mid {year}"),
    _Season("late", 9, 4, "late {year}"),
)
_SEASONS_BY_KEY = {season.key: season for season in _SEASONS}
_PRECISION_ORDER = (
    DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.SEASON,
    DatePrecision.YEAR, DatePrecision.DECADE,
)  # fmt: skip
_UNIT_STEPS = {
    "year": (relativedelta(years=1), DatePrecision.YEAR),
    "month": (relativedelta(months=1), DatePrecision.MONTH),
    "day": (relativedelta(days=1), DatePrecision.DAY),
}


def _check_year(year: int) -> int:
    if not 1 <= year <= 9999:
        raise InvalidDate(f"Year {year} is out of range.")
    return year


def _check_month(month: int) -> int:
    if not 1 <= month <= 12:
        raise InvalidDate(f"There is no month {month}: months run from 1 to 12.")
    return month


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _season_bounds(season: _Season, year: int) -> tuple[date, date]:
    last_month = season.first_month + season.month_count - 1
    end_year = _check_year(_check_year(year) + (last_month - 1) // 12)
    return date(year, season.first_month, 1), _month_bounds(end_year, (last_month - 1) % 12 + 1)[1]


def _shift_day(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise InvalidDate("The date is out of range.") from None


def _step_back(anchor: date, step: relativedelta, times: int) -> date:
    try:
        return anchor - step * times
    except (ValueError, OverflowError):
        raise InvalidDate("That is too long ago to count from the date given.") from None


def _closed_bounds(fuzzy: FuzzyDate) -> tuple[date, date]:
    if fuzzy.earliest is None or fuzzy.latest is None:
        raise InvalidDate("A range needs dates with both ends known.")
    return fuzzy.earliest, fuzzy.latest


# --- comparing dates with periods and with each other ------------------------------------


def overlaps(fuzzy: FuzzyDate, period_start: date, period_end: date) -> Overlap:
    """Where the date lies against a period; unknown is outside, open bounds run forever.

    Raises InvalidDate when the period ends before it starts.
    """
    if period_end < period_start:
        raise InvalidDate("The period ends before it starts.")
    if fuzzy.precision is DatePrecision.UNKNOWN:
        return Overlap.OUTSIDE
    low, high = fuzzy.earliest or date.min, fuzzy.latest or date.max
    if period_start <= low and high <= period_end:
        return Overlap.WHOLLY_WITHIN
    if high < period_start or low > period_end:
        return Overlap.OUTSIDE
    return Overlap.PARTLY_WITHIN


def falls_wholly_within(fuzzy: FuzzyDate, period_start: date, period_end: date) -> bool:
    """Whether the whole range lies in the period, as annual counts need.

    Raises InvalidDate when the period ends before it starts.
    """
    return overlaps(fuzzy, period_start, period_end) is Overlap.WHOLLY_WITHIN
