"""Tables of plain strings: every cell made printable, the header row repeated on each page.

A short cell is drawn as plain lines of text (broken to the column's width here, long words
broken between characters), which costs a fraction of a Paragraph: a dossier holds thousands
of cells. Plain strings are never read as markup, so "<b>" prints as those characters. A long
cell (over LONG_CELL characters) becomes a Paragraph, which can continue on the next page.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from tracker.reporting.pdf.base import FRAME_WIDTH
from tracker.reporting.pdf.markup import paragraph_text, printable_text
from tracker.reporting.pdf.styles import HEADER_FILL, RULE, stylesheet

SIDE_PADDING = 4
# Above this many characters a cell is a Paragraph, so a very tall row can split across pages.
LONG_CELL = 600

GRID_STYLE = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("LINEABOVE", (0, 0), (-1, 0), 0.8, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
    ("LEFTPADDING", (0, 0), (-1, -1), SIDE_PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), SIDE_PADDING),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]

FIELDS_STYLE = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("LEFTPADDING", (0, 0), (-1, -1), SIDE_PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), SIDE_PADDING),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]


@dataclass(frozen=True)
class CellFont:
    """The font of a block of cells: the named style's face, size, leading and colour."""

    style: ParagraphStyle

    def command(self, start: tuple[int, int], stop: tuple[int, int]) -> list[tuple[object, ...]]:
        style = self.style
        return [
            ("FONT", start, stop, style.fontName, style.fontSize, style.leading),
            ("TEXTCOLOR", start, stop, style.textColor),
        ]


def cell_font(name: str) -> CellFont:
    return CellFont(stylesheet()[name])


def column_widths(weights: Sequence[float], width: float = FRAME_WIDTH) -> list[float]:
    """Widths proportional to weights that together fill width exactly."""
    total = sum(weights)
    return [width * weight / total for weight in weights]


def wrapped_lines(text: str, font_name: str, font_size: float, width: float) -> list[str]:
    """text broken into lines no wider than width: at spaces, and inside words too long."""
    if "\n" not in text and stringWidth(text, font_name, font_size) <= width:
        return [text]
    lines: list[str] = []
    for line in simpleSplit(text, font_name, font_size, width):
        while stringWidth(line, font_name, font_size) > width:
            cut = longest_fitting_prefix(line, font_name, font_size, width)
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


def longest_fitting_prefix(text: str, font_name: str, font_size: float, width: float) -> int:
    """The length of text's longest prefix that fits in width; at least one character."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle], font_name, font_size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


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
    inner = column_width - 2 * SIDE_PADDING
    style = font.style
    return "\n".join(wrapped_lines(printable, style.fontName, style.fontSize, inner))


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
    style = [*GRID_STYLE, *header_style.command((0, 0), (-1, 0))]
    for index, font in enumerate(header_fonts):
        if font is not header_style:
            style += font.command((index, 0), (index, 0))
    style += body_font.command((0, 1), (-1, -1))
    for index in mono_columns:
        style += mono_font.command((index, 1), (index, -1))
    # splitInRow lets one very tall row (a 60,000-character cell) continue on the next page
    # instead of raising LayoutError.
    return Table(
        [header_row, *body],
        colWidths=widths,
        repeatRows=1,
        splitInRow=1,
        style=TableStyle(style),
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
    rows = []
    style = [*FIELDS_STYLE, *label_font.command((0, 0), (0, -1))]
    style += value_font.command((1, 0), (1, -1))
    for number, (label, value) in enumerate(pairs):
        font = mono_font if label in mono_labels else value_font
        rows.append([cell(label, label_font, label_width), cell(value, font, value_width)])
        if font is mono_font:
            style += mono_font.command((1, number), (1, number))
    return Table(
        rows,
        colWidths=[label_width, value_width],
        splitInRow=1,
        style=TableStyle(style),
        hAlign="LEFT",
    )
