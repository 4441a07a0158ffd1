"""The annual report PDF: totals, charts, suppression marks, labels and page numbers in three
languages, hostile text printed literally, and metadata that names nobody."""

import csv
import io
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_incident,
    make_involvement,
    make_organisation,
    make_person,
    make_place,
)
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.annual import (
    AnnualReport,
    NarrativeEntry,
    annual_csv_tables,
    build_annual_report,
)
from tracker.reporting.pdf.annual import render_annual_pdf
from tracker.services.consents import record_consent
from tracker.services.restrictions import Viewer
from tracker.services.vocabularies import add_term

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


# --- the footer in the report's language -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "page_of"),
    [("en", "Page {page} of {total}"), ("az", "Səhifə {page} / {total}"),
     ("ru", "Страница {page} из {total}")],
)  # fmt: skip
def test_every_page_numbered_in_the_reports_language(
    session: Session, language: str, page_of: str
) -> None:
    reader = PdfReader(io.BytesIO(render_annual_pdf(sample_report(session, language=language))))
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert page_of.format(page=number, total=total) in page.extract_text()
    if language != "en":
        assert "Page 1 of" not in reader.pages[0].extract_text()


# --- hostile text in every field an admin or a documenter may type ---------------------------

# Letters of the three languages, markup characters, whitespace and control characters.
TYPED = "abzəƏıİçşğöüЖжЯя0<>&;/=\"' \n\t\x00\x07"
LONG_WORD = "Ж" * 250 + "x" * 250
# The services refuse NUL in stored text (check_text_values); the renderer gets it below anyway.
HOSTILE = ("<b>R&D</b>", "<font size=1000>big</font>", "lone < and &amp;", LONG_WORD, "a<b&c")


# Vocabulary labels are admin-editable, up to 200 characters.
TYPE_LABEL = "<script>alert(1)</script>" + "Я" * 170


def squeezed(text: str) -> str:
    """Whitespace removed: a 500-character word is broken across lines when printed."""
    return "".join(text.split())


def hostile_report(session: Session, level: DisclosureLevel) -> AnnualReport:
    region = make_place(session, name=" ".join(HOSTILE[:3]))
    add_term(session, vocabulary="incident_type", code="HOSTILE", actor_id=ACTOR_ID,
             label_en=TYPE_LABEL)  # fmt: skip
    narrative = "\n\n".join((*HOSTILE, "Witness: Əli Məlikov was beaten."))
    for day in ("1 March 2023", "2 March 2023", "3 March 2023"):
        incident = make_incident(session, start_text=day, place_id=region.id, type="HOSTILE",
                                 publishable=True, narrative=narrative)  # fmt: skip
    victim = make_person(session, real_name="Əli Məlikov")
    make_involvement(session, incident_id=incident.id, person_id=victim.id)
    record_consent(session, person_id=victim.id, scope="narrative_public", status="granted",
                   decided_on=date(2024, 1, 5), method="in person", actor_id=ACTOR_ID)  # fmt: skip
    return build_annual_report(session, year=2023, level=level, viewer=ANALYST,
        generated_at=GENERATED_AT, generated_by="analyst.kamala")  # fmt: skip


@pytest.mark.parametrize("level", [DisclosureLevel.PUBLIC, DisclosureLevel.PARTNER])
def test_hostile_region_type_and_narrative_print_literally(
    session: Session, level: DisclosureLevel
) -> None:
    report = hostile_report(session, level)
    # Three narratives: one names its own victim, two name someone of another incident.
    assert len(report.narratives) == 3
    first = report.narratives[0]
    with_nul = replace(first, text=first.text + "\n\nnul\x00byte")
    narratives = (with_nul, *report.narratives[1:])
    text = squeezed(pdf_text(render_annual_pdf(replace(report, narratives=narratives))))
    for hostile in (*HOSTILE, TYPE_LABEL):
        assert squeezed(hostile) in text, hostile
    assert "nulbyte" in text  # NUL dropped, nothing else lost
    assert "Məlikov" not in text and "Əli" not in text


def test_public_metadata_names_nobody(session: Session) -> None:
    report = hostile_report(session, DisclosureLevel.PUBLIC)
    data = render_annual_pdf(report)
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata is not None
    values = " ".join(str(value) for value in metadata.values())
    assert metadata.title == "Annual report on incidents"
    for name in ("Əli", "Məlikov", "Meliko", "analyst.kamala"):
        assert name not in values
    assert "analyst.kamala" not in pdf_text(data)


def test_any_narrative_or_label_text_renders_as_typed(session: Session) -> None:
    report = sample_report(session)

    @settings(max_examples=12, deadline=None)
    @given(text=st.text(alphabet=st.sampled_from(TYPED), min_size=1, max_size=80))
    def renders(text: str) -> None:
        entry = NarrativeEntry(date_label="March 2023", place_label=text, type_label=text,
                               text=text)  # fmt: skip
        by_type = replace(report.by_type, rows=((text, "5"),))
        data = render_annual_pdf(replace(report, narratives=(entry,), by_type=by_type))
        printed = "".join(character for character in pdf_text(data) if character.isalnum())
        assert "".join(character for character in text if character.isalnum()) in printed

    renders()
