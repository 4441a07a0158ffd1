"""The demo records, built by hand from the 2023 Nafas articles (DOMAIN.md §9, E1–E6).

Every date and place is as precise as the articles allow and no more. Persons the articles
name keep that name only as restricted identity data: publication elsewhere is not consent.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain.sealing import blind_index, current_keyring
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


def start_columns(
    text: str, earliest: date | None, latest: date | None, precision: str
) -> dict[str, Any]:
    return {
        "start_text": text,
        "start_earliest": earliest,
        "start_latest": latest,
        "start_precision": precision,
        "start_qualifier": "exact",
    }


def unknown_date() -> dict[str, Any]:
    return start_columns("unknown", None, None, "unknown")


# --- places -------------------------------------------------------------------------------


def place(
    key: str,
    name: str,
    kind: str,
    parent: str | None,
    precision: int,
    aliases: tuple[tuple[str, str], ...] = (),
    platform: str = "",
) -> Iterator[DemoRecord]:
    """A place node and its aliases (text, script)."""
    yield DemoRecord(
        Place,
        f"place:{key}",
        {
            "name": name,
            "kind": kind,
            "parent_id": demo_id(f"place:{parent}") if parent else None,
            "geo_precision": precision,
            "platform": platform,
        },
    )
    for number, (text, script) in enumerate(aliases, start=1):
        yield DemoRecord(
            PlaceAlias,
            f"place:{key}:alias:{number}",
            {
                "place_id": demo_id(f"place:{key}"),
                "text": text,
                "script": script,
                "folded": fold_for_search(text),
            },
        )


def places() -> Iterator[DemoRecord]:
    yield from place(
        "azerbaijan",
        "Azerbaijan",
        "country",
        None,
        4,
        (("Azərbaycan", "latn"), ("Azerbaijan", "latn"), ("Азербайджан", "cyrl")),
    )
    yield from place(
        "baku",
        "Baku",
        "first_level_unit",
        "azerbaijan",
        3,
        (("Bakı", "latn"), ("Baku", "latn"), ("Баку", "cyrl")),
    )
    yield from place(
        "ganja",
        "Ganja",
        "first_level_unit",
        "azerbaijan",
        3,
        (("Gəncə", "latn"), ("Ganja", "latn"), ("Гянджа", "cyrl")),
    )
    yield from place(
        "sumgait",
        "Sumgait",
        "first_level_unit",
        "azerbaijan",
        3,
        (("Sumqayıt", "latn"), ("Sumgait", "latn"), ("Сумгаит", "cyrl")),
    )
    yield from place(
        "nakhchivan",
        "Nakhchivan Autonomous Republic",
        "first_level_unit",
        "azerbaijan",
        3,
        (("Naxçıvan", "latn"), ("Nakhchivan", "latn"), ("Нахичевань", "cyrl")),
    )
    yield from place(
        "nasimi",
        "Nasimi",
        "district",
        "baku",
        2,
        (("Nəsimi", "latn"), ("Nasimi", "latn"), ("Насими", "cyrl")),
    )
    yield from place(
        "sabail",
        "Sabail",
        "district",
        "baku",
        2,
        (("Səbail", "latn"), ("Sabail", "latn"), ("Sabayil", "latn"), ("Сабаил", "cyrl")),
    )
    yield from place(
        "yasamal", "Yasamal", "district", "baku", 2, (("Yasamal", "latn"), ("Ясамал", "cyrl"))
    )
    # The articles name no platform for the live streams: the node says so rather than guess.
    yield from place("online", "Online (platform not stated)", "online", None, 5)


# --- organisations ----------------------------------------------------------------------------


def organisation(
    key: str,
    name: str,
    kind: str,
    relation: str,
    perpetrator_type: str,
    aliases: tuple[tuple[str, str], ...] = (),
    place_key: str | None = None,
    description: str = "",
) -> Iterator[DemoRecord]:
    yield DemoRecord(
        Organisation,
        f"organisation:{key}",
        {
            "name": name,
            "kind": kind,
            "state_relation": relation,
            "perpetrator_type": perpetrator_type,
            "description": description,
            "place_id": demo_id(f"place:{place_key}") if place_key else None,
        },
    )
    for number, (text, script) in enumerate(aliases, start=1):
        yield DemoRecord(
            OrganisationAlias,
            f"organisation:{key}:alias:{number}",
            {
                "organisation_id": demo_id(f"organisation:{key}"),
                "text": text,
                "script": script,
                "folded": fold_for_search(text),
            },
        )


def organisations() -> Iterator[DemoRecord]:
    yield from organisation(
        "police",
        "Police of Azerbaijan (unit not stated)",
        "department",
        "state",
        "state_agent",
        (("Polis", "latn"), ("Полиция", "cyrl")),
        "azerbaijan",
        "The articles say only 'the police'; no station or unit is named.",
    )
    yield from organisation(
        "sss",
        "State Security Service of the Republic of Azerbaijan",
        "security_service",
        "state",
        "state_agent",
        (
            ("Dövlət Təhlükəsizliyi Xidməti", "latn"),
            ("DTX", "latn"),
            ("Служба государственной безопасности", "cyrl"),
        ),
        "azerbaijan",
    )
    # DOMAIN.md §2: what S1 alleges about this body is cited on incidents, not stored here.
    yield from organisation(
        "gender_development",
        "Gender and Development",
        "state_linked_body",
        "state_affiliated",
        "state_affiliated",
        (("Gender və İnkişaf", "latn"),),
        "baku",
        "Named in S1 as having offices in Baku and other cities and working with the Ministry"
        " of Public Health; established 2007 according to S1.",
    )
    yield from organisation(
        "state_tv",
        "State-run television (channel not named)",
        "media_outlet",
        "state",
        "state_affiliated",
    )
    yield from organisation(
        "gov_online_media",
        "Government-affiliated online media outlet (not named)",
        "media_outlet",
        "state_affiliated",
        "state_affiliated",
    )
    yield from organisation("bianet", "Bianet", "media_outlet", "non_state", "unknown")
    yield from organisation(
        "nafas",
        "Nafas LGBTI Azerbaijan Alliance",
        "ngo",
        "non_state",
        "unknown",
        (("Nafas LGBTI", "latn"),),
    )


# --- sources --------------------------------------------------------------------------------

SOURCES = {
    # DOMAIN.md §9: largely second-hand, "a reviewer might grade it C3".
    "S1": (
        "media_article",
        "\u201cThe biggest problem is not being able to live\u201d | Ali Malikov",
        "Interview with Ali Malikov, Bianet (Türkiye), English translation shared"
        " by Nafas LGBTI Azerbaijan Alliance; undated; no URL in the collection.",
        "C",
    ),
    "S2": (
        "ngo_report",
        "Feminist Community Marches for Women\u2019s Rights and Safety in Azerbaijan",
        "Nafas LGBTI report on the 8 March march; no URL in the collection.",
        "B",
    ),
    "S3": (
        "ngo_report",
        "Feminists Pushed by Police During March for Women\u2019s Rights in Azerbaijan",
        "Nafas LGBTI report citing witnesses; no URL in the collection.",
        "B",
    ),
    "S4": (
        "ngo_report",
        "Panel Discussion Explores Intersection of Feminist and LGBTQI+ Mobilisation",
        "Nafas LGBTI report on the 9 March panel; cited for the spelling Əli Məlikov.",
        "B",
    ),
}
CREDIBILITY = {"S1": 3, "S2": 2, "S3": 2, "S4": 2}


def sources() -> Iterator[DemoRecord]:
    for key, (kind, title, citation_text, reliability) in SOURCES.items():
        yield DemoRecord(
            Source,
            f"source:{key}",
            {
                "kind": kind,
                "title": title,
                "citation_text": f"{citation_text} ({SOURCE_FILE})",
                "url": "",
                "reliability": reliability,
            },
        )


# --- persons ----------------------------------------------------------------------------------

# key → (pseudonym code, real name as published or "", gender identity as the source puts it,
#        deceased, description). Codes: role letter, year first recorded (2023), sequence.
PERSONS = {
    "avaz": (
        "V-2023-001",
        "Avaz Hafizli",
        "",
        True,
        "LGBTI+ activist who organised protests with the trans community (S1).",
    ),
    "nuray": ("V-2023-002", "Nuray", "trans woman (as S1 describes her)", True, ""),
    "malikov": (
        "V-2023-003",
        "Ali Malikov",
        "",
        False,
        "LGBTI+ activist working with Nafas LGBTI; interviewed in S1.",
    ),
    "march_woman": (
        "V-2023-004",
        "",
        "woman (as S3 describes her)",
        False,
        "Protester at the 8 March march; S3 says her name was not released.",
    ),
    "blogger": (
        "P-2023-001",
        "Sevinc Hüseynova",
        "",
        False,
        "Blogger S1 accuses of live streams calling for the killing of trans people.",
    ),
    "killer": (
        "P-2023-002",
        "",
        "",
        False,
        "Convicted of Avaz's killing (S1); name and relation to him not in the source.",
    ),
    "avaz_family": (
        "P-2023-003",
        "",
        "",
        False,
        "Avaz's family members (not named, number not stated), per S1.",
    ),
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
        yield DemoRecord(
            Person,
            f"person:{key}",
            {
                "pseudonym_code": code,
                "real_name": real_name,
                "gender_identity": gender,
                "deceased": deceased,
                "description": description,
                "age_band": "unknown",
            },
        )


def person_names() -> Iterator[DemoRecord]:
    for number, (person_key, text, source_key, incident_key) in enumerate(PUBLISHED_NAMES, 1):
        citation = demo_id(f"citation:{incident_key}:{source_key}") if source_key else None
        yield DemoRecord(
            PersonName,
            f"person_name:{number}",
            {
                "person_id": demo_id(f"person:{person_key}"),
                "text": text,
                "script": "latn",
                "kind": "as_published",
                "citation_id": citation,
                "folded": blind_index(current_keyring(), text),
            },
        )


def consents() -> Iterator[DemoRecord]:
    """Named in print is not consent (DOMAIN.md §9): nobody here may be named publicly."""
    # The living (Ali Malikov) get no row at all: no consent recorded means refused.
    note = (
        "Named in a published article; publication elsewhere is not consent. Not to be"
        " named publicly unless the organisation records another decision."
    )
    for key in ("avaz", "nuray"):
        yield DemoRecord(
            Consent,
            f"consent:{key}:organisational_decision",
            {
                "person_id": demo_id(f"person:{key}"),
                "scope": "organisational_decision",
                "status": "refused",
                "decided_on": RECORDED_ON,
                "method": "organisational decision (deceased)",
                "note": note,
            },
        )


# --- incidents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoIncident:
    """One incident as the articles tell it; `citations` are (locator, claim), the locator
    starting with the source's key."""

    key: str
    type: str
    title: str
    summary: str
    when: dict[str, Any]
    citations: tuple[tuple[str, str], ...]
    secondary_types: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    place: str | None = None
    reported_victims_text: str = ""
    inferred_note: str = ""
    narrative: str = ""


