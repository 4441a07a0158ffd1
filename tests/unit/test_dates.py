"""Dates as people give them: DOMAIN.md section 4, row by row, and the rules around it."""

import re
from datetime import date

import pytest

from tracker.domain.dates import (
    UNKNOWN_DATE,
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    Overlap,
    describe_fuzzy_date,
    falls_wholly_within,
    format_fuzzy_date,
    overlaps,
    parse_fuzzy_date,
    validate_date_order,
)
from tracker.domain.errors import InvalidDate, InvalidInput, TrackerError

TODAY = date(2026, 11, 25)
D = date.fromisoformat


def parse(text: str, **kwargs: date) -> FuzzyDate:
    return parse_fuzzy_date(text, today=TODAY, **kwargs)


def shape(fuzzy: FuzzyDate) -> tuple[date | None, date | None, str, str]:
    return fuzzy.earliest, fuzzy.latest, fuzzy.precision.value, fuzzy.qualifier.value


def expect(
    earliest: str | None, latest: str | None, precision: str, qualifier: str
) -> tuple[date | None, date | None, str, str]:
    return (
        None if earliest is None else D(earliest),
        None if latest is None else D(latest),
        precision,
        qualifier,
    )


# --- DOMAIN.md section 4, every row ---------------------------------------------------------

DOMAIN_ROWS = [
    ("08.03.2023", {}, expect("2023-03-08", "2023-03-08", "day", "exact")),
    ("8 mart 2023", {}, expect("2023-03-08", "2023-03-08", "day", "exact")),
    ("8 марта 2023", {}, expect("2023-03-08", "2023-03-08", "day", "exact")),
    ("spring 2019", {}, expect("2019-03-01", "2019-05-31", "season", "exact")),
    ("yaz 2019", {}, expect("2019-03-01", "2019-05-31", "season", "exact")),
    ("весна 2019", {}, expect("2019-03-01", "2019-05-31", "season", "exact")),
    ("late 2021", {}, expect("2021-09-01", "2021-12-31", "season", "exact")),
    ("early 2021", {}, expect("2021-01-01", "2021-04-30", "season", "exact")),
    ("mid 2021", {}, expect("2021-05-01", "2021-08-31", "season", "exact")),
    ("2017", {}, expect("2017-01-01", "2017-12-31", "year", "exact")),
    (
        "about 2 years ago",
        {"reference_date": D("2023-03-14")},
        expect("2020-03-14", "2022-03-14", "year", "approximate"),
    ),
    (
        "about 2 years ago, said 2023-03-14",
        {},
        expect("2020-03-14", "2022-03-14", "year", "approximate"),
    ),
    (
        "between 26 and 30 September 2017",
        {},
        expect("2017-09-26", "2017-09-30", "day", "between"),
    ),
    ("before 2019", {}, expect(None, "2018-12-31", "year", "before")),
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), DOMAIN_ROWS)
def test_domain_row_parses_as_shown(text: str, kwargs: dict[str, date], expected: tuple) -> None:
    assert shape(parse(text, **kwargs)) == expected


@pytest.mark.parametrize(("text", "kwargs", "expected"), DOMAIN_ROWS)
def test_domain_row_round_trips_through_format(
    text: str, kwargs: dict[str, date], expected: tuple
) -> None:
    assert shape(parse(format_fuzzy_date(parse(text, **kwargs)))) == expected


def test_domain_row_march_14th_asks_for_the_year() -> None:
    with pytest.raises(InvalidDate, match="has no year"):
        parse("March 14th")


# --- every accepted form --------------------------------------------------------------------

DAY_8_MARCH = expect("2023-03-08", "2023-03-08", "day", "exact")
MARCH_2023 = expect("2023-03-01", "2023-03-31", "month", "exact")


