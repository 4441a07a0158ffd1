"""Render a case Dossier snapshot to a court-ready PDF, and the manifest written beside it."""

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.model import (
    CustodyLine,
    Dossier,
    EvidenceEntry,
    LegalActionEntry,
    PerpetratorEntry,
    PersonEntry,
    SourceEntry,
)
from tracker.reporting.pdf.base import (
    contents,
    cover,
    generated_at_label,
    heading,
    label,
    render_document,
)
from tracker.reporting.pdf.markup import paragraph_text, paragraphs
from tracker.reporting.pdf.styles import stylesheet
from tracker.reporting.pdf.tables import fields_table, table
from tracker.reporting.pdf.timeline import timeline_story

UNIT_PATH_SEPARATOR = " → "
# DOMAIN §7: evidence leaves the organisation at the internal and legal levels only.
EVIDENCE_WITHHELD = frozenset({DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC})


def note(text: str) -> Paragraph:
    return Paragraph(paragraph_text(text), stylesheet()["note"])


def date_text(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return generated_at_label(value)
    return value.isoformat()


def minute_label(moment: datetime) -> str:
    """ "2023-03-14 10:00" in UTC: short enough for a table column labelled UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M")


def size_text(size_bytes: int | None) -> str:
    """ "1,234,567 bytes (1.2 MB)"; exact bytes first because courts compare them."""
    if size_bytes is None:
        return "unknown"
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if size_bytes >= factor:
            return f"{size_bytes:,} bytes ({size_bytes / factor:.1f} {unit})"
    return f"{size_bytes:,} bytes"


def lines(*labelled: tuple[str, str]) -> str:
    """ "Label: value" lines for one table cell, leaving out empty values."""
    return "\n".join(f"{label}: {value}" if label else value for label, value in labelled if value)


def summary_section(dossier: Dossier) -> list[Flowable]:
    body = paragraphs(dossier.summary, stylesheet()["body"])
    return [heading("Summary", 0), *(body or [note("No summary recorded.")])]


def chronology_section(dossier: Dossier) -> list[Flowable]:
    return timeline_story(dossier.chronology, title="Chronology")


def person_details(person: PersonEntry) -> str:
    return lines(
        ("", "Deceased" if person.deceased else ""),
        ("Other names", ", ".join(person.other_names)),
        ("Gender identity", person.gender_identity),
        ("Sexual orientation", person.sexual_orientation),
        ("Contact", person.contact_info),
        ("Address", person.exact_address),
        ("Notes", person.identity_notes),
    )


def persons_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [heading("Persons", 0)]
    if not dossier.persons:
        return [*story, note("No persons at this level.")]
    rows = [
        [
            person.label,
            person.pseudonym_code,
            ", ".join(person.roles),
            person.age_band,
            person_details(person),
        ]
        for person in dossier.persons
    ]
    header = ["Person", "Code", "Roles", "Age band", "Details"]
    return [*story, table(header, rows, [3, 2, 2.2, 1.5, 4])]


def perpetrator_row(perpetrator: PerpetratorEntry) -> list[str]:
    return [
        perpetrator.label,
        perpetrator.perpetrator_type,
        UNIT_PATH_SEPARATOR.join(perpetrator.unit_path) or "—",
        "yes" if perpetrator.identified else "no",
        ", ".join(perpetrator.incident_codes),
    ]


def perpetrators_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [heading("Perpetrators and units", 0)]
    if not dossier.perpetrators:
        return [*story, note("No alleged perpetrators recorded.")]
    header = ["Alleged perpetrator", "Type", "Unit and chain of command", "Identified", "Incidents"]
    rows = [perpetrator_row(perpetrator) for perpetrator in dossier.perpetrators]
    return [*story, table(header, rows, [3, 2, 4.5, 1.6, 2.2])]


def legal_action_row(action: LegalActionEntry) -> list[str]:
    sentence = "" if action.sentence_months is None else f"{action.sentence_months} months"
    return [
        lines(("", action.kind), ("", action.forum)),
        lines(
            ("Filed", action.filed_on), ("Decided", action.decided_on), ("Served", action.served_on)
        ),
        lines(("", action.outcome), ("Sentence", sentence)),
        "yes" if action.is_final_domestic else "no",
        deadline_text(action),
    ]


def deadline_text(action: LegalActionEntry) -> str:
    """The deadline's date, flagged when someone must confirm it before relying on it."""
    if action.deadline_on is None:
        return "—"
    flag = " (confirm)" if action.deadline_needs_confirmation else ""
    return f"{action.deadline_on.isoformat()}{flag}"


def legal_actions_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [heading("Legal actions", 0)]
    if not dossier.legal_actions:
        return [*story, note("No legal actions recorded at this level.")]
    header = ["Action and forum", "Dates", "Outcome", "Final domestic", "Deadline"]
    rows = [legal_action_row(action) for action in dossier.legal_actions]
    return [*story, table(header, rows, [3.4, 3, 3.4, 1.5, 2.2])]


def deadlines_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [heading("Upcoming deadlines", 1)]
    if not dossier.upcoming_deadlines:
        return [*story, note("No upcoming deadlines.")]
    header = ["Deadline", "Action", "Forum", "Status"]
    rows = [
        [
            date_text(action.deadline_on),
            action.kind,
            action.forum,
            "confirm the date" if action.deadline_needs_confirmation else "confirmed",
        ]
        for action in dossier.upcoming_deadlines
    ]
    return [*story, table(header, rows, [2, 3, 4, 2])]


def source_row(source: SourceEntry) -> list[str]:
    return [
        source.reliability,
        lines(("", source.title), ("", source.url)),
        source.kind,
        date_text(source.accessed_on),
        ", ".join(source.cited_in),
    ]


def sources_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [heading("Sources", 0)]
    if not dossier.sources:
        return [*story, note("No sources at this level.")]
    header = ["Grade", "Source", "Kind", "Accessed", "Cited in"]
    rows = [source_row(source) for source in dossier.sources]
    return [*story, table(header, rows, [1.5, 5.5, 2, 1.8, 2.2])]


def evidence_fields(item: EvidenceEntry) -> list[tuple[str, str]]:
    return [
        ("File name", item.file_name),
        ("Type", lines(("", item.kind), ("", item.media_type)) or "—"),
        ("Size", size_text(item.size_bytes)),
        ("SHA-256", item.sha256 or "—"),
        ("Collected by", item.collected_by or "—"),
        ("Collected at (UTC)", date_text(item.collected_at)),
        ("Incident", item.incident_code or "—"),
    ]


def custody_row(line: CustodyLine) -> list[str]:
    return [
        generated_at_label(line.occurred_at),
        line.actor,
        line.action,
        line.holders,
        line.sha256_seen,
    ]


def evidence_item(item: EvidenceEntry) -> list[Flowable]:
    """One item: its facts, then its custody log, oldest first as the builder gave it."""
    story: list[Flowable] = [
        heading(item.title or item.file_name or "Untitled item", 1),
        fields_table(evidence_fields(item), mono_labels=["SHA-256"]),
        label("Custody log"),
    ]
    if not item.custody:
        return [*story, note("No custody entries recorded.")]
    header = ["Time (UTC)", "Actor", "Action", "Held by", "SHA-256 seen"]
    rows = [custody_row(line) for line in item.custody]
    return [*story, table(header, rows, [2.6, 2, 2.4, 2, 4.2], mono_columns=[4])]


def evidence_section(dossier: Dossier) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), heading("Evidence annex", 0)]
    level = dossier.header.level
    if level in EVIDENCE_WITHHELD:
        return [*story, note(f"Withheld at the {level.value} level.")]
    if not dossier.evidence:
        return [*story, note("No evidence items recorded.")]
    for item in dossier.evidence:
        story += evidence_item(item)
    return story