S1_ACTIVISM = "S1, section \u201cWe participated in a demonstration with our own flag\u201d"
S1_AVAZ = "S1, section \u201cNo one heard Avaz\u2019s voice\u201d"
S1_PROBLEMS = "S1, section \u201cThe biggest problem is not being able to live\u201d"

INCIDENTS = (
    DemoIncident(
        "E1",
        "RAID",
        "2017 round-up of trans and gay people by police",
        "Police seized nearly 100 trans and gay people; S1 says they were raped and tortured."
        " No one is named; month, city and sentences are not in the collection.",
        year_date(2017),
        (
            (
                f"{S1_ACTIVISM}, paragraph 4; summary bullet 2",
                "About 100 trans and gay people were kidnapped, raped and tortured by the police in"
                " 2017; no party or human rights organisation spoke out.",
            ),
        ),
        secondary_types=("DET", "ABDU", "TORT", "SEXV"),
        place="azerbaijan",
        reported_victims_text="nearly 100 trans and gay people (S1; also 'about 100')",
    ),
    DemoIncident(
        "E2",
        "RAID",
        "2019 recurrence of police and state pressure",
        "S1 says the police and state pressure of 2017 was repeated in 2019; no details.",
        year_date(2019),
        (
            (
                f"{S1_ACTIVISM}, paragraph 5",
                "Police and state pressure was repeated again in 2019, without outside support.",
            ),
        ),
        place="azerbaijan",
        reported_victims_text="unknown",
        inferred_note="Type RAID inferred: S1 says only that the 2017 pressure 'was repeated'.",
    ),
    DemoIncident(
        "E3",
        "HATE",
        "Live streams calling for the killing of trans people",
        "A blogger live-streamed calls for the killing of trans people and later targeted"
        " Avaz Hafizli too (S1).",
        start_columns("late 2021", date(2021, 9, 1), date(2021, 12, 31), "season"),
        (
            (
                f"{S1_ACTIVISM}, last paragraph; {S1_AVAZ}, paragraph 2",
                "In late 2021 the blogger began live streams calling for the killing of trans"
                " people, and at the end targeted Avaz too.",
            ),
        ),
        place="online",
        reported_victims_text="trans people (a group; not counted)",
    ),
    DemoIncident(
        "E4",
        "KILL",
        "Killing of an LGBTI+ activist",
        "Avaz Hafizli was killed and mutilated. One killer was convicted and given 'the"
        " minimum sentence' of 9 years 6 months; S1 reports many irregularities at trial.",
        unknown_date(),
        (
            (
                f"{S1_AVAZ}, paragraphs 3\u20135; summary bullet 1",
                "Avaz was murdered (head and genitals cut off); the killer got the minimum sentence"
                " of 9 years and 6 months; the trial had many irregularities and charges were not"
                " written.",
            ),
        ),
        narrative="Date not in the collection: S1, itself undated, says more than a year had"
        " passed. Before his death Avaz tied himself to the prosecutor's office saying his"
        " life was in danger; no one heard him (S1).",
        violations=("ECHR-2", "ECHR-14"),
    ),
    DemoIncident(
        "E5",
        "KILL",
        "Killing of a trans woman",
        "Nuray, a trans woman, was burned to death in a forest (S1). Date, place and"
        " perpetrator are not in the collection.",
        unknown_date(),
        (
            (
                f"{S1_ACTIVISM}, last paragraph; summary bullet 4",
                "Trans woman Nuray was burned to death in the forest.",
            ),
        ),
    ),
    DemoIncident(
        "E6",
        "ASMB",
        "Police push protesters at the 8 March march in Baku",
        "Dozens marched in Baku for women's rights on 8 March; police pushed and shoved"
        " protesters, some were hurt, a woman nearly fainted and items were seized by force.",
        start_columns("March 8", date(2023, 3, 8), date(2023, 3, 8), "day"),
        (
            (
                "S2, paragraph 1",
                "Dozens of women, LGBTI+s and supporters marched in Baku on March 8.",
            ),
            (
                "S3, paragraphs 1\u20133",
                "Police pushed and shoved protesters, some protesters' condition worsened, an"
                " unnamed woman nearly fainted, and police confiscated items by force.",
            ),
        ),
        secondary_types=("ASLT",),
        place="baku",
        reported_victims_text="dozens marched; some protesters hurt (S2, S3)",
        inferred_note=COLLECTION_YEAR_NOTE,
    ),
    DemoIncident(
        "E7",
        "THRT",
        "Death threats against Avaz Hafizli",
        "After the State Security Service refused protection, Avaz's family and others"
        " threatened him with death (S1).",
        unknown_date(),
        (
            (
                f"{S1_AVAZ}, paragraph 1",
                "Avaz's family and others started to threaten him with death.",
            ),
        ),
    ),
    DemoIncident(
        "E8",
        "NOPR",
        "State Security Service refuses protection",
        "The State Security Service told the activists it would not protect their lives"
        " because 'LGBTI+s are not a social group' (S1).",
        unknown_date(),
        (
            (
                f"{S1_AVAZ}, paragraph 1",
                "The State Security Service said it would not protect their lives because"
                " 'LGBTI+s are not a social group'.",
            ),
        ),
    ),
    DemoIncident(
        "E9",
        "SMER",
        "Defamation of an activist after exposing a state-linked body",
        "After Ali Malikov spoke about 'Gender and Development', it tried to defame him by"
        " accusing him of human trafficking, without success (S1).",
        unknown_date(),
        (
            (
                f"{S1_ACTIVISM}, paragraphs 6\u20138",
                "When Malikov shared this information, they tried to defame him by accusing him of"
                " 'human trafficking'.",
            ),
        ),
    ),
    DemoIncident(
        "E10",
        "DET",
        "Detention at a protest with a rape threat",
        "Ali Malikov was detained at a protest 'the other day' and threatened with rape (S1).",
        unknown_date(),
        (
            (
                f"{S1_AVAZ}, paragraph 7",
                "When detained at a protest the other day, they threatened to rape him.",
            ),
        ),
        secondary_types=("SEXV",),
        inferred_note="'The other day' is relative to the undated interview: left unknown.",
    ),
    DemoIncident(
        "E11",
        "THRT",
        "Mockery and implied arrest threat at a police station",
        "At a police station, officers mocked Ali Malikov: 'we are waiting for you' (S1).",
        unknown_date(),
        (
            (
                f"{S1_AVAZ}, paragraph 7",
                "Police mocked him saying 'we are waiting for you', meaning they would arrest him.",
            ),
        ),
    ),
    DemoIncident(
        "E12",
        "SMER",
        "Insulted on state-run television",
        "Before he turned 18, Ali Malikov was shown and insulted on state-run television (S1).",
        unknown_date(),
        (
            (
                f"{S1_PROBLEMS}, paragraph 4",
                "Even before turning 18, he was on state-run television and insulted.",
            ),
        ),
    ),
    DemoIncident(
        "E13",
        "SMER",
        "Targeted by a government-affiliated online outlet for calling for peace",
        "A government-affiliated online media outlet targeted Ali Malikov for calling for"
        " peace during the Karabakh war (S1).",
        start_columns("during the Karabakh war", None, None, "unknown"),
        (
            (
                f"{S1_PROBLEMS}, paragraph 5",
                "An internet media outlet affiliated with the government targeted him for calling"
                " for peace during the Karabakh war.",
            ),
        ),
        inferred_note="Which Karabakh war is not stated (probably 2020): left unknown.",
    ),
)