@pytest.mark.parametrize(
    "text",
    [
        "08.03.2023", "8.3.2023", "8/3/2023", "08/03/2023", "8-3-2023", "2023-03-08",
        "8 March 2023", "8 Mar 2023", "March 8, 2023", "March 8 2023", "8th March 2023",
        "8th of March 2023", "the 8th of March, 2023", "8 mart 2023", "8 MART 2023",
        "8 марта 2023", "8 Марта 2023 года", "8-го марта 2023", "8 март 2023",
        "  8 March 2023  ", "8   march   2023", "8 March 2023.",
    ],
)  # fmt: skip
def test_day_forms(text: str) -> None:
    assert shape(parse(text)) == DAY_8_MARCH


@pytest.mark.parametrize(
    "text",
    ["2023-03", "03.2023", "3/2023", "March 2023", "march 2023", "MAR 2023", "mart 2023",
     "март 2023", "марта 2023", "в марте 2023 года", "in March 2023"],
)  # fmt: skip
def test_month_forms(text: str) -> None:
    assert shape(parse(text)) == MARCH_2023


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("January 2020", 1), ("Feb 2020", 2), ("April 2020", 4), ("May 2020", 5), ("Jun 2020", 6),
        ("July 2020", 7), ("Aug 2020", 8), ("Sept 2020", 9), ("Sep. 2020", 9),
        ("October 2020", 10), ("Nov 2020", 11), ("December 2020", 12),
        ("yanvar 2020", 1), ("fevral 2020", 2), ("aprel 2020", 4), ("may 2020", 5),
        ("iyun 2020", 6), ("İyun 2020", 6), ("İYUN 2020", 6), ("iyul 2020", 7), ("İyul 2020", 7),
        ("avqust 2020", 8), ("sentyabr 2020", 9), ("oktyabr 2020", 10), ("noyabr 2020", 11),
        ("dekabr 2020", 12),
        ("январь 2020", 1), ("января 2020", 1), ("февраль 2020", 2), ("февраля 2020", 2),
        ("апреля 2020", 4), ("май 2020", 5), ("мая 2020", 5), ("июнь 2020", 6),
        ("июня 2020", 6), ("июль 2020", 7), ("июля 2020", 7), ("августа 2020", 8),
        ("сентября 2020", 9), ("октября 2020", 10), ("ноябрь 2020", 11), ("декабря 2020", 12),
    ],
)  # fmt: skip
def test_month_names_in_three_languages(text: str, month: int) -> None:
    fuzzy = parse(text)
    assert fuzzy.precision is DatePrecision.MONTH
    assert fuzzy.earliest == date(2020, month, 1)


