"""Tables of plain strings: every cell made printable, the header row repeated on each page.

A short cell is drawn as plain lines of text (broken to the column's width here, long words
broken between characters), which costs a fraction of a Paragraph: a dossier holds thousands
of cells. Plain strings are never read as markup, so "<b>" prints as those characters. A long
cell (over LONG_CELL characters) becomes a Paragraph, which can continue on the next page.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.tables import CellStyle

from tracker.reporting.pdf.base import FRAME_WIDTH
from tracker.reporting.pdf.markup import paragraph_text, printable_text
from tracker.reporting.pdf.styles import HEADER_FILL, RULE, stylesheet
from tracker.reporting.pdf.text_lines import wrapped_lines

__all__ = ["cell", "column_widths", "fields_table", "header_font", "table", "wrapped_lines"]

SIDE_PADDING = 4
# Above this many characters a cell is a Paragraph, so a very tall row can split across pages.
LONG_CELL = 600

# Only rules and fills are table style commands; a cell's font, colour and padding come from
# a CellStyle shared by every cell set alike (see CellFont.cell_style). Per-cell commands
# made ReportLab set each of a dossier's 8,000 cells' styles one attribute at a time.
GRID_STYLE = [
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("LINEABOVE", (0, 0), (-1, 0), 0.8, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
]
GRID_PADDING = 3  # above and below a cell's text
FIELDS_STYLE = [("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]
FIELDS_PADDING = 2


@dataclass(frozen=True)
class CellFont:
    """The font of a block of cells: the named style's face, size, leading and colour."""

    style: ParagraphStyle

    def cell_style(self, vertical_padding: float) -> CellStyle:
        """The style of every cell in this font: shared, so ReportLab must never change it
        (no per-cell style commands; cells are top-aligned, so splitting a row copies it)."""
        return shared_cell_style(self.style, vertical_padding)


@lru_cache(maxsize=64)
def shared_cell_style(style: ParagraphStyle, vertical_padding: float) -> CellStyle:
    cell_style = CellStyle(style.name)
    cell_style.fontname = style.fontName
    cell_style.fontsize = style.fontSize
    cell_style.leading = style.leading
    cell_style.color = style.textColor
    cell_style.valign = "TOP"
    cell_style.leftPadding = cell_style.rightPadding = SIDE_PADDING
    cell_style.topPadding = cell_style.bottomPadding = vertical_padding
    return cell_style


def cell_font(name: str) -> CellFont:
    return CellFont(stylesheet()[name])


def column_widths(weights: Sequence[float], width: float = FRAME_WIDTH) -> list[float]:
    """Widths proportional to weights that together fill width exactly."""
    total = sum(weights)
    return [width * weight / total for weight in weights]


SMALLEST_HEADER_SIZE = 6.0


def header_font(text: str, font: CellFont, column_width: float) -> CellFont:
    """The header font, made smaller (not below 6 pt) until the longest word fits the column:
    a header word broken between letters ("Окончательны / е") reads badly."""
    style = font.style
    inner = column_width - 2 * SIDE_PADDING
    widest = max((stringWidth(word, style.fontName, style.fontSize) for word in text.split()),
                 default=0.0)  # fmt: skip
    if widest <= inner:
        return font
    size = max(SMALLEST_HEADER_SIZE, 0.99 * style.fontSize * inner / widest)  # 1%: rounding
    leading = style.leading * size / style.fontSize
    return CellFont(ParagraphStyle(f"{style.name}-fitted", parent=style, fontSize=size,
                                   leading=leading))  # fmt: skip


def cell(text: str, font: CellFont, column_width: float) -> str | Paragraph:
    """One cell: printable lines of plain text, or a Paragraph when the text is long."""
    printable = printable_text(text).strip()
    if len(printable) > LONG_CELL:
        return Paragraph(paragraph_text(printable), font.style)
    style = font.style
    return cell_lines(printable, style.fontName, style.fontSize, column_width - 2 * SIDE_PADDING)


@lru_cache(maxsize=4096)
def cell_lines(text: str, font_name: str, font_size: float, width: float) -> str:
    """text broken to width, one line a line: worked out once per text and column (a
    dossier repeats many cells: actions, holders, "yes", "no")."""
    return "\n".join(wrapped_lines(text, font_name, font_size, width))


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    *,
    mono_columns: Sequence[int] = (),
    width: float = FRAME_WIDTH,
) -> Table:
    """A table of plain strings fitting width; rows may split across pages (a long cell)."""
    widths = column_widths(weights, width)
    header_style, body_font, mono_font = (cell_font(name) for name in
                                          ("cell_header", "cell", "cell_mono"))  # fmt: skip

    def font_of(index: int) -> CellFont:
        return mono_font if index in mono_columns else body_font

    header_fonts = [header_font(printable_text(text), header_style, widths[index])
                    for index, text in enumerate(header)]  # fmt: skip
    header_row = [cell(text, header_fonts[index], widths[index])
                  for index, text in enumerate(header)]  # fmt: skip
    body = [
        [cell(text, font_of(index), widths[index]) for index, text in enumerate(row)]
        for row in rows
    ]
    body_styles = [font_of(index).cell_style(GRID_PADDING) for index in range(len(widths))]
    header_styles = [font.cell_style(GRID_PADDING) for font in header_fonts]
    # splitInRow lets one very tall row (a 60,000-character cell) continue on the next page
    # instead of raising LayoutError.
    return Table(
        [header_row, *body],
        colWidths=widths,
        repeatRows=1,
        splitInRow=1,
        style=TableStyle(GRID_STYLE),
        cellStyles=[header_styles, *(list(body_styles) for _ in body)],
        hAlign="LEFT",
    )


def fields_table(
    pairs: Sequence[tuple[str, str]],
    *,
    mono_labels: Sequence[str] = (),
    width: float = FRAME_WIDTH,
) -> Table:
    """Label/value lines as a two-column table without a header row."""
    label_width, value_width = column_widths([1, 3], width)
    label_font, value_font, mono_font = (cell_font(name) for name in
                                         ("cell_header", "cell", "cell_mono"))  # fmt: skip
    rows, styles = [], []
    for label, value in pairs:
        font = mono_font if label in mono_labels else value_font
        rows.append([cell(label, label_font, label_width), cell(value, font, value_width)])
        styles.append([label_font.cell_style(FIELDS_PADDING), font.cell_style(FIELDS_PADDING)])
    return Table(
        rows,
        colWidths=[label_width, value_width],
        splitInRow=1,
        style=TableStyle(FIELDS_STYLE),
        cellStyles=styles,
        hAlign="LEFT",
    )
