"""Migration 0006 chains the audit entries an instance already holds, so it verifies at once."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from tracker.migrations import downgrade_database, upgrade_database
from tracker.services.audit import add_audit_entry
from tracker.services.audit_chain import stored_entries, verify_audit_log

# More than one of the migration's batches (1,000 entries).
NUMBERED = 2100
START = datetime(2024, 1, 1, 12, 0, 0, 123456)
# audit_entry as revision 0005 left it: no hashes, sequence may be NULL.
OLD_AUDIT_ENTRY = sa.table(
    "audit_entry",
    sa.column("id", sa.Uuid()),
    sa.column("sequence", sa.Integer()),
    sa.column("occurred_at", sa.DateTime()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("action", sa.String()),
    sa.column("table_name", sa.String()),
    sa.column("record_id", sa.Uuid()),
    sa.column("changes", sa.JSON()),
    sa.column("reason", sa.String()),
)


def old_row(sequence: int | None, minutes: int) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "sequence": sequence,
        "occurred_at": START + timedelta(minutes=minutes),
        "actor_id": uuid.uuid4() if minutes % 3 else None,
        "action": "update",
        "table_name": "person",
        "record_id": uuid.uuid4(),
        "changes": {"real_name": [None, f"Əli {minutes}"], "ratio": [0.1, minutes / 7]},
        "reason": "",
    }


def test_an_upgraded_audit_log_verifies_and_numbers_unnumbered_entries(engine: Engine) -> None:
    downgrade_database(engine, "0005")
    numbered = [old_row(sequence, sequence) for sequence in range(NUMBERED, 0, -1)]
    # Unnumbered entries go after the last numbered one, in the order they occurred.
    late, early = old_row(None, 5000), old_row(None, 4000)
    with engine.begin() as connection:
        connection.execute(sa.insert(OLD_AUDIT_ENTRY), [*numbered, late, early])
    upgrade_database(engine)
    with Session(engine) as session:
        report = verify_audit_log(session)
        entries = list(stored_entries(session))
    assert report.intact, report.summary()
    assert report.entries == NUMBERED + 2
    assert [entry.sequence for entry in entries] == list(range(1, NUMBERED + 3))
    assert [entry.id for entry in entries[-2:]] == [str(early["id"]), str(late["id"])]
    assert entries[0].occurred_at == "2024-01-01T12:01:00.123456+00:00"


def test_entries_written_after_the_upgrade_extend_the_chain(engine: Engine) -> None:
    downgrade_database(engine, "0005")
    with engine.begin() as connection:
        connection.execute(sa.insert(OLD_AUDIT_ENTRY), [old_row(1, 1), old_row(2, 2)])
    upgrade_database(engine)
    with Session(engine) as session:
        add_audit_entry(
            session,
            actor_id=None,
            action="create",
            table_name="person",
            record_id=uuid.uuid4(),
            changes={"note": [None, "after"]},
        )
        session.commit()
        report = verify_audit_log(session)
    assert report.intact and report.entries == 3


def test_an_empty_audit_log_upgrades_and_downgrades(engine: Engine) -> None:
    downgrade_database(engine, "0005")
    with engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("audit_entry")}
    assert not {"previous_hash", "entry_hash"} & columns
    upgrade_database(engine)
    with Session(engine) as session:
        assert verify_audit_log(session).entries == 0
