"""Migration 0009 seals the identities an instance already holds, in the records and in their
audit history, and refuses to hash the chain again over a break made before the upgrade."""

import json

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import is_sealed
from tracker.migrations import current_revision, downgrade_database, upgrade_database
from tracker.models import Person
from tracker.services.audit_chain import verify_audit_log
from tracker.services.people import create_person, find_people_by_name

NAME = "Leyla Həsənova"


def recorded_person(engine: Engine) -> Person:
    with Session(engine) as session:
        person = create_person(
            session, role_letter="V", actor_id=None, real_name=NAME, names=["Leyla H."]
        )
        session.commit()
        session.refresh(person)
        session.expunge(person)
    return person


def raw_real_name(engine: Engine, person: Person) -> str:
    with engine.connect() as connection:
        statement = sa.text("SELECT real_name FROM person WHERE pseudonym_code = :code")
        return str(connection.execute(statement, {"code": person.pseudonym_code}).scalar_one())


def audit_texts(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT changes FROM audit_entry")).scalars()
        loaded = [json.loads(row) if isinstance(row, str) else row for row in rows]
        return json.dumps(loaded, ensure_ascii=False)


def test_an_upgrade_seals_names_already_held_and_the_chain_verifies(engine: Engine) -> None:
    person = recorded_person(engine)
    downgrade_database(engine, "0008")
    assert raw_real_name(engine, person) == NAME  # the downgrade opened it again
    assert NAME in audit_texts(engine)
    upgrade_database(engine)
    assert is_sealed(raw_real_name(engine, person))
    assert NAME not in audit_texts(engine)
    with Session(engine) as session:
        assert session.get(Person, person.id).real_name == NAME  # type: ignore[union-attr]
        assert [found.id for found in find_people_by_name(session, "leyla hesenova")] == [person.id]
        report = verify_audit_log(session)
    assert report.intact, report.summary()


def test_a_chain_broken_before_the_upgrade_stops_it_unchanged(engine: Engine) -> None:
    person = recorded_person(engine)
    downgrade_database(engine, "0008")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_entry SET reason = 'edited' WHERE sequence = 2"))
    try:
        with pytest.raises(InvalidInput, match="broken at entry 2"):
            upgrade_database(engine)
        assert current_revision(engine) == "0008"
        assert raw_real_name(engine, person) == NAME
    finally:
        # The test database is shared (PostgreSQL): leave it at head for the tests after.
        downgrade_database(engine, "base")
        upgrade_database(engine)
