"""`tracker report timeline|dossier|annual`: files in the exports folder, exit 1 on bad input."""

import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tests.conftest import TrackerRunner, table_counts
from tests.factories import ACTOR_ID, make_case, make_incident
from tests.reporting.conftest import (
    CanaryCase,
    add_evidence_with_custody,
    cite_sources,
    make_detention,
    make_places,
    make_victim,
)
from tracker.config import Settings
from tracker.models import AuditEntry, Person
from tracker.services.cases import add_client, add_incident_to_case

FIXED_TIME = datetime(2024, 6, 1, 9, 30, 15, tzinfo=UTC)


@dataclass(frozen=True)
class ReportedCase:
    case_code: str
    detention_code: str
    victim_code: str


@pytest.fixture
def reported_case(session: Session, settings: Settings) -> ReportedCase:
    """The canary detention in a case with its victim as client, committed for the CLI."""
    places = make_places(session)
    victim_id = make_victim(session)
    detention, *_ = make_detention(session, places, victim_id)
    cite_sources(session, detention.id, victim_id)
    add_evidence_with_custody(session, detention.id)
    case = make_case(session, title=f"Detention of {CanaryCase.REAL_NAME}")
    add_incident_to_case(session, case_id=case.id, incident_id=detention.id, actor_id=ACTOR_ID)
    add_client(session, case_id=case.id, person_id=victim_id, actor_id=ACTOR_ID)
    victim = session.get(Person, victim_id)
    assert victim is not None
    session.commit()
    settings.exports_path.mkdir()
    settings.instance_path.mkdir(exist_ok=True)  # create_app makes it at the first command
    return ReportedCase(case.code, detention.code, victim.pseudonym_code)


def pdf_text(path: Path, password: str | None = None) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    if password is not None:
        assert reader.decrypt(password)
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    return "\n".join(page.extract_text() for page in reader.pages) + metadata


def written(settings: Settings) -> list[Path]:
    return sorted(settings.exports_path.rglob("*"))


def files_in(folder: Path) -> list[Path]:
    """Every file and folder below, the SQLite database (and its WAL files) left out."""
    return sorted(path for path in folder.rglob("*") if not path.name.startswith("tracker.db"))


def leaks(text: str) -> list[str]:
    return [canary for canary in CanaryCase.LEAKS if canary.casefold() in text.casefold()]