def test_capital_dotted_i_is_folded_not_left_with_a_combining_dot() -> None:
    assert "İyun".lower() != "iyun"  # the trap this guards against
    assert shape(parse("İyun 2020")) == expect("2020-06-01", "2020-06-30", "month", "exact")
    assert parse("12 İyun 2020").earliest == date(2020, 6, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", expect("2023-01-01", "2023-12-31", "year", "exact")),
        ("2023-cü il", expect("2023-01-01", "2023-12-31", "year", "exact")),
        ("2023 год", expect("2023-01-01", "2023-12-31", "year", "exact")),
        ("2010s", expect("2010-01-01", "2019-12-31", "decade", "exact")),
        ("the 1990s", expect("1990-01-01", "1999-12-31", "decade", "exact")),
        ("1990-ci illər", expect("1990-01-01", "1999-12-31", "decade", "exact")),
        ("2010-е", expect("2010-01-01", "2019-12-31", "decade", "exact")),
        ("2010-е годы", expect("2010-01-01", "2019-12-31", "decade", "exact")),
        ("spring 2019", expect("2019-03-01", "2019-05-31", "season", "exact")),
        ("summer 2019", expect("2019-06-01", "2019-08-31", "season", "exact")),
        ("yay 2019", expect("2019-06-01", "2019-08-31", "season", "exact")),
        ("лето 2019", expect("2019-06-01", "2019-08-31", "season", "exact")),
        ("autumn 2019", expect("2019-09-01", "2019-11-30", "season", "exact")),
        ("fall 2019", expect("2019-09-01", "2019-11-30", "season", "exact")),
        ("payız 2019", expect("2019-09-01", "2019-11-30", "season", "exact")),
        ("осень 2019", expect("2019-09-01", "2019-11-30", "season", "exact")),
        ("осенью 2019 года", expect("2019-09-01", "2019-11-30", "season", "exact")),
        ("winter 2018/2019", expect("2018-12-01", "2019-02-28", "season", "exact")),
        ("winter 2018-2019", expect("2018-12-01", "2019-02-28", "season", "exact")),
        ("winter 2018–2019", expect("2018-12-01", "2019-02-28", "season", "exact")),
        ("winter 2019/2020", expect("2019-12-01", "2020-02-29", "season", "exact")),
        ("qış 2019/2020", expect("2019-12-01", "2020-02-29", "season", "exact")),
        ("зима 2019/2020", expect("2019-12-01", "2020-02-29", "season", "exact")),
        ("Q1 2020", expect("2020-01-01", "2020-03-31", "season", "exact")),
        ("q2 2020", expect("2020-04-01", "2020-06-30", "season", "exact")),
        ("Q3 2020", expect("2020-07-01", "2020-09-30", "season", "exact")),
        ("2020 Q4", expect("2020-10-01", "2020-12-31", "season", "exact")),
        ("mid-2021", expect("2021-05-01", "2021-08-31", "season", "exact")),
        ("end of 2021", expect("2021-09-01", "2021-12-31", "season", "exact")),
        ("beginning of 2021", expect("2021-01-01", "2021-04-30", "season", "exact")),
        ("2021-ci ilin sonu", expect("2021-09-01", "2021-12-31", "season", "exact")),
        ("2021-ci ilin əvvəli", expect("2021-01-01", "2021-04-30", "season", "exact")),
        ("конец 2021", expect("2021-09-01", "2021-12-31", "season", "exact")),
        ("в конце 2021 года", expect("2021-09-01", "2021-12-31", "season", "exact")),
        ("середина 2021", expect("2021-05-01", "2021-08-31", "season", "exact")),
    ],
)
def test_years_decades_and_seasons(text: str, expected: tuple) -> None:
    assert shape(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between 26 and 30 September 2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("26–30.09.2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("26-30.09.2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("26-30 September 2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("26 – 30 September 2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("26 September – 3 October 2017", expect("2017-09-26", "2017-10-03", "day", "between")),
        ("2017-2019", expect("2017-01-01", "2019-12-31", "year", "between")),
        ("2017–2019", expect("2017-01-01", "2019-12-31", "year", "between")),
        ("2017 to 2019", expect("2017-01-01", "2019-12-31", "year", "between")),
        ("March–May 2020", expect("2020-03-01", "2020-05-31", "month", "between")),
        ("March-May 2020", expect("2020-03-01", "2020-05-31", "month", "between")),
        ("from 8 March 2023 to 10 March 2023",
         expect("2023-03-08", "2023-03-10", "day", "between")),
        ("from March 2020 until 2021", expect("2020-03-01", "2021-12-31", "year", "between")),
        ("8.3.2023 - 10.4.2023", expect("2023-03-08", "2023-04-10", "day", "between")),
        ("spring 2019 – 2020", expect("2019-03-01", "2020-12-31", "year", "between")),
        ("between 8 March 2023 and 2024", expect("2023-03-08", "2024-12-31", "year", "between")),
        ("с 26 по 30 сентября 2017", expect("2017-09-26", "2017-09-30", "day", "between")),
        ("между 2017 и 2019", expect("2017-01-01", "2019-12-31", "year", "between")),
        ("2017 ilə 2019 arasında", expect("2017-01-01", "2019-12-31", "year", "between")),
        ("2017-2017", expect("2017-01-01", "2017-12-31", "year", "between")),
    ],
)  # fmt: skip
def test_ranges(text: str, expected: tuple) -> None:
    assert shape(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before 2019", expect(None, "2018-12-31", "year", "before")),
        ("before 8 March 2023", expect(None, "2023-03-07", "day", "before")),
        ("before spring 2019", expect(None, "2019-02-28", "season", "before")),
        ("до 2019", expect(None, "2018-12-31", "year", "before")),
        ("2019-dan əvvəl", expect(None, "2018-12-31", "year", "before")),
        ("2019-cu ildən əvvəl", expect(None, "2018-12-31", "year", "before")),
        ("after March 2020", expect("2020-04-01", None, "month", "after")),
        ("after 2010s", expect("2020-01-01", None, "decade", "after")),
        ("после марта 2020", expect("2020-04-01", None, "month", "after")),
        ("mart 2020-dən sonra", expect("2020-04-01", None, "month", "after")),
    ],
)
def test_before_and_after(text: str, expected: tuple) -> None:
    assert shape(parse(text)) == expected


