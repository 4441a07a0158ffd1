"""The demo records, built by hand from the 2023 Nafas articles (DOMAIN.md §9, E1–E6).

Every date and place is as precise as the articles allow and no more. Persons the articles
name keep that name only as restricted identity data: publication elsewhere is not consent.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain.text import fold_for_search
from tracker.models import (
    Case,
    CaseClient,
    CaseIncident,
    Citation,
    Consent,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    OrganisationAlias,
    Person,
    PersonName,
    Place,
    PlaceAlias,
    Source,
)
from tracker.models.base import TimestampedRecord

# Fixed namespace: the same key always gives the same UUID, so the demo is reproducible.
DEMO_NAMESPACE = uuid.UUID("6f1c7f0e-2b1a-5d2e-9a51-4e6166617332")
SOURCE_FILE = "shared/source-material/nafas-lgbti-articles-2023.txt"
# The day the demo records were "entered"; consents need a decision date.
RECORDED_ON = date(2024, 1, 15)
COLLECTION_YEAR_NOTE = (
    "Year 2023 inferred from the source collection (Nafas articles of 2023); the articles"
    " give only the day and month."
)


def demo_id(key: str) -> uuid.UUID:
    """The fixed UUID of one demo record."""
    return uuid.uuid5(DEMO_NAMESPACE, key)


@dataclass(frozen=True)
class DemoRecord:
    """One record to create: its model, its stable key and its field values."""

    model: type[TimestampedRecord]
    key: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def record_id(self) -> uuid.UUID:
        return demo_id(self.key)


# --- dates exactly as the articles give them -------------------------------------------------


def year_date(year: int) -> dict[str, Any]:
    """A year as said: the whole year, never its first day."""
    return start_columns(str(year), date(year, 1, 1), date(year, 12, 31), "year")


def start_columns(text: str, earliest: date | None, latest: date | None,
                  precision: str) -> dict[str, Any]:
    return {"start_text": text, "start_earliest": earliest, "start_latest": latest,
            "start_precision": precision, "start_qualifier": "exact"}


def unknown_date() -> dict[str, Any]:
    return start_columns("unknown", None, None, "unknown")


# --- places -------------------------------------------------------------------------------


def place(key: str, name: str, kind: str, parent: str | None, precision: int,
          aliases: tuple[tuple[str, str], ...] = (), platform: str = "") -> Iterator[DemoRecord]:
    """A place node and its aliases (text, script)."""
    yield DemoRecord(Place, f"place:{key}", {
        "name": name, "kind": kind, "parent_id": demo_id(f"place:{parent}") if parent else None,
        "geo_precision": precision, "platform": platform})
    for number, (text, script) in enumerate(aliases, start=1):
        yield DemoRecord(PlaceAlias, f"place:{key}:alias:{number}", {
            "place_id": demo_id(f"place:{key}"), "text": text, "script": script,
            "folded": fold_for_search(text)})


def places() -> Iterator[DemoRecord]:
    yield from place("azerbaijan", "Azerbaijan", "country", None, 4,
                     (("Azərbaycan", "latn"), ("Azerbaijan", "latn"), ("Азербайджан", "cyrl")))
    yield from place("baku", "Baku", "first_level_unit", "azerbaijan", 3,
                     (("Bakı", "latn"), ("Baku", "latn"), ("Баку", "cyrl")))
    yield from place("ganja", "Ganja", "first_level_unit", "azerbaijan", 3,
                     (("Gəncə", "latn"), ("Ganja", "latn"), ("Гянджа", "cyrl")))
    yield from place("sumgait", "Sumgait", "first_level_unit", "azerbaijan", 3,
                     (("Sumqayıt", "latn"), ("Sumgait", "latn"), ("Сумгаит", "cyrl")))
    yield from place("nakhchivan", "Nakhchivan Autonomous Republic", "first_level_unit",
                     "azerbaijan", 3,
                     (("Naxçıvan", "latn"), ("Nakhchivan", "latn"), ("Нахичевань", "cyrl")))
    yield from place("nasimi", "Nasimi", "district", "baku", 2,
                     (("Nəsimi", "latn"), ("Nasimi", "latn"), ("Насими", "cyrl")))
    yield from place("sabail", "Sabail", "district", "baku", 2,
                     (("Səbail", "latn"), ("Sabail", "latn"), ("Sabayil", "latn"),
                      ("Сабаил", "cyrl")))
    yield from place("yasamal", "Yasamal", "district", "baku", 2,
                     (("Yasamal", "latn"), ("Ясамал", "cyrl")))
    # The articles name no platform for the live streams: the node says so rather than guess.
    yield from place("online", "Online (platform not stated)", "online", None, 5)


# --- organisations ----------------------------------------------------------------------------


def organisation(key: str, name: str, kind: str, relation: str, perpetrator_type: str,
                 aliases: tuple[tuple[str, str], ...] = (), place_key: str | None = None,
                 description: str = "") -> Iterator[DemoRecord]:
    yield DemoRecord(Organisation, f"organisation:{key}", {
        "name": name, "kind": kind, "state_relation": relation,
        "perpetrator_type": perpetrator_type, "description": description,
        "place_id": demo_id(f"place:{place_key}") if place_key else None})
    for number, (text, script) in enumerate(aliases, start=1):
        yield DemoRecord(OrganisationAlias, f"organisation:{key}:alias:{number}", {
            "organisation_id": demo_id(f"organisation:{key}"), "text": text, "script": script,
            "folded": fold_for_search(text)})


def organisations() -> Iterator[DemoRecord]:
    yield from organisation(
        "police", "Police of Azerbaijan (unit not stated)", "department", "state", "state_agent",
        (("Polis", "latn"), ("Полиция", "cyrl")), "azerbaijan",
        "The articles say only 'the police'; no station or unit is named.")
    yield from organisation(
        "sss", "State Security Service of the Republic of Azerbaijan", "security_service",
        "state", "state_agent",
        (("Dövlət Təhlükəsizliyi Xidməti", "latn"), ("DTX", "latn"),
         ("Служба государственной безопасности", "cyrl")), "azerbaijan")
    # DOMAIN.md §2: what S1 alleges about this body is cited on incidents, not stored here.
    yield from organisation(
        "gender_development", "Gender and Development", "state_linked_body", "state_affiliated",
        "state_affiliated", (("Gender və İnkişaf", "latn"),), "baku",
        "Named in S1 as having offices in Baku and other cities and working with the Ministry"
        " of Public Health; established 2007 according to S1.")
    yield from organisation(
        "state_tv", "State-run television (channel not named)", "media_outlet", "state",
        "state_affiliated")
    yield from organisation(
        "gov_online_media", "Government-affiliated online media outlet (not named)",
        "media_outlet", "state_affiliated", "state_affiliated")
    yield from organisation("bianet", "Bianet", "media_outlet", "non_state", "unknown")
    yield from organisation("nafas", "Nafas LGBTI Azerbaijan Alliance", "ngo", "non_state",
                            "unknown", (("Nafas LGBTI", "latn"),))


# --- sources --------------------------------------------------------------------------------

SOURCES = {
    # DOMAIN.md §9: largely second-hand, "a reviewer might grade it C3".
    "S1": ("media_article", "\u201cThe biggest problem is not being able to live\u201d | Ali"
           " Malikov", "Interview with Ali Malikov, Bianet (Türkiye), English translation shared"
           " by Nafas LGBTI Azerbaijan Alliance; undated; no URL in the collection.", "C"),
    "S2": ("ngo_report", "Feminist Community Marches for Women\u2019s Rights and Safety in"
           " Azerbaijan", "Nafas LGBTI report on the 8 March march; no URL in the collection.",
           "B"),
    "S3": ("ngo_report", "Feminists Pushed by Police During March for Women\u2019s Rights in"
           " Azerbaijan", "Nafas LGBTI report citing witnesses; no URL in the collection.", "B"),
    "S4": ("ngo_report", "Panel Discussion Explores Intersection of Feminist and LGBTQI+"
           " Mobilisation", "Nafas LGBTI report on the 9 March panel; cited for the spelling"
           " Əli Məlikov.", "B"),
}
CREDIBILITY = {"S1": 3, "S2": 2, "S3": 2, "S4": 2}


def sources() -> Iterator[DemoRecord]:
    for key, (kind, title, citation_text, reliability) in SOURCES.items():
        yield DemoRecord(Source, f"source:{key}", {
            "kind": kind, "title": title, "citation_text": f"{citation_text} ({SOURCE_FILE})",
            "url": "", "reliability": reliability})


# --- persons ----------------------------------------------------------------------------------

# key → (pseudonym code, real name as published or "", gender identity as the source puts it,
#        deceased, description). Codes: role letter, year first recorded (2023), sequence.
PERSONS = {
    "avaz": ("V-2023-001", "Avaz Hafizli", "", True,
             "LGBTI+ activist who organised protests with the trans community (S1)."),
    "nuray": ("V-2023-002", "Nuray", "trans woman (as S1 describes her)", True, ""),
    "malikov": ("V-2023-003", "Ali Malikov", "", False,
                "LGBTI+ activist working with Nafas LGBTI; interviewed in S1."),
    "march_woman": ("V-2023-004", "", "woman (as S3 describes her)", False,
                    "Protester at the 8 March march; S3 says her name was not released."),
    "blogger": ("P-2023-001", "Sevinc Hüseynova", "", False,
                "Blogger S1 accuses of live streams calling for the killing of trans people."),
    "killer": ("P-2023-002", "", "", False,
               "Convicted of Avaz's killing (S1); name and relation to him not in the source."),
    "avaz_family": ("P-2023-003", "", "", False,
                    "Avaz's family members (not named, number not stated), per S1."),
}
# Published names, kept as typed: (person key, text, source key or None, incident key or None).
PUBLISHED_NAMES = (
    ("avaz", "Avaz Hafizli", "S1", "E4"),
    ("nuray", "Nuray", "S1", "E5"),
    ("malikov", "Ali Malikov", "S1", "E9"),
    ("malikov", "Əli Məlikov", None, None),
    ("blogger", "Sevinc Hüseynova", "S1", "E3"),
)


def persons() -> Iterator[DemoRecord]:
    for key, (code, real_name, gender, deceased, description) in PERSONS.items():
        yield DemoRecord(Person, f"person:{key}", {
            "pseudonym_code": code, "real_name": real_name, "gender_identity": gender,
            "deceased": deceased, "description": description, "age_band": "unknown"})


def person_names() -> Iterator[DemoRecord]:
    for number, (person_key, text, source_key, incident_key) in enumerate(PUBLISHED_NAMES, 1):
        citation = demo_id(f"citation:{incident_key}:{source_key}") if source_key else None
        yield DemoRecord(PersonName, f"person_name:{number}", {
            "person_id": demo_id(f"person:{person_key}"), "text": text, "script": "latn",
            "kind": "as_published", "citation_id": citation, "folded": fold_for_search(text)})


def consents() -> Iterator[DemoRecord]:
    """Named in print is not consent (DOMAIN.md §9): nobody here may be named publicly."""
    # The living (Ali Malikov) get no row at all: no consent recorded means refused.
    note = ("Named in a published article; publication elsewhere is not consent. Not to be"
            " named publicly unless the organisation records another decision.")
    for key in ("avaz", "nuray"):
        yield DemoRecord(Consent, f"consent:{key}:organisational_decision", {
            "person_id": demo_id(f"person:{key}"), "scope": "organisational_decision",
            "status": "refused", "decided_on": RECORDED_ON,
            "method": "organisational decision (deceased)", "note": note})