def incident_code(key: str) -> str:
    return f"INC-{int(key[1:]):06d}"


def incidents() -> Iterator[DemoRecord]:
    for incident in INCIDENTS:
        yield DemoRecord(
            Incident,
            f"incident:{incident.key}",
            {
                "code": incident_code(incident.key),
                "title": incident.title,
                "type": incident.type,
                "secondary_types": list(incident.secondary_types),
                "violations": list(incident.violations),
                **incident.when,
                "summary": incident.summary,
                "narrative": incident.narrative,
                "place_id": demo_id(f"place:{incident.place}") if incident.place else None,
                "reported_victims_text": incident.reported_victims_text,
                "inferred_note": incident.inferred_note,
                "verification_status": "unverified",
            },
        )


def citations() -> Iterator[DemoRecord]:
    for incident in INCIDENTS:
        for locator, claim in incident.citations:
            source = locator.split(",", 1)[0]
            yield DemoRecord(
                Citation,
                f"citation:{incident.key}:{source}",
                {
                    "source_id": demo_id(f"source:{source}"),
                    "incident_id": demo_id(f"incident:{incident.key}"),
                    "locator": locator,
                    "claim": claim,
                    "credibility": CREDIBILITY[source],
                },
            )


# --- involvements, links, the case --------------------------------------------------------

