"""Register the bundled DejaVu fonts once, so user text never falls back to a built-in font.

ReportLab's built-in Helvetica has no Azerbaijani ə and no Cyrillic; every style uses the
TrackerSans family registered here from files shipped inside the package (LICENSE-DejaVu.txt).
"""

import io
from functools import cache
from importlib.resources import files

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS = "TrackerSans"
SANS_BOLD = "TrackerSans-Bold"
SANS_ITALIC = "TrackerSans-Italic"
SANS_BOLD_ITALIC = "TrackerSans-BoldItalic"
MONO = "TrackerMono"

FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}


def font_bytes(file_name: str) -> bytes:
    """A bundled font file's bytes, read through importlib.resources (works from a wheel)."""
    return files("tracker.reporting.pdf").joinpath("fonts", file_name).read_bytes()


def register_fonts() -> None:
    """Register TrackerSans (four faces) and TrackerMono; calling again does nothing."""
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    for font_name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(font_name, io.BytesIO(font_bytes(file_name))))
    pdfmetrics.registerFontFamily(
        SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD_ITALIC
    )
    # <b> and <i> inside TrackerMono text still resolve to a registered face.
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(MONO, bold, italic, MONO)


@cache
def printable_code_points() -> frozenset[int]:
    """Characters both faces used for user text (regular and bold) can draw."""
    register_fonts()
    regular = pdfmetrics.getFont(SANS).face.charToGlyph
    bold = pdfmetrics.getFont(SANS_BOLD).face.charToGlyph
    return frozenset(regular) & frozenset(bold)
