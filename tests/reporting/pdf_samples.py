"""Hand-built timelines and dossiers for the PDF renderer tests: no database needed."""

import dataclasses
import io
import unicodedata
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from pypdf import PdfReader

from tracker.domain.disclosure import CLASSIFICATION_MARKINGS, DisclosureLevel
from tracker.reporting.model import (
    CustodyLine,
    Dossier,
    EvidenceEntry,
    GradedCitation,
    InvolvementLine,
    LegalActionEntry,
    PerpetratorEntry,
    PersonEntry,
    ReportHeader,
    SourceEntry,
    Timeline,
    TimelineEvent,
)

GENERATED_AT = datetime(2024, 5, 17, 9, 30, 0, tzinfo=UTC)
# The names the issue requires to survive extraction intact.
UNICODE_NAMES = ("Əli Məlikov", "Leyla Həsənova", "Gəncə", "İsmayıllı", "Баку", "Сумгаит")
LONG_WORD = "Ж" * 250 + "x" * 250
HOSTILE_TEXTS = (
    "<font size=1000>big</font>",
    "<b>R&D</b>",
    "<script>alert(1)</script>",
    "Tom & Jerry",
    "a lone < here",
    "NUL\x00 and \x07bell\x1b[31m \x85 controls",
    "emoji 😀🔥 end",
    "Arabic مرحبا بالعالم and Hebrew שלום עולם",
    LONG_WORD,
)
LONG_NARRATIVE_LENGTH = 60_000