# (incident, role, person or organisation key, details)
INVOLVEMENTS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    (
        "E1",
        "alleged_perpetrator",
        "organisation:police",
        {"perpetrator_type": "state_agent", "identified": False},
    ),
    (
        "E2",
        "alleged_perpetrator",
        "organisation:police",
        {"perpetrator_type": "state_agent", "identified": False},
    ),
    (
        "E3",
        "alleged_perpetrator",
        "person:blogger",
        {"perpetrator_type": "private_individual", "identified": True},
    ),
    ("E4", "victim", "person:avaz", {"outcome": "killed"}),
    (
        "E4",
        "alleged_perpetrator",
        "person:killer",
        {
            "perpetrator_type": "unknown",
            "identified": True,
            "notes": "Convicted; S1 does not state his relation to Avaz.",
        },
    ),
    ("E5", "victim", "person:nuray", {"outcome": "killed"}),
    (
        "E6",
        "victim",
        "person:march_woman",
        {"injuries": "Visibly shaken, difficulty breathing for some minutes, nearly fainted (S3)."},
    ),
    (
        "E6",
        "alleged_perpetrator",
        "organisation:police",
        {"perpetrator_type": "state_agent", "identified": False},
    ),
    ("E7", "victim", "person:avaz", {}),
    (
        "E7",
        "alleged_perpetrator",
        "person:avaz_family",
        {"perpetrator_type": "family_member", "identified": False},
    ),
    ("E8", "victim", "person:avaz", {}),
    (
        "E8",
        "alleged_perpetrator",
        "organisation:sss",
        {"perpetrator_type": "state_agent", "identified": True},
    ),
    ("E9", "victim", "person:malikov", {}),
    (
        "E9",
        "alleged_perpetrator",
        "organisation:gender_development",
        {"perpetrator_type": "state_affiliated", "identified": True},
    ),
    ("E10", "victim", "person:malikov", {"duration_text": "not stated"}),
    (
        "E10",
        "alleged_perpetrator",
        "organisation:police",
        {"perpetrator_type": "state_agent", "identified": False},
    ),
    ("E11", "victim", "person:malikov", {}),
    (
        "E11",
        "alleged_perpetrator",
        "organisation:police",
        {"perpetrator_type": "state_agent", "identified": False},
    ),
    ("E12", "victim", "person:malikov", {}),
    (
        "E12",
        "alleged_perpetrator",
        "organisation:state_tv",
        {"perpetrator_type": "state_affiliated", "identified": False},
    ),
    ("E13", "victim", "person:malikov", {}),
    (
        "E13",
        "alleged_perpetrator",
        "organisation:gov_online_media",
        {"perpetrator_type": "state_affiliated", "identified": False},
    ),
)
# (from, to, type, note): the order S1 tells, without dates to check it against.
LINKS = (
    ("E1", "E2", "precedes", "S1: the 2017 pressure 'was repeated again in 2019'."),
    ("E8", "E7", "precedes", "S1: 'As a result', the threats began."),
    ("E7", "E4", "precedes", "S1: threats before the killing."),
    ("E8", "E4", "precedes", "S1: protection refused before the killing."),
    ("E3", "E4", "precedes", "S1: the blogger 'targeted Avaz too' before his murder."),
)


