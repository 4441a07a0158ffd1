"""Synthetic records: deterministic for a seed, valid by the domain rules, one audit entry."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from tracker.demo import load_demo
from tracker.demo.synthetic import generate_synthetic
from tracker.domain.dates import DatePrecision, DateQualifier
from tracker.domain.errors import InvalidInput
from tracker.domain.text import PSEUDONYM_PATTERN
from tracker.models import AuditEntry, Incident, Person, PersonName, PlaceAlias
from tracker.services.integrity import check_integrity

COUNT = 400
UNSEEDED = {"audit_entry", "vocabulary_term", "role", "alembic_version"}


def all_rows(session: Session) -> dict[str, list[Any]]:
    """Every generated row of every table, in id order."""
    return {
        table.name: [
            tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))
        ]
        for table in SQLModel.metadata.sorted_tables
        if table.name not in UNSEEDED
    }


def generate(session: Session, seed: int, count: int = COUNT) -> dict[str, list[Any]]:
    generate_synthetic(session, count=count, seed=seed, progress=lambda _done: None)
    session.flush()
    rows = all_rows(session)
    session.rollback()
    return rows


def test_the_same_seed_gives_identical_rows(session: Session) -> None:
    first = generate(session, seed=7)
    assert len(first["incident"]) == COUNT
    assert first == generate(session, seed=7)


def test_another_seed_gives_other_rows(session: Session) -> None:
    assert generate(session, seed=7)["incident"] != generate(session, seed=8)["incident"]


def test_synthetic_records_pass_the_integrity_checks(session: Session) -> None:
    generate_synthetic(session, count=COUNT, seed=3, progress=lambda _done: None)
    assert check_integrity(session, today=date.today()) == []
    incidents = session.execute(select(Incident)).scalars().all()
    for incident in incidents:
        start = incident.start  # rebuilding the FuzzyDate checks its bounds and qualifier
        assert start.earliest is None or start.earliest <= date.today()
        if start.earliest and start.latest:
            assert start.earliest <= start.latest
    assert {incident.start.precision for incident in incidents} == set(DatePrecision)
    assert {incident.start.qualifier for incident in incidents} == set(DateQualifier)


def test_codes_and_names_look_real(session: Session) -> None:
    generate_synthetic(session, count=COUNT, seed=3, progress=lambda _done: None)
    codes = session.execute(select(col(Person.pseudonym_code))).scalars().all()
    assert codes and all(PSEUDONYM_PATTERN.match(code) for code in codes)
    names = " ".join(session.execute(select(col(PersonName.text))).scalars())
    aliases = set(session.execute(select(col(PlaceAlias.text))).scalars())
    assert any(letter in names for letter in "əğışçöüİ")
    assert any("\u0400" <= letter <= "\u04ff" for letter in names)
    assert {"Bakı", "Baku", "Баку", "Gəncə", "Гянджа", "Sumqayıt", "Сумгаит"} <= aliases


def test_a_run_writes_one_audit_entry_and_reports_progress(session: Session) -> None:
    done: list[int] = []
    summary = generate_synthetic(session, count=COUNT, seed=5, progress=done.append)
    entries = session.execute(select(AuditEntry)).scalars().all()
    assert [entry.table_name for entry in entries] == ["synthetic"]
    assert sum(done) == COUNT and summary.counts["incident"] == COUNT
    assert f"{COUNT} incident" in str(summary)


def test_the_same_seed_twice_is_refused(session: Session) -> None:
    generate_synthetic(session, count=10, seed=5, progress=lambda _done: None)
    with pytest.raises(InvalidInput, match="seed 5"):
        generate_synthetic(session, count=10, seed=5, progress=lambda _done: None)


def test_synthetic_codes_continue_after_the_demo(session: Session) -> None:
    load_demo(session)
    generate_synthetic(session, count=20, seed=1, progress=lambda _done: None)
    codes = session.execute(select(col(Incident.code)).order_by(Incident.code)).scalars().all()
    assert len(set(codes)) == 33 and codes[13] == "INC-000014"
    generate_synthetic(session, count=20, seed=2, progress=lambda _done: None)
    count = session.execute(select(func.count()).select_from(Incident)).scalar_one()
    assert count == 53
