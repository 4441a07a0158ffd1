"""Parse what witnesses say about dates without inventing precision."""

import re
from calendar import monthrange
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import NamedTuple, TypeAlias

from tracker.domain.date_formatting import _day_label, format_fuzzy_date
from tracker.domain.date_words import (
    _AFTER,
    _APPROXIMATE,
    _BEFORE,
    _MONTH_NAMES,
    _MONTH_WORDS,
    _ONE_WORDS,
    _SEASON_WORDS,
    _THIRD_WORDS,
    _UNIT_WORDS,
    _UNKNOWN_WORDS,
    _alternation,
    _check_text,
    _normalise,
)
from tracker.domain.errors import InvalidDate
from tracker.domain.fuzzy_date import (
    _PRECISION_ORDER,
    _SEASONS_BY_KEY,
    _UNIT_STEPS,
    UNKNOWN_DATE,
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    _check_month,
    _check_year,
    _closed_bounds,
    _month_bounds,
    _Season,
    _season_bounds,
    _shift_day,
    _step_back,
)

# --- calendar arithmetic ---------------------------------------------------------------


class _Calendar(NamedTuple):
    """Day, month and year as typed; None where the person did not say."""

    day: int | None
    month: int | None
    year: int | None


def _check_day(day: int, month: int, year: int) -> int:
    days = monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise InvalidDate(
            f"{day} {_MONTH_NAMES[month - 1]} {year} does not exist: "
            f"{_MONTH_NAMES[month - 1]} {year} has {days} days."
        )
    return day


def _coarser(first: DatePrecision, second: DatePrecision) -> DatePrecision:
    return max(first, second, key=_PRECISION_ORDER.index)


def _exact(earliest: date, latest: date, precision: DatePrecision) -> FuzzyDate:
    return FuzzyDate("", earliest, latest, precision, DateQualifier.EXACT)


# --- single dates: each pattern builds a calendar (maybe missing parts) or a period ----------

_Side: TypeAlias = _Calendar | FuzzyDate
_SideBuilder: TypeAlias = Callable[[re.Match[str]], _Side]


class _Unrecognised(InvalidDate):
    """No pattern matched; the caller words the message around the whole text."""


def _number(match: re.Match[str], group: str) -> int | None:
    value = match.groupdict().get(group)
    return None if value is None else int(value)


def _build_calendar(match: re.Match[str]) -> _Side:
    name = match.groupdict().get("month")
    month = int(_MONTH_WORDS[name]) if name else _number(match, "number")
    return _Calendar(_number(match, "day"), month, _number(match, "year"))


def _build_year_month(match: re.Match[str]) -> _Side:
    year, month = int(match["year"]), int(match["number"])
    end_year = year // 100 * 100 + month
    if month > 12 and end_year > year:
        raise InvalidDate(
            f"There is no month {month}: for a range of years type both in full, "
            f"e.g. {year}–{end_year}."
        )
    return _Calendar(None, month, year)


def _reject_short_year(match: re.Match[str]) -> _Side:
    raise InvalidDate(
        f"'{match[0]}' has a two-digit year, which could be any century: type all four "
        "digits, e.g. 8.3.2023 or 1990s."
    )


def _build_decade(match: re.Match[str]) -> _Side:
    start = _check_year(int(match["decade"]))
    return _exact(date(start, 1, 1), date(start + 9, 12, 31), DatePrecision.DECADE)


def _reject_decade(match: re.Match[str]) -> _Side:
    year = int(match["year"])
    raise InvalidDate(f"A decade starts at a year ending in 0, e.g. {year // 10 * 10}s.")


def _season_date(season: _Season, year: int) -> FuzzyDate:
    return _exact(*_season_bounds(season, year), DatePrecision.SEASON)


def _winter(year: int, next_year: int | None) -> FuzzyDate:
    if next_year is None:
        raise InvalidDate(
            f"'winter {year}' could mean Dec {year - 1}–Feb {year} or Dec {year}–Feb "
            f"{year + 1}: type e.g. 'winter {year - 1}/{year}' or 'winter {year}/{year + 1}'."
        )
    if next_year != year + 1:
        raise InvalidDate(f"A winter spans two years in a row, e.g. 'winter {year}/{year + 1}'.")
    return _season_date(_SEASONS_BY_KEY["winter"], year)


def _build_season(match: re.Match[str]) -> _Side:
    season = _SEASONS_BY_KEY[_SEASON_WORDS[match["season"]]]
    year, next_year = int(match["year"]), _number(match, "next_year")
    if season.key == "winter":
        return _winter(year, next_year)
    if next_year is not None:
        raise InvalidDate(f"Only a winter spans two years: type e.g. '{season.key} {year}'.")
    return _season_date(season, year)