def involvements() -> Iterator[DemoRecord]:
    for number, (incident_key, role, party, details) in enumerate(INVOLVEMENTS, start=1):
        kind, party_key = party.split(":")
        yield DemoRecord(
            Involvement,
            f"involvement:{number}",
            {
                "incident_id": demo_id(f"incident:{incident_key}"),
                "role": role,
                f"{kind}_id": demo_id(party),
                **details,
            },
        )


def links() -> Iterator[DemoRecord]:
    for from_key, to_key, link_type, note in LINKS:
        yield DemoRecord(
            IncidentLink,
            f"link:{from_key}:{to_key}",
            {
                "from_incident_id": demo_id(f"incident:{from_key}"),
                "to_incident_id": demo_id(f"incident:{to_key}"),
                "link_type": link_type,
                "note": note,
            },
        )


def case_records() -> Iterator[DemoRecord]:
    """The lawyer's file on Avaz's killing, with the judgment S1 describes (E4)."""
    case_id = demo_id("case:avaz")
    yield DemoRecord(
        Case,
        "case:avaz",
        {
            "code": "CASE-0001",
            "title": "Killing of V-2023-001",
            "status": "open",
            "summary": "Killing of an LGBTI+ activist after threats and refused protection."
            " Violations alleged: ECHR-2 (life, effective investigation), ECHR-14.",
        },
    )
    for incident_key in ("E3", "E7", "E8", "E4"):
        yield DemoRecord(
            CaseIncident,
            f"case:avaz:{incident_key}",
            {"case_id": case_id, "incident_id": demo_id(f"incident:{incident_key}")},
        )
    yield DemoRecord(
        CaseClient, "case:avaz:client", {"case_id": case_id, "person_id": demo_id("person:avaz")}
    )
    # Court, dates and finality are not in the collection: left empty, never guessed.
    yield DemoRecord(
        LegalAction,
        "case:avaz:judgment",
        {
            "case_id": case_id,
            "kind": "judgment",
            "forum": "court not named in the source",
            "sentence_months": 114,
            "outcome": "Killer convicted; 'the minimum sentence of 9 years and 6 months' (S1).",
            "notes": "S1: many irregularities at trial; the charges were not written.",
        },
    )


def demo_records() -> Iterator[DemoRecord]:
    """Every demo record, parents before children."""
    for family in (
        places,
        organisations,
        sources,
        persons,
        incidents,
        citations,
        person_names,
        consents,
        involvements,
        links,
        case_records,
    ):
        yield from family()
