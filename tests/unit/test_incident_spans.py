"""SQLite answers date filters from an R*Tree of incident ranges; it must agree with the rule
over the columns, follow every change, and be checked and rebuilt when it drifts."""

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.conftest import fixed_test_key
from tests.factories import make_incident, make_place
from tracker.db import make_engine
from tracker.services import incident_queries
from tracker.services.incident_queries import (
    DateMatch,
    IncidentFilters,
    bound_values,
    count_incidents,
    list_incidents,
    list_statement,
    shape_of,
)
from tracker.services.incidents import update_incident
from tracker.services.integrity import check_integrity
from tracker.services.spans import rebuild_incident_spans

DATES = [
    ("8 March 2023", None),
    ("March 2023", None),
    ("2023", None),
    ("late 2021", None),
    ("2010s", None),
    ("before 2015", None),
    ("after June 2022", None),
    ("unknown", None),
    ("26.09.2017", "30.09.2017"),
    ("2019", "2021"),
    ("between 26 and 30 September 2017", None),
]
PERIODS = [
    (date(2023, 3, 1), date(2023, 3, 31)),
    (date(2015, 1, 1), date(2015, 12, 31)),
    (date(2017, 9, 28), date(2017, 9, 28)),
    (date(2021, 10, 1), date(2022, 2, 28)),
    (date(2000, 1, 1), date(2030, 12, 31)),
    (date(1, 1, 1), date(2016, 6, 1)),
    (date(2022, 7, 1), date(9999, 12, 31)),
]


@pytest.fixture
def sqlite_session(tmp_path: Path, sqlite_template: Path) -> Iterator[Session]:
    """The R*Tree is SQLite's (PostgreSQL reads the columns): these run on SQLite only."""
    path = tmp_path / "spans.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}", database_key=fixed_test_key)
    with Session(engine) as session:
        yield session
    engine.dispose()


def codes_by_columns(session: Session, filters: IncidentFilters) -> set[str]:
    """The same filter through the rule over the incident's own date columns."""
    statement = list_statement(shape_of(filters), "code", paged=False)
    rows = session.connection().execute(statement, {**bound_values(filters), "offset": 0})
    return {row.code for row in rows}


def codes(session: Session, filters: IncidentFilters) -> set[str]:
    return {row.code for row in list_incidents(session, filters=filters, sort="code")}


def make_dated_incidents(session: Session) -> None:
    for start_text, end_text in DATES:
        make_incident(session, start_text=start_text, end_text=end_text)


@pytest.mark.parametrize("date_match", list(DateMatch))
def test_the_tree_agrees_with_the_columns(sqlite_session: Session, date_match: DateMatch) -> None:
    make_dated_incidents(sqlite_session)
    for start, end in PERIODS:
        filters = IncidentFilters(date_from=start, date_to=end, date_match=date_match)
        assert codes(sqlite_session, filters) == codes_by_columns(sqlite_session, filters)
        found = codes(sqlite_session, filters)
        assert count_incidents(sqlite_session, filters=filters) == len(found)


def test_an_undated_incident_matches_no_period(sqlite_session: Session) -> None:
    make_incident(sqlite_session, start_text="unknown")
    filters = IncidentFilters(date_from=date(1, 1, 1), date_to=date(9999, 12, 31))
    assert codes(sqlite_session, filters) == set()


def test_the_tree_follows_a_changed_date(sqlite_session: Session) -> None:
    incident = make_incident(sqlite_session, start_text="8 March 2023")
    in_2023 = IncidentFilters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
    in_2019 = IncidentFilters(date_from=date(2019, 1, 1), date_to=date(2019, 12, 31))
    update_incident(
        sqlite_session,
        incident_id=incident.id,
        expected_version=incident.version,
        changes={"start_text": "May 2019"},
        actor_id=None,
    )
    sqlite_session.flush()
    assert codes(sqlite_session, in_2023) == set()
    assert codes(sqlite_session, in_2019) == {incident.code}


def test_a_drifted_tree_is_reported_and_rebuilt(sqlite_session: Session) -> None:
    make_dated_incidents(sqlite_session)
    sqlite_session.flush()
    # What a VACUUM renumbering rowids would leave: boxes pointing at the wrong incidents.
    sqlite_session.execute(text("UPDATE incident_span SET id = id + 1000"))
    problems = [str(problem) for problem in check_integrity(sqlite_session)]
    assert any("no longer match their incident" in problem for problem in problems)
    assert any("have no date range box" in problem for problem in problems)

    rebuild_incident_spans(sqlite_session)

    assert check_integrity(sqlite_session) == []
    filters = IncidentFilters(date_from=date(2023, 3, 1), date_to=date(2023, 3, 31))
    assert codes(sqlite_session, filters) == codes_by_columns(sqlite_session, filters)


def test_a_broad_place_is_read_in_list_order_with_the_same_rows(
    session: Session, monkeypatch: Any
) -> None:
    baku = make_place(session, name="Baku")
    nasimi = make_place(session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id)
    for number in range(6):
        place = nasimi if number % 2 else baku
        make_incident(session, title=f"raid {number}", place_id=place.id)
    make_incident(session, title="elsewhere")
    filters = IncidentFilters(place_id=baku.id)
    narrow = [row.code for row in list_incidents(session, filters=filters, limit=4)]
    monkeypatch.setattr(incident_queries, "BROAD_PLACE", 2)
    broad = [row.code for row in list_incidents(session, filters=filters, limit=4)]
    assert broad == narrow and len(broad) == 4


def test_counting_can_stop_early(session: Session) -> None:
    for _ in range(5):
        make_incident(session)
    assert count_incidents(session) == 5
    assert count_incidents(session, up_to=2) == 3
    assert count_incidents(session, up_to=10) == 5
