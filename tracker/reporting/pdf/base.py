"""The one document template: A4, marking and "Page X of Y" on every page, contents, outline.

Rendering is deterministic: ReportLab runs in invariant mode (no random file ID, no clock),
the PDF's creation date is the header's generated_at, and bookmark keys are counted, so the
same header and story give byte-identical files whose SHA-256 can be recorded.
"""

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFObjectReference, PDFResourceDictionary
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
)
from reportlab.platypus.flowables import Flowable as _FlowableBase

from tracker.domain.disclosure import reveals_identities
from tracker.reporting.labels import label_or_english
from tracker.reporting.model import ReportHeader
from tracker.reporting.pdf.fonts import SANS, SANS_BOLD, register_fonts
from tracker.reporting.pdf.markup import paragraph_text, paragraphs, printable_text
from tracker.reporting.pdf.styles import MARKING_RED, MUTED, RULE, stylesheet
from tracker.reporting.pdf.text_lines import wrapped_lines

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
    key: str = ""  # the bookmark's name, given when the document is numbered


FRAME_HEIGHT = PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN
# A heading or label needs this much room below it, or it starts the next page: three lines
# of body text, or a table's header row and first row.
ROOM_BELOW = 40


class StaysWithNext(Paragraph):  # type: ignore[misc]
    """A Paragraph never left alone at the foot of a page: with less than ROOM_BELOW under
    it, it moves to the next page. (ReportLab's keepWithNext does this by laying the pair
    out twice, which costs a fifth of a long dossier's time.)"""

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        width, height = super().wrap(available_width, available_height)
        if self.too_low(height, available_height):
            return width, available_height + 1  # does not fit: the frame asks split()
        return width, height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        height = super().wrap(available_width, available_height)[1]
        if self.too_low(height, available_height):
            return []  # the whole paragraph moves to the next page
        parts: list[Any] = super().split(available_width, available_height)
        return parts

    @staticmethod
    def too_low(height: float, available_height: float) -> bool:
        at_top = available_height >= FRAME_HEIGHT - ROOM_BELOW
        return not at_top and height + ROOM_BELOW > available_height


def label(text: str) -> StaysWithNext:
    """A small bold label ("Sources", "Custody log") kept with what follows it."""
    return StaysWithNext(paragraph_text(text), stylesheet()["label"])


class Heading(StaysWithNext):
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


# --- page numbers known only at the end, printed in one pass ----------------------------------
#
# "Page X of Y" and the contents' page numbers are not known while the pages are laid out.
# Instead of laying the document out again (multiBuild), each such number is a PDF form
# (XObject) placed on the page by name and drawn once, at the end, when the numbers are known.


def page_number_form(page: int) -> str:
    return f"tracker-page-{page}"


def contents_number_form(key: str) -> str:
    return f"tracker-contents-{key}"


def place_form(canvas: Canvas, name: str, right: float, baseline: float) -> None:
    """Place the named form so that its right-aligned text ends at right on baseline."""
    canvas.saveState()
    canvas.translate(right, baseline)
    canvas.doForm(name)
    canvas.restoreState()


def define_right_aligned_form(canvas: Canvas, name: str, text: str, font: str, size: float,
                              colour: Any) -> None:  # fmt: skip
    """A form holding text that ends at its origin (placed by place_form).

    A dossier has hundreds of these forms of a few bytes each: they are stored uncompressed
    (compressing each started a fresh zlib stream) and share one resource dictionary.
    """
    canvas.beginForm(name, lowerx=-PAGE_WIDTH, lowery=-size, upperx=size, uppery=2 * size)
    canvas.setFont(font, size)
    canvas.setFillColor(colour)
    canvas.drawRightString(0, 0, text)
    canvas.addLiteral("")  # a line break, so "endstream" starts a line of its own
    canvas.endForm(compression=0, Resources=shared_form_resources(canvas))


def shared_form_resources(canvas: Canvas) -> PDFObjectReference:
    """One resource dictionary (the document's fonts) for every late-number form."""
    existing = getattr(canvas, "tracker_form_resources", None)
    if existing is None:
        resources = PDFResourceDictionary()
        resources.basicFonts()
        existing = canvas._doc.Reference(resources)
        canvas.tracker_form_resources = existing
    return existing


class Contents(_FlowableBase):  # type: ignore[misc]
    """Where the table of contents goes; render_document puts its lines here."""

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        return None


def contents() -> Contents:
    """The table of contents: one line per heading, its page number filled in at the end."""
    return Contents()