def long_narrative() -> str:
    """60,000 characters: sentences with a blank line every so often, ending in a marker."""
    sentence = "Witnesses describe the detention in the courtyard. "
    blocks = [sentence * 20] * (LONG_NARRATIVE_LENGTH // (len(sentence) * 20))
    text = "\n\n".join(blocks)
    return (text + " " * LONG_NARRATIVE_LENGTH)[: LONG_NARRATIVE_LENGTH - 9] + " END-MARK"


def header(level: DisclosureLevel = DisclosureLevel.LEGAL, **changes: Any) -> ReportHeader:
    base = ReportHeader(
        title="Case dossier: Detentions in Gəncə",
        subject="Case C-2023-004",
        level=level,
        classification=CLASSIFICATION_MARKINGS[level],
        generated_at=GENERATED_AT,
        generated_by="lawyer.aziz",
    )
    return dataclasses.replace(base, **changes)


def citation(**changes: Any) -> GradedCitation:
    base = GradedCitation(
        source_title="Nafas report, March 2023",
        source_kind="NGO report",
        reliability="B",
        credibility=2,
        locator="p. 4",
        claim="Three men were detained outside the café.",
        url="https://example.org/nafas/2023-03",
    )
    return dataclasses.replace(base, **changes)


def event(code: str = "I-2023-001", **changes: Any) -> TimelineEvent:
    base = TimelineEvent(
        code=code,
        date_label="12 March 2023",
        sort_key=(2023, 3, 12),
        approximate=False,
        type_label="Arbitrary detention",
        secondary_type_labels=("Ill-treatment",),
        place_label="Gəncə",
        title="Detention of Əli Məlikov",
        summary="Əli Məlikov and Leyla Həsənova were detained in Gəncə.\n\nReleased in Баку.",
        involvements=(
            InvolvementLine(role="Victim", label="Əli Məlikov", details="Held 15 days"),
            InvolvementLine(role="Alleged perpetrator", label="Gəncə police", details=""),
        ),
        citations=(citation(),),
    )
    return dataclasses.replace(base, **changes)


def timeline(level: DisclosureLevel = DisclosureLevel.LEGAL, **changes: Any) -> Timeline:
    base = Timeline(
        header=header(level, title="Timeline: Gəncə detentions", subject="Case C-2023-004"),
        dated=(
            event(),
            event(
                "I-2023-002",
                date_label="April 2023",
                sort_key=(2023, 4, 0),
                approximate=True,
                place_label="İsmayıllı",
                title="Raid in İsmayıllı",
                summary="Officers from Сумгаит searched the flat of Leyla Həsənova.",
                citations=(citation(reliability="C", credibility=3),),
            ),
        ),
        undated=(
            event(
                "I-2023-003",
                date_label="",
                sort_key=(9999, 0, 0),
                title="Threats by phone",
                summary="Undated calls.",
            ),
        ),
    )
    return dataclasses.replace(base, **changes)


def custody(**changes: Any) -> CustodyLine:
    base = CustodyLine(
        occurred_at=datetime(2023, 3, 14, 10, 0, tzinfo=UTC),
        actor="documenter.n",
        action="received",
        holders="Office safe",
        sha256_seen="a" * 64,
    )
    return dataclasses.replace(base, **changes)


def evidence(**changes: Any) -> EvidenceEntry:
    base = EvidenceEntry(
        title="Photo of injuries",
        file_name="injuries-Əli.jpg",
        kind="Photograph",
        media_type="image/jpeg",
        size_bytes=2_345_678,
        sha256="3f" * 32,
        collected_by="documenter.n",
        collected_at=datetime(2023, 3, 13, 18, 5, tzinfo=UTC),
        incident_code="I-2023-001",
        custody=(custody(), custody(action="copied to archive", holders="Archive")),
    )
    return dataclasses.replace(base, **changes)


def legal_action(**changes: Any) -> LegalActionEntry:
    base = LegalActionEntry(
        kind="Appeal",
        forum="Gəncə Court of Appeal",
        filed_on="2 May 2023",
        decided_on="",
        served_on="",
        outcome="Pending",
        sentence_months=None,
        is_final_domestic=False,
        deadline_on=date(2024, 6, 1),
        deadline_needs_confirmation=True,
    )
    return dataclasses.replace(base, **changes)


def dossier(level: DisclosureLevel = DisclosureLevel.LEGAL, **changes: Any) -> Dossier:
    action = legal_action()
    base = Dossier(
        header=header(level),
        case_code="C-2023-004",
        case_title="Detentions in Gəncə",
        case_status="Open",
        summary="Leyla Həsənova represents Əli Məlikov before the courts of Баку.",
        chronology=timeline(level),
        persons=(
            PersonEntry(
                label="Əli Məlikov",
                pseudonym_code="V-2023-001",
                roles=("Victim",),
                age_band="25-34",
                deceased=False,
                other_names=("Ali Melikov",),
            ),
            PersonEntry(
                label="Leyla Həsənova",
                pseudonym_code="W-2023-002",
                roles=("Witness", "Lawyer"),
                age_band="35-44",
                deceased=False,
            ),
        ),
        perpetrators=(
            PerpetratorEntry(
                label="Officer of the 2nd station",
                perpetrator_type="State agent",
                unit_path=(
                    "2nd police station",
                    "Gəncə city police",
                    "Ministry of Internal Affairs",
                ),
                identified=False,
                incident_codes=("I-2023-001",),
            ),
        ),
        legal_actions=(
            action,
            legal_action(kind="Complaint", deadline_on=None, outcome="Rejected"),
        ),
        upcoming_deadlines=(action,),
        sources=(
            SourceEntry(
                title="Nafas report, March 2023",
                kind="NGO report",
                reliability="B",
                url="https://example.org/nafas/2023-03",
                accessed_on=date(2023, 4, 1),
                cited_in=("I-2023-001", "I-2023-002"),
            ),
        ),
        evidence=(
            evidence(),
            evidence(title="Medical report", file_name="medical.pdf", custody=()),
        ),
    )
    return dataclasses.replace(base, **changes)


def page_texts(data: bytes) -> list[str]:
    """The text pypdf extracts from each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def all_text(data: bytes) -> str:
    return "\n".join(page_texts(data))


def squashed(text: str) -> str:
    """Text without whitespace, for finding strings a line break may have split."""
    return "".join(text.split())


def body_text(data: bytes) -> str:
    """The text of every page without its furniture (marking, subject, page number).

    The furniture is drawn first on each page, so it comes out as the first three lines;
    leaving it out joins a sentence that runs over a page break again.
    """
    return "\n".join("\n".join(text.split("\n")[3:]) for text in page_texts(data))


def with_every_string(value: Any, text: str) -> Any:
    """value with every plain string inside it (nested dataclasses, tuples) set to text."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return text
    if isinstance(value, tuple):
        return tuple(with_every_string(item, text) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            item.name: with_every_string(getattr(value, item.name), text)
            for item in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def outline_titles(data: bytes) -> list[str]:
    """Every bookmark title, depth first."""
    titles: list[str] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                titles.append(str(entry.title))

    walk(PdfReader(io.BytesIO(data)).outline)
    return titles


def assert_page_furniture(data: bytes, marking: str) -> None:
    """Every page carries the marking and "Page X of Y" with the right Y."""
    texts = page_texts(data)
    for number, text in enumerate(texts, start=1):
        assert marking in text, number
        assert f"Page {number} of {len(texts)}" in text


def assert_literal(data: bytes, text: str) -> None:
    """The visible characters of text are in the extracted text, as written."""
    from tracker.reporting.pdf.markup import printable_text

    extracted = squashed(body_text(data))
    visible = squashed(printable_text(text))
    if any(unicodedata.bidirectional(character) in ("R", "AL") for character in visible):
        # pypdf reorders right-to-left runs; every character must still be there.
        assert set(visible) <= set(extracted)
    else:
        assert visible in extracted
