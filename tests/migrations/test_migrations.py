"""Migrations build exactly the models' schema on each engine, and come down cleanly."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from tracker.db import make_engine
from tracker.domain.vocabularies import SEED_VOCABULARIES
from tracker.migrations import (
    current_revision,
    described_by_models,
    downgrade_database,
    head_revision,
    upgrade_database,
)


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": described_by_models}
        context = MigrationContext.configure(connection, opts=opts)
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


def test_the_default_list_order_has_its_index(engine: Engine) -> None:
    # Reflection skips expression indexes on SQLite, so the comparison above cannot see it.
    catalogue = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND name = :name",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE indexname = :name",
    }[engine.dialect.name]
    with engine.connect() as connection:
        found = connection.execute(text(catalogue), {"name": "ix_incident_date_order"}).all()
    assert len(found) == 1


def test_sqlite_reads_the_default_list_order_from_its_index(tmp_path: Path) -> None:
    from sqlmodel import col, select

    from tracker.models import Incident
    from tracker.services.incident_queries import date_order

    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade_database(engine)
    statement = (
        select(col(Incident.id))
        .where(col(Incident.deleted_at).is_(None))
        .order_by(*date_order())
        .limit(50)
    )
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    engine.dispose()
    assert any("ix_incident_date_order" in str(step) for step in plan), plan
