"""Render a Timeline snapshot to PDF: events in the order given, undated ones last."""

from reportlab.platypus import Flowable, Paragraph

from tracker.reporting.model import GradedCitation, InvolvementLine, Timeline, TimelineEvent
from tracker.reporting.pdf.base import cover, heading, label, render_document
from tracker.reporting.pdf.markup import paragraph_text, paragraphs
from tracker.reporting.pdf.styles import stylesheet

APPROXIMATE_MARK = "(approximate)"


def event_date(event: TimelineEvent) -> str:
    """The date as printed: the label, marked when approximate or widened by the level."""
    label = event.date_label or "Undated"
    return f"{label} {APPROXIMATE_MARK}" if event.approximate else label


def event_title(event: TimelineEvent) -> str:
    return f"{event_date(event)}: {event.title or event.type_label or event.code}"


def event_facts(event: TimelineEvent) -> Paragraph:
    """One small line: date, type (and secondary types), place, incident code."""
    facts = [("Date", event_date(event)), ("Type", event.type_label)]
    if event.secondary_type_labels:
        facts.append(("Also", ", ".join(event.secondary_type_labels)))
    facts += [("Place", event.place_label or "unknown"), ("Incident", event.code)]
    markup = " · ".join(
        f"<b>{paragraph_text(name)}:</b> {paragraph_text(value)}" for name, value in facts
    )
    return Paragraph(markup, stylesheet()["small"])


def involvement_line(involvement: InvolvementLine) -> Paragraph:
    markup = f"<b>{paragraph_text(involvement.role)}:</b> {paragraph_text(involvement.label)}"
    if involvement.details:
        markup += f". {paragraph_text(involvement.details)}"
    return Paragraph(markup, stylesheet()["bullet"], bulletText="•")


def citation_line(citation: GradedCitation) -> Paragraph:
    """ "[B2] Title (kind), locator: claim. URL", the grade first so it is seen."""
    parts = [f"<b>[{paragraph_text(citation.grade)}]</b> {paragraph_text(citation.source_title)}"]
    if citation.source_kind:
        parts.append(f" ({paragraph_text(citation.source_kind)})")
    if citation.locator:
        parts.append(f", {paragraph_text(citation.locator)}")
    if citation.claim:
        parts.append(f": {paragraph_text(citation.claim)}")
    if citation.url:
        parts.append(f"<br/>{paragraph_text(citation.url)}")
    return Paragraph("".join(parts), stylesheet()["bullet_small"], bulletText="•")


def event_flowables(event: TimelineEvent, level: int) -> list[Flowable]:
    """One event: heading, facts, summary, who was involved, graded sources."""
    styles = stylesheet()
    story: list[Flowable] = [heading(event_title(event), level), event_facts(event)]
    story += paragraphs(event.summary, styles["body"])
    if event.involvements:
        story.append(label("Involved"))
        story += [involvement_line(involvement) for involvement in event.involvements]
    if event.citations:
        story.append(label("Sources"))
        story += [citation_line(citation) for citation in event.citations]
    return story


def events_section(
    title: str, events: tuple[TimelineEvent, ...], level: int, empty_note: str
) -> list[Flowable]:
    """A heading, then each event one level below it; a note when there are none."""
    story: list[Flowable] = [heading(title, level)]
    if not events:
        story.append(Paragraph(paragraph_text(empty_note), stylesheet()["note"]))
    for event in events:
        story += event_flowables(event, level + 1)
    return story


def timeline_story(timeline: Timeline, title: str = "Events", level: int = 0) -> list[Flowable]:
    """Dated events in the builder's order, then the undated ones in their own section."""
    empty_note = "No incidents." if not timeline.undated else "No dated incidents."
    story = events_section(title, timeline.dated, level, empty_note)
    if timeline.undated:
        story += events_section("Undated events", timeline.undated, level, "")
    return story


def render_timeline_pdf(timeline: Timeline) -> bytes:
    """The timeline as PDF bytes; pure: the same timeline gives the same bytes."""
    count = len(timeline.dated) + len(timeline.undated)
    fields = [("Incidents", f"{count} ({len(timeline.undated)} undated)")]
    return render_document(
        timeline.header, [*cover(timeline.header, fields), *timeline_story(timeline)]
    )