def _build_quarter(match: re.Match[str]) -> _Side:
    quarter = int(match["quarter"])
    if not 1 <= quarter <= 4:
        raise InvalidDate(f"There is no quarter {quarter}: quarters run from Q1 to Q4.")
    return _season_date(_SEASONS_BY_KEY[f"q{quarter}"], int(match["year"]))


def _build_third(match: re.Match[str]) -> _Side:
    return _season_date(_SEASONS_BY_KEY[_THIRD_WORDS[match["third"]]], int(match["year"]))


_DAY, _YEAR, _NUMBER = r"(?P<day>\d{1,2})", r"(?P<year>\d{4})", r"(?P<number>\d{1,2})"
_MONTH = f"(?P<month>{_alternation(_MONTH_WORDS)})"
_SEASON = f"(?P<season>{_alternation(_SEASON_WORDS)})"
_THIRD = f"(?P<third>{_alternation(_THIRD_WORDS)})"
_DECADE_SUFFIX = r"(?:'?s| ill[əe]r| ?-?[еexх](?: год(?:ы|ов|ах))?)"
_SINGLE_FORMS: tuple[tuple[re.Pattern[str], _SideBuilder], ...] = tuple(
    (re.compile(pattern), builder) for pattern, builder in (
        (rf"{_YEAR}(?P<sep>[-/.]){_NUMBER}(?P=sep){_DAY}", _build_calendar),
        (rf"{_DAY}(?P<sep>[-/.]){_NUMBER}(?P=sep){_YEAR}", _build_calendar),
        (rf"{_DAY} {_MONTH} {_YEAR}", _build_calendar),
        (rf"{_MONTH} {_DAY} {_YEAR}", _build_calendar),
        (rf"{_YEAR}-{_NUMBER}", _build_year_month),
        (rf"{_NUMBER}[/.-]{_YEAR}", _build_calendar),
        (rf"{_MONTH} {_YEAR}", _build_calendar),
        (_YEAR, _build_calendar),
        (rf"{_DAY} {_MONTH}", _build_calendar),
        (rf"{_MONTH} {_DAY}", _build_calendar),
        (rf"{_DAY}[./]{_NUMBER}", _build_calendar),
        (_MONTH, _build_calendar),
        (_DAY, _build_calendar),
        (rf"\d{{1,2}}(?P<sep>[-/.])\d{{1,2}}(?P=sep)\d{{2}}|\d{{1,2}} {_MONTH} \d{{2}}",
         _reject_short_year),
        (r"'?\d0'?s", _reject_short_year),
        (rf"(?P<decade>\d{{3}}0){_DECADE_SUFFIX}", _build_decade),
        (rf"{_YEAR}'?s", _reject_decade),
        (rf"{_SEASON} {_YEAR}(?:[-/](?P<next_year>\d{{4}}))?", _build_season),
        (rf"{_YEAR} {_SEASON}", _build_season),
        (rf"q(?P<quarter>\d)[ -]?{_YEAR}", _build_quarter),
        (rf"{_YEAR}[ -]?q(?P<quarter>\d)", _build_quarter),
        (rf"{_THIRD}[ -]?{_YEAR}", _build_third),
        (rf"{_YEAR} {_THIRD}", _build_third),
    )
)  # fmt: skip


def _match_side(text: str) -> _Side:
    for pattern, build in _SINGLE_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return build(match)
    raise _Unrecognised(f"'{text}' is not a date this tracker understands.")


def _partial_label(calendar: _Calendar) -> str:
    month = "" if calendar.month is None else _MONTH_NAMES[calendar.month - 1]
    return f"{calendar.day or ''} {month}".strip()


def _infer_year(calendar: _Calendar, reference: date | None) -> _Calendar:
    if reference is None:
        raise InvalidDate(
            f"'{_partial_label(calendar)}' has no year: add it, e.g. "
            f"'{_partial_label(calendar)} 2023', or say when the account was given."
        )
    # Counting back from when the account was given: "8 March" said in May is this year's.
    later = (calendar.month or 1, calendar.day or 1) > (reference.month, reference.day)
    return calendar._replace(year=reference.year - 1 if later else reference.year)


def _calendar_date(calendar: _Calendar) -> FuzzyDate:
    year = _check_year(calendar.year or 0)
    if calendar.month is None:
        return _exact(date(year, 1, 1), date(year, 12, 31), DatePrecision.YEAR)
    if calendar.day is None:
        return _exact(*_month_bounds(year, calendar.month), DatePrecision.MONTH)
    day = date(year, calendar.month, _check_day(calendar.day, calendar.month, year))
    return _exact(day, day, DatePrecision.DAY)


