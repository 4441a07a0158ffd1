"""Parse what witnesses say about dates without inventing precision."""

import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, Self, TypeAlias, TypeVar

from dateutil.relativedelta import relativedelta

from tracker.domain.errors import InvalidDate

MAX_TEXT_LENGTH = 200


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
    counted from it, and `format_fuzzy_date` needs it to write them back.
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
    if isinstance(value, str) and value in {member.value for member in kind}:
        return kind(value)
    raise InvalidDate(f"Stored date field {key} has an unknown value {value!r}.")


UNKNOWN_DATE = FuzzyDate("unknown", None, None, DatePrecision.UNKNOWN, DateQualifier.EXACT)


# --- words people type, folded the same way as the text ------------------------------------


def _fold(text: str) -> str:
    """Fold case and accents alike for typed text and for the word tables."""
    # Python lowercases "İ" to "i" plus a combining dot, which would never match "iyun".
    decomposed = unicodedata.normalize("NFKD", text.replace("İ", "i").casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _word_table(spellings: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {_fold(word): meaning for meaning, words in spellings.items() for word in words}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_WORDS = _word_table({
    "1": ("january", "jan", "yanvar", "январь", "января", "январе"),
    "2": ("february", "feb", "fevral", "февраль", "февраля", "феврале"),
    "3": ("march", "mar", "mart", "март", "марта", "марте"),
    "4": ("april", "apr", "aprel", "апрель", "апреля", "апреле"),
    "5": ("may", "май", "мая", "мае"),
    "6": ("june", "jun", "iyun", "июнь", "июня", "июне"),
    "7": ("july", "jul", "iyul", "июль", "июля", "июле"),
    "8": ("august", "aug", "avqust", "август", "августа", "августе"),
    "9": ("september", "sep", "sept", "sentyabr", "сентябрь", "сентября", "сентябре"),
    "10": ("october", "oct", "oktyabr", "октябрь", "октября", "октябре"),
    "11": ("november", "nov", "noyabr", "ноябрь", "ноября", "ноябре"),
    "12": ("december", "dec", "dekabr", "декабрь", "декабря", "декабре"),
})  # fmt: skip
_SEASON_WORDS = _word_table({
    "spring": ("spring", "yaz", "yazı", "весна", "весной", "весны"),
    "summer": ("summer", "yay", "yayı", "лето", "летом", "лета"),
    "autumn": ("autumn", "fall", "payız", "payiz", "payızı", "осень", "осенью", "осени"),
    "winter": ("winter", "qış", "qis", "qışı", "зима", "зимой", "зимы"),
})  # fmt: skip
_THIRD_WORDS = _word_table({
    "early": ("early", "beginning", "start", "начало", "начале", "начала", "əvvəli",
              "əvvəlində"),
    "mid": ("mid", "middle", "середина", "середине", "середины", "ortası", "ortasında"),
    "late": ("late", "end", "конец", "конце", "конца", "sonu", "sonunda"),
})  # fmt: skip
_UNIT_WORDS = _word_table({
    "year": ("year", "years", "yr", "yrs", "il", "год", "года", "лет"),
    "month": ("month", "months", "ay", "месяц", "месяца", "месяцев"),
    "day": ("day", "days", "gün", "день", "дня", "дней"),
})  # fmt: skip
_ONE_WORDS = {_fold(word) for word in ("a", "an", "one", "bir", "один", "одна")}
_UNKNOWN_WORDS = {_fold(word) for word in (
    "unknown", "not known", "?", "??", "???", "naməlum", "bilinmir",
    "неизвестно", "неизвестна", "неизвестен",
)}  # fmt: skip
_APPROXIMATE = _alternation(_fold(word) for word in (
    "about", "around", "circa", "ca", "c", "approx", "approximately", "roughly", "~",
    "təxminən", "около", "примерно", "приблизительно",
))  # fmt: skip
_BEFORE = _alternation(("before", "prior to", "earlier than", "до"))
_AFTER = _alternation(("after", "later than", "после", "позже", "позднее"))

# --- the text as typed, cleaned and folded -------------------------------------------------

_REWRITES = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    ("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "-"),  # every dash a keyboard can make
    ("[\u2018\u2019\u02bc]", "'"),
    (",", " "),
    ("~", " ~ "),
    (r"(?<=[^\W\d_])\.", " "),  # abbreviation dots: c., approx., sept., г.
    (r"(?<=\d)\.(?=\s|$)", ""),  # a full stop after a number: "2023." or "26. September"
    (r"(?<=\d)(?:st|nd|rd|th|-го)\b", ""),  # ordinals: 14th, 8-го
    (r"\b(\d{4})-(?:ci|cı|cu)\b", r"\1"),  # Azerbaijani ordinal years: 2021-ci, 2023-cü
    (r"\b(\d{4}) (?:ilin|ili|ildə|il)\b", r"\1"),
    (r"\b(\d{4}) ?(?:года|году|год|г)\b", r"\1"),
    (r"\b(?:the|of|in|on|в|во)\b", " "),
))  # fmt: skip


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidDate("A date must be given as text.")
    stripped = text.strip()
    if len(stripped) > MAX_TEXT_LENGTH:
        raise InvalidDate(f"A date can be at most {MAX_TEXT_LENGTH} characters long.")
    if any(unicodedata.category(char).startswith("C") for char in stripped):
        raise InvalidDate("The date contains control or invisible characters: retype it.")
    if not stripped:
        raise InvalidDate("No date given: type the date, or 'unknown' if it is not known.")
    return stripped


def _normalise(text: str) -> str:
    folded = _fold(text)
    for pattern, replacement in _REWRITES:
        folded = pattern.sub(replacement, folded)
    return " ".join(folded.split())


# --- calendar arithmetic ---------------------------------------------------------------


class _Calendar(NamedTuple):
    """Day, month and year as typed; None where the person did not say."""

    day: int | None
    month: int | None
    year: int | None


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


def _check_year(year: int) -> int:
    if not 1 <= year <= 9999:
        raise InvalidDate(f"Year {year} is out of range.")
    return year


def _check_month(month: int) -> int:
    if not 1 <= month <= 12:
        raise InvalidDate(f"There is no month {month}: months run from 1 to 12.")
    return month


def _check_day(day: int, month: int, year: int) -> int:
    days = monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise InvalidDate(
            f"{day} {_MONTH_NAMES[month - 1]} {year} does not exist: "
            f"{_MONTH_NAMES[month - 1]} {year} has {days} days."
        )
    return day


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


def _coarser(first: DatePrecision, second: DatePrecision) -> DatePrecision:
    return max(first, second, key=_PRECISION_ORDER.index)


def _exact(earliest: date, latest: date, precision: DatePrecision) -> FuzzyDate:
    return FuzzyDate("", earliest, latest, precision, DateQualifier.EXACT)


def _closed_bounds(fuzzy: FuzzyDate) -> tuple[date, date]:
    if fuzzy.earliest is None or fuzzy.latest is None:
        raise InvalidDate("A range needs dates with both ends known.")
    return fuzzy.earliest, fuzzy.latest


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
_UNIT_STEPS = {
    "year": (relativedelta(years=1), DatePrecision.YEAR),
    "month": (relativedelta(months=1), DatePrecision.MONTH),
    "day": (relativedelta(days=1), DatePrecision.DAY),
}


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
