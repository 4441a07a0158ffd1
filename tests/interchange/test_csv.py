"""CSV: export columns without identities, formula guard, import through a mapping."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.conftest import TrackerRunner, table_counts
from tests.interchange.dataset import build_dataset
from tracker.domain.errors import InvalidInput
from tracker.interchange.csv_format import (
    CSV_COLUMNS,
    export_incidents_csv,
    guard_cell,
    import_incidents_csv,
)
from tracker.models import Incident, Place
from tracker.services.places import create_place

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
MAPPING = EXAMPLES / "incidents-mapping.toml"
SAMPLE = EXAMPLES / "incidents-sample.csv"


def export_rows(session: Session) -> list[dict[str, str]]:
    buffer = io.BytesIO()
    export_incidents_csv(session, buffer)
    return list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))


def add_baku(session: Session) -> Place:
    return create_place(
        session,
        name="Bakı",
        kind="first_level_unit",
        geo_precision=3,
        actor_id=None,
        aliases=["Baku", "Баку"],
    )


def test_export_has_the_documented_columns_and_no_identities(session: Session) -> None:
    build_dataset(session)
    buffer = io.BytesIO()
    count = export_incidents_csv(session, buffer)
    data = buffer.getvalue()
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(header) == CSV_COLUMNS
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"V-2017-001" not in data and "Məlikov".encode() not in data.replace(
        "Məlikov v. Azerbaijan".encode(), b""
    )
    rows = export_rows(session)
    assert count == len(rows) == 8
    first = rows[0]
    assert first["code"] == "INC-000001"
    assert first["place_path"] == "Azərbaycan > Bakı"
    assert first["secondary_types"] == "THRT;XTST"
    assert first["victim_count"] == "1" and first["perpetrator_types"] == "state_agent"
    assert first["case_codes"] == "CASE-0001"


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"])
def test_formula_cells_are_quoted(text: str) -> None:
    assert guard_cell(text) == "'" + text
    assert guard_cell("plain") == "plain"


def test_exported_summary_formula_is_guarded(session: Session) -> None:
    build_dataset(session)
    incident = session.execute(select(Incident).where(Incident.code == "INC-000002")).scalar_one()
    incident.summary = "=cmd|' /C calc'!A0"
    session.flush()
    summary = export_rows(session)[1]["summary"]
    assert summary == "'=cmd|' /C calc'!A0"


def test_import_with_mapping_creates_audited_incidents(session: Session) -> None:
    add_baku(session)
    report = import_incidents_csv(session, SAMPLE, mapping_path=MAPPING, dry_run=False)
    assert report.problems == [] and len(report.created) == 3
    incidents = session.execute(select(Incident).order_by(Incident.code)).scalars().all()
    assert [incident.type for incident in incidents] == ["DET", "RAID", "THRT"]
    assert incidents[0].start_earliest.isoformat() == "2023-03-08"  # type: ignore[union-attr]
    assert incidents[1].secondary_types == ["THRT", "OUTG"]
    assert incidents[1].reported_victims_text == "nearly 100"
    assert len({incident.place_id for incident in incidents}) == 1


def test_a_dry_run_shows_the_place_each_row_was_matched_to(session: Session) -> None:
    """An alias or another script is matched to its place; the report says so, to check."""
    add_baku(session)
    report = import_incidents_csv(session, SAMPLE, mapping_path=MAPPING, dry_run=True)
    assert [line.split(": ", 1)[1].split(" ", 1)[1] for line in report.created] == [
        "DET 08.03.2023, Bakı (as 'Baku')",
        "RAID spring 2019, Bakı",
        "THRT 2017, Bakı (as 'Баку')",
    ]


def write_bad_sample(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    text = SAMPLE.read_text(encoding="utf-8-sig").replace("08.03.2023", "14.15.2023")
    path.write_text(text.replace("Баку", "Atlantis"), encoding="utf-8")
    return path


def test_dry_run_writes_nothing_and_reports_row_problems(
    cli: TrackerRunner, session: Session, engine: Engine, tmp_path: Path
) -> None:
    add_baku(session)
    session.commit()
    before = table_counts(engine)
    result = cli.invoke(
        "import", "csv", str(write_bad_sample(tmp_path)), "--mapping", str(MAPPING), "--dry-run"
    )
    assert result.exit_code == 0, result.stderr
    assert "1 incidents would be created; 2 problems." in result.stdout
    assert "row 2, column 'Date':" in result.stdout
    assert "row 4, column 'City': no place named 'Atlantis'" in result.stdout
    assert table_counts(engine) == before


def test_a_problem_refuses_the_whole_file(
    cli: TrackerRunner, session: Session, engine: Engine, tmp_path: Path
) -> None:
    add_baku(session)
    session.commit()
    before = table_counts(engine)
    result = cli.invoke("import", "csv", str(write_bad_sample(tmp_path)), "--mapping", str(MAPPING))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 2 problems, nothing imported: row 2")
    assert len(result.stderr.strip().splitlines()) == 1
    assert table_counts(engine) == before
    with pytest.raises(InvalidInput):
        import_incidents_csv(
            session, write_bad_sample(tmp_path), mapping_path=MAPPING, dry_run=False
        )
    session.commit()
    assert table_counts(engine) == before


def test_missing_places_are_created_only_when_the_mapping_says_so(
    session: Session, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        MAPPING.read_text(encoding="utf-8").replace(
            "create_missing_places = false", "create_missing_places = true"
        ),
        encoding="utf-8",
    )
    report = import_incidents_csv(session, SAMPLE, mapping_path=mapping, dry_run=False)
    assert report.problems == []
    # Without aliases the three spellings are three names; each is created once.
    assert report.places_created == ["Baku", "Bakı", "Баку"]


def test_comma_delimited_files_and_invalid_utf8(session: Session, tmp_path: Path) -> None:
    add_baku(session)
    comma = tmp_path / "comma.csv"
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8-sig")), delimiter=";"))
    with comma.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    report = import_incidents_csv(session, comma, mapping_path=MAPPING, dry_run=True)
    assert len(report.created) == 3
    broken = tmp_path / "broken.csv"
    broken.write_bytes(SAMPLE.read_bytes().replace("Bakı".encode(), b"Bak\xff"))
    with pytest.raises(InvalidInput, match="not valid UTF-8 \\(line 3\\)"):
        import_incidents_csv(session, broken, mapping_path=MAPPING, dry_run=True)


def test_export_then_import_csv_from_the_cli(
    cli: TrackerRunner, session: Session, tmp_path: Path
) -> None:
    build_dataset(session)
    session.commit()
    output = tmp_path / "incidents.csv"
    result = cli.invoke("export", "csv", "-o", str(output))
    assert result.exit_code == 0, result.stderr
    assert "Exported 8 incidents" in result.stdout
    shutil.copy(output, tmp_path / "copy.csv")


def test_dry_run_lists_every_problem_of_a_row(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "What,Date,End,Victims\nfoo,31.02.2023,2030,x\nRAID,2019,2017,\n", encoding="utf-8"
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\n"What" = "type"\n"Date" = "start_text"\n"End" = "end_text"\n'
        '"Victims" = "reported_victims_min"\n',
        encoding="utf-8",
    )
    report = import_incidents_csv(session, path, mapping_path=mapping, dry_run=True)
    located = sorted((problem.row, problem.column) for problem in report.problems)
    assert located == [(2, "Date"), (2, "End"), (2, "Victims"), (2, "What"), (3, "End")]
    assert any("before the start" in problem.message for problem in report.problems)
    assert session.execute(select(Incident)).first() is None
