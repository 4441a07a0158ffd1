"""What a timeline or a dossier holds once disclosure is applied: frozen plain data.

Snapshot builders (snapshots.py) fill these from the database through one whitelisting step;
renderers (timeline HTML and PDF, dossier PDF) read only these, never the database. Every
string here may be printed as is at the snapshot's level: what a level may not show is
already absent (an empty string or an empty tuple), never hidden by a renderer.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from tracker.domain.disclosure import DisclosureLevel


@dataclass(frozen=True)
class ReportHeader:
    """Who made the document, when, at which level; printed on the cover and every page."""

    title: str
    subject: str  # e.g. "Case C-2023-004" or "Person V-2017-014"
    level: DisclosureLevel
    classification: str  # the marking repeated in every page's header or footer
    generated_at: datetime  # UTC; passed in, never read from the clock by a renderer
    generated_by: str  # the exporting user's username ("" from the command line)
    language: str = "en"


@dataclass(frozen=True)
class GradedCitation:
    """A source's claim about an incident, with its grades ("B2": reliability, credibility)."""

    source_title: str
    source_kind: str  # label of the source_kind vocabulary
    reliability: str  # A-F
    credibility: int  # 1-6
    locator: str
    claim: str
    url: str

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"


@dataclass(frozen=True)
class InvolvementLine:
    """A person or organisation in an incident, as the level may name them."""

    role: str  # label of the involvement_role vocabulary
    label: str  # name, pseudonym code, organisation, or a perpetrator type at low levels
    details: str  # injuries, detention length, charges, outcome; "" when withheld


@dataclass(frozen=True)
class TimelineEvent:
    """One incident on a timeline."""

    code: str
    date_label: str  # as precise as known at this level ("March 2023", "26-30 Sep 2017")
    sort_key: tuple[int, int, int]  # FuzzyDate.sort_key of the date printed
    approximate: bool  # the witness said "about", or the level widened the date
    type_label: str
    secondary_type_labels: tuple[str, ...]
    place_label: str  # at the level's precision; "" when unknown
    title: str
    summary: str
    involvements: tuple[InvolvementLine, ...]
    citations: tuple[GradedCitation, ...]


@dataclass(frozen=True)
class Timeline:
    """Events in DOMAIN §4 order; undated ones in their own section."""

    header: ReportHeader
    dated: tuple[TimelineEvent, ...]
    undated: tuple[TimelineEvent, ...]


@dataclass(frozen=True)
class PersonEntry:
    """A person in a dossier; identity fields empty unless the level and consent allow."""

    label: str  # real name where allowed, else pseudonym code
    pseudonym_code: str  # "" at the public level
    roles: tuple[str, ...]
    age_band: str
    deceased: bool
    gender_identity: str = ""
    sexual_orientation: str = ""
    other_names: tuple[str, ...] = ()
    contact_info: str = ""  # internal only
    exact_address: str = ""  # internal only
    identity_notes: str = ""  # internal only


@dataclass(frozen=True)
class PerpetratorEntry:
    """An alleged perpetrator: a unit with its chain of command, or a person by type."""

    label: str
    perpetrator_type: str
    unit_path: tuple[str, ...]  # station -> district -> ministry, when a unit is known
    identified: bool
    incident_codes: tuple[str, ...]


@dataclass(frozen=True)
class LegalActionEntry:
    kind: str
    forum: str
    filed_on: str
    decided_on: str
    served_on: str
    outcome: str
    sentence_months: int | None
    is_final_domestic: bool
    deadline_on: date | None
    deadline_needs_confirmation: bool


@dataclass(frozen=True)
class SourceEntry:
    title: str
    kind: str
    reliability: str
    url: str
    accessed_on: date | None
    cited_in: tuple[str, ...]  # incident codes


@dataclass(frozen=True)
class CustodyLine:
    occurred_at: datetime
    actor: str
    action: str
    holders: str
    sha256_seen: str


@dataclass(frozen=True)
class EvidenceEntry:
    title: str
    file_name: str
    kind: str
    media_type: str
    size_bytes: int | None
    sha256: str
    collected_by: str
    collected_at: datetime | None
    incident_code: str
    custody: tuple[CustodyLine, ...] = ()


@dataclass(frozen=True)
class Dossier:
    """A case file for court: everything a lawyer files, at the chosen level."""

    header: ReportHeader
    case_code: str
    case_title: str
    case_status: str
    summary: str
    chronology: Timeline
    persons: tuple[PersonEntry, ...]
    perpetrators: tuple[PerpetratorEntry, ...]
    legal_actions: tuple[LegalActionEntry, ...]
    upcoming_deadlines: tuple[LegalActionEntry, ...]
    sources: tuple[SourceEntry, ...]
    evidence: tuple[EvidenceEntry, ...] = field(default=())
