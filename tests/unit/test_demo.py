"""The hand-built demo dataset: counts, sources, date precision, names and reloading."""

from datetime import date

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from tests.conftest import TrackerRunner, table_counts
from tracker.demo import load_demo
from tracker.demo.source_material import PERSONS, demo_id
from tracker.domain.text import PSEUDONYM_PATTERN
from tracker.models import (
    Citation,
    Consent,
    Incident,
    Involvement,
    LegalAction,
    Person,
    PersonName,
    Source,
)
from tracker.services.integrity import check_integrity

PUBLICLY_NAMED = {"avaz", "nuray", "malikov", "blogger"}


def incident(session: Session, key: str) -> Incident:
    found = session.get(Incident, demo_id(f"incident:{key}"))
    assert found is not None
    return found


def test_demo_loads_the_expected_records(session: Session, engine: Engine) -> None:
    summary = load_demo(session)
    session.commit()
    counts = table_counts(engine)
    assert (summary.incidents, summary.persons, summary.places, summary.sources, summary.cases) == (
        13,
        7,
        9,
        4,
        1,
    )
    assert (
        counts["incident"],
        counts["person"],
        counts["place"],
        counts["source"],
        counts["case_file"],
    ) == (13, 7, 9, 4, 1)
    assert not summary.already_loaded
    assert "13 incidents" in str(summary)
    assert check_integrity(session, today=date.today()) == []


def test_every_demo_incident_cites_a_graded_source(session: Session) -> None:
    load_demo(session)
    for row in session.execute(select(Incident)).scalars():
        citations = session.execute(
            select(Citation, Source).join(Source).where(Citation.incident_id == row.id)
        ).all()
        assert citations, row.code
        assert all(source.reliability in "ABCDEF" for _citation, source in citations)
    s1_grades = session.execute(
        select(Source.reliability, Citation.credibility)
        .join(Citation)
        .where(Source.id == demo_id("source:S1"))
    ).all()
    assert set(s1_grades) == {("C", 3)}


def test_dates_are_no_more_precise_than_the_articles(session: Session) -> None:
    load_demo(session)
    e1, e3, e4, e5, e6 = (incident(session, key) for key in ("E1", "E3", "E4", "E5", "E6"))
    assert (e1.start.precision, e1.start.earliest, e1.start.latest) == (
        "year",
        date(2017, 1, 1),
        date(2017, 12, 31),
    )
    assert (e3.start_text, e3.start_earliest, e3.start_latest) == (
        "late 2021",
        date(2021, 9, 1),
        date(2021, 12, 31),
    )
    assert (e6.start.precision, e6.start.earliest, e6.start.latest) == (
        "day",
        date(2023, 3, 8),
        date(2023, 3, 8),
    )
    assert e6.start_text == "March 8" and "2023" in e6.inferred_note
    for unknown in (e4, e5):
        assert (unknown.start.precision, unknown.start_earliest, unknown.start_latest) == (
            "unknown",
            None,
            None,
        )
    day_precise = (
        session.execute(select(col(Incident.code)).where(Incident.start_precision == "day"))
        .scalars()
        .all()
    )
    assert day_precise == ["INC-000006"]


def test_places_are_as_precise_as_the_sources(session: Session) -> None:
    load_demo(session)
    assert incident(session, "E1").place_id == demo_id("place:azerbaijan")
    assert incident(session, "E6").place_id == demo_id("place:baku")
    assert incident(session, "E4").place_id is None
    assert incident(session, "E5").place_id is None


def test_only_publicly_named_persons_have_real_names(session: Session) -> None:
    load_demo(session)
    for key in PERSONS:
        person = session.get(Person, demo_id(f"person:{key}"))
        assert person is not None and PSEUDONYM_PATTERN.match(person.pseudonym_code)
        assert bool(person.real_name) == (key in PUBLICLY_NAMED), key
    names = session.execute(select(col(PersonName.kind))).scalars().all()
    assert set(names) == {"as_published"}


def test_no_one_is_cleared_for_public_naming(session: Session) -> None:
    load_demo(session)
    granted = session.execute(
        select(func.count()).select_from(Consent).where(Consent.status == "granted")
    ).scalar_one()
    assert granted == 0


def test_the_trial_and_the_victims(session: Session) -> None:
    load_demo(session)
    judgment = session.execute(select(LegalAction)).scalar_one()
    assert (judgment.kind, judgment.sentence_months, judgment.decided_on) == ("judgment", 114, None)
    victims = session.execute(
        select(Involvement).where(
            Involvement.incident_id == demo_id("incident:E1"), Involvement.role == "victim"
        )
    ).all()
    assert victims == []  # aggregate-only: "nearly 100", none named
    assert incident(session, "E1").reported_victims_text.startswith("nearly 100")


def test_loading_twice_adds_nothing(session: Session, engine: Engine) -> None:
    load_demo(session)
    session.commit()
    before = table_counts(engine)
    again = load_demo(session)
    session.commit()
    assert again.already_loaded and "already loaded" in str(again)
    assert table_counts(engine) == before


def test_demo_command_loads_once(cli: TrackerRunner) -> None:
    first = cli.invoke("demo")
    second = cli.invoke("demo")
    assert first.exit_code == 0, first.output
    assert "13 incidents" in first.stdout
    assert second.exit_code == 0 and "already loaded" in second.stdout
