"""An import into an empty database refills SQLite's R*Tree of incident ranges in one statement
instead of through its triggers: the tree must end up as the triggers would have left it, and the
triggers must be back, working, whether the import succeeds or is refused."""

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.interchange.dataset import (
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tests.interchange.test_json_import_errors import encode, refused
from tracker.services.spans import rebuild_incident_spans, span_tree_problems

Box = tuple[int, float, float, str]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, whatever engines the suite runs on: PostgreSQL has no such tree."""
    path = tmp_path / "spans.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def document(engine: Engine, session: Session) -> dict[str, Any]:
    """A valid export of the dataset (dated and undated incidents); the database is emptied."""
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    exported: dict[str, Any] = json.loads(export_bytes(session))
    session.close()
    empty_database(engine, seed)
    return exported


def boxes(engine: Engine) -> list[Box]:
    with engine.connect() as connection:
        statement = text("SELECT id, low, high, incident_id FROM incident_span ORDER BY id")
        return [(row[0], row[1], row[2], row[3]) for row in connection.execute(statement)]


def rebuilt_boxes(engine: Engine) -> list[Box]:
    """The boxes the tree should hold, from the incidents (rolled back afterwards)."""
    with Session(engine) as session:
        rebuild_incident_spans(session)
        statement = text("SELECT id, low, high, incident_id FROM incident_span ORDER BY id")
        found = [(row[0], row[1], row[2], row[3]) for row in session.execute(statement)]
        session.rollback()
    return found


def span_triggers(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        statement = text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'incident' ORDER BY name"
        )
        return [(row[0], row[1]) for row in connection.execute(statement)]


def imported(engine: Engine, document: dict[str, Any], tmp_path: Path) -> None:
    with Session(engine) as session:
        import_bytes(session, encode(document), tmp_path)
        session.commit()


def test_an_import_into_an_empty_database_fills_the_whole_tree(
    document: dict[str, Any], engine: Engine, tmp_path: Path
) -> None:
    triggers = span_triggers(engine)
    assert len(triggers) == 3
    imported(engine, document, tmp_path)
    with Session(engine) as session:
        assert span_tree_problems(session) == []
    dated = [record for record in document["incident"] if record["start_earliest"] is not None]
    assert len(boxes(engine)) >= len(dated) > 0
    assert boxes(engine) == rebuilt_boxes(engine)
    assert span_triggers(engine) == triggers


def test_the_triggers_keep_the_tree_after_an_import(
    document: dict[str, Any], engine: Engine, tmp_path: Path
) -> None:
    imported(engine, document, tmp_path)
    with engine.begin() as connection:
        code = document["incident"][0]["code"]
        connection.execute(
            text(
                "UPDATE incident SET start_earliest = '2001-02-03', start_latest = '2001-02-03',"
                " end_text = NULL, end_earliest = NULL, end_latest = NULL,"
                " end_precision = NULL, end_qualifier = NULL WHERE code = :code"
            ),
            {"code": code},
        )
    assert boxes(engine) == rebuilt_boxes(engine)
    with Session(engine) as session:
        assert span_tree_problems(session) == []


def test_a_refused_import_leaves_the_triggers_and_an_empty_tree(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    triggers = span_triggers(engine)
    # Neither a person nor an organisation: only the database's check constraint says no,
    # after the incidents are written.
    document["involvement"][0].update(person_id=None, organisation_id=None)
    message = refused(session, engine, encode(document), tmp_path)
    assert message.startswith("the database refused the file: ")
    assert span_triggers(engine) == triggers
    assert boxes(engine) == []


def test_an_import_into_a_filled_incident_table_keeps_the_tree_through_its_triggers(
    document: dict[str, Any], engine: Engine, tmp_path: Path
) -> None:
    imported(engine, document, tmp_path)
    added = {**document["incident"][0], "id": str(uuid.uuid4()), "code": "INC-999999"}
    imported(engine, {**document, "incident": [*document["incident"], added]}, tmp_path)
    assert boxes(engine) == rebuilt_boxes(engine)
    with Session(engine) as session:
        assert span_tree_problems(session) == []