# The page number's column at the right of a contents line: titles wrap before it.
CONTENTS_NUMBER_WIDTH = 40


class ContentsLine(_FlowableBase):  # type: ignore[misc]
    """A heading's title, and its page number (a form) at the right edge of its last line.

    Plain text lines, not a Paragraph: the title is already printable and shortened, so
    there is no markup to parse; a long dossier has hundreds of these lines.
    """

    def __init__(self, entry: OutlineEntry) -> None:
        super().__init__()
        self.style = stylesheet()[f"toc{min(entry.level, 2)}"]
        self.title = entry.title
        self.tracker_key = entry.key
        self.lines: list[str] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        style = self.style
        room = available_width - style.leftIndent - CONTENTS_NUMBER_WIDTH
        self.lines = wrapped_lines(self.title, style.fontName, style.fontSize, room) or [""]
        self.width = available_width
        self.height = len(self.lines) * style.leading
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        return []  # at most two lines (titles are shortened): moves to the next page whole

    def draw(self) -> None:
        canvas, style = self.canv, self.style
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        baseline = self.height - style.fontSize  # where a Paragraph puts its first line
        for number, line in enumerate(self.lines):
            if number:
                baseline -= style.leading
            canvas.drawString(style.leftIndent, baseline, line)
        place_form(canvas, contents_number_form(self.tracker_key), self.width, baseline)


def contents_lines(entries: Sequence[OutlineEntry]) -> list[Flowable]:
    return [ContentsLine(entry) for entry in entries if entry.in_contents]


def numbered_story(story: list[Flowable]) -> list[OutlineEntry]:
    """Set each heading's bookmark key and put the contents lines in place, in story itself."""
    entries: list[OutlineEntry] = []
    for flowable in walk(story):
        entry = getattr(flowable, "tracker_outline", None)
        if isinstance(entry, OutlineEntry):
            entry = replace(entry, key=f"section-{len(entries) + 1}")
            flowable.tracker_outline = entry
            entries.append(entry)
    places = [index for index, flowable in enumerate(story) if isinstance(flowable, Contents)]
    for index in reversed(places):
        story[index : index + 1] = contents_lines(entries)
    return entries


def walk(story: Sequence[Flowable]) -> Iterator[Flowable]:
    """Every flowable of the story in reading order, KeepTogether groups opened."""
    for flowable in story:
        if isinstance(flowable, KeepTogether):
            yield from walk(flowable._content)
        else:
            yield flowable


class DatedCanvas(Canvas):  # type: ignore[misc]
    """A canvas whose PDF creation and modification dates are the report's generated_at, and
    which draws the late page numbers' forms just before it saves."""

    def __init__(self, *args: Any, generated_at: datetime, **kwargs: Any) -> None:
        kwargs["invariant"] = 1
        super().__init__(*args, **kwargs)
        stamp = pdf_date(generated_at)
        self.setDateFormatter(lambda *_: stamp)
        self.before_save: Callable[[Canvas], None] | None = None

    def save(self) -> None:
        if len(self._code):
            self.showPage()
        if self.before_save is not None:
            self.before_save(self)
        super().save()


def pdf_date(moment: datetime) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+00'00') in UTC; a naive time is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("D:%Y%m%d%H%M%S+00'00'")


