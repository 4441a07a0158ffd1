"""Cases: a lawyer's file with its incidents, clients and legal actions with ECtHR deadlines."""

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.dates import FuzzyDate, parse_fuzzy_date
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.domain.legal import ecthr_deadline
from tracker.models import Case, CaseClient, CaseIncident, Incident, LegalAction, UserAccount
from tracker.services.codes import allocate_code
from tracker.services.people import require_person
from tracker.services.records import (
    create_record,
    get_record,
    live,
    require_live,
    restore_record,
    soft_delete_record,
    update_record,
)
from tracker.services.vocabularies import require_code

CASE_CODE_PREFIX = "CASE-"
CASE_CODE_WIDTH = 4
CASE_FIELDS = ("title", "summary", "status", "lead_lawyer_id")
LEGAL_ACTION_DATES = ("filed_on", "decided_on", "served_on")
LEGAL_ACTION_FIELDS = (
    "kind",
    "forum",
    "outcome",
    "sentence_months",
    "is_final_domestic",
    "notes",
    *(f"{name}_text" for name in LEGAL_ACTION_DATES),
)


def check_case_values(session: Session, values: Mapping[str, Any]) -> None:
    """Raises InvalidInput naming the field."""
    if "status" in values:
        require_code(session, "case_status", values["status"], "status")
    lawyer_id = values.get("lead_lawyer_id")
    if lawyer_id is not None and session.get(UserAccount, lawyer_id) is None:
        raise InvalidInput(f"lead_lawyer_id: no user {lawyer_id}")


def create_case(
    session: Session,
    *,
    title: str,
    actor_id: uuid.UUID | None,
    summary: str = "",
    status: str = "open",
    lead_lawyer_id: uuid.UUID | None = None,
) -> Case:
    """A new case with a server-assigned code (CASE-0001). Raises InvalidInput naming the field."""
    if not title.strip():
        raise InvalidInput("title: a case needs a title")
    values: dict[str, Any] = {
        "title": title,
        "summary": summary,
        "status": status,
        "lead_lawyer_id": lead_lawyer_id,
    }
    check_case_values(session, values)
    values["code"] = allocate_code(
        session, family="case", column=Case.code, prefix=CASE_CODE_PREFIX, width=CASE_CODE_WIDTH
    )
    return create_record(session, Case, actor_id=actor_id, values=values)


def get_case(session: Session, case_id: uuid.UUID, *, include_deleted: bool = False) -> Case:
    """Raises RecordNotFound."""
    return get_record(session, Case, case_id, include_deleted=include_deleted)


def list_cases(
    session: Session, *, status: str | None = None, include_deleted: bool = False
) -> list[Case]:
    """Cases by code, optionally with one status."""
    statement = select(Case)
    if not include_deleted:
        statement = live(statement, Case)
    if status is not None:
        statement = statement.where(col(Case.status) == status)
    return list(session.execute(statement.order_by(col(Case.code))).scalars())


