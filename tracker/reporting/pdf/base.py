"""The one document template: A4, marking and "Page X of Y" on every page, contents, outline.

Rendering is deterministic: ReportLab runs in invariant mode (no random file ID, no clock),
the PDF's creation date is the header's generated_at, and bookmark keys are counted, so the
same header and story give byte-identical files whose SHA-256 can be recorded.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable as _FlowableBase
from reportlab.platypus.tableofcontents import TableOfContents

from tracker.domain.disclosure import reveals_identities
from tracker.reporting.labels import label_or_english
from tracker.reporting.model import ReportHeader
from tracker.reporting.pdf.fonts import SANS, SANS_BOLD, register_fonts
from tracker.reporting.pdf.markup import paragraph_text, paragraphs, printable_text
from tracker.reporting.pdf.styles import MARKING_RED, MUTED, RULE, stylesheet

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT_MARGIN = RIGHT_MARGIN = 20 * mm
TOP_MARGIN = 24 * mm
BOTTOM_MARGIN = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN
# Contents and outline show at most this much of a heading; the page shows all of it.
ENTRY_LENGTH = 120
PRODUCER = "tracker"


@dataclass(frozen=True)
class OutlineEntry:
    """A heading's place in the outline (bookmarks) and the table of contents."""

    title: str  # plain text, already printable
    level: int  # 0 section, 1 subsection, 2 item
    in_contents: bool


class Heading(Paragraph):  # type: ignore[misc]
    """A heading Paragraph the document template registers in the outline and contents."""

    tracker_outline: OutlineEntry | None = None

    def split(self, available_width: float, available_height: float) -> list[Any]:
        # A very long heading may split; the outline points at the page where it starts.
        parts: list[Any] = super().split(available_width, available_height)
        if parts:
            parts[0].tracker_outline = self.tracker_outline
            for part in parts[1:]:
                part.tracker_outline = None
        return parts


def heading(text: str, level: int, *, in_contents: bool = True) -> Heading:
    """A heading of level 0-2 (styles h1-h3) that gets a bookmark and a contents line."""
    flowable = Heading(paragraph_text(text), stylesheet()[f"h{level + 1}"])
    flowable.tracker_outline = OutlineEntry(shorten(printable_text(text)), level, in_contents)
    return flowable


def shorten(text: str, limit: int = ENTRY_LENGTH) -> str:
    """One line of at most limit characters, ending in "…" when something was left out."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def contents() -> TableOfContents:
    """The table of contents, filled from the headings on the second pass."""
    styles = stylesheet()
    toc = TableOfContents(
        levelStyles=[styles["toc0"], styles["toc1"], styles["toc2"]],
        dotsMinLevel=0,
        rightColumnWidth=40,
        tableStyle=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # Table's default would be Helvetica
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    return toc


class PageTotal(_FlowableBase):  # type: ignore[misc]
    """Zero-size marker that keeps multiBuild going until the page total is known and stable.

    "Page X of Y" needs Y before the last page is laid out: each pass reports its page count,
    and the next pass prints it; the build ends when two passes agree.
    """

    def __init__(self) -> None:
        super().__init__()
        self.previous: int | None = None
        self.current: int | None = None

    def isIndexing(self) -> int:  # noqa: N802 (ReportLab's hook name)
        return 1

    def isSatisfied(self) -> bool:  # noqa: N802
        return self.previous is not None and self.previous == self.current

    def beforeBuild(self) -> None:  # noqa: N802
        self.previous, self.current = self.current, None

    def afterBuild(self) -> None:  # noqa: N802
        return None

    def notify(self, kind: str, stuff: Any) -> None:
        if kind == "pageTotal":
            self.current = stuff

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        return None


class DatedCanvas(Canvas):  # type: ignore[misc]
    """A canvas whose PDF creation and modification dates are the report's generated_at."""

    def __init__(self, *args: Any, generated_at: datetime, **kwargs: Any) -> None:
        kwargs["invariant"] = 1
        super().__init__(*args, **kwargs)
        stamp = pdf_date(generated_at)
        self.setDateFormatter(lambda *_: stamp)


def pdf_date(moment: datetime) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+00'00') in UTC; a naive time is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("D:%Y%m%d%H%M%S+00'00'")


