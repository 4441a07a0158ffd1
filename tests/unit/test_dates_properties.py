"""Properties of fuzzy dates: format then parse gives the date back; parse refuses cleanly."""

import contextlib
import re
from calendar import monthrange
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.dates import (
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    describe_fuzzy_date,
    format_fuzzy_date,
    parse_fuzzy_date,
)
from tracker.domain.errors import InvalidDate

TODAY = date(2026, 11, 25)
FIRST_DAY, LAST_DAY = date(1950, 1, 1), date(2025, 12, 31)
# Seasons, quarters and thirds as DOMAIN.md gives them: first month, number of months.
SEASON_SPANS = [(3, 3), (6, 3), (9, 3), (12, 3), (1, 3), (4, 3), (7, 3), (10, 3),
                (1, 4), (5, 4), (9, 4)]  # fmt: skip
DAY_LIKE = re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b|\d{4}-\d{2}-\d{2}")


def exact(earliest: date, latest: date, precision: DatePrecision) -> FuzzyDate:
    return FuzzyDate("", earliest, latest, precision, DateQualifier.EXACT)


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def season(first_month: int, count: int, year: int) -> FuzzyDate:
    start = date(year, first_month, 1)
    end = start + relativedelta(months=count) - timedelta(days=1)
    return exact(start, end, DatePrecision.SEASON)


days = st.dates(FIRST_DAY, LAST_DAY).map(lambda day: exact(day, day, DatePrecision.DAY))
months = st.builds(
    lambda year, month: exact(date(year, month, 1), month_end(year, month), DatePrecision.MONTH),
    st.integers(1950, 2025),
    st.integers(1, 12),
)
seasons = st.builds(
    lambda span, year: season(*span, year), st.sampled_from(SEASON_SPANS), st.integers(1950, 2024)
)
years = st.integers(1950, 2025).map(
    lambda year: exact(date(year, 1, 1), date(year, 12, 31), DatePrecision.YEAR)
)
decades = st.integers(195, 202).map(
    lambda tens: exact(date(tens * 10, 1, 1), date(tens * 10 + 9, 12, 31), DatePrecision.DECADE)
)
plain_dates = st.one_of(days, months, seasons, years, decades)


def before(base: FuzzyDate) -> FuzzyDate:
    assert base.earliest is not None
    latest = base.earliest - timedelta(days=1)
    return FuzzyDate("", None, latest, base.precision, DateQualifier.BEFORE)


def after(base: FuzzyDate) -> FuzzyDate:
    assert base.latest is not None
    earliest = base.latest + timedelta(days=1)
    return FuzzyDate("", earliest, None, base.precision, DateQualifier.AFTER)


def between(first: FuzzyDate, second: FuzzyDate) -> FuzzyDate:
    start, end = sorted((first, second), key=lambda fuzzy: fuzzy.sort_key)
    order = list(DatePrecision)
    precision = max(start.precision, end.precision, key=order.index)
    return FuzzyDate("", start.earliest, end.latest, precision, DateQualifier.BETWEEN)


UNIT_STEPS = {
    DatePrecision.YEAR: relativedelta(years=1),
    DatePrecision.MONTH: relativedelta(months=1),
    DatePrecision.DAY: relativedelta(days=1),
}


def relative(anchor: date, count: int, precision: DatePrecision) -> FuzzyDate:
    """DOMAIN.md: "about N units ago" said on `anchor` spans N-1 to N+1 units before it."""
    step = UNIT_STEPS[precision]
    earliest, latest = anchor - step * (count + 1), anchor - step * (count - 1)
    return FuzzyDate("", earliest, latest, precision, DateQualifier.APPROXIMATE, anchor)


fuzzy_dates = st.one_of(
    plain_dates,
    plain_dates.map(
        lambda base: FuzzyDate(
            "", base.earliest, base.latest, base.precision, DateQualifier.APPROXIMATE
        )
    ),
    plain_dates.map(before),
    plain_dates.filter(lambda base: base.latest is not None and base.latest < TODAY).map(after),
    st.builds(between, plain_dates, plain_dates),
    st.builds(
        relative,
        st.dates(date(1960, 1, 1), TODAY),
        st.integers(1, 30),
        st.sampled_from(list(UNIT_STEPS)),
    ),
    st.just(FuzzyDate("", None, None, DatePrecision.UNKNOWN, DateQualifier.EXACT)),
)


def shape(fuzzy: FuzzyDate) -> tuple[object, ...]:
    return fuzzy.earliest, fuzzy.latest, fuzzy.precision, fuzzy.qualifier


