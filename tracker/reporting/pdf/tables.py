"""Tables of plain strings: every cell escaped, the header row repeated on each page."""

from collections.abc import Sequence

from reportlab.platypus import Paragraph, Table, TableStyle

from tracker.reporting.pdf.base import FRAME_WIDTH
from tracker.reporting.pdf.fonts import SANS
from tracker.reporting.pdf.markup import paragraph_text
from tracker.reporting.pdf.styles import HEADER_FILL, RULE, stylesheet

GRID_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), SANS),  # Table's default would be Helvetica
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("LINEABOVE", (0, 0), (-1, 0), 0.8, RULE),
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]

FIELDS_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), SANS),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]


def column_widths(weights: Sequence[float], width: float = FRAME_WIDTH) -> list[float]:
    """Widths proportional to weights that together fill width exactly."""
    total = sum(weights)
    return [width * weight / total for weight in weights]


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    *,
    mono_columns: Sequence[int] = (),
    width: float = FRAME_WIDTH,
) -> Table:
    """A table of plain strings fitting width; rows may split across pages (a long cell)."""
    styles = stylesheet()
    header_row = [Paragraph(paragraph_text(text), styles["cell_header"]) for text in header]
    body = [
        [
            Paragraph(
                paragraph_text(text), styles["cell_mono" if index in mono_columns else "cell"]
            )
            for index, text in enumerate(row)
        ]
        for row in rows
    ]
    # splitInRow lets one very tall row (a 60,000-character cell) continue on the next page
    # instead of raising LayoutError.
    return Table(
        [header_row, *body],
        colWidths=column_widths(weights, width),
        repeatRows=1,
        splitInRow=1,
        style=TableStyle(GRID_STYLE),
        hAlign="LEFT",
    )


def fields_table(
    pairs: Sequence[tuple[str, str]],
    *,
    mono_labels: Sequence[str] = (),
    width: float = FRAME_WIDTH,
) -> Table:
    """Label/value lines as a two-column table without a header row."""
    styles = stylesheet()
    rows = [
        [
            Paragraph(paragraph_text(label), styles["cell_header"]),
            Paragraph(
                paragraph_text(value), styles["cell_mono" if label in mono_labels else "cell"]
            ),
        ]
        for label, value in pairs
    ]
    return Table(
        rows,
        colWidths=column_widths([1, 3], width),
        splitInRow=1,
        style=TableStyle(FIELDS_STYLE),
        hAlign="LEFT",
    )
