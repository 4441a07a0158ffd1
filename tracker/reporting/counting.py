"""Count incidents and victims for one year by the rules of DOMAIN §8, over plain rows.

No database here: the annual snapshot builder loads rows in bulk and hands them in, so every
rule can be tested from a table. Decisions beyond DOMAIN's words:
- an incident whose date lies only partly in the year (or whose unknown end leaves it open)
  is in none of the year's totals, by type, month, region or perpetrator; it is listed only
  as "date uncertain", with its count;
- an incident of unknown date overlaps no year and is in no annual report;
- an incident with no alleged perpetrator recorded counts under perpetrator type `unknown`;
- a victim is a person or an organisation in the victim role; unique victims are counted
  by the record's id (a merged person by the survivor's id);
- the estimates of aggregate-only events are never added to any victim count.
"""

import calendar
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from tracker.domain.fuzzy_date import (
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    Overlap,
    falls_wholly_within,
    overlaps,
)

UNKNOWN_PERPETRATOR = "unknown"
# How a cell hidden only so that a total cannot reveal a smaller one is printed.
SECONDARY_MARK = "*"


@dataclass(frozen=True)
class IncidentRow:
    """What counting needs of one incident; `region` is its first-level unit, None if unknown."""

    incident_id: uuid.UUID
    incident_type: str
    start: FuzzyDate
    end: FuzzyDate | None = None
    secondary_types: tuple[str, ...] = ()
    region: str | None = None
    perpetrator_types: frozenset[str] = frozenset()
    # One id per victim involvement: the same person twice in one incident is not possible.
    victim_ids: tuple[uuid.UUID, ...] = ()
    reported_victims_text: str = ""
    reported_victims_min: int | None = None
    reported_victims_max: int | None = None
    deleted: bool = False
    duplicate: bool = False  # has a `duplicate_of` link to a canonical incident

    @property
    def is_aggregate_only(self) -> bool:
        """Reported as a crowd ("nearly 100"), not as named victims."""
        return bool(self.reported_victims_text.strip()) or (
            self.reported_victims_min is not None or self.reported_victims_max is not None
        )


@dataclass(frozen=True)
class LegalActionRow:
    """What counting needs of one legal action."""

    kind: str
    filed_on: FuzzyDate | None
    decided_on: FuzzyDate | None
    is_final_domestic: bool = False


@dataclass(frozen=True)
class LegalActionCount:
    filed: int = 0
    decided: int = 0
    final_domestic: int = 0


@dataclass(frozen=True)
class YearCounts:
    """Every count of one year; dicts map a vocabulary code (or region) to a count."""

    year: int
    incidents: int
    victim_involvements: int
    unique_victims: int
    by_type: dict[str, int]
    by_month: dict[int, int]  # 1..12, every month present
    month_uncertain: int
    by_region: dict[str, int]
    region_uncertain: int
    by_perpetrator_type: dict[str, int]
    by_secondary_type: dict[str, int]
    aggregate_only: int
    estimates: tuple[str, ...]
    date_uncertain: int
    counted_ids: frozenset[uuid.UUID] = field(default=frozenset())


# --- dates against the year ----------------------------------------------------------------


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def incident_span(start: FuzzyDate, end: FuzzyDate | None) -> FuzzyDate:
    """One range from the start's earliest to the end's latest day; the start alone if no end.

    An end said to be unknown leaves the incident open towards the future.
    """
    if end is None or start.precision is DatePrecision.UNKNOWN:
        return start
    low = start.earliest
    high = None if end.precision is DatePrecision.UNKNOWN else end.latest
    if low is None and high is None:
        return FuzzyDate("", None, None, DatePrecision.UNKNOWN, DateQualifier.EXACT)
    qualifier = _span_qualifier(low, high)
    return FuzzyDate(start.original_text, low, high, DatePrecision.DAY, qualifier)


def _span_qualifier(low: date | None, high: date | None) -> DateQualifier:
    if low is None:
        return DateQualifier.BEFORE
    return DateQualifier.AFTER if high is None else DateQualifier.BETWEEN


def place_in_year(row: IncidentRow, year: int) -> Overlap:
    """Wholly within (counted), partly within (date uncertain) or outside the year."""
    return overlaps(incident_span(row.start, row.end), *year_bounds(year))


def month_of(row: IncidentRow, year: int) -> int | None:
    """The month the whole date lies in, or None when it may lie in more than one."""
    span = incident_span(row.start, row.end)
    if span.earliest is None or span.earliest.year != year:
        return None
    month = span.earliest.month
    return month if falls_wholly_within(span, *month_bounds(year, month)) else None


def is_countable(row: IncidentRow) -> bool:
    """Deleted incidents and duplicates leave every count (DOMAIN §2, §8)."""
    return not row.deleted and not row.duplicate


# --- counting --------------------------------------------------------------------------------


def split_by_year(
    rows: Iterable[IncidentRow], year: int
) -> tuple[list[IncidentRow], list[IncidentRow]]:
    """The countable incidents wholly in the year, and those only partly in it."""
    counted: list[IncidentRow] = []
    uncertain: list[IncidentRow] = []
    for row in rows:
        if not is_countable(row):
            continue
        overlap = place_in_year(row, year)
        if overlap is Overlap.WHOLLY_WITHIN:
            counted.append(row)
        elif overlap is Overlap.PARTLY_WITHIN:
            uncertain.append(row)
    return counted, uncertain


