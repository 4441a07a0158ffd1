"""What a user sees first: recent incidents, incidents awaiting review, legal deadlines, counts.

Every query is bounded (a few rows, or one COUNT) and leaves out what the viewer may not see.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import aliased, load_only
from sqlmodel import Session, col

from tracker.models import Case, Incident, LegalAction
from tracker.services.restrictions import Viewer, visible_condition

RECENT_LIMIT = 10
REVIEW_LIMIT = 10
DEADLINE_LIMIT = 20
DEADLINE_HORIZON_DAYS = 90
# Counting every row of a large table costs more than the number tells at a glance.
COUNT_LIMIT = 1_000
# Incidents nobody has checked against other sources yet (DOMAIN §2 verification_status).
AWAITING_REVIEW = "unverified"
# Filing the application is what the ECtHR time limit asks for; once filed, it is met.
MEETS_DEADLINE = "ecthr_application"
CLOSED_CASE = "closed"
# Lists show a line per incident: the narrative and notes stay in the database.
INCIDENT_COLUMNS = (
    Incident.id,
    Incident.code,
    Incident.title,
    Incident.type,
    Incident.start_text,
    Incident.start_earliest,
    Incident.start_latest,
    Incident.start_precision,
    Incident.start_qualifier,
    Incident.verification_status,
    Incident.updated_at,
    Incident.created_at,
)


@dataclass(frozen=True)
class DeadlineRow:
    """A legal action's ECtHR deadline, with its case."""

    legal_action: LegalAction
    case: Case
    overdue: bool


@dataclass(frozen=True)
class DashboardCounts:
    """Counts up to `limit`; a count above it means "more than limit"."""

    incidents: int
    awaiting_review: int
    open_cases: int
    limit: int


@dataclass(frozen=True)
class Dashboard:
    recent: list[Incident]
    awaiting_review: list[Incident]
    deadlines: list[DeadlineRow]
    counts: DashboardCounts


def visible_incidents(viewer: Viewer) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Incident.deleted_at).is_(None)]
    if not viewer.sees_every_record:
        conditions.append(visible_condition("incident", col(Incident.id), viewer.user_id))
    return conditions


def visible_cases(viewer: Viewer) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Case.deleted_at).is_(None)]
    if not viewer.sees_every_record:
        conditions.append(visible_condition("case_file", col(Case.id), viewer.user_id))
    return conditions


def incident_rows(session: Session, statement: Select[Any]) -> list[Incident]:
    light = statement.options(load_only(*INCIDENT_COLUMNS))  # type: ignore[arg-type]
    return list(session.execute(light).scalars())


def recent_incidents(session: Session, viewer: Viewer) -> list[Incident]:
    """The incidents changed last, newest first."""
    statement = (
        select(Incident)
        .where(*visible_incidents(viewer))
        .order_by(col(Incident.updated_at).desc(), col(Incident.id))
        .limit(RECENT_LIMIT)
    )
    return incident_rows(session, statement)


def incidents_awaiting_review(session: Session, viewer: Viewer) -> list[Incident]:
    """Unverified incidents, the longest waiting first (codes are given in recording order,
    and their index spares sorting every unverified incident)."""
    statement = (
        select(Incident)
        .where(col(Incident.verification_status) == AWAITING_REVIEW, *visible_incidents(viewer))
        .order_by(col(Incident.code))
        .limit(REVIEW_LIMIT)
    )
    return incident_rows(session, statement)


def application_filed() -> ColumnElement[bool]:
    """The case has a live ECtHR application. Uncorrelated IN: both engines hash the few
    filed cases once, where EXISTS ran once per past deadline."""
    filed = aliased(LegalAction)
    filed_cases = select(col(filed.case_id)).where(
        col(filed.kind) == MEETS_DEADLINE, col(filed.deleted_at).is_(None)
    )
    return col(LegalAction.case_id).in_(filed_cases)


def deadline_window(today: date) -> ColumnElement[bool]:
    """Due within the horizon, or overdue and not met, or of unknown day and not met."""
    horizon = today + timedelta(days=DEADLINE_HORIZON_DAYS)
    deadline = col(LegalAction.deadline_on)
    return or_(
        and_(deadline >= today, deadline <= horizon),
        and_(deadline < today, ~application_filed()),
        and_(
            deadline.is_(None),
            col(LegalAction.deadline_needs_confirmation).is_(True),
            ~application_filed(),
        ),
    )


def upcoming_deadlines(session: Session, viewer: Viewer, today: date) -> list[DeadlineRow]:
    """ECtHR deadlines of open cases the viewer may see: unknown days first, then by day."""
    statement = (
        select(LegalAction, Case)
        .join(Case, col(Case.id) == col(LegalAction.case_id))
        .where(
            col(LegalAction.deleted_at).is_(None),
            col(Case.status) != CLOSED_CASE,
            deadline_window(today),
            *visible_cases(viewer),
        )
        .order_by(col(LegalAction.deadline_on).asc().nulls_first(), col(LegalAction.id))
        .limit(DEADLINE_LIMIT)
    )
    return [
        DeadlineRow(action, case, action.deadline_on is not None and action.deadline_on < today)
        for action, case in session.execute(statement).tuples()
    ]


def count_where(session: Session, model: Any, conditions: list[ColumnElement[bool]]) -> int:
    """Rows up to COUNT_LIMIT + 1: past the limit the dashboard says "more than"."""
    rows = select(literal(1)).select_from(model).where(*conditions).limit(COUNT_LIMIT + 1)
    statement = select(func.count()).select_from(rows.subquery())
    return int(session.execute(statement).scalar_one())


def dashboard_counts(session: Session, viewer: Viewer) -> DashboardCounts:
    review = col(Incident.verification_status) == AWAITING_REVIEW
    return DashboardCounts(
        incidents=count_where(session, Incident, visible_incidents(viewer)),
        awaiting_review=count_where(session, Incident, [review, *visible_incidents(viewer)]),
        open_cases=count_where(
            session, Case, [col(Case.status) != CLOSED_CASE, *visible_cases(viewer)]
        ),
        limit=COUNT_LIMIT,
    )


def dashboard_for(session: Session, viewer: Viewer, *, today: date) -> Dashboard:
    """Everything the dashboard shows, for this viewer."""
    return Dashboard(
        recent=recent_incidents(session, viewer),
        awaiting_review=incidents_awaiting_review(session, viewer),
        deadlines=upcoming_deadlines(session, viewer, today),
        counts=dashboard_counts(session, viewer),
    )
