"""Render an annual report snapshot as PDF: pure, from the AnnualReport only."""

from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.annual_model import AnnualReport, NarrativeEntry, ReportTable, chart_bars
from tracker.reporting.labels import label
from tracker.reporting.pdf.base import contents, generated_at_label, heading, render_document
from tracker.reporting.pdf.charts import month_chart, perpetrator_chart
from tracker.reporting.pdf.markup import paragraph_text, paragraphs
from tracker.reporting.pdf.styles import stylesheet
from tracker.reporting.pdf.tables import fields_table, table


def render_annual_pdf(report: AnnualReport) -> bytes:
    """The report's PDF bytes; the same report gives the same bytes."""
    story = [
        *cover(report),
        *methodology(report),
        *table_section(report.totals),
        *table_section(report.by_type),
        *table_section(report.by_month, month_chart(chart_bars(report.by_month), "")),
        *table_section(report.by_region),
        *table_section(
            report.by_perpetrator_type,
            perpetrator_chart(chart_bars(report.by_perpetrator_type), ""),
        ),
        *table_section(report.secondary_types),
        *table_section(report.year_on_year),
        *table_section(report.legal_actions),
        *narratives(report),
    ]
    return render_document(report.header, story)


def word(report: AnnualReport, key: str) -> str:
    return label(key, report.language)


def cover(report: AnnualReport) -> list[Flowable]:
    styles = stylesheet()
    filters = "; ".join(f"{name}: {value}" for name, value in report.filters)
    fields = [
        (word(report, "year"), str(report.year)),
        (word(report, "level"), word(report, f"level_{report.level.value}")),
        (word(report, "filters"), filters or word(report, "no_filters")),
        (word(report, "generated_at"), generated_at_label(report.header.generated_at)),
    ]
    # Staff usernames stay out of documents meant for publication.
    if report.level is not DisclosureLevel.PUBLIC:
        fields.append((word(report, "generated_by"), report.header.generated_by or "\u2014"))
    return [
        Paragraph(paragraph_text(report.header.title), styles["title"]),
        Paragraph(paragraph_text(str(report.year)), styles["subtitle"]),
        Paragraph(paragraph_text(report.header.classification), styles["marking"]),
        Spacer(1, 8),
        fields_table(fields),
        Spacer(1, 14),
        Paragraph(paragraph_text(word(report, "contents")), styles["h2"]),
        contents(),
        PageBreak(),
    ]


def methodology(report: AnnualReport) -> list[Flowable]:
    styles = stylesheet()
    story: list[Flowable] = [heading(word(report, "methodology"), 0)]
    for text in report.methodology:
        story.extend(paragraphs(text, styles["body"]))
    return story


def table_section(report_table: ReportTable, chart: Flowable | None = None) -> list[Flowable]:
    """A heading, the chart if any, the table with its total row, and its note."""
    styles = stylesheet()
    rows = [*report_table.rows, *([report_table.total] if report_table.total else [])]
    weights = [3.0] + [1.0] * (len(report_table.columns) - 1)
    story: list[Flowable] = [heading(report_table.title, 0)]
    if chart is not None:
        story.append(chart)
    story.append(table(report_table.columns, rows, weights))
    if report_table.note:
        story.extend(paragraphs(report_table.note, styles["note"]))
    return [KeepTogether(story[:2]), *story[2:]]


def narratives(report: AnnualReport) -> list[Flowable]:
    styles = stylesheet()
    story: list[Flowable] = [heading(report.narratives_title, 0)]
    if not report.narratives:
        return [*story, Paragraph(paragraph_text(report.no_narratives_text), styles["body"])]
    for entry in report.narratives:
        story.extend(narrative(entry))
    return story


def narrative(entry: NarrativeEntry) -> list[Flowable]:
    styles = stylesheet()
    parts = [entry.type_label, entry.date_label, entry.place_label]
    title = " \u00b7 ".join(part for part in parts if part)
    return [
        Paragraph(paragraph_text(title), styles["h3"]),
        *paragraphs(entry.text, styles["body"]),
    ]
