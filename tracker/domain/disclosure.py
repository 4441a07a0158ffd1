"""Disclosure levels (DOMAIN §7): who may take which level, and how fine dates and places get.

Pure rules, no database: the report snapshot builders apply them once, in one place.
"""

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from tracker.domain.date_formatting import format_fuzzy_date
from tracker.domain.errors import DisclosureRefused
from tracker.domain.fuzzy_date import UNKNOWN_DATE, DatePrecision, DateQualifier, FuzzyDate


class DisclosureLevel(StrEnum):
    """How much of a record leaves the organisation, from everything to aggregates."""

    INTERNAL = "internal"  # everything, for the organisation itself
    LEGAL = "legal"  # what a lawyer files in court
    PARTNER = "partner"  # pseudonymised, for trusted partner organisations
    PUBLIC = "public"  # aggregates and consented narratives


# From the most to the least revealing.
LEVEL_ORDER = (
    DisclosureLevel.INTERNAL,
    DisclosureLevel.LEGAL,
    DisclosureLevel.PARTNER,
    DisclosureLevel.PUBLIC,
)

# Which levels each role may export. A role that may not read identities in the app may not
# take them out in a file either; documenters export nothing (their phones get seized).
LEVELS_BY_ROLE: dict[str, frozenset[DisclosureLevel]] = {
    "admin": frozenset(LEVEL_ORDER),
    "lawyer": frozenset({DisclosureLevel.LEGAL, DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC}),
    "reviewer": frozenset({DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC}),
    "analyst": frozenset({DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC}),
    "documenter": frozenset(),
}

# The finest place precision (DOMAIN §5: 1 site ... 5 unknown) each level may print.
PLACE_PRECISION_FLOOR = {
    DisclosureLevel.INTERNAL: 1,
    DisclosureLevel.LEGAL: 1,
    DisclosureLevel.PARTNER: 3,
    DisclosureLevel.PUBLIC: 3,
}

# Marking printed on every page of a document at this level.
CLASSIFICATION_MARKINGS = {
    DisclosureLevel.INTERNAL: "INTERNAL - CONTAINS IDENTITIES - DO NOT SHARE",
    DisclosureLevel.LEGAL: "CONFIDENTIAL - LEGAL USE ONLY",
    DisclosureLevel.PARTNER: "PARTNER - PSEUDONYMISED - NOT FOR PUBLICATION",
    DisclosureLevel.PUBLIC: "PUBLIC",
}


def parse_level(text: str) -> DisclosureLevel:
    """The level named by text; raises DisclosureRefused naming the known levels."""
    try:
        return DisclosureLevel(text.strip().lower())
    except ValueError:
        known = ", ".join(level.value for level in LEVEL_ORDER)
        raise DisclosureRefused(f"level: unknown disclosure level {text!r}; use {known}") from None


def levels_for_roles(roles: frozenset[str]) -> frozenset[DisclosureLevel]:
    """Every level at least one of the roles may export."""
    allowed: frozenset[DisclosureLevel] = frozenset()
    for role in roles:
        allowed |= LEVELS_BY_ROLE.get(role, frozenset())
    return allowed


def require_level(roles: frozenset[str], level: DisclosureLevel) -> None:
    """Raises DisclosureRefused when none of the roles may export at this level."""
    if level not in levels_for_roles(roles):
        raise DisclosureRefused(f"level: your role may not export at the {level.value} level")


def reveals_identities(level: DisclosureLevel) -> bool:
    """True for the levels at which a consented real name may be printed."""
    return level in (DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL)


def is_pseudonymised(level: DisclosureLevel) -> bool:
    return level in (DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC)


# --- dates: never finer than the level allows, never finer than recorded ---------------------

_WIDENED_PRECISIONS = (
    DatePrecision.MONTH,
    DatePrecision.SEASON,
    DatePrecision.YEAR,
    DatePrecision.DECADE,
)


def widen_date(fuzzy: FuzzyDate, level: DisclosureLevel) -> FuzzyDate:
    """The date as this level may print it: as recorded at internal and legal; at partner and
    public widened outward to whole months, coarser precisions kept, the witness's own words
    replaced by a neutral label. Raises nothing."""
    if not is_pseudonymised(level):
        return fuzzy
    if fuzzy.precision is DatePrecision.UNKNOWN:
        return UNKNOWN_DATE
    earliest = None if fuzzy.earliest is None else fuzzy.earliest.replace(day=1)
    latest = None if fuzzy.latest is None else _last_day_of_month(fuzzy.latest)
    widened = FuzzyDate(
        original_text="",
        earliest=earliest,
        latest=latest,
        precision=_at_least_month(fuzzy.precision),
        qualifier=_widened_qualifier(fuzzy, earliest, latest),
    )
    # "8 March at 14:00 near his flat" must never leave: the label is made from the bounds.
    return replace(widened, original_text=format_fuzzy_date(widened))


def _last_day_of_month(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _at_least_month(precision: DatePrecision) -> DatePrecision:
    return precision if precision in _WIDENED_PRECISIONS else DatePrecision.MONTH


def _widened_qualifier(
    fuzzy: FuzzyDate, earliest: date | None, latest: date | None
) -> DateQualifier:
    """A day range across months becomes "between" those months; others keep their meaning."""
    if fuzzy.qualifier is not DateQualifier.EXACT or fuzzy.precision in _WIDENED_PRECISIONS:
        return fuzzy.qualifier
    if earliest is None or latest is None:
        return fuzzy.qualifier
    same_month = (earliest.year, earliest.month) == (latest.year, latest.month)
    return fuzzy.qualifier if same_month else DateQualifier.BETWEEN


# --- places: the chain from the recorded node up, cut at the level's precision ---------------


class PlaceStep(NamedTuple):
    """One node of a place's chain, nearest first: its name, precision and sensitivity."""

    name: str
    geo_precision: int
    sensitive: bool


def visible_place_names(chain: Sequence[PlaceStep], level: DisclosureLevel) -> tuple[str, ...]:
    """The names of the chain (place first, country last) this level may print.

    Nodes finer than the level's floor are dropped; a sensitive node (a home, a shelter)
    never leaves the internal level.
    """
    floor = PLACE_PRECISION_FLOOR[level]
    return tuple(
        step.name
        for step in chain
        if step.name
        and step.geo_precision >= floor
        and (level is DisclosureLevel.INTERNAL or not step.sensitive)
    )