class ReportDocument(BaseDocTemplate):  # type: ignore[misc]
    """A4 template with one frame; registers headings as bookmarks and contents entries."""

    def __init__(self, output: io.BytesIO, header: ReportHeader, page_total: PageTotal) -> None:
        super().__init__(
            output,
            pagesize=A4,
            leftMargin=LEFT_MARGIN,
            rightMargin=RIGHT_MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            invariant=1,
            initialFontName=SANS,  # not Helvetica, so no built-in font enters the file
            displayDocTitle=True,
            **document_metadata(header),
        )
        self.report_header = header
        self.page_total = page_total
        self.heading_count = 0
        # No side padding: tables and charts are FRAME_WIDTH wide and end at the rule above
        # them; ReportLab's default 6 pt would push them 6 pt past the right margin.
        frame = Frame(LEFT_MARGIN, BOTTOM_MARGIN, FRAME_WIDTH, self.height, id="body",
                      leftPadding=0, rightPadding=0)  # fmt: skip
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self.draw_furniture)])

    def beforeDocument(self) -> None:  # noqa: N802 (ReportLab's hook names)
        self.heading_count = 0
        self.canv.showOutline()

    def afterPage(self) -> None:  # noqa: N802
        self.notify("pageTotal", self.page)

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        entry = getattr(flowable, "tracker_outline", None)
        if isinstance(entry, OutlineEntry):
            self.register_heading(entry)

    def register_heading(self, entry: OutlineEntry) -> None:
        self.heading_count += 1
        key = f"section-{self.heading_count}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(entry.title, key, level=entry.level, closed=entry.level > 0)
        if entry.in_contents:
            self.notify("TOCEntry", (entry.level, paragraph_text(entry.title), self.page, key))

    def draw_furniture(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        draw_marking(canvas, self.report_header.classification)
        total = self.page_total.previous
        number = page_number_text(self.report_header.language, canvas.getPageNumber(), total)
        draw_footer(canvas, self.report_header.subject, number)


def document_metadata(header: ReportHeader) -> dict[str, str]:
    """Title, subject, author and producer; the author (a username) only where identities are."""
    author = header.generated_by if reveals_identities(header.level) else ""
    return {
        "title": printable_text(header.title),
        "subject": printable_text(header.subject),
        "author": printable_text(author),
        "creator": PRODUCER,
        "producer": PRODUCER,
        "keywords": "",
    }


def fitted_font_size(text: str, font_name: str, size: float, width: float) -> float:
    """The largest size up to size (not below 5pt) at which text fits in width."""
    natural = stringWidth(text, font_name, size)
    return size if natural <= width else max(5.0, size * width / natural)


def fit_line(text: str, font_name: str, size: float, width: float) -> str:
    """Text on one line, shortened with "…" when it does not fit in width at size."""
    line = " ".join(printable_text(text).split())
    if stringWidth(line, font_name, size) <= width:
        return line
    while line and stringWidth(line + "…", font_name, size) > width:
        line = line[: len(line) * 9 // 10]  # a tenth at a time: a 60,000-character line ends fast
    return line.rstrip() + "…"


def draw_marking(canvas: Canvas, marking: str) -> None:
    """The classification marking, centred above a rule at the top of the page."""
    text = " ".join(printable_text(marking).split())
    size = fitted_font_size(text, SANS_BOLD, 9.5, FRAME_WIDTH)
    top = PAGE_HEIGHT - 13 * mm
    canvas.saveState()
    canvas.setFont(SANS_BOLD, size)
    canvas.setFillColor(MARKING_RED)
    canvas.drawCentredString(PAGE_WIDTH / 2, top, fit_line(text, SANS_BOLD, size, FRAME_WIDTH))
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, top - 3 * mm, PAGE_WIDTH - RIGHT_MARGIN, top - 3 * mm)
    canvas.restoreState()


def page_number_text(language: str, page: int, total: int | None) -> str:
    """ "Page X of Y" in the report's language; "?" for Y before the first pass has counted."""
    words = label_or_english("page_of", language)
    return words.format(page=page, total=total if total is not None else "?")


def draw_footer(canvas: Canvas, subject: str, number: str) -> None:
    """The subject on the left and the page number ("Page X of Y") on the right, below a rule."""
    baseline = 11 * mm
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, baseline + 4 * mm, PAGE_WIDTH - RIGHT_MARGIN, baseline + 4 * mm)
    canvas.setFont(SANS, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(LEFT_MARGIN, baseline, fit_line(subject, SANS, 8, FRAME_WIDTH * 0.7))
    canvas.drawRightString(PAGE_WIDTH - RIGHT_MARGIN, baseline, number)
    canvas.restoreState()


def render_document(header: ReportHeader, story: Sequence[Flowable]) -> bytes:
    """The PDF bytes of story under header's marking; same input, same bytes."""
    register_fonts()
    output = io.BytesIO()
    page_total = PageTotal()
    document = ReportDocument(output, header, page_total)
    canvasmaker = partial(DatedCanvas, generated_at=header.generated_at)
    document.multiBuild([page_total, *story], canvasmaker=canvasmaker)
    return output.getvalue()


def generated_at_label(moment: datetime) -> str:
    """generated_at as ISO 8601 in UTC, to the second."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat(timespec="seconds")


def cover(header: ReportHeader, fields: Sequence[tuple[str, str]] = ()) -> list[Flowable]:
    """Title, subject, the marking in full, then label/value lines (level, generated at, by)."""
    styles = stylesheet()
    language = header.language
    standard = [
        (label_or_english("cover_level", language), header.level.value),
        (label_or_english("cover_generated_at", language), generated_at_label(header.generated_at)),
        (label_or_english("cover_generated_by", language), header.generated_by or "—"),
    ]
    story: list[Flowable] = [
        Heading(paragraph_text(header.title), styles["title"]),
        Paragraph(paragraph_text(header.subject), styles["subtitle"]),
        Paragraph(paragraph_text(header.classification), styles["marking"]),
    ]
    for label, value in [*fields, *standard]:
        story.append(Paragraph(paragraph_text(label), styles["label"]))
        story.extend(paragraphs(value or "—", styles["cover_value"]))
    return story