def test_after_leaves_the_end_open_rather_than_capping_it_at_today() -> None:
    assert parse("after 2019").latest is None


@pytest.mark.parametrize(
    "text",
    ["about 2017", "circa 2017", "c. 2017", "ca. 2017", "approx. 2017", "approximately 2017",
     "~2017", "~ 2017", "around 2017", "təxminən 2017", "около 2017", "примерно 2017"],
)  # fmt: skip
def test_approximate_words(text: str) -> None:
    assert shape(parse(text)) == expect("2017-01-01", "2017-12-31", "year", "approximate")


def test_approximate_keeps_the_bounds_of_the_date() -> None:
    assert shape(parse("about March 2020")) == expect(
        "2020-03-01", "2020-03-31", "month", "approximate"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about 2 years ago", expect("2020-03-14", "2022-03-14", "year", "approximate")),
        ("3 months ago", expect("2022-11-14", "2023-01-14", "month", "approximate")),
        ("5 days ago", expect("2023-03-08", "2023-03-10", "day", "approximate")),
        ("a year ago", expect("2021-03-14", "2023-03-14", "year", "approximate")),
        ("2 il əvvəl", expect("2020-03-14", "2022-03-14", "year", "approximate")),
        ("около 2 лет назад", expect("2020-03-14", "2022-03-14", "year", "approximate")),
    ],
)
def test_relative_phrases_count_back_from_the_reference_date(text: str, expected: tuple) -> None:
    fuzzy = parse(text, reference_date=D("2023-03-14"))
    assert shape(fuzzy) == expected
    assert fuzzy.reference_date == D("2023-03-14")


def test_relative_phrase_without_reference_asks_when_the_account_was_given() -> None:
    with pytest.raises(InvalidDate, match="when the account was given"):
        parse("about 2 years ago")


@pytest.mark.parametrize("text", ["unknown", "Unknown", "?", "naməlum", "неизвестно"])
def test_unknown(text: str) -> None:
    fuzzy = parse(text)
    assert shape(fuzzy) == (None, None, "unknown", "exact")
    assert fuzzy.original_text == text


def test_original_text_is_kept_as_typed_without_outer_whitespace() -> None:
    assert parse("  08.03.2023 \n").original_text == "08.03.2023"
    assert parse("\tLATE   2021 ").original_text == "LATE   2021"


# --- day and month with no year -------------------------------------------------------------


@pytest.mark.parametrize("text", ["March 14th", "14 March", "8 марта", "8 mart", "March"])
def test_day_and_month_without_year_ask_for_it(text: str) -> None:
    with pytest.raises(InvalidDate, match="has no year"):
        parse(text)


def test_year_comes_from_the_reference_date() -> None:
    fuzzy = parse("March 14th", reference_date=D("2023-05-01"))
    assert shape(fuzzy) == expect("2023-03-14", "2023-03-14", "day", "exact")