def _complete(side: _Side, reference: date | None) -> FuzzyDate:
    if isinstance(side, FuzzyDate):
        return side
    if side.month is None and side.year is None:
        raise InvalidDate(f"'{side.day}' alone is not a date: give at least the month and year.")
    if side.month is not None:
        _check_month(side.month)
    if side.year is None:
        side = _infer_year(side, reference)
    return _calendar_date(side)


def _parse_plain(text: str, reference: date | None) -> FuzzyDate:
    return _complete(_match_side(text), reference)


# --- ranges: "26–30 September 2017", "between X and Y", "from X to Y" ----------------------


class _RangeForm(NamedTuple):
    body: re.Pattern[str]
    separator: re.Pattern[str]


_RANGE_FORMS = tuple(
    _RangeForm(re.compile(body), re.compile(separator)) for body, separator in (
        (r"between (?P<body>.+)", " and "),
        (r"from (?P<body>.+)", r" (?:to|until|till|through) | ?- ?"),
        (r"между (?P<body>.+)", " и "),
        (r"с (?P<body>.+)", " (?:по|до) "),
        (r"от (?P<body>.+)", " до "),
        (r"(?P<body>.+) arasında", " ilə "),
        (r"(?P<body>.+)", " - "),
        (r"(?P<body>.+)", " (?:to|until|till|through) "),
        (r"(?P<body>.+)", "-"),
    )
)  # fmt: skip


def _splits(form: _RangeForm, text: str) -> Iterator[tuple[str, str]]:
    match = form.body.fullmatch(text)
    body = match["body"] if match else ""
    for separator in form.separator.finditer(body):
        left, right = body[: separator.start()].strip(), body[separator.end() :].strip()
        if left and right:
            yield left, right


def _borrow(left: _Side, right: FuzzyDate) -> _Side:
    """Fill "26" in "26–30 September 2017" and "March" in "March–May 2020" from the end."""
    if not isinstance(left, _Calendar) or left.year is not None or right.earliest is None:
        return left
    if left.month is None and right.precision is DatePrecision.DAY:
        return left._replace(month=right.earliest.month, year=right.earliest.year)
    if left.month is not None and right.precision in (DatePrecision.DAY, DatePrecision.MONTH):
        return left._replace(year=right.earliest.year)
    return left


def _join(start: FuzzyDate, end: FuzzyDate) -> FuzzyDate:
    earliest, latest = _closed_bounds(start)[0], _closed_bounds(end)[1]
    if latest < earliest:
        raise InvalidDate(
            f"The range ends ({format_fuzzy_date(end)}) before it starts "
            f"({format_fuzzy_date(start)})."
        )
    precision = _coarser(start.precision, end.precision)
    return FuzzyDate("", earliest, latest, precision, DateQualifier.BETWEEN)


def _build_range(left_text: str, right_text: str, reference: date | None) -> FuzzyDate:
    end = _parse_plain(right_text, reference)
    start = _complete(_borrow(_match_side(left_text), end), reference)
    return _join(start, end)


def _read_splits(
    splits: Iterable[tuple[str, str]], reference: date | None
) -> tuple[set[FuzzyDate], list[InvalidDate]]:
    readings: set[FuzzyDate] = set()
    errors: list[InvalidDate] = []
    for left, right in splits:
        try:
            readings.add(_build_range(left, right, reference))
        except InvalidDate as error:
            errors.append(error)
    return readings, errors


def _only_reading(readings: set[FuzzyDate]) -> FuzzyDate:
    if len(readings) > 1:
        choices = " or ".join(sorted(format_fuzzy_date(reading) for reading in readings))
        raise InvalidDate(f"The range is ambiguous: it could be {choices}. Type one of these.")
    return readings.pop()


def _parse_range(text: str, reference: date | None) -> FuzzyDate:
    errors: list[InvalidDate] = []
    for form in _RANGE_FORMS:
        readings, form_errors = _read_splits(_splits(form, text), reference)
        if readings:
            return _only_reading(readings)
        errors.extend(form_errors)
    # An impossible day or a reversed range says more than "not understood".
    raise next((error for error in errors if not isinstance(error, _Unrecognised)), _Unrecognised())


# --- qualifiers: about, before, after, and relative phrases --------------------------------
_QualifiedBuilder: TypeAlias = Callable[[re.Match[str], date | None], FuzzyDate]


def _said_date(text: str) -> date:
    said = _parse_plain(text, None)
    if said.precision is not DatePrecision.DAY or said.earliest is None:
        raise InvalidDate("Give the day the account was given, e.g. 'said 2023-03-14'.")
    return said.earliest


