"""Compute the ECtHR time limit from a final domestic decision, flagged for a lawyer to confirm."""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from tracker.domain.dates import DatePrecision, FuzzyDate

# Protocol No. 15 shortened the limit to four months for final decisions from this day on.
PROTOCOL_15_IN_FORCE = date(2022, 2, 1)
MONTHS_BEFORE_PROTOCOL_15 = 6
MONTHS_UNDER_PROTOCOL_15 = 4


@dataclass(frozen=True)
class Deadline:
    """The last day to apply, and whether a lawyer must confirm it (the decision date is vague)."""

    day: date | None
    needs_confirmation: bool


NO_DEADLINE = Deadline(day=None, needs_confirmation=False)


def time_limit_months(decided: date) -> int:
    """Four months from a decision on or after 1 February 2022, six before it."""
    if decided >= PROTOCOL_15_IN_FORCE:
        return MONTHS_UNDER_PROTOCOL_15
    return MONTHS_BEFORE_PROTOCOL_15


def deadline_from_day(decided: date) -> date:
    """The limit ends on the same day of the month (or the month's last day), weekend or not."""
    return decided + relativedelta(months=time_limit_months(decided))


def earliest_possible_deadline(earliest: date, latest: date | None) -> date:
    """The soonest the limit could end for a decision somewhere in [earliest, latest].

    A range straddling 1 February 2022 may end sooner under the four-month rule.
    """
    candidates = [deadline_from_day(earliest)]
    if earliest < PROTOCOL_15_IN_FORCE and (latest is None or latest >= PROTOCOL_15_IN_FORCE):
        candidates.append(deadline_from_day(PROTOCOL_15_IN_FORCE))
    return min(candidates)


def is_day_precise(decided: FuzzyDate) -> bool:
    return decided.precision == DatePrecision.DAY and decided.earliest == decided.latest


def ecthr_deadline(decided_on: FuzzyDate | None, *, is_final_domestic: bool) -> Deadline:
    """The ECtHR time limit for a legal action.

    Only a final domestic decision starts the clock. A decision known to the day gives a firm
    deadline; otherwise the earliest bound gives the soonest possible one, flagged "confirm".
    A decision with no earliest bound ("before 2019") gives no day, flagged "confirm".
    """
    if not is_final_domestic or decided_on is None:
        return NO_DEADLINE
    earliest = decided_on.earliest
    if earliest is None:
        return Deadline(day=None, needs_confirmation=True)
    if is_day_precise(decided_on):
        return Deadline(day=deadline_from_day(earliest), needs_confirmation=False)
    day = earliest_possible_deadline(earliest, decided_on.latest)
    return Deadline(day=day, needs_confirmation=True)
