"""Generated records survive export and import unchanged, and the format stays documented."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from tests.interchange.dataset import (
    add,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
    incident_values,
)
from tracker.interchange.tables import (
    AUDIT_SECTION,
    INSTANCE_ONLY_TABLES,
    SECTION_NAMES,
    render_schema,
)
from tracker.models import Incident, Person

# Every precision and qualifier the date parser produces.
DATE_TEXTS = (
    "8 March 2023",
    "8 mart 2023",
    "8 марта 2023",
    "March 2023",
    "spring 2019",
    "late 2021",
    "2017",
    "1990s",
    "about 2 years ago",
    "before 2019",
    "after 2020",
    "between 26 and 30 September 2017",
    "unknown",
)
NAMES = ("Əli Məlikov", "Cavid Nəbiyev", "Али Маликов", "İlkin Iğdır", "🏳️‍🌈 Nafas")
text = st.text(alphabet=st.sampled_from("abcƏəİıĞğŞşÇçÖöÜüЖжЩщ🏳️‍🌈🚓 \n\t\"\\/'"), max_size=40)
SCHEMA_FILE = Path(__file__).parents[2] / "tracker" / "interchange" / "interchange.schema.json"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    incidents=st.lists(
        st.tuples(st.sampled_from(DATE_TEXTS), text, st.sampled_from(NAMES)), min_size=1, max_size=5
    )
)
def test_generated_records_round_trip(
    engine: Engine, tmp_path: Path, incidents: list[tuple[str, str, str]]
) -> None:
    seed = capture_seed(engine)
    empty_database(engine, seed)
    with Session(engine, expire_on_commit=False) as session:
        for number, (date_text, summary, name) in enumerate(incidents, start=1):
            add(
                session,
                Incident,
                **incident_values(f"INC-{number:06d}", date_text, summary=summary, title=name),
            )
            add(
                session,
                Person,
                pseudonym_code=f"V-2020-{number:03d}",
                real_name=name,
                description=summary,
            )
        session.commit()
        first = export_bytes(session, with_audit=True)
        session.commit()
    empty_database(engine, seed)
    with Session(engine, expire_on_commit=False) as session:
        import_bytes(session, first, tmp_path)
        session.commit()
        assert export_bytes(session, with_audit=True) == first
    document = json.loads(first)
    assert [record["summary"] for record in document["incident"]] == [
        summary for _, summary, _ in sorted(incidents_by_id(document, incidents))
    ]


def incidents_by_id(document: dict, incidents: list[tuple[str, str, str]]) -> list:
    order = {record["code"]: record["id"] for record in document["incident"]}
    return [
        (order[f"INC-{number:06d}"], summary, name)
        for number, (_, summary, name) in enumerate(incidents, start=1)
    ]


def test_the_shipped_schema_matches_the_models() -> None:
    # After a model change: python -m tracker.interchange.tables > .../interchange.schema.json
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema()


def test_sections_cover_every_table_in_dependency_order() -> None:
    tables = SQLModel.metadata.tables
    travelling = set(tables) - {"alembic_version"} - INSTANCE_ONLY_TABLES
    assert set(SECTION_NAMES) | {AUDIT_SECTION} == travelling
    for position, name in enumerate(SECTION_NAMES):
        targets = {key.column.table.name for key in tables[name].foreign_keys}
        assert targets <= set(SECTION_NAMES[: position + 1]), name