class ReportDocument(BaseDocTemplate):  # type: ignore[misc]
    """A4 template with one frame; registers headings as bookmarks and contents entries."""

    def __init__(self, output: io.BytesIO, header: ReportHeader) -> None:
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
        self.heading_pages: dict[str, int] = {}
        self.last_page = 0
        # No side padding: tables and charts are FRAME_WIDTH wide and end at the rule above
        # them; ReportLab's default 6 pt would push them 6 pt past the right margin.
        frame = Frame(LEFT_MARGIN, BOTTOM_MARGIN, FRAME_WIDTH, self.height, id="body",
                      leftPadding=0, rightPadding=0)  # fmt: skip
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self.draw_furniture)])

    def beforeDocument(self) -> None:  # noqa: N802 (ReportLab's hook names)
        self.canv.showOutline()
        self.canv.before_save = self.define_late_numbers

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        entry = getattr(flowable, "tracker_outline", None)
        if isinstance(entry, OutlineEntry):
            self.register_heading(entry)

    def register_heading(self, entry: OutlineEntry) -> None:
        self.canv.bookmarkPage(entry.key)
        self.canv.addOutlineEntry(entry.title, entry.key, level=entry.level, closed=entry.level > 0)
        self.heading_pages.setdefault(entry.key, self.page)

    def draw_furniture(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        """The marking, the rules and the subject (one form, the same on every page), then
        this page's "Page X of Y"."""
        canvas.doForm(FURNITURE_FORM)
        page = canvas.getPageNumber()
        self.last_page = max(self.last_page, page)
        place_form(canvas, page_number_form(page), PAGE_WIDTH - RIGHT_MARGIN, FOOTER_BASELINE)

    def define_late_numbers(self, canvas: Canvas) -> None:
        """Now that every page is laid out: the furniture form, "Page X of Y" for each page,
        contents numbers."""
        define_furniture_form(canvas, self.report_header)
        language = self.report_header.language
        for page in range(1, self.last_page + 1):
            text = page_number_text(language, page, self.last_page)
            define_right_aligned_form(canvas, page_number_form(page), text, SANS, 8, MUTED)
        styles = stylesheet()
        for entry in self.contents_entries:
            style = styles[f"toc{min(entry.level, 2)}"]
            page_text = str(self.heading_pages.get(entry.key, "—"))
            define_right_aligned_form(canvas, contents_number_form(entry.key), page_text,
                                      style.fontName, style.fontSize, style.textColor)  # fmt: skip

    contents_entries: Sequence[OutlineEntry] = ()


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
    line, size = fitted_marking(marking)
    top = PAGE_HEIGHT - 13 * mm
    canvas.saveState()
    canvas.setFont(SANS_BOLD, size)
    canvas.setFillColor(MARKING_RED)
    canvas.drawCentredString(PAGE_WIDTH / 2, top, line)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, top - 3 * mm, PAGE_WIDTH - RIGHT_MARGIN, top - 3 * mm)
    canvas.restoreState()


@lru_cache(maxsize=64)
def fitted_marking(marking: str) -> tuple[str, float]:
    """The marking on one line and its font size: worked out once, not on every page."""
    text = " ".join(printable_text(marking).split())
    size = fitted_font_size(text, SANS_BOLD, 9.5, FRAME_WIDTH)
    return fit_line(text, SANS_BOLD, size, FRAME_WIDTH), size


def page_number_text(language: str, page: int, total: int) -> str:
    """ "Page X of Y" in the report's language."""
    return label_or_english("page_of", language).format(page=page, total=total)


FOOTER_BASELINE = 11 * mm
FURNITURE_FORM = "tracker-furniture"


def define_furniture_form(canvas: Canvas, header: ReportHeader) -> None:
    """What every page carries but its number: marking, rules, subject (placed at the origin)."""
    canvas.beginForm(FURNITURE_FORM, lowerx=0, lowery=0, upperx=PAGE_WIDTH, uppery=PAGE_HEIGHT)
    draw_marking(canvas, header.classification)
    draw_footer(canvas, header.subject)
    canvas.addLiteral("")  # a line break, so "endstream" starts a line of its own
    canvas.endForm(compression=0, Resources=shared_form_resources(canvas))


def draw_footer(canvas: Canvas, subject: str) -> None:
    """A rule and the subject on the left; the page number goes on the right, by page."""
    baseline = FOOTER_BASELINE
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, baseline + 4 * mm, PAGE_WIDTH - RIGHT_MARGIN, baseline + 4 * mm)
    canvas.setFont(SANS, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(LEFT_MARGIN, baseline, fitted_subject(subject))
    canvas.restoreState()


@lru_cache(maxsize=64)
def fitted_subject(subject: str) -> str:
    return fit_line(subject, SANS, 8, FRAME_WIDTH * 0.7)


def render_document(header: ReportHeader, story: Sequence[Flowable]) -> bytes:
    """The PDF bytes of story under header's marking; same input, same bytes.

    A list is consumed as ReportLab's build() consumes it: each flowable leaves the list once
    laid out, so a drawn page's paragraphs (their words and lines) are freed as the document
    goes on instead of piling up until the end (which cost a long dossier a full garbage
    collection).
    """
    register_fonts()
    output = io.BytesIO()
    flowables = story if isinstance(story, list) else list(story)
    entries = numbered_story(flowables)
    document = ReportDocument(output, header)
    document.contents_entries = entries
    canvasmaker = partial(DatedCanvas, generated_at=header.generated_at)
    document.build(flowables, canvasmaker=canvasmaker)
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
    for name, value in [*fields, *standard]:
        story.append(label(name))
        story.extend(paragraphs(value or "—", styles["cover_value"]))
    return story
