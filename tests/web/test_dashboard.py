"""The dashboard: recent incidents, incidents awaiting review, legal deadlines, counts."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import ACTOR_ID, make_case, make_incident
from tests.web.conftest import Account, WebClient
from tracker.domain.permissions import ROLE_CODES
from tracker.models import Case, Incident, LegalAction
from tracker.services import dashboard as dashboard_service
from tracker.services.cases import add_legal_action, update_case
from tracker.services.incidents import delete_incident, update_incident
from tracker.services.restrictions import set_restriction

SignIn = Callable[[str], WebClient]


def create(engine: Engine, build: Callable[[Session], Any]) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        record = build(session)
        session.commit()
        return record


def dashboard(client: WebClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, heading: str) -> str:
    """The HTML of one dashboard section, from its heading to the next."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]


def final_decision(session: Session, case: Case, decided: str, **fields: Any) -> LegalAction:
    return add_legal_action(
        session,
        case_id=case.id,
        kind="judgment",
        actor_id=ACTOR_ID,
        today=date.today(),
        decided_on_text=decided,
        is_final_domestic=True,
        **fields,
    )


def day_text(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_every_role_sees_the_dashboard(signed_in: SignIn, role: str) -> None:
    page = dashboard(signed_in(role))
    assert "<h2>Legal deadlines</h2>" in page and "<h2>Awaiting review</h2>" in page


def test_recent_incidents_newest_first_without_deleted_ones(
    engine: Engine, signed_in: SignIn
) -> None:
    def build(session: Session) -> list[Incident]:
        incidents = [make_incident(session, title=f"Incident {n}") for n in range(12)]
        gone = incidents[-1]
        delete_incident(session, incident_id=gone.id, expected_version=1, actor_id=ACTOR_ID)
        return incidents

    incidents = create(engine, build)
    recent = section(dashboard(signed_in("analyst")), "Recently changed incidents")
    assert incidents[-1].code not in recent
    shown = [incident.code for incident in incidents[:-1] if incident.code in recent]
    assert len(shown) == 10 and incidents[0].code not in shown
    assert recent.index(incidents[-2].code) < recent.index(incidents[2].code)


def test_awaiting_review_lists_unverified_incidents_only(engine: Engine, signed_in: SignIn) -> None:
    def build(session: Session) -> tuple[Incident, Incident]:
        waiting = make_incident(session, title="Waiting")
        checked = make_incident(session, title="Checked")
        update_incident(
            session,
            incident_id=checked.id,
            expected_version=1,
            changes={"verification_status": "verified"},
            actor_id=ACTOR_ID,
        )
        return waiting, checked

    waiting, checked = create(engine, build)
    page = dashboard(signed_in("reviewer"))
    review = section(page, "Awaiting review")
    assert waiting.code in review and checked.code not in review
    assert "1 awaiting review" in page and "2 incidents" in page


def test_restricted_incidents_show_only_to_the_users_named(
    engine: Engine, signed_in: SignIn, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> Incident:
        incident = make_incident(session, title="Restricted")
        set_restriction(
            session,
            model=Incident,
            record_id=incident.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return incident

    incident = create(engine, build)
    for role in ("analyst", "documenter", "reviewer"):
        page = dashboard(signed_in(role))
        assert incident.code not in page and "0 incidents" in page, role
    for role in ("lawyer", "admin"):
        page = dashboard(signed_in(role))
        assert incident.code in page and "1 incident" in page, role


def test_deadlines_due_soon_overdue_and_to_confirm(engine: Engine, signed_in: SignIn) -> None:
    today = date.today()

    def build(session: Session) -> dict[str, Case]:
        cases = {
            name: make_case(session, title=f"Case {name}")
            for name in ("soon", "later", "overdue", "met", "vague", "closed")
        }
        final_decision(session, cases["soon"], day_text(today - relativedelta(months=4, days=-10)))
        final_decision(session, cases["later"], day_text(today - timedelta(days=3)))
        final_decision(session, cases["overdue"], "10.01.2020")
        final_decision(session, cases["met"], "10.01.2020")
        add_legal_action(
            session, case_id=cases["met"].id, kind="ecthr_application", actor_id=ACTOR_ID
        )
        vague = today - relativedelta(months=4)
        final_decision(session, cases["vague"], f"{vague:%m.%Y}")
        final_decision(session, cases["closed"], "10.01.2020")
        closed = cases["closed"]
        update_case(
            session,
            case_id=closed.id,
            expected_version=closed.version,
            changes={"status": "closed"},
            actor_id=ACTOR_ID,
        )
        return cases

    cases = create(engine, build)
    deadlines = section(dashboard(signed_in("lawyer")), "Legal deadlines")
    shown = {name for name, case in cases.items() if case.code in deadlines}
    assert shown == {"soon", "overdue", "vague"}
    rows = {name: row_of(deadlines, cases[name].code) for name in shown}
    assert "overdue" in rows["overdue"] and "confirm" not in rows["overdue"]
    assert "confirm" in rows["vague"]
    assert "overdue" not in rows["soon"] and "confirm" not in rows["soon"]


def row_of(table: str, code: str) -> str:
    start = table.rfind("<tr>", 0, table.index(code))
    return table[start : table.index("</tr>", start)]


def test_deadlines_of_restricted_cases_stay_hidden(
    engine: Engine, signed_in: SignIn, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> Case:
        case = make_case(session, title="Private case")
        final_decision(session, case, "10.01.2020")
        set_restriction(
            session,
            model=Case,
            record_id=case.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return case

    case = create(engine, build)
    assert case.code not in dashboard(signed_in("analyst"))
    assert case.code in dashboard(signed_in("lawyer"))


def test_large_counts_are_capped(
    engine: Engine, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_service, "COUNT_LIMIT", 2)
    create(engine, lambda session: [make_incident(session) for _ in range(3)])
    page = dashboard(signed_in("analyst"))
    assert "2+ incidents" in page and "2+ awaiting review" in page


def test_titles_are_shown_escaped(engine: Engine, signed_in: SignIn) -> None:
    create(engine, lambda session: make_incident(session, title="<script>alert(1)</script>"))
    page = dashboard(signed_in("documenter"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
