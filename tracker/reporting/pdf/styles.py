"""Every paragraph style of every report, all in the bundled TrackerSans family."""

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle

from tracker.reporting.pdf.fonts import MONO, SANS, SANS_BOLD, SANS_ITALIC, register_fonts

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f3a5f")
RULE = colors.HexColor("#b0b7c3")
HEADER_FILL = colors.HexColor("#e6eaf0")
MARKING_RED = colors.HexColor("#9b1c1c")


def _style(name: str, **attributes: object) -> ParagraphStyle:
    # splitLongWords breaks a word wider than the line (a pasted hash or URL) at the edge.
    defaults: dict[str, object] = {
        "fontName": SANS,
        "bulletFontName": SANS,
        "fontSize": 10,
        "leading": 13.5,
        "textColor": INK,
        "splitLongWords": 1,
    }
    return ParagraphStyle(name, **(defaults | attributes))


def _heading_styles() -> list[ParagraphStyle]:
    return [
        _style(
            "title", fontName=SANS_BOLD, fontSize=22, leading=27, textColor=ACCENT, spaceAfter=10
        ),
        _style("subtitle", fontSize=13, leading=17, textColor=MUTED, spaceAfter=14),
        _style(
            "h1",
            fontName=SANS_BOLD,
            fontSize=15,
            leading=19,
            textColor=ACCENT,
            spaceBefore=14,
            spaceAfter=8,
        ),
        _style(
            "h2",
            fontName=SANS_BOLD,
            fontSize=12,
            leading=15,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=5,
        ),
        _style(
            "h3",
            fontName=SANS_BOLD,
            fontSize=10.5,
            leading=13.5,
            spaceBefore=8,
            spaceAfter=3,
        ),
    ]


def _text_styles() -> list[ParagraphStyle]:
    return [
        _style("body", spaceAfter=5),
        _style("bullet", leftIndent=12, bulletIndent=2, spaceAfter=2),
        _style(
            "bullet_small",
            fontSize=8.5,
            leading=11,
            textColor=MUTED,
            leftIndent=12,
            bulletIndent=2,
            spaceAfter=2,
        ),
        _style("small", fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=3),
        # spaceBefore: a note printed under a table would otherwise touch its last rule.
        _style(
            "note",
            fontName=SANS_ITALIC,
            fontSize=9.5,
            leading=12.5,
            textColor=MUTED,
            spaceBefore=4,
            spaceAfter=5,
        ),
        _style("cell", fontSize=8.5, leading=11),
        _style("cell_mono", fontName=MONO, fontSize=7.5, leading=10),
        _style("cell_header", fontName=SANS_BOLD, fontSize=8.5, leading=11),
        _style(
            "marking",
            fontName=SANS_BOLD,
            fontSize=11,
            leading=14,
            textColor=MARKING_RED,
            alignment=TA_CENTER,
            spaceBefore=6,
            spaceAfter=6,
        ),
        _style(
            "label",
            fontName=SANS_BOLD,
            fontSize=9.5,
            leading=12.5,
            textColor=MUTED,
            spaceBefore=4,
        ),
        _style("cover_value", fontSize=10.5, leading=14),
    ]


def _contents_styles() -> list[ParagraphStyle]:
    return [
        _style(
            "toc0", fontName=SANS_BOLD, fontSize=10.5, leading=15, leftIndent=0, firstLineIndent=0
        ),
        _style("toc1", fontSize=9.5, leading=13, leftIndent=14, firstLineIndent=0),
        _style("toc2", fontSize=9, leading=12, leftIndent=28, firstLineIndent=0, textColor=MUTED),
    ]


@cache
def stylesheet() -> Mapping[str, ParagraphStyle]:
    """The named styles (title, h1-h3, body, small, cell, marking, toc0-toc2...), read-only."""
    register_fonts()
    styles = _heading_styles() + _text_styles() + _contents_styles()
    return MappingProxyType({style.name: style for style in styles})
