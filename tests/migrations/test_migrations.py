"""Migrations build exactly the models' schema on each engine, and come down cleanly."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from tracker.db import make_engine
from tracker.domain.vocabularies import SEED_VOCABULARIES
from tracker.migrations import current_revision, downgrade_database, head_revision, upgrade_database


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_from_empty_gives_exactly_the_models_schema(engine: Engine) -> None:
    downgrade_database(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(engine)
    assert current_revision(engine) == head_revision(engine)
    assert schema_differences(engine) == []


def test_downgrade_to_base_removes_every_table(engine: Engine) -> None:
    downgrade_database(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(engine)


def test_first_migration_seeds_every_vocabulary(engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT vocabulary, code FROM vocabulary_term")).all()
    seeded = {
        (vocabulary, term.code) for vocabulary, terms in SEED_VOCABULARIES.items() for term in terms
    }
    assert set(rows) == seeded
    assert ("incident_type", "RAID") in seeded


@pytest.mark.parametrize("pragma, expected", [("foreign_keys", 1), ("journal_mode", "wal")])
def test_sqlite_connections_are_tuned(tmp_path: Path, pragma: str, expected: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tuned.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
    engine.dispose()