def update_case(
    session: Session,
    *,
    case_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
) -> Case:
    """Raises InvalidInput naming the field, EditConflict, RecordNotFound."""
    case = get_case(session, case_id)
    unknown = sorted(set(changes) - set(CASE_FIELDS))
    if unknown:
        raise InvalidInput(f"case: unknown or read-only fields {', '.join(unknown)}")
    if "title" in changes and not str(changes["title"]).strip():
        raise InvalidInput("title: a case needs a title")
    check_case_values(session, changes)
    return update_record(
        session, case, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def delete_case(
    session: Session, *, case_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Case:
    """Raises EditConflict, RecordNotFound."""
    case = get_case(session, case_id)
    return soft_delete_record(session, case, actor_id=actor_id, expected_version=expected_version)


def restore_case(
    session: Session, *, case_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID | None
) -> Case:
    """Raises InvalidInput when not deleted, EditConflict, RecordNotFound."""
    case = get_case(session, case_id, include_deleted=True)
    return restore_record(session, case, actor_id=actor_id, expected_version=expected_version)


# --- incidents and clients --------------------------------------------------------------------


MemberT = TypeVar("MemberT", CaseIncident, CaseClient)


def live_member(
    session: Session, model: type[MemberT], case_id: uuid.UUID, column: Any, member_id: uuid.UUID
) -> MemberT | None:
    """The live membership row of an incident or client in a case, if any."""
    statement = live(select(model), model).where(col(model.case_id) == case_id, column == member_id)
    member: MemberT | None = session.execute(statement).scalar()
    return member


def add_incident_to_case(
    session: Session, *, case_id: uuid.UUID, incident_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CaseIncident:
    """Raises InvalidInput naming the field, or when the incident is already in the case."""
    require_live(session, Case, case_id, "case_id")
    require_live(session, Incident, incident_id, "incident_id")
    if live_member(session, CaseIncident, case_id, CaseIncident.incident_id, incident_id):
        raise InvalidInput("incident_id: this incident is already in the case")
    values = {"case_id": case_id, "incident_id": incident_id}
    return create_record(session, CaseIncident, actor_id=actor_id, values=values)


def remove_incident_from_case(
    session: Session, *, case_id: uuid.UUID, incident_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CaseIncident:
    """Raises InvalidInput when the incident is not in the case."""
    member = live_member(session, CaseIncident, case_id, CaseIncident.incident_id, incident_id)
    if member is None:
        raise InvalidInput("incident_id: this incident is not in the case")
    return soft_delete_record(session, member, actor_id=actor_id, expected_version=member.version)


def incidents_of_case(session: Session, case_id: uuid.UUID) -> list[Incident]:
    """The case's live incidents."""
    members = live(select(col(CaseIncident.incident_id)), CaseIncident).where(
        col(CaseIncident.case_id) == case_id
    )
    statement = live(select(Incident), Incident).where(col(Incident.id).in_(members))
    return list(session.execute(statement.order_by(col(Incident.code))).scalars())


def add_client(
    session: Session, *, case_id: uuid.UUID, person_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CaseClient:
    """Raises InvalidInput naming the field, or when the person is already a client."""
    require_live(session, Case, case_id, "case_id")
    require_person(session, person_id, "person_id")
    if live_member(session, CaseClient, case_id, CaseClient.person_id, person_id):
        raise InvalidInput("person_id: this person is already a client of the case")
    values = {"case_id": case_id, "person_id": person_id}
    return create_record(session, CaseClient, actor_id=actor_id, values=values)


def remove_client(
    session: Session, *, case_id: uuid.UUID, person_id: uuid.UUID, actor_id: uuid.UUID | None
) -> CaseClient:
    """Raises InvalidInput when the person is not a client."""
    member = live_member(session, CaseClient, case_id, CaseClient.person_id, person_id)
    if member is None:
        raise InvalidInput("person_id: this person is not a client of the case")
    return soft_delete_record(session, member, actor_id=actor_id, expected_version=member.version)


def clients_of_case(session: Session, case_id: uuid.UUID) -> list[CaseClient]:
    statement = live(select(CaseClient), CaseClient).where(col(CaseClient.case_id) == case_id)
    return list(session.execute(statement.order_by(col(CaseClient.created_at))).scalars())


# --- legal actions ----------------------------------------------------------------------------


def parse_action_date(text: str | None, field: str, today: date | None) -> FuzzyDate | None:
    """Raises InvalidDate naming the field."""
    if text is None or not text.strip():
        return None
    try:
        return parse_fuzzy_date(text, today=today)
    except InvalidDate as error:
        raise InvalidDate(f"{field}: {error}") from None


def action_columns(
    session: Session, fields: Mapping[str, Any], today: date | None
) -> dict[str, Any]:
    """Stored columns from entered fields: dates parsed, everything checked.

    Raises InvalidInput naming the field.
    """
    unknown = sorted(set(fields) - set(LEGAL_ACTION_FIELDS))
    if unknown:
        raise InvalidInput(f"legal action: unknown or read-only fields {', '.join(unknown)}")
    columns = {name: value for name, value in fields.items() if not name.endswith("_text")}
    for name in LEGAL_ACTION_DATES:
        if f"{name}_text" in fields:
            columns[name] = parse_action_date(fields[f"{name}_text"], name, today)
    check_action_columns(session, columns)
    return columns


def check_action_columns(session: Session, columns: Mapping[str, Any]) -> None:
    if "kind" in columns:
        require_code(session, "legal_action_kind", columns["kind"], "kind")
    months = columns.get("sentence_months")
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or months < 0
    ):
        raise InvalidInput("sentence_months: a whole number of 0 or more")
    if "is_final_domestic" in columns and not isinstance(columns["is_final_domestic"], bool):
        raise InvalidInput("is_final_domestic: must be true or false")


def deadline_columns(decided_on: FuzzyDate | None, is_final_domestic: bool) -> dict[str, Any]:
    deadline = ecthr_deadline(decided_on, is_final_domestic=is_final_domestic)
    return {"deadline_on": deadline.day, "deadline_needs_confirmation": deadline.needs_confirmation}


def add_legal_action(
    session: Session,
    *,
    case_id: uuid.UUID,
    kind: str,
    actor_id: uuid.UUID | None,
    today: date | None = None,
    **fields: Any,
) -> LegalAction:
    """A legal action on a case; `filed_on_text`, `decided_on_text`, `served_on_text` are
    parsed; the ECtHR deadline is computed from a final domestic decision.

    Other fields: forum, outcome, sentence_months, is_final_domestic, notes.
    Raises InvalidInput naming the field.
    """
    require_live(session, Case, case_id, "case_id")
    columns = action_columns(session, {"kind": kind, **fields}, today)
    columns.update(
        deadline_columns(columns.get("decided_on"), bool(columns.get("is_final_domestic", False)))
    )
    return create_record(
        session, LegalAction, actor_id=actor_id, values={"case_id": case_id, **columns}
    )


def update_legal_action(
    session: Session,
    *,
    legal_action_id: uuid.UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
    today: date | None = None,
) -> LegalAction:
    """Change a legal action; the deadline follows the decision.

    Raises InvalidInput naming the field, EditConflict, RecordNotFound.
    """
    action = get_record(session, LegalAction, legal_action_id)
    columns = action_columns(session, changes, today)
    decided_on = columns.get("decided_on", action.decided_on)
    final = columns.get("is_final_domestic", action.is_final_domestic)
    columns.update(deadline_columns(decided_on, final))
    return update_record(
        session, action, actor_id=actor_id, expected_version=expected_version, changes=columns
    )


def legal_actions_of_case(session: Session, case_id: uuid.UUID) -> list[LegalAction]:
    statement = live(select(LegalAction), LegalAction).where(col(LegalAction.case_id) == case_id)
    return list(session.execute(statement.order_by(col(LegalAction.created_at))).scalars())


def delete_legal_action(
    session: Session,
    *,
    legal_action_id: uuid.UUID,
    expected_version: int,
    actor_id: uuid.UUID | None,
) -> LegalAction:
    """Raises EditConflict, RecordNotFound."""
    action = get_record(session, LegalAction, legal_action_id)
    return soft_delete_record(session, action, actor_id=actor_id, expected_version=expected_version)
