"""Write fuzzy dates back: canonical text that parses to the same date, and descriptions."""

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import NamedTuple

from tracker.domain.date_words import _MONTH_NAMES, _fold
from tracker.domain.errors import InvalidDate
from tracker.domain.fuzzy_date import (
    _OPEN_BOUNDS,
    _PRECISION_ORDER,
    _SEASONS,
    _UNIT_STEPS,
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    _closed_bounds,
    _month_bounds,
    _Season,
    _season_bounds,
)

# --- periods with names: what format and describe write --------------------------------------


class _Period(NamedTuple):
    start: date
    end: date
    label: str


def _day_label(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _day_periods(day: date) -> list[_Period]:
    return [_Period(day, day, _day_label(day))]


def _month_periods(day: date) -> list[_Period]:
    label = f"{_MONTH_NAMES[day.month - 1]} {day.year}"
    return [_Period(*_month_bounds(day.year, day.month), label)]


def _season_period(season: _Season, year: int) -> _Period | None:
    try:
        start, end = _season_bounds(season, year)
    except InvalidDate:
        return None
    return _Period(start, end, season.label.format(year=year, next_year=year + 1))


def _season_periods(day: date) -> list[_Period]:
    periods = (_season_period(season, year) for year in (day.year - 1, day.year)
               for season in _SEASONS)  # fmt: skip
    return [period for period in periods if period and period.start <= day <= period.end]


def _year_periods(day: date) -> list[_Period]:
    return [_Period(date(day.year, 1, 1), date(day.year, 12, 31), str(day.year))]


def _decade_periods(day: date) -> list[_Period]:
    start = day.year // 10 * 10
    if start < 1:
        return []
    return [_Period(date(start, 1, 1), date(start + 9, 12, 31), f"{start}s")]


_PERIODS: dict[DatePrecision, Callable[[date], list[_Period]]] = {
    DatePrecision.DAY: _day_periods,
    DatePrecision.MONTH: _month_periods,
    DatePrecision.SEASON: _season_periods,
    DatePrecision.YEAR: _year_periods,
    DatePrecision.DECADE: _decade_periods,
}


def _label_precisions(precision: DatePrecision) -> Iterator[DatePrecision]:
    """The precision itself, then finer ones; a season is only named when it is the precision.

    Every season starts and ends with a month, so "March 2017" reads better than "spring 2017"
    as the start of a range of years, and parses back the same.
    """
    yield precision
    for finer in reversed(_PRECISION_ORDER[: _PRECISION_ORDER.index(precision)]):
        if finer is not DatePrecision.SEASON:
            yield finer


def _period_label(start: date, end: date, precision: DatePrecision) -> str | None:
    periods = _PERIODS[precision](start)
    matching = (period for period in periods if (period.start, period.end) == (start, end))
    return next((period.label for period in matching), None)


def _label_from(start: date, precision: DatePrecision) -> str:
    """The coarsest named period, no coarser than `precision`, that begins on `start`."""
    for finer in _label_precisions(precision):
        for period in _PERIODS[finer](start):
            if period.start == start:
                return period.label
    return _day_label(start)


def _label_until(end: date, precision: DatePrecision) -> str:
    """The coarsest named period, no coarser than `precision`, that ends on `end`."""
    for finer in _label_precisions(precision):
        for period in _PERIODS[finer](end):
            if period.end == end:
                return period.label
    return _day_label(end)


def _next_day(day: date) -> date:
    return day + timedelta(days=1) if day < date.max else day


def _previous_day(day: date) -> date:
    return day - timedelta(days=1) if day > date.min else day


# --- format: canonical text that parses back to the same date -------------------------------


def _format_span(fuzzy: FuzzyDate) -> str:
    start, end = _closed_bounds(fuzzy)
    precision = fuzzy.precision
    return f"between {_label_from(start, precision)} and {_label_until(end, precision)}"


def _format_exact(fuzzy: FuzzyDate) -> str:
    if fuzzy.precision is DatePrecision.UNKNOWN:
        return "unknown"
    return _period_label(*_closed_bounds(fuzzy), fuzzy.precision) or _format_span(fuzzy)


def _relative_count(fuzzy: FuzzyDate, anchor: date) -> int | None:
    latest = _closed_bounds(fuzzy)[1]
    units = {
        DatePrecision.YEAR: anchor.year - latest.year,
        DatePrecision.MONTH: (anchor.year - latest.year) * 12 + anchor.month - latest.month,
        DatePrecision.DAY: (anchor - latest).days,
    }
    return None if fuzzy.precision not in units else units[fuzzy.precision] + 1


def _format_relative(fuzzy: FuzzyDate) -> str | None:
    anchor = fuzzy.reference_date
    count = None if anchor is None else _relative_count(fuzzy, anchor)
    if anchor is None or count is None or count < 1:
        return None
    unit = fuzzy.precision.value
    step = _UNIT_STEPS[unit][0]
    try:
        bounds = (anchor - step * (count + 1), anchor - step * (count - 1))
    except (ValueError, OverflowError):
        return None
    if bounds != _closed_bounds(fuzzy):
        return None
    plural = "" if count == 1 else "s"
    return f"about {count} {unit}{plural} ago, said {anchor.isoformat()}"


def _format_approximate(fuzzy: FuzzyDate) -> str:
    label = _period_label(*_closed_bounds(fuzzy), fuzzy.precision)
    if label:
        return f"about {label}"
    # Bounds that name no period come from a relative phrase, else only the span is left.
    return _format_relative(fuzzy) or _format_span(fuzzy)


def _format_before(fuzzy: FuzzyDate) -> str:
    latest = fuzzy.latest or date.max
    return f"before {_label_from(_next_day(latest), fuzzy.precision)}"


def _format_after(fuzzy: FuzzyDate) -> str:
    earliest = fuzzy.earliest or date.min
    return f"after {_label_until(_previous_day(earliest), fuzzy.precision)}"


_FORMATTERS: dict[DateQualifier, Callable[[FuzzyDate], str]] = {
    DateQualifier.EXACT: _format_exact,
    DateQualifier.APPROXIMATE: _format_approximate,
    DateQualifier.BEFORE: _format_before,
    DateQualifier.AFTER: _format_after,
    DateQualifier.BETWEEN: _format_span,
}


def format_fuzzy_date(fuzzy: FuzzyDate) -> str:
    """Canonical English that parse_fuzzy_date reads back to the same bounds and kind.

    Exact for every date parse_fuzzy_date makes; bounds that name no period (possible only
    through from_dict) are written as a range of days. Raises nothing.
    """
    return _FORMATTERS[fuzzy.qualifier](fuzzy)


# --- describe: as entered, then normalised ------------------------------------------------

_MONTH_ABBREVIATIONS = tuple(name[:3] for name in _MONTH_NAMES)


def _day_span_text(start: date, end: date) -> str:
    if start == end:
        return _day_label(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{_day_label(end)}"
    if start.year == end.year:
        return f"{start.day} {_MONTH_NAMES[start.month - 1]} – {_day_label(end)}"
    return f"{_day_label(start)} – {_day_label(end)}"


def _month_span_text(start: date, end: date, names: tuple[str, ...]) -> str:
    first, last = names[start.month - 1], names[end.month - 1]
    if start.year != end.year:
        return f"{first} {start.year}–{last} {end.year}"
    return f"{first} {end.year}" if start.month == end.month else f"{first}–{last} {end.year}"


def _year_span_text(start: date, end: date) -> str:
    return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"


def _span_text(start: date, end: date, precision: DatePrecision) -> str:
    # Never show a finer unit than was given: a year-precision date shows no day.
    if precision is DatePrecision.DAY:
        return _day_span_text(start, end)
    if precision is DatePrecision.MONTH:
        return _month_span_text(start, end, _MONTH_NAMES)
    if precision is DatePrecision.SEASON:
        return _month_span_text(start, end, _MONTH_ABBREVIATIONS)
    return _year_span_text(start, end)


def _summarise(fuzzy: FuzzyDate) -> str:
    if fuzzy.precision is DatePrecision.UNKNOWN or fuzzy.qualifier in _OPEN_BOUNDS:
        return format_fuzzy_date(fuzzy)
    span = _span_text(*_closed_bounds(fuzzy), fuzzy.precision)
    return f"about {span}" if fuzzy.qualifier is DateQualifier.APPROXIMATE else span


def describe_fuzzy_date(fuzzy: FuzzyDate) -> str:
    """The date as entered, then normalised: "late 2021 (Sep–Dec 2021)". Raises nothing."""
    summary = _summarise(fuzzy)
    original = fuzzy.original_text.strip()
    if not original or _fold(original) == _fold(summary):
        return summary
    return f"{original} ({summary})"
