"""Fuzzy dates for synthetic incidents, in every precision and in az, ru and en wording."""

import calendar
import random
from datetime import date, timedelta

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate

# Synthetic incidents end before this day, so none lies in the future whenever it is run.
FIRST_YEAR, LAST_YEAR = 2008, 2023
AZ_MONTHS = (
    "yanvar",
    "fevral",
    "mart",
    "aprel",
    "may",
    "iyun",
    "iyul",
    "avqust",
    "sentyabr",
    "oktyabr",
    "noyabr",
    "dekabr",
)
RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
RU_MONTHS_NOMINATIVE = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
EN_MONTHS = tuple(calendar.month_name[1:])
# (az, ru, en, first month, last month); winter spans two years and is left out on purpose.
SEASONS = (
    ("yaz", "весна", "spring", 3, 5),
    ("yay", "лето", "summer", 6, 8),
    ("payız", "осень", "autumn", 9, 11),
)
THIRDS = (("early", 1, 4), ("mid", 5, 8), ("late", 9, 12))
PRECISION_WEIGHTS = {
    "day": 40,
    "between": 4,
    "month": 18,
    "season": 9,
    "year": 13,
    "approximate": 4,
    "before": 3,
    "after": 2,
    "decade": 2,
    "unknown": 5,
}
EXACT, DAY = DateQualifier.EXACT, DatePrecision.DAY


def random_day(rng: random.Random) -> date:
    first = date(FIRST_YEAR, 1, 1).toordinal()
    return date.fromordinal(rng.randint(first, date(LAST_YEAR, 12, 31).toordinal()))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def day_date(rng: random.Random) -> FuzzyDate:
    day = random_day(rng)
    text = rng.choice(
        (
            f"{day:%d.%m.%Y}",
            f"{day.day} {AZ_MONTHS[day.month - 1]} {day.year}",
            f"{day.day} {RU_MONTHS[day.month - 1]} {day.year}",
        )
    )
    return FuzzyDate(text, day, day, DAY, EXACT)


def between_date(rng: random.Random) -> FuzzyDate:
    first = random_day(rng).replace(day=rng.randint(1, 20))
    last = first + timedelta(days=rng.randint(1, 6))
    text = f"between {first.day} and {last.day} {EN_MONTHS[first.month - 1]} {first.year}"
    return FuzzyDate(text, first, last, DAY, DateQualifier.BETWEEN)


def month_date(rng: random.Random) -> FuzzyDate:
    year, month = rng.randint(FIRST_YEAR, LAST_YEAR), rng.randint(1, 12)
    text = rng.choice(
        (
            f"{AZ_MONTHS[month - 1]} {year}",
            f"{RU_MONTHS_NOMINATIVE[month - 1]} {year}",
            f"{EN_MONTHS[month - 1]} {year}",
        )
    )
    return FuzzyDate(text, date(year, month, 1), month_end(year, month), DatePrecision.MONTH, EXACT)


def season_date(rng: random.Random) -> FuzzyDate:
    year = rng.randint(FIRST_YEAR, LAST_YEAR)
    if rng.random() < 0.3:
        word, first, last = rng.choice(THIRDS)
        text = f"{word} {year}"
    else:
        az, ru, en, first, last = rng.choice(SEASONS)
        text = f"{rng.choice((az, ru, en))} {year}"
    return FuzzyDate(text, date(year, first, 1), month_end(year, last), DatePrecision.SEASON, EXACT)


def year_date(rng: random.Random, kind: str) -> FuzzyDate:
    year = rng.randint(FIRST_YEAR + 1, LAST_YEAR - 1)
    whole = (date(year, 1, 1), date(year, 12, 31))
    if kind == "approximate":
        return FuzzyDate(
            f"around {year}",
            date(year - 1, 1, 1),
            date(year + 1, 12, 31),
            DatePrecision.YEAR,
            DateQualifier.APPROXIMATE,
        )
    if kind == "before":
        return FuzzyDate(
            f"before {year}", None, date(year - 1, 12, 31), DatePrecision.YEAR, DateQualifier.BEFORE
        )
    if kind == "after":
        return FuzzyDate(
            f"after {year}", date(year + 1, 1, 1), None, DatePrecision.YEAR, DateQualifier.AFTER
        )
    return FuzzyDate(str(year), *whole, DatePrecision.YEAR, EXACT)


def decade_date(rng: random.Random) -> FuzzyDate:
    decade = rng.choice((2000, 2010))
    return FuzzyDate(
        f"{decade}s", date(decade, 1, 1), date(decade + 9, 12, 31), DatePrecision.DECADE, EXACT
    )


def unknown_date(rng: random.Random) -> FuzzyDate:
    text = rng.choice(("unknown", "naməlum", "неизвестно"))
    return FuzzyDate(text, None, None, DatePrecision.UNKNOWN, EXACT)


def random_fuzzy_date(rng: random.Random) -> FuzzyDate:
    """A start date of any precision and qualifier, never after the end of LAST_YEAR."""
    kind = rng.choices(tuple(PRECISION_WEIGHTS), weights=tuple(PRECISION_WEIGHTS.values()))[0]
    simple = {
        "day": day_date,
        "between": between_date,
        "month": month_date,
        "season": season_date,
        "decade": decade_date,
        "unknown": unknown_date,
    }
    if kind in simple:
        return simple[kind](rng)
    return year_date(rng, kind)


def end_after(rng: random.Random, start: FuzzyDate) -> FuzzyDate | None:
    """A day-precise end a few days after a day-precise start (a detention's release)."""
    if start.precision is not DAY or start.latest is None:
        return None
    day = min(start.latest + timedelta(days=rng.randint(1, 30)), date(LAST_YEAR, 12, 31))
    return FuzzyDate(f"{day:%d.%m.%Y}", day, day, DAY, EXACT)


def year_of(fuzzy: FuzzyDate) -> int:
    """The year a record is first filed under: the date's first known bound, else LAST_YEAR."""
    bound = fuzzy.earliest or fuzzy.latest
    return bound.year if bound else LAST_YEAR