def test_year_is_the_previous_one_when_the_date_would_follow_the_reference() -> None:
    assert parse("8 марта", reference_date=D("2023-02-01")).earliest == D("2022-03-08")
    assert parse("8 марта", reference_date=D("2023-03-08")).earliest == D("2023-03-08")


def test_range_without_year_takes_it_from_the_reference_date() -> None:
    fuzzy = parse("26–30 September", reference_date=D("2017-10-05"))
    assert shape(fuzzy) == expect("2017-09-26", "2017-09-30", "day", "between")


# --- refusals, with messages a person can act on --------------------------------------------


def test_winter_with_one_year_offers_both_readings() -> None:
    with pytest.raises(InvalidDate) as refused:
        parse("winter 2019")
    message = str(refused.value)
    assert "Dec 2018–Feb 2019" in message
    assert "Dec 2019–Feb 2020" in message
    assert "'winter 2018/2019'" in message


def test_winter_needs_consecutive_years() -> None:
    with pytest.raises(InvalidDate, match="two years in a row"):
        parse("winter 2018/2020")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.02.2023", "31 February 2023 does not exist"),
        ("29.02.2023", "29 February 2023 does not exist"),
        ("31 April 2020", "31 April 2020 does not exist"),
        ("0.3.2023", "0 March 2023 does not exist"),
        ("2023-13", "no month 13"),
        ("13.13.2023", "no month 13"),
        ("2017-19", "for a range of years type both in full"),
        ("Q5 2020", "no quarter 5"),
        ("2015s", "A decade starts at a year ending in 0"),
        ("8.3.23", "two-digit year"),
        ("8 March 23", "two-digit year"),
        ("90s", "two-digit year"),
        ("spring 2018/2019", "Only a winter spans two years"),
        ("26", "alone is not a date"),
        ("30–26 September 2017", "ends .* before it starts"),
        ("2019 - 2017", "ends .* before it starts"),
        ("0000", "out of range"),
    ],
)
def test_impossible_dates_are_refused_with_the_problem_named(text: str, message: str) -> None:
    with pytest.raises(InvalidDate, match=message):
        parse(text)


def test_leap_day_in_a_leap_year_is_fine() -> None:
    assert parse("29.02.2024").earliest == D("2024-02-29")


@pytest.mark.parametrize(
    "text", ["2027", "December 2026", "26 November 2026", "after 2026", "about 2030", "2030s"]
)
def test_future_dates_are_refused(text: str) -> None:
    with pytest.raises(InvalidDate, match="is in the future"):
        parse(text)


@pytest.mark.parametrize(
    "text", ["2026", "25 November 2026", "late 2026", "2025-2027", "2020s", "before 2030"]
)
def test_dates_starting_by_today_are_accepted(text: str) -> None:
    assert parse(text).earliest is None or parse(text).earliest <= TODAY