def export_changes(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as session:
        statement = select(AuditEntry).where(col(AuditEntry.table_name) == "report")
        return [
            {**entry.changes, "actor_id": entry.actor_id}
            for entry in session.execute(statement).scalars()
        ]


def test_timeline_of_a_case_goes_to_the_exports_folder_with_its_hash(
    cli: TrackerRunner, settings: Settings, engine: Engine, reported_case: ReportedCase
) -> None:
    result = cli.invoke("report", "timeline", "--case", reported_case.case_code.lower())
    assert result.exit_code == 0, result.stderr
    [pdf] = written(settings)
    assert pdf.name.startswith(f"timeline-{reported_case.case_code}-legal-")
    assert f"Wrote {pdf}" in result.stdout
    sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert f"SHA-256 of {pdf.name}: {sha256}" in result.stdout
    assert reported_case.detention_code in pdf_text(pdf)
    [changes] = export_changes(engine)
    assert changes["actor_id"] is None and changes["level"] == "legal"
    assert changes["files"] == [{"name": pdf.name, "sha256": sha256}]
    assert leaks(json.dumps(changes, default=str, ensure_ascii=False)) == []


def test_timelines_of_a_person_and_a_place_at_partner_level(
    cli: TrackerRunner, settings: Settings, reported_case: ReportedCase
) -> None:
    by_person = cli.invoke(
        "report", "timeline", "--person", reported_case.victim_code, "--level", "partner"
    )
    assert by_person.exit_code == 0, by_person.stderr
    by_place = cli.invoke("report", "timeline", "--place", "Baku", "--level", "public")
    assert by_place.exit_code == 0, by_place.stderr
    person_pdf, place_pdf = written(settings)  # "V-" sorts before "place"
    assert person_pdf.name.startswith(f"timeline-{reported_case.victim_code}-partner-")
    assert place_pdf.name.startswith("timeline-place-public-")
    for pdf in (person_pdf, place_pdf):
        text = pdf_text(pdf)
        assert reported_case.detention_code in text and leaks(text) == []


def test_partner_dossier_with_output_writes_its_manifest_beside_it(
    cli: TrackerRunner, settings: Settings, engine: Engine, reported_case: ReportedCase
) -> None:
    output = settings.exports_path / "for-partner.pdf"
    result = cli.invoke(
        "report", "dossier", reported_case.case_code, "--level", "partner", "-o", str(output)
    )
    assert result.exit_code == 0, result.stderr
    manifest_path = settings.exports_path / "for-partner.manifest.json"
    assert written(settings) == [manifest_path, output]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert manifest["level"] == "partner" and manifest["evidence"] == []
    text = pdf_text(output)
    assert reported_case.case_code in text
    audit = json.dumps(export_changes(engine), default=str, ensure_ascii=False)
    assert leaks(text + manifest_path.read_text(encoding="utf-8") + audit) == []


def test_a_bare_output_name_goes_into_the_exports_folder(
    cli: TrackerRunner,
    settings: Settings,
    reported_case: ReportedCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder is not the exports folder
    result = cli.invoke("report", "dossier", reported_case.case_code, "-o", "for-court.pdf")
    assert result.exit_code == 0, result.stderr
    assert (settings.exports_path / "for-court.pdf").is_file()
    assert list(elsewhere.iterdir()) == []
    escape = cli.invoke("report", "dossier", reported_case.case_code, "-o", "..")
    assert escape.exit_code == 1 and "is a folder" in escape.stderr


def test_encrypted_dossier_asks_the_password_twice_and_needs_it(
    cli: TrackerRunner, settings: Settings, reported_case: ReportedCase
) -> None:
    password = "Gəncə-Баку 2024"
    result = cli.invoke(
        "report",
        "dossier",
        reported_case.case_code,
        "--password",
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 0, result.stderr
    assert password not in result.stdout
    manifest_path, pdf = written(settings)
    assert PdfReader(io.BytesIO(pdf.read_bytes())).is_encrypted
    assert reported_case.case_code in pdf_text(pdf, password)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["encrypted"] is True
    assert manifest["encrypted_sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_annual_report_writes_the_pdf_and_a_csv_per_table(
    cli: TrackerRunner, settings: Settings, reported_case: ReportedCase
) -> None:
    result = cli.invoke("report", "annual", "--year", "2023", "--lang", "az")
    assert result.exit_code == 0, result.stderr
    files = written(settings)
    [pdf] = [path for path in files if path.suffix == ".pdf"]
    assert pdf.name.startswith("annual-2023-public-az-")
    csvs = [path for path in files if path.suffix == ".csv"]
    stem = pdf.name.removesuffix(".pdf")
    assert f"{stem}-totals.csv" in [path.name for path in csvs]
    assert "2023" in pdf_text(pdf)
    everything = pdf_text(pdf) + "".join(path.read_text(encoding="utf-8") for path in csvs)
    assert leaks(everything) == []


def test_the_same_command_at_the_same_time_gives_identical_files(
    cli: TrackerRunner,
    settings: Settings,
    reported_case: ReportedCase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tracker.cli.report_time", lambda: FIXED_TIME)
    for name in ("first.pdf", "second.pdf"):
        output = str(settings.exports_path / name)
        result = cli.invoke("report", "dossier", reported_case.case_code, "-o", output)
        assert result.exit_code == 0, result.stderr
    first, second = settings.exports_path / "first.pdf", settings.exports_path / "second.pdf"
    assert first.read_bytes() == second.read_bytes()
    default = cli.invoke("report", "dossier", reported_case.case_code)
    assert f"dossier-{reported_case.case_code}-legal-20240601T0930Z.pdf" in default.stdout


BAD_INPUTS = [
    (("report", "timeline", "--case", "C-1900-999"), None, "case: no case"),
    (("report", "timeline", "--person", "V-1900-999"), None, "person: no person"),
    (("report", "timeline", "--place", "Atlantis"), None, "place: no place"),
    (("report", "timeline", "--organisation", str(uuid.uuid4())), None, "No organisation"),
    (("report", "dossier", str(uuid.uuid4())), None, "No case"),
    (("report", "annual", "--year", "1990"), None, "year: no incidents"),
    (("report", "timeline", "--case", "{case}", "--level", "secret"), None, "unknown disclosure"),
    (("report", "dossier", "{case}", "--level", "internal"), None, "level: a dossier"),
    (("report", "annual", "--year", "2023", "--level", "legal"), None, "level: an annual"),
    (("report", "annual", "--year", "2023", "--lang", "fr"), None, "language:"),
    (("report", "annual", "--year", "2023", "--type", "NOPE"), None, "NOPE"),
    (("report", "dossier", "{case}", "-o", "{exports}/missing/x.pdf"), None, "does not exist"),
    (("report", "dossier", "{case}", "-o", "{tmp}/elsewhere.pdf"), None, "outside the exports"),
    (("report", "dossier", "{case}", "--password"), "\n\n", "password: an encrypted"),
    (("report", "timeline", "--type", "DET", "--from", "the day after"), None, "from: 'the day"),
    (("report", "timeline", "--from", "before 2019"), None, "from: give a date with bounds"),
    (("report", "timeline", "--to", "2017-13-45"), None, "to: "),
    (("report", "timeline", "--type", "NOPE"), None, "type: unknown incident type 'NOPE'"),
    (("report", "timeline", "--type", "DET", "--case", "C-1900-999"), None, "case: no case"),
]


@pytest.mark.parametrize(("arguments", "typed", "words"), BAD_INPUTS)
def test_bad_input_exits_1_with_one_line_and_writes_nothing(
    cli: TrackerRunner,
    settings: Settings,
    engine: Engine,
    reported_case: ReportedCase,
    tmp_path: Path,
    arguments: tuple[str, ...],
    typed: str | None,
    words: str,
) -> None:
    values = {"case": reported_case.case_code, "exports": settings.exports_path, "tmp": tmp_path}
    command = [argument.format(**values) for argument in arguments]
    files_before = files_in(tmp_path)
    counts_before = table_counts(engine)
    result = cli.invoke(*command, input=typed)
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], lines
    assert leaks(result.stderr) == []
    assert files_in(tmp_path) == files_before
    assert table_counts(engine) == counts_before


def test_a_timeline_needs_exactly_one_subject(
    cli: TrackerRunner, reported_case: ReportedCase
) -> None:
    assert cli.invoke("report", "timeline").exit_code == 2
    both = cli.invoke("report", "timeline", "--case", reported_case.case_code, "--place", "Baku")
    assert both.exit_code == 2


def test_a_timeline_of_filters_has_the_incidents_they_find(
    cli: TrackerRunner, settings: Settings, engine: Engine, session: Session
) -> None:
    wanted = [make_incident(session, start_text=text).code for text in ("May 2017", "2017")]
    unwanted = [
        make_incident(session, start_text="January 2018").code,
        make_incident(session, type="TORT", start_text="June 2017").code,
        make_incident(session, start_text="before 2017").code,
    ]
    session.commit()
    settings.exports_path.mkdir()
    settings.instance_path.mkdir(exist_ok=True)
    result = cli.invoke("report", "timeline", "--type", "DET", "--from", "2017", "--to", "2017")
    assert result.exit_code == 0, result.stderr
    [pdf] = written(settings)
    assert pdf.name.startswith("timeline-incidents-legal-")
    text = pdf_text(pdf)
    assert [code for code in wanted if code not in text] == []
    assert [code for code in unwanted if code in text] == []
    [changes] = export_changes(engine)
    assert changes["scope"]["subject"] == "filter"  # type: ignore[index]
    assert changes["scope"]["filters"]["type"] == "DET"  # type: ignore[index]


def test_filters_combine_with_a_record_named_beside_them(
    cli: TrackerRunner, settings: Settings, reported_case: ReportedCase
) -> None:
    in_case = ("--case", reported_case.case_code)
    found = cli.invoke("report", "timeline", *in_case, "--from", "2023", "--level", "partner")
    assert found.exit_code == 0, found.stderr
    none = cli.invoke("report", "timeline", *in_case, "--to", "2010", "--level", "partner")
    assert none.exit_code == 0, none.stderr
    first, second = written(settings)
    texts = {pdf_text(first), pdf_text(second)}
    assert len([text for text in texts if reported_case.detention_code in text]) == 1
    assert all(leaks(text) == [] for text in texts)
