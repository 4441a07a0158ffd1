"""Layout in one pass: page numbers known only at the end, headings kept with what follows,
table cells broken to their column's width."""

import dataclasses
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Spacer

from tests.reporting import pdf_samples
from tracker.reporting.pdf.base import FRAME_HEIGHT, heading, render_document
from tracker.reporting.pdf.dossier import render_dossier_pdf
from tracker.reporting.pdf.fonts import MONO, SANS, register_fonts
from tracker.reporting.pdf.styles import stylesheet
from tracker.reporting.pdf.tables import table, wrapped_lines

EVENTS = 90


def long_dossier_pdf() -> bytes:
    """A dossier whose contents run over more than one page."""
    events = tuple(
        pdf_samples.event(code=f"I-2023-{number:03d}", title=f"Event number {number}")
        for number in range(EVENTS)
    )
    dossier = pdf_samples.dossier()
    chronology = dataclasses.replace(dossier.chronology, dated=events, undated=())
    return render_dossier_pdf(dataclasses.replace(dossier, chronology=chronology))


def outline_pages(data: bytes) -> dict[str, int]:
    """Each bookmark's title and the page (from 1) it points at."""
    reader = PdfReader(io.BytesIO(data))
    pages: dict[str, int] = {}

    def walk(entries: list[object]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                pages[str(entry.title)] = reader.get_destination_page_number(entry) + 1  # type: ignore[arg-type]

    walk(reader.outline)
    return pages


def test_contents_print_the_page_each_heading_is_on() -> None:
    data = long_dossier_pdf()
    texts = pdf_samples.page_texts(data)
    contents = "\n".join(text for text in texts[1:6])
    pages = outline_pages(data)
    assert len(pages) > EVENTS
    for title, page in pages.items():
        if title == "Contents":
            continue
        assert f"{title}\n{page}\n" in contents, title
        assert title in texts[page - 1], (title, page)


def test_page_x_of_y_is_right_on_every_page_of_a_long_dossier() -> None:
    data = long_dossier_pdf()
    assert len(pdf_samples.page_texts(data)) > 10
    pdf_samples.assert_page_furniture(data, "CONFIDENTIAL - LEGAL USE ONLY")


def test_a_heading_near_the_foot_of_a_page_moves_to_the_next_with_its_text() -> None:
    header = pdf_samples.header()
    body = stylesheet()["body"]
    # The cover-less story: a spacer leaves room for the heading but not for text under it.
    story = [
        Spacer(1, FRAME_HEIGHT - 60),
        heading("Kept with its text", 0),
        Paragraph("The first paragraph of the section.", body),
    ]
    texts = pdf_samples.page_texts(render_document(header, story))
    assert len(texts) == 2
    assert "Kept with its text" not in texts[0]
    assert "Kept with its text" in texts[1] and "first paragraph" in texts[1]


def test_a_heading_with_room_below_it_stays_on_its_page() -> None:
    body = stylesheet()["body"]
    story = [
        Spacer(1, FRAME_HEIGHT - 200),
        heading("Room enough", 0),
        Paragraph("Text under it.", body),
    ]
    texts = pdf_samples.page_texts(render_document(pdf_samples.header(), story))
    assert len(texts) == 1 and "Room enough" in texts[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400),
    width=st.floats(min_value=8, max_value=400),
    mono=st.booleans(),
)
def test_cell_lines_fit_the_column_and_keep_every_character(
    text: str, width: float, mono: bool
) -> None:
    register_fonts()
    font = MONO if mono else SANS
    printable = " ".join(text.split())
    lines = wrapped_lines(printable, font, 8.5, width)
    for line in lines:
        assert len(line) == 1 or stringWidth(line, font, 8.5) <= width
    assert "".join("".join(lines).split()) == "".join(printable.split())


def test_table_cells_are_plain_text_not_markup() -> None:
    hostile = '<font size=1000>big</font> <b>bold</b> & a lone < and "quotes"'
    story = [table(["Header <b>"], [[hostile]], [1])]
    data = render_document(pdf_samples.header(), story)
    assert pdf_samples.squashed(hostile) in pdf_samples.squashed(pdf_samples.body_text(data))


def test_a_header_word_too_wide_for_its_column_is_set_smaller_not_broken() -> None:
    register_fonts()
    header = ["Вид", "Окончательные внутренние решения"]
    story = [table(header, [["appeal", "1"]], [6, 1])]
    text = pdf_samples.body_text(render_document(pdf_samples.header(), story))
    assert "Окончательные" in text.split()