def _count(text: str | None) -> int:
    count = 1 if text is None or text in _ONE_WORDS else int(text)
    if count < 1:
        raise InvalidDate("Say how long ago as a whole number, e.g. 'about 2 years ago'.")
    return count


def _build_relative(match: re.Match[str], reference: date | None) -> FuzzyDate:
    anchor = _said_date(match["said"]) if match["said"] else reference
    if anchor is None:
        raise InvalidDate(
            f"'{match[0]}' counts back from when the account was given: say when, "
            "e.g. 'about 2 years ago, said 2023-03-14'."
        )
    step, precision = _UNIT_STEPS[_UNIT_WORDS[match["unit"]]]
    count = _count(match["count"])
    # People round: "2 years ago" is taken as 1 to 3 years before the account.
    earliest, latest = _step_back(anchor, step, count + 1), _step_back(anchor, step, count - 1)
    return FuzzyDate("", earliest, latest, precision, DateQualifier.APPROXIMATE, anchor)


def _build_approximate(match: re.Match[str], reference: date | None) -> FuzzyDate:
    inner = _parse_plain(match["inner"], reference)
    return replace(inner, qualifier=DateQualifier.APPROXIMATE)


def _build_before(match: re.Match[str], reference: date | None) -> FuzzyDate:
    inner = _parse_plain(match["inner"], reference)
    latest = _shift_day(_closed_bounds(inner)[0], -1)
    return FuzzyDate("", None, latest, inner.precision, DateQualifier.BEFORE)


def _build_after(match: re.Match[str], reference: date | None) -> FuzzyDate:
    """Leave the end open rather than cap it at today: "after 2019" says nothing of when."""
    inner = _parse_plain(match["inner"], reference)
    earliest = _shift_day(_closed_bounds(inner)[1], 1)
    return FuzzyDate("", earliest, None, inner.precision, DateQualifier.AFTER)


_AZ_SUFFIX = r"(?P<inner>.+?)(?:-?[dt][əa]n| ild[əa]n)"
_QUALIFIED_FORMS: tuple[tuple[re.Pattern[str], _QualifiedBuilder], ...] = tuple(
    (re.compile(pattern), builder) for pattern, builder in (
        (rf"(?:(?:{_APPROXIMATE}) )?(?:(?P<count>\d{{1,3}}|{_alternation(_ONE_WORDS)}) )?"
         rf"(?P<unit>{_alternation(_UNIT_WORDS)}) (?:ago|əvvəl|назад)(?: said (?P<said>.+))?",
         _build_relative),
        (rf"(?:{_APPROXIMATE}) (?P<inner>.+)", _build_approximate),
        (rf"(?:{_BEFORE}) (?P<inner>.+)", _build_before),
        (rf"(?:{_AFTER}) (?P<inner>.+)", _build_after),
        (rf"{_AZ_SUFFIX} əvvəl", _build_before),
        (rf"{_AZ_SUFFIX} sonra", _build_after),
    )
)  # fmt: skip


def _parse_normalised(text: str, reference: date | None) -> FuzzyDate:
    if text in _UNKNOWN_WORDS:
        return UNKNOWN_DATE
    for pattern, build in _QUALIFIED_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return build(match, reference)
    try:
        side = _match_side(text)
    except _Unrecognised:
        return _parse_range(text, reference)
    return _complete(side, reference)


def _reject_future(parsed: FuzzyDate, original: str, today: date) -> None:
    if parsed.earliest is not None and parsed.earliest > today:
        raise InvalidDate(f"'{original}' is in the future (today is {_day_label(today)}).")


def parse_fuzzy_date(
    text: str, *, reference_date: date | None = None, today: date | None = None
) -> FuzzyDate:
    """Read a date as a person typed it, keeping exactly the precision they gave.

    `reference_date` is when the account was given: it places "2 years ago" and a day and
    month said without a year. `today` (default: the real date) bounds future dates.
    Raises InvalidDate, and only InvalidDate, for anything it cannot read without guessing.
    """
    original = _check_text(text)
    try:
        parsed = _parse_normalised(_normalise(original), reference_date)
    except _Unrecognised:
        raise InvalidDate(
            f"'{original}' is not a date this tracker understands: try e.g. '8 March 2023', "
            "'March 2023', 'spring 2019', '2017', 'before 2019' or 'unknown'."
        ) from None
    _reject_future(parsed, original, today or date.today())
    anchor = parsed.reference_date or reference_date
    return replace(parsed, original_text=original, reference_date=anchor)