def test_today_defaults_to_the_real_date() -> None:
    with pytest.raises(InvalidDate, match="future"):
        parse_fuzzy_date(str(date.today().year + 1))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "garbage", "8 Smarch 2023", "2023\x00", "8 March\x072023", "8\u200bMarch 2023",
     "x" * 201, "2" * 300, "about", "between 2017 and", "2017-03-2019", "about about 2017"],
)  # fmt: skip
def test_garbage_is_refused_with_invalid_date(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse(text)


def test_long_text_is_refused_by_length() -> None:
    with pytest.raises(InvalidDate, match="at most 200 characters"):
        parse("2017 " + " " * 10 + "x" * 200)


def test_ambiguous_range_offers_both_readings() -> None:
    with pytest.raises(InvalidDate, match="between 2017 and March 2019 or between March 2017"):
        parse("2017-03-2019")


def test_invalid_date_is_an_invalid_input_the_user_can_act_on() -> None:
    with pytest.raises(InvalidInput):
        parse("garbage")
    assert issubclass(InvalidDate, TrackerError)


# --- sorting ------------------------------------------------------------------------------


def test_sort_key_orders_by_earliest_then_latest_with_unknown_last() -> None:
    texts = ["unknown", "2019", "8 March 2019", "before 2019", "spring 2019", "after 2020",
             "March 2019", "2010s", "2019-2020"]  # fmt: skip
    ordered = sorted((parse(text) for text in texts), key=lambda fuzzy: fuzzy.sort_key)
    assert [fuzzy.original_text for fuzzy in ordered] == [
        "2010s", "before 2019", "2019", "2019-2020", "March 2019", "spring 2019",
        "8 March 2019", "after 2020", "unknown",
    ]  # fmt: skip


def test_open_bound_borrows_the_other() -> None:
    assert parse("before 2019").sort_key == parse("31.12.2018").sort_key
    assert parse("after 2019").sort_key == parse("1.1.2020").sort_key


def test_sort_key_never_compares_none() -> None:
    keys = [UNKNOWN_DATE.sort_key, parse("before 2019").sort_key, parse("after 2019").sort_key]
    assert sorted(keys)[-1] == UNKNOWN_DATE.sort_key


# --- overlap with a reporting period --------------------------------------------------------

YEAR_2017 = (D("2017-01-01"), D("2017-12-31"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017", Overlap.WHOLLY_WITHIN),
        ("26–30 September 2017", Overlap.WHOLLY_WITHIN),
        ("late 2017", Overlap.WHOLLY_WITHIN),
        ("winter 2017/2018", Overlap.PARTLY_WITHIN),
        ("2010s", Overlap.PARTLY_WITHIN),
        ("before 2018", Overlap.PARTLY_WITHIN),
        ("after 2016", Overlap.PARTLY_WITHIN),
        ("before 2017", Overlap.OUTSIDE),
        ("after 2017", Overlap.OUTSIDE),
        ("2018", Overlap.OUTSIDE),
        ("unknown", Overlap.OUTSIDE),
    ],
)
def test_overlap_with_a_year(text: str, expected: Overlap) -> None:
    fuzzy = parse(text)
    assert overlaps(fuzzy, *YEAR_2017) is expected
    assert falls_wholly_within(fuzzy, *YEAR_2017) is (expected is Overlap.WHOLLY_WITHIN)


def test_overlap_refuses_a_reversed_period() -> None:
    with pytest.raises(InvalidDate):
        overlaps(parse("2017"), D("2018-01-01"), D("2017-01-01"))


# --- format and describe ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        ("08.03.2023", "8 March 2023"),
        ("2023-03", "March 2023"),
        ("yaz 2019", "spring 2019"),
        ("конец 2021", "late 2021"),
        ("Q1 2020", "Q1 2020"),
        ("2017", "2017"),
        ("1990-ci illər", "1990s"),
        ("26–30.09.2017", "between 26 September 2017 and 30 September 2017"),
        ("2017-2019", "between 2017 and 2019"),
        ("до 2019", "before 2019"),
        ("после марта 2020", "after March 2020"),
        ("circa 2017", "about 2017"),
        ("winter 2018-2019", "winter 2018/2019"),
        ("naməlum", "unknown"),
        ("5 days ago, said 2023-03-14", "about 5 days ago, said 2023-03-14"),
    ],
)
def test_format_writes_canonical_english(text: str, formatted: str) -> None:
    fuzzy = parse(text)
    assert format_fuzzy_date(fuzzy) == formatted
    assert shape(parse(formatted)) == shape(fuzzy)


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("late 2021", "late 2021 (Sep–Dec 2021)"),
        ("08.03.2023", "08.03.2023 (8 March 2023)"),
        ("unknown", "unknown"),
        ("naməlum", "naməlum (unknown)"),
        ("8 March 2023", "8 March 2023"),
        ("2017", "2017"),
        ("yaz 2019", "yaz 2019 (Mar–May 2019)"),
        ("winter 2018/2019", "winter 2018/2019 (Dec 2018–Feb 2019)"),
        ("26–30.09.2017", "26–30.09.2017 (26–30 September 2017)"),
        ("March-May 2020", "March-May 2020 (March–May 2020)"),
        ("2017-2019", "2017-2019 (2017–2019)"),
        ("2010s", "2010s (2010–2019)"),
        ("до 2019", "до 2019 (before 2019)"),
        ("c. 2017", "c. 2017 (about 2017)"),
        ("about 2 years ago, said 2023-03-14",
         "about 2 years ago, said 2023-03-14 (about 2020–2022)"),
    ],
)  # fmt: skip
def test_describe_shows_the_text_as_entered_then_normalised(text: str, described: str) -> None:
    assert describe_fuzzy_date(parse(text)) == described


