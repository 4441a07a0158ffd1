"""Migration 0007 goes down and up again on an instance that holds evidence and custody."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import ACTOR_ID, make_evidence
from tracker.migrations import downgrade_database, upgrade_database
from tracker.models import CustodyEntry, Evidence
from tracker.services.evidence import add_custody_entry


def test_downgrade_keeps_evidence_and_custody_rows(engine: Engine) -> None:
    with Session(engine) as session:
        item = make_evidence(session, title="Photo of the bruises")
        add_custody_entry(session, evidence_id=item.id, action="received", actor="documenter",
                          actor_id=ACTOR_ID, occurred_at=datetime(2024, 1, 2, tzinfo=UTC),
                          sha256_seen=item.sha256)  # fmt: skip
        session.commit()
    downgrade_database(engine, "0006")
    with engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("evidence")}
        assert "storage_key" not in columns
        assert connection.execute(sa.text("SELECT count(*) FROM evidence")).scalar() == 1
        assert connection.execute(sa.text("SELECT count(*) FROM custody_entry")).scalar() == 1
    upgrade_database(engine)
    with Session(engine) as session:
        assert len(session.execute(sa.select(Evidence)).all()) == 1
        assert len(session.execute(sa.select(CustodyEntry)).all()) == 1
