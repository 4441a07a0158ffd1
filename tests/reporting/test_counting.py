"""DOMAIN §8 counting rules and public suppression, over plain rows (no database)."""

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.dates import parse_fuzzy_date
from tracker.reporting.counting import (
    SECONDARY_MARK,
    IncidentRow,
    LegalActionRow,
    count_legal_actions,
    count_year,
    suppress_group,
)

TODAY = date(2024, 6, 1)
PERSON_A, PERSON_B, PERSON_C = (uuid.uuid4() for _ in range(3))


def row(start: str = "8 March 2023", end: str | None = None, **values: object) -> IncidentRow:
    defaults: dict[str, object] = {"incident_id": uuid.uuid4(), "incident_type": "DET"}
    return IncidentRow(
        start=parse_fuzzy_date(start, today=TODAY),
        end=None if end is None else parse_fuzzy_date(end, today=TODAY),
        **(defaults | values),  # type: ignore[arg-type]
    )


THREE_VICTIMS = [row(victim_ids=(PERSON_A, PERSON_B, PERSON_C))]
DETAINED_TWICE = [row(victim_ids=(PERSON_A,)), row("20 June 2023", victim_ids=(PERSON_A,))]
LATE_TO_EARLY = [row("late 2022", "early 2023")]
DELETED_AND_DUPLICATE = [row(deleted=True), row(duplicate=True), row()]
AGGREGATE_ONLY = [row("2023", incident_type="RAID", reported_victims_text="nearly 100")]


@pytest.mark.parametrize(
    "rows, year, expected",
    [
        (THREE_VICTIMS, 2023, {"incidents": 1, "victim_involvements": 3, "unique_victims": 3}),
        (DETAINED_TWICE, 2023, {"incidents": 2, "victim_involvements": 2, "unique_victims": 1}),
        (LATE_TO_EARLY, 2023, {"incidents": 0, "date_uncertain": 1, "month_uncertain": 0}),
        (LATE_TO_EARLY, 2022, {"incidents": 0, "date_uncertain": 1, "month_uncertain": 0}),
        (DELETED_AND_DUPLICATE, 2023, {"incidents": 1, "date_uncertain": 0}),
        (
            AGGREGATE_ONLY,
            2023,
            {"incidents": 1, "victim_involvements": 0, "unique_victims": 0, "aggregate_only": 1},
        ),
        ([row("2023")], 2023, {"incidents": 1, "month_uncertain": 1}),
        ([row("spring 2023")], 2023, {"incidents": 1, "month_uncertain": 1}),
        ([row("8 March 2023")], 2024, {"incidents": 0, "date_uncertain": 0}),
        ([row("before 2019")], 2018, {"incidents": 0, "date_uncertain": 1}),
        ([row("unknown")], 2023, {"incidents": 0, "date_uncertain": 0}),
        ([row("30 March 2023", "2 April 2023")], 2023, {"incidents": 1, "month_uncertain": 1}),
    ],
)
def test_counting_rules(rows: list[IncidentRow], year: int, expected: dict[str, int]) -> None:
    counts = count_year(rows, year)
    assert {key: getattr(counts, key) for key in expected} == expected


def test_late_2022_to_early_2023_is_in_neither_years_monthly_totals() -> None:
    for year in (2022, 2023):
        counts = count_year(LATE_TO_EARLY, year)
        assert sum(counts.by_month.values()) == 0
        assert counts.by_type == {}


def test_an_incident_counts_once_under_its_primary_type() -> None:
    counts = count_year([row(incident_type="RAID", secondary_types=("DET", "TORT"))], 2023)
    assert counts.by_type == {"RAID": 1}
    assert counts.by_secondary_type == {"DET": 1, "TORT": 1}


def test_month_and_region_come_from_the_row() -> None:
    counts = count_year([row(region="Baku"), row("5 March 2023"), row("1 May 2023")], 2023)
    assert counts.by_month[3] == 2 and counts.by_month[5] == 1
    assert counts.by_region == {"Baku": 1}
    assert counts.region_uncertain == 2


def test_perpetrator_types_may_exceed_the_total_and_none_means_unknown() -> None:
    rows = [row(perpetrator_types=frozenset({"state_agent", "family_member"})), row()]
    counts = count_year(rows, 2023)
    assert counts.by_perpetrator_type == {"state_agent": 1, "family_member": 1, "unknown": 1}
    assert sum(counts.by_perpetrator_type.values()) > counts.incidents


def test_estimates_are_listed_as_said_or_as_bounds() -> None:
    rows = [*AGGREGATE_ONLY, row(reported_victims_min=20, reported_victims_max=30)]
    assert count_year(rows, 2023).estimates == ("nearly 100", "20\u201330")


def test_legal_actions_count_by_kind_when_wholly_in_the_year() -> None:
    rows = [
        LegalActionRow("judgment", None, parse_fuzzy_date("3 May 2023", today=TODAY), True),
        LegalActionRow("complaint", parse_fuzzy_date("2023", today=TODAY), None),
        LegalActionRow("appeal", parse_fuzzy_date("late 2022", today=TODAY), None),
    ]
    counts = count_legal_actions(rows, 2023)
    assert set(counts) == {"judgment", "complaint"}
    assert (counts["judgment"].decided, counts["judgment"].final_domestic) == (1, 1)
    assert counts["complaint"].filed == 1


# --- suppression ---------------------------------------------------------------------------


def test_small_cells_are_shown_below_the_threshold() -> None:
    assert suppress_group([10, 2, 7], 3, has_total=False) == ("10", "<3", "7")


def test_one_hidden_cell_hides_the_next_smallest_too() -> None:
    assert suppress_group([10, 2, 7], 3, has_total=True) == ("10", "<3", SECONDARY_MARK)


def test_no_threshold_hides_nothing() -> None:
    assert suppress_group([1, 0, 2], 0, has_total=True) == ("1", "0", "2")


def feasible_values(cells: tuple[str, ...], values: list[int], threshold: int) -> list[set[int]]:
    """What a reader can deduce of each hidden cell from the shown cells and the total.

    "<t" cells lie in 0..t-1; "*" cells are at least t (the reader may know the rule).
    """
    hidden = [index for index, cell in enumerate(cells) if not cell.isdigit()]
    remainder = sum(values) - sum(int(cell) for cell in cells if cell.isdigit())
    ranges = [
        range(threshold) if cells[index] != SECONDARY_MARK else range(threshold, remainder + 1)
        for index in hidden
    ]
    feasible: list[set[int]] = [set() for _ in hidden]
    explore(ranges, remainder, [], feasible)
    return feasible


def explore(ranges: list[range], remainder: int, chosen: list[int], out: list[set[int]]) -> None:
    if len(chosen) == len(ranges):
        if remainder == 0:
            for index, value in enumerate(chosen):
                out[index].add(value)
        return
    for value in ranges[len(chosen)]:
        if value <= remainder:
            explore(ranges, remainder - value, [*chosen, value], out)


@given(
    values=st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=6),
    threshold=st.integers(min_value=2, max_value=5),
)
def test_no_hidden_cell_can_be_recovered_from_the_total(values: list[int], threshold: int) -> None:
    cells = suppress_group(values, threshold, has_total=True)
    hidden_values = [value for value, cell in zip(values, cells, strict=True) if not cell.isdigit()]
    feasible = feasible_values(cells, values, threshold)
    for actual, possible in zip(hidden_values, feasible, strict=True):
        assert actual in possible
        if len(possible) == 1 and actual > 0:
            # Only when nothing else was left to hide (every cell hidden already).
            assert all(not cell.isdigit() for cell in cells), (values, cells)