@given(fuzzy_dates)
def test_format_then_parse_gives_the_same_date(fuzzy: FuzzyDate) -> None:
    parsed = parse_fuzzy_date(format_fuzzy_date(fuzzy), today=TODAY)
    assert shape(parsed) == shape(fuzzy)


@given(fuzzy_dates)
def test_describe_never_fails_and_starts_with_the_text(fuzzy: FuzzyDate) -> None:
    text = format_fuzzy_date(fuzzy)
    described = describe_fuzzy_date(parse_fuzzy_date(text, today=TODAY))
    assert described.startswith(text)


@given(fuzzy_dates)
def test_to_dict_then_from_dict_gives_the_same_date(fuzzy: FuzzyDate) -> None:
    assert FuzzyDate.from_dict(fuzzy.to_dict()) == fuzzy


@given(
    plain_dates.filter(lambda base: base.precision in (DatePrecision.YEAR, DatePrecision.DECADE)),
    st.sampled_from([DateQualifier.EXACT, DateQualifier.APPROXIMATE, DateQualifier.BEFORE]),
)
def test_a_year_or_decade_never_renders_a_day(base: FuzzyDate, qualifier: DateQualifier) -> None:
    fuzzy = (
        before(base)
        if qualifier is DateQualifier.BEFORE
        else FuzzyDate("", base.earliest, base.latest, base.precision, qualifier)
    )
    assert not DAY_LIKE.search(format_fuzzy_date(fuzzy))
    assert not DAY_LIKE.search(describe_fuzzy_date(fuzzy))


@given(st.text())
def test_parse_raises_nothing_but_invalid_date(text: str) -> None:
    with contextlib.suppress(InvalidDate):
        parse_fuzzy_date(text, today=TODAY)


DATE_LIKE_CHARACTERS = "0123456789 .-/–,~?'abcdeghilmnoprstuvyzqİıəмартаиюнлгодс"


@given(
    st.text(alphabet=DATE_LIKE_CHARACTERS, max_size=30),
    st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31)),
)
def test_parse_of_date_like_text_raises_nothing_but_invalid_date(
    text: str, reference: date | None
) -> None:
    try:
        fuzzy = parse_fuzzy_date(text, reference_date=reference, today=TODAY)
    except InvalidDate:
        return
    assert fuzzy.earliest is None or fuzzy.earliest <= TODAY
    assert fuzzy.original_text == text.strip()


@given(
    st.sampled_from(
        [
            "{year}",
            "{month} {year}",
            "{day} {month} {year}",
            "{day}-{day2} {month} {year}",
            "before {year}",
            "after {month} {year}",
            "about {year}",
            "{season} {year}",
            "{year}-{year}",
            "winter {year}/{year}",
            "Q{day} {year}",
        ]
    ),
    st.sampled_from(["0", "1", "9", "12", "13", "29", "30", "31", "32"]),
    st.sampled_from(["0", "1", "28", "31", "99"]),
    st.sampled_from(["march", "фев", "fevral", "13", "sept"]),
    st.sampled_from(["0000", "0001", "1000", "2024", "2027", "9999", "99"]),
    st.sampled_from(["spring", "winter", "late", "yay"]),
)
def test_templated_dates_raise_nothing_but_invalid_date(
    template: str, day: str, day2: str, month: str, year: str, season_word: str
) -> None:
    text = template.format(day=day, day2=day2, month=month, year=year, season=season_word)
    with contextlib.suppress(InvalidDate):
        parse_fuzzy_date(text, today=TODAY)


@given(
    st.dates(FIRST_DAY, LAST_DAY),
    st.sampled_from(".-/"),
    st.booleans(),
)
def test_day_first_numeric_dates_parse_to_that_day(
    day: date, separator: str, zero_padded: bool
) -> None:
    width = 2 if zero_padded else 1
    text = f"{day.day:0{width}d}{separator}{day.month:0{width}d}{separator}{day.year}"
    fuzzy = parse_fuzzy_date(text, today=TODAY)
    assert (fuzzy.earliest, fuzzy.latest, fuzzy.precision) == (day, day, DatePrecision.DAY)


@given(fuzzy_dates, fuzzy_dates)
def test_sort_key_follows_earliest(first: FuzzyDate, second: FuzzyDate) -> None:
    if first.earliest is not None and second.earliest is not None:
        if first.earliest < second.earliest:
            assert first.sort_key < second.sort_key
        if first.earliest == second.earliest:
            assert (first.sort_key < second.sort_key) == (
                (first.latest or first.earliest) < (second.latest or second.earliest)
            )
    if second.precision is DatePrecision.UNKNOWN and first.precision is not DatePrecision.UNKNOWN:
        assert first.sort_key < second.sort_key
