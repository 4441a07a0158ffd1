"""The bundled font family is registered once and is the only font in a rendered report."""

import io
from typing import Any

from pypdf import PdfReader
from reportlab.lib.fonts import tt2ps
from reportlab.pdfbase import pdfmetrics

from tests.reporting import pdf_samples
from tracker.reporting.pdf.dossier import render_dossier_pdf
from tracker.reporting.pdf.fonts import (
    SANS,
    SANS_BOLD,
    SANS_BOLD_ITALIC,
    SANS_ITALIC,
    printable_code_points,
    register_fonts,
)
from tracker.reporting.pdf.styles import stylesheet


def test_register_fonts_twice_keeps_one_registration() -> None:
    register_fonts()
    font = pdfmetrics.getFont(SANS)
    register_fonts()
    assert pdfmetrics.getFont(SANS) is font


def test_family_maps_bold_and_italic_to_the_bundled_faces() -> None:
    register_fonts()
    assert tt2ps(SANS, 0, 0) == SANS
    assert tt2ps(SANS, 1, 0) == SANS_BOLD
    assert tt2ps(SANS, 0, 1) == SANS_ITALIC
    assert tt2ps(SANS, 1, 1) == SANS_BOLD_ITALIC


def test_every_style_uses_a_bundled_font() -> None:
    for name, style in stylesheet().items():
        assert style.fontName.startswith("Tracker"), name
        assert style.bulletFontName.startswith("Tracker"), name


def test_bundled_font_draws_azerbaijani_and_cyrillic() -> None:
    for character in "ƏəİıĞğŞşÇçÖöÜüБакуСумгаит":
        assert ord(character) in printable_code_points(), character


def test_a_dossier_embeds_only_the_bundled_fonts() -> None:
    reader = PdfReader(io.BytesIO(render_dossier_pdf(pdf_samples.dossier())))
    base_fonts: set[str] = set()
    for page in reader.pages:
        fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
        base_fonts |= {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert base_fonts
    assert all("DejaVu" in name for name in base_fonts), base_fonts
