"""The ECtHR time limit: 4 months from 1 February 2022, else 6; never moved off a weekend."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.dates import UNKNOWN_DATE, parse_fuzzy_date
from tracker.domain.legal import Deadline, deadline_from_day, ecthr_deadline, time_limit_months

TODAY = date(2024, 6, 1)


def deadline_for(text: str) -> Deadline:
    return ecthr_deadline(parse_fuzzy_date(text, today=TODAY), is_final_domestic=True)


@pytest.mark.parametrize(
    ("decided", "deadline"),
    [
        ("15 March 2023", date(2023, 7, 15)),  # four months under Protocol No. 15
        ("1 February 2022", date(2022, 6, 1)),  # the first day of the four-month rule
        ("31 January 2022", date(2022, 7, 31)),  # the last day of the six-month rule
        ("30 October 2017", date(2018, 4, 30)),
        ("31 October 2022", date(2023, 2, 28)),  # no 31 February: the month's last day
        ("12 November 2022", date(2023, 3, 12)),  # a Sunday, and it stays a Sunday
    ],
)
def test_day_precise_decisions_give_firm_deadlines(decided: str, deadline: date) -> None:
    assert deadline_for(decided) == Deadline(day=deadline, needs_confirmation=False)


def test_deadline_is_not_moved_off_a_weekend() -> None:
    result = deadline_for("12 November 2022")
    assert result.day is not None and result.day.weekday() == 6


def test_vague_decision_counts_from_the_earliest_bound_and_asks_to_confirm() -> None:
    assert deadline_for("March 2023") == Deadline(day=date(2023, 7, 1), needs_confirmation=True)
    assert deadline_for("2019") == Deadline(day=date(2019, 7, 1), needs_confirmation=True)


def test_range_straddling_protocol_15_takes_the_sooner_deadline() -> None:
    # Decided sometime from Dec 2021 to Feb 2022: a 1 February decision ends on 1 June 2022.
    result = deadline_for("between December 2021 and February 2022")
    assert result == Deadline(day=date(2022, 6, 1), needs_confirmation=True)


def test_no_deadline_without_a_final_domestic_decision() -> None:
    decided = parse_fuzzy_date("15 March 2023", today=TODAY)
    assert ecthr_deadline(decided, is_final_domestic=False) == Deadline(None, False)
    assert ecthr_deadline(None, is_final_domestic=True) == Deadline(None, False)


def test_open_or_unknown_decision_dates_only_ask_for_confirmation() -> None:
    assert ecthr_deadline(UNKNOWN_DATE, is_final_domestic=True) == Deadline(None, True)
    assert deadline_for("before 2019") == Deadline(None, True)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
def test_deadline_is_four_or_six_months_on_the_same_day_or_month_end(decided: date) -> None:
    months = time_limit_months(decided)
    assert months == (4 if decided >= date(2022, 2, 1) else 6)
    deadline = deadline_from_day(decided)
    year, month_index = divmod(decided.year * 12 + decided.month - 1 + months, 12)
    assert (deadline.year, deadline.month) == (year, month_index + 1)
    following_month_start = (deadline.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = following_month_start - timedelta(days=1)
    assert deadline.day == min(decided.day, month_end.day)
