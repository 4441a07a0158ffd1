"""Migration 0008 makes SQLite's FTS5 table again without per-entry sizes; search still works
both ways, with the entries an instance already holds."""

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.factories import make_citation, make_incident
from tracker.migrations import downgrade_database, upgrade_database
from tracker.services.restrictions import Viewer
from tracker.services.search import search_records

# An analyst: no exact-name lookup, which reads the person table of the current schema (its
# blind index column), not there at revision 0007.
ADMIN = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, whatever engines the suite runs on: PostgreSQL has no FTS5 table."""
    path = tmp_path / "fts.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def has_sizes(engine: Engine) -> bool:
    statement = "SELECT count(*) FROM sqlite_master WHERE name = 'search_entry_fts_docsize'"
    with engine.connect() as connection:
        return bool(connection.execute(text(statement)).scalar_one())


def found(engine: Engine, query: str) -> list[uuid.UUID]:
    with Session(engine) as session:
        return [hit.record.id for hit in search_records(session, ADMIN, query=query).hits]


def index_holds_up(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO search_entry_fts(search_entry_fts) VALUES ('integrity-check')")
        )


def test_the_index_is_made_again_without_sizes_and_back(engine: Engine) -> None:
    downgrade_database(engine, "0007")
    with Session(engine) as session:
        incident = make_incident(session, title="Raid on the Nasimi café")
        make_citation(session, incident_id=incident.id, claim="Police beat two guests")
        session.commit()
        incident_id = incident.id
    assert has_sizes(engine)
    upgrade_database(engine)
    assert not has_sizes(engine)
    index_holds_up(engine)
    assert found(engine, "nasimi cafe") == [incident_id]
    assert found(engine, "beat two") == [incident_id]  # a phrase: positions are kept
    with Session(engine) as session:
        make_incident(session, title="Another raid")
        session.commit()
    assert len(found(engine, "raid")) == 2  # the triggers keep it in step
    downgrade_database(engine, "0007")
    assert has_sizes(engine)
    index_holds_up(engine)
    assert found(engine, "beat two") == [incident_id]
