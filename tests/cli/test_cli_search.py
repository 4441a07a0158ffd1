"""The command line keeps the search index: records it writes are found, and it rebuilds."""

import uuid

from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col

from tests.conftest import TrackerRunner
from tracker.models import Incident, SearchEntry
from tracker.services.restrictions import Viewer
from tracker.services.search import search_entry_count, search_records

ANALYST = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))


def found_codes(engine: Engine, query: str) -> set[str]:
    with Session(engine) as session:
        results = search_records(session, ANALYST, query=query, per_page=50)
        return {hit.record.code for hit in results.hits if hit.kind == "incident"}


def a_demo_incident(engine: Engine) -> Incident:
    with Session(engine) as session:
        statement = select(Incident).order_by(col(Incident.code)).limit(1)
        return session.execute(statement).scalar_one()


def test_records_loaded_by_the_command_line_are_searchable(
    cli: TrackerRunner, engine: Engine
) -> None:
    assert cli.invoke("demo").exit_code == 0
    incident = a_demo_incident(engine)
    assert incident.code in found_codes(engine, incident.code)


def test_reindex_rebuilds_a_lost_index(cli: TrackerRunner, engine: Engine) -> None:
    assert cli.invoke("demo").exit_code == 0
    incident = a_demo_incident(engine)
    with Session(engine) as session:
        before = search_entry_count(session)
        session.execute(delete(SearchEntry))
        session.commit()
    assert found_codes(engine, incident.code) == set()

    result = cli.invoke("search", "reindex")

    assert result.exit_code == 0, result.stderr
    assert f"{before:,} entries" in result.stdout
    assert incident.code in found_codes(engine, incident.code)
