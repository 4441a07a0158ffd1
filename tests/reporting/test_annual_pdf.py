"""The annual report PDF: totals, charts, suppression marks and labels in three languages."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from tests.factories import make_incident, make_involvement, make_organisation, make_place
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.annual import AnnualReport, annual_csv_tables, build_annual_report
from tracker.reporting.pdf.annual import render_annual_pdf
from tracker.services.restrictions import Viewer

ANALYST = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
GENERATED_AT = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)


def sample_report(session: Session, *, language: str = "en",
                  level: DisclosureLevel = DisclosureLevel.PUBLIC) -> AnnualReport:  # fmt: skip
    baku = make_place(session, name="Баку")
    for day in ("1 March 2023", "2 March 2023", "3 March 2023", "4 May 2023"):
        incident = make_incident(session, start_text=day, place_id=baku.id)
        make_involvement(session, incident_id=incident.id)
    police = make_organisation(session)
    make_involvement(session, incident_id=make_incident(session, type="RAID").id,
                     organisation_id=police.id, role="alleged_perpetrator",
                     perpetrator_type="state_agent")  # fmt: skip
    return build_annual_report(
        session, year=2023, level=level, viewer=ANALYST, generated_at=GENERATED_AT,
        generated_by="analyst", language=language,
    )  # fmt: skip


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace folded (table cells extract one per line)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_pdf_shows_totals_sections_and_suppression(session: Session) -> None:
    report = sample_report(session)
    data = render_annual_pdf(report)
    text = pdf_text(data)
    assert "Annual report on incidents" in text and "PUBLIC" in text
    for section in ("Methodology and definitions", "Incidents by month", "Selected narratives",
                    "Change from the previous year", "Incidents by perpetrator type"):  # fmt: skip
        assert section in text
    assert "Victim involvements 4" in text
    assert "<3" in text
    assert "Баку" in text
    assert render_annual_pdf(report) == data  # deterministic


@pytest.mark.parametrize(
    "language, titles",
    [
        ("az", ("Metodologiya və anlayışlar", "Aylar üzrə insidentlər", "Cəmlər")),
        ("ru", ("Методология и определения", "Инциденты по месяцам", "Итоги", "Март")),
    ],
)
def test_section_titles_in_azerbaijani_and_russian(
    session: Session, language: str, titles: tuple[str, ...]
) -> None:
    text = pdf_text(render_annual_pdf(sample_report(session, language=language)))
    for title in titles:
        assert title in text


def test_partner_level_hides_nothing(session: Session) -> None:
    report = sample_report(session, level=DisclosureLevel.PARTNER)
    text = pdf_text(render_annual_pdf(report))
    assert "<3" not in text and "PARTNER" in text


def test_csv_cells_are_the_pdf_cells(session: Session) -> None:
    report = sample_report(session)
    text = pdf_text(render_annual_pdf(report))
    for name, data in annual_csv_tables(report).items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        table = next(table for table in report.tables if table.file_name == name)
        assert rows[0] == list(table.columns)
        for row in rows[1:]:
            if all(len(cell) < 40 for cell in row):  # long cells wrap in the PDF
                assert " ".join(cell for cell in row if cell) in text, (name, row)