DAY_LIKE = re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b|\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.")


@pytest.mark.parametrize(
    "text", ["2017", "about 2017", "before 2019", "after 2019", "2017-2019", "2010s", "1990-2000"]
)
def test_a_year_precision_date_never_renders_a_day(text: str) -> None:
    fuzzy = parse(text)
    assert fuzzy.precision in (DatePrecision.YEAR, DatePrecision.DECADE)
    assert not DAY_LIKE.search(format_fuzzy_date(fuzzy))
    assert not DAY_LIKE.search(describe_fuzzy_date(fuzzy))


# --- storage form and order checks -----------------------------------------------------------


def test_to_dict_and_back() -> None:
    fuzzy = parse("about 2 years ago", reference_date=D("2023-03-14"))
    stored = fuzzy.to_dict()
    assert stored == {
        "original_text": "about 2 years ago",
        "earliest": "2020-03-14",
        "latest": "2022-03-14",
        "precision": "year",
        "qualifier": "approximate",
        "reference_date": "2023-03-14",
    }
    assert FuzzyDate.from_dict(stored) == fuzzy


def test_from_dict_accepts_a_missing_reference_date() -> None:
    stored = parse("before 2019").to_dict()
    del stored["reference_date"]
    assert FuzzyDate.from_dict(stored).latest == D("2018-12-31")


@pytest.mark.parametrize(
    "change",
    [
        {"earliest": "2018-01-01", "latest": "2017-01-01"},
        {"precision": "week"},
        {"qualifier": "probably"},
        {"earliest": "2017-02-30"},
        {"earliest": "yesterday"},
        {"earliest": 20170101},
        {"original_text": None},
        {"qualifier": "before"},
        {"precision": "unknown"},
        {"colour": "blue"},
    ],
)
def test_from_dict_refuses_bad_data(change: dict[str, object]) -> None:
    stored: dict[str, object] = {**parse("2017").to_dict(), **change}
    with pytest.raises(InvalidDate):
        FuzzyDate.from_dict(stored)


def test_from_dict_refuses_missing_fields_and_non_mappings() -> None:
    with pytest.raises(InvalidDate, match="missing"):
        FuzzyDate.from_dict({"original_text": "2017"})
    with pytest.raises(InvalidDate):
        FuzzyDate.from_dict(["2017"])  # type: ignore[arg-type]


def test_unknown_date_constant() -> None:
    assert shape(UNKNOWN_DATE) == (None, None, "unknown", "exact")
    assert UNKNOWN_DATE.precision is DatePrecision.UNKNOWN
    assert UNKNOWN_DATE.qualifier is DateQualifier.EXACT
    assert format_fuzzy_date(UNKNOWN_DATE) == "unknown"


def test_validate_date_order() -> None:
    validate_date_order(parse("2017"), None)
    validate_date_order(parse("2017"), parse("2017"))
    validate_date_order(parse("late 2017"), parse("2017"))  # overlapping is fine
    validate_date_order(parse("unknown"), parse("2017"))
    validate_date_order(parse("2017"), parse("before 2019"))
    with pytest.raises(InvalidDate, match="before the start"):
        validate_date_order(parse("2018"), parse("2017"))