def dossier_story(dossier: Dossier) -> list[Flowable]:
    """Cover, contents, then every section in the order a court reads them."""
    fields = [
        ("Case", f"{dossier.case_code}: {dossier.case_title}"),
        ("Status", dossier.case_status),
    ]
    return [
        *cover(dossier.header, fields),
        PageBreak(),
        heading("Contents", 0, in_contents=False),
        contents(),
        PageBreak(),
        *summary_section(dossier),
        *chronology_section(dossier),
        *persons_section(dossier),
        *perpetrators_section(dossier),
        *legal_actions_section(dossier),
        Spacer(1, 6),
        *deadlines_section(dossier),
        *sources_section(dossier),
        *evidence_section(dossier),
    ]


def render_dossier_pdf(dossier: Dossier) -> bytes:
    """The dossier as PDF bytes; pure: the same dossier gives byte-identical output."""
    return render_document(dossier.header, dossier_story(dossier))


def dossier_manifest(dossier: Dossier, pdf_bytes: bytes) -> dict[str, Any]:
    """What is written beside the PDF: its SHA-256 and each evidence item's hash.

    pdf_bytes is the unencrypted rendering: that is the reproducible file whose hash a court
    can check by rendering again; an encrypted copy differs on every run (random salt).
    """
    header = dossier.header
    return {
        "document": "case dossier",
        "case": dossier.case_code,
        "level": header.level.value,
        "generated_at": generated_at_label(header.generated_at),
        "generated_by": header.generated_by,
        "sha256": hashlib.sha256(pdf_bytes).hexdigest(),
        "evidence": [
            {"file_name": item.file_name, "sha256": item.sha256, "size_bytes": item.size_bytes}
            for item in dossier.evidence
        ],
    }