def count_year(rows: Iterable[IncidentRow], year: int) -> YearCounts:
    """All of DOMAIN §8's counts for one year."""
    counted, uncertain = split_by_year(rows, year)
    months = Counter(month_of(row, year) for row in counted)
    regions = Counter(row.region for row in counted)
    aggregate = [row for row in counted if row.is_aggregate_only]
    return YearCounts(
        year=year,
        incidents=len(counted),
        victim_involvements=sum(len(row.victim_ids) for row in counted),
        unique_victims=len({victim for row in counted for victim in row.victim_ids}),
        by_type=dict(Counter(row.incident_type for row in counted)),
        by_month={month: months.get(month, 0) for month in range(1, 13)},
        month_uncertain=months.get(None, 0),
        by_region={region: n for region, n in regions.items() if region is not None},
        region_uncertain=regions.get(None, 0),
        by_perpetrator_type=dict(_count_each(perpetrator_types_of(row) for row in counted)),
        by_secondary_type=dict(_count_each(row.secondary_types for row in counted)),
        aggregate_only=len(aggregate),
        estimates=tuple(estimate_text(row) for row in aggregate),
        date_uncertain=len(uncertain),
        counted_ids=frozenset(row.incident_id for row in counted),
    )


def perpetrator_types_of(row: IncidentRow) -> tuple[str, ...]:
    """Each perpetrator type once; none recorded means the perpetrator is unknown."""
    return tuple(sorted(row.perpetrator_types)) or (UNKNOWN_PERPETRATOR,)


def _count_each(code_lists: Iterable[Sequence[str]]) -> Counter[str]:
    """How many incidents name each code (an incident counts once per code)."""
    counts: Counter[str] = Counter()
    for codes in code_lists:
        counts.update(set(codes))
    return counts


def estimate_text(row: IncidentRow) -> str:
    """An aggregate-only event's estimate as said, else its bounds ("20-30", "at least 5")."""
    if row.reported_victims_text.strip():
        return row.reported_victims_text.strip()
    low, high = row.reported_victims_min, row.reported_victims_max
    if low is not None and high is not None:
        return str(low) if low == high else f"{low}\u2013{high}"
    return f">= {low}" if low is not None else f"<= {high}"


def count_legal_actions(rows: Iterable[LegalActionRow], year: int) -> dict[str, LegalActionCount]:
    """Per kind: filed in the year, decided in the year, and of those final domestic decisions.

    A date only partly in the year does not count, as for incidents.
    """
    counts: dict[str, LegalActionCount] = {}
    for row in rows:
        filed = _wholly_in_year(row.filed_on, year)
        decided = _wholly_in_year(row.decided_on, year)
        if filed or decided:
            before = counts.get(row.kind, LegalActionCount())
            counts[row.kind] = LegalActionCount(
                filed=before.filed + filed,
                decided=before.decided + decided,
                final_domestic=before.final_domestic + (decided and row.is_final_domestic),
            )
    return counts


def _wholly_in_year(fuzzy: FuzzyDate | None, year: int) -> bool:
    return fuzzy is not None and falls_wholly_within(fuzzy, *year_bounds(year))


# --- suppression -----------------------------------------------------------------------------


def primary_mark(threshold: int) -> str:
    return f"<{threshold}"


def needs_secondary(hidden: Sequence[int], threshold: int) -> bool:
    """Whether the total and the shown cells still pin down a hidden cell above zero.

    Readers know each "<t" cell lies in 0..t-1 and that they sum to the total minus the shown
    cells. A cell is pinned when only one cell is hidden, or when every hidden cell must be
    t-1 (their sum is the largest possible).
    """
    remainder = sum(hidden)
    if remainder == 0:
        return False  # only zeros are hidden: nobody is revealed
    return len(hidden) == 1 or remainder == len(hidden) * (threshold - 1)


def suppress_group(values: Sequence[int], threshold: int, *, has_total: bool) -> tuple[str, ...]:
    """The printed cells of one row or column: "<t" below the threshold, "*" for the one cell
    hidden so that the printed total does not reveal the others; a threshold of 0 hides none.

    Every cell hidden as "*" is at least the threshold, so with one in the group no "<t" cell
    and not the "*" cell itself can be recovered from the total.
    """
    shown = [primary_mark(threshold) if value < threshold else str(value) for value in values]
    hidden = [value for value in values if value < threshold]
    if has_total and needs_secondary(hidden, threshold):
        candidates = [index for index, value in enumerate(values) if value >= threshold]
        if candidates:
            smallest = min(candidates, key=lambda index: (values[index], index))
            shown[smallest] = SECONDARY_MARK
    return tuple(shown)


def suppress_alone(value: int, threshold: int) -> str:
    """A cell in no group with a printed total: only the threshold applies."""
    return primary_mark(threshold) if value < threshold else str(value)


def is_hidden(cell: str) -> bool:
    return not cell.lstrip("-").isdigit()


def ordered_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Largest first, then by code, so tables and charts read the same every time."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
