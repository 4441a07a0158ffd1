"""`tracker check` finds orphans, invalid dates, unknown codes and broken links."""

import uuid
from datetime import date

from sqlalchemy import Connection, Engine, insert, text
from sqlmodel import Session

from tests.conftest import TrackerRunner
from tracker.models import Incident, IncidentLink, Involvement
from tracker.services.integrity import check_integrity

TODAY = date(2026, 11, 25)


def incident_row(code: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": uuid.uuid4(),
        "code": code,
        "title": "",
        "type": "DET",
        "secondary_types": [],
        "start_text": "2017",
        "start_earliest": date(2017, 1, 1),
        "start_latest": date(2017, 12, 31),
        "start_precision": "year",
        "start_qualifier": "exact",
        "summary": "",
        "narrative": "",
        "reported_victims_text": "",
        "verification_status": "unverified",
        "sector": "",
        "inferred_note": "",
        "publishable": False,
        "version": 1,
        "deleted_at": None,
        "end_text": None,
        "end_earliest": None,
        "end_latest": None,
        "end_precision": None,
        "end_qualifier": None,
    }
    from tracker.models.base import utc_now

    row.update(created_at=utc_now(), updated_at=utc_now())
    row.update(values)
    return row


def without_foreign_keys(connection: Connection) -> None:
    """Let a test write what a broken import or a manual edit could leave behind."""
    if connection.dialect.name == "sqlite":
        # Through the driver: the pragma is ignored inside the transaction SQLAlchemy opens.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA foreign_keys = OFF"
        )
    else:
        connection.execute(text("SET session_replication_role = replica"))


def insert_rows(engine: Engine, table: type, *rows: dict[str, object]) -> None:
    with engine.connect() as connection:
        without_foreign_keys(connection)
        connection.execute(insert(table.__table__), list(rows))  # type: ignore[attr-defined]
        connection.commit()


def messages(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [str(problem) for problem in check_integrity(session, today=TODAY)]


def test_a_clean_database_has_no_problems(engine: Engine) -> None:
    insert_rows(engine, Incident, incident_row("INC-000001"))
    assert messages(engine) == []


def test_unknown_vocabulary_codes_are_reported(engine: Engine) -> None:
    insert_rows(
        engine, Incident, incident_row("INC-000001", type="XYZ", secondary_types=["TORT", "NOPE"])
    )
    found = messages(engine)
    assert any("type: unknown incident_type code 'XYZ'" in message for message in found)
    assert any("secondary_types: unknown incident_type code 'NOPE'" in m for m in found)
    assert len(found) == 2


def test_invalid_and_future_dates_are_reported(engine: Engine) -> None:
    insert_rows(
        engine,
        Incident,
        incident_row("INC-000001", start_earliest=date(2018, 1, 1), start_latest=date(2017, 1, 1)),
        incident_row(
            "INC-000002",
            start_text="2030",
            start_earliest=date(2030, 1, 1),
            start_latest=date(2030, 12, 31),
        ),
        incident_row(
            "INC-000003",
            end_text="2016",
            end_earliest=date(2016, 1, 1),
            end_latest=date(2016, 12, 31),
            end_precision="year",
            end_qualifier="exact",
        ),
    )
    found = " | ".join(messages(engine))
    assert "invalid date" in found
    assert "in the future" in found
    assert "wholly before the start" in found


def test_orphans_are_reported(engine: Engine) -> None:
    missing_incident = uuid.uuid4()
    insert_rows(
        engine,
        Involvement,
        {
            "id": uuid.uuid4(),
            "incident_id": missing_incident,
            "person_id": uuid.uuid4(),
            "organisation_id": None,
            "role": "victim",
            "injuries": "",
            "duration_text": "",
            "charges": [],
            "outcome": "",
            "notes": "",
            "version": 1,
            "created_at": incident_row("x")["created_at"],
            "updated_at": incident_row("x")["created_at"],
        },
    )
    found = messages(engine)
    assert any(f"incident_id points at missing incident {missing_incident}" in m for m in found)


def test_broken_links_are_reported(engine: Engine) -> None:
    reprisal = incident_row(
        "INC-000001",
        start_text="2017",
        start_earliest=date(2017, 1, 1),
        start_latest=date(2017, 12, 31),
    )
    answered = incident_row(
        "INC-000002",
        start_text="2019",
        start_earliest=date(2019, 1, 1),
        start_latest=date(2019, 12, 31),
    )
    deleted = incident_row("INC-000003", deleted_at=reprisal["created_at"])
    insert_rows(engine, Incident, reprisal, answered, deleted)
    stamp = {
        "created_at": reprisal["created_at"],
        "updated_at": reprisal["created_at"],
        "version": 1,
        "note": "",
    }
    insert_rows(
        engine,
        IncidentLink,
        {
            "id": uuid.uuid4(),
            "from_incident_id": reprisal["id"],
            "to_incident_id": answered["id"],
            "link_type": "retaliation_for",
            **stamp,
        },
        {
            "id": uuid.uuid4(),
            "from_incident_id": reprisal["id"],
            "to_incident_id": deleted["id"],
            "link_type": "precedes",
            **stamp,
        },
    )
    found = " | ".join(messages(engine))
    assert "the act answered starts after the reprisal ends" in found
    assert "links to a deleted incident" in found


def test_check_command_fails_with_the_problem_count(cli: TrackerRunner, engine: Engine) -> None:
    insert_rows(engine, Incident, incident_row("INC-000001", type="XYZ"))
    result = cli.invoke("check")
    assert result.exit_code == 1
    assert "unknown incident_type code 'XYZ'" in result.stdout
    assert result.stderr.strip() == "Error: 1 integrity problem(s) found"
