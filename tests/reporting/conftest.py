"""Fixtures for report tests: a case full of canary values, viewers per role, a string walker.

- `canary_case` (a CanaryCase): one case whose records carry values that must never reach a
  partner or public report: the victim's real name "Zaurbek Canaryov" (and its Cyrillic form),
  phone "+994 55 123 45 67", address "12 Canary Street", identity notes, a day-precise date
  "14.03.2023" typed as "14 March 2023 at 14:00", a sensitive site "Canary Safehouse", a
  private perpetrator "Rustam Canaryev" and a source whose contact is the victim.
  `CanaryCase.LEAKS` lists them. The case also holds a spring-2019 raid in Baku, an undated
  incident, a restricted incident (hidden from everyone but its named user and admins) and a
  deleted one, whose titles are in `HIDDEN_TITLES`.
- `viewers`: a Viewer per role (admin, lawyer, analyst), each a real user account.
- `snapshot_strings(value)`: every string inside a snapshot (dataclass fields, tuples,
  dates, enums) plus its repr, for "does this canary appear anywhere" checks; PDF and CLI
  tests can use it on the snapshot they render.
"""

import dataclasses
import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_evidence,
    make_incident,
    make_involvement,
    make_legal_action,
    make_organisation,
    make_person,
    make_place,
    make_source,
)
from tracker.models import Incident
from tracker.services.cases import add_client, add_incident_to_case
from tracker.services.consents import record_consent
from tracker.services.evidence import add_custody_entry
from tracker.services.incidents import delete_incident
from tracker.services.people import add_person_name, update_person
from tracker.services.restrictions import Viewer, set_restriction
from tracker.services.users import create_user

GENERATED_AT = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
CONSENT_DAY = date(2024, 1, 10)


@dataclass(frozen=True)
class CanaryCase:
    """Ids of the canary case's records; the strings that must not leak are class constants."""

    case_id: uuid.UUID
    victim_id: uuid.UUID
    witness_id: uuid.UUID
    relative_id: uuid.UUID
    detention_code: str
    raid_code: str
    undated_code: str
    restricted_code: str
    deleted_code: str
    safehouse_id: uuid.UUID
    baku_id: uuid.UUID
    police_id: uuid.UUID

    REAL_NAME = "Zaurbek Canaryov"
    CYRILLIC_NAME = "Заурбек Канарыов"
    PHONE = "+994 55 123 45 67"
    EMAIL = "zaurbek@canary.example"
    ADDRESS = "12 Canary Street"
    EXACT_DATE = "14.03.2023"
    ORIGINAL_DATE_TEXT = "14 March 2023 at 14:00"
    IDENTITY_NOTE = "Works nights at the Canary Bakery"
    GENDER = "canary-gender"
    SITE = "Canary Safehouse"
    RELATIVE = "Rustam Canaryev"
    CONTACT_SOURCE = "Interview recorded at the Canary kitchen"
    LEAKS = (
        REAL_NAME,
        "Zaurbek",
        "Canaryov",
        CYRILLIC_NAME,
        "Заурбек",
        PHONE,
        "123 45 67",
        EMAIL,
        ADDRESS,
        EXACT_DATE,
        "14 March",
        "14:00",
        IDENTITY_NOTE,
        GENDER,
        SITE,
        RELATIVE,
        "Canaryev",
        CONTACT_SOURCE,
        "2023-03-14",
    )
    HIDDEN_TITLES = ("Canary restricted incident", "Canary deleted incident")


def snapshot_strings(value: object) -> list[str]:
    """Every string reachable from a snapshot value, plus the value's repr."""
    return [*_walk(value), repr(value)]


def _walk(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, enum.Enum):
        yield str(value.value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name))
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key)
            yield from _walk(item)
    elif value is not None:
        yield str(value)


def leaks_in(snapshot: object, canaries: tuple[str, ...] = CanaryCase.LEAKS) -> list[str]:
    """The canaries found anywhere in the snapshot, compared case-insensitively."""
    text = "\n".join(snapshot_strings(snapshot)).casefold()
    return [canary for canary in canaries if canary.casefold() in text]


@pytest.fixture
def viewers(session: Session) -> dict[str, Viewer]:
    """A viewer per role, each backed by a user account (restrictions name accounts)."""
    made = {}
    for role in ("admin", "lawyer", "analyst", "reviewer"):
        user, _ = create_user(
            session, username=f"{role}-reports", display_name=role, roles=(role,), actor_id=None
        )
        made[role] = Viewer(user_id=user.id, roles=frozenset({role}))
    session.flush()
    return made


def grant(session: Session, person_id: uuid.UUID, scope: str, status: str = "granted") -> None:
    record_consent(
        session,
        person_id=person_id,
        scope=scope,
        status=status,
        decided_on=CONSENT_DAY,
        method="in person",
        actor_id=ACTOR_ID,
    )


def make_places(session: Session) -> dict[str, uuid.UUID]:
    country = make_place(session, name="Azerbaijan", kind="country", geo_precision=4)
    baku = make_place(session, name="Baku", parent_id=country.id)
    nasimi = make_place(session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id)
    safehouse = make_place(
        session,
        name=CanaryCase.SITE,
        kind="site",
        geo_precision=1,
        parent_id=nasimi.id,
        sensitive=True,
    )
    return {"baku": baku.id, "nasimi": nasimi.id, "safehouse": safehouse.id}


def make_victim(session: Session) -> uuid.UUID:
    victim = make_person(
        session, real_name=CanaryCase.REAL_NAME, age_band="25_34", first_recorded_year=2023
    )
    add_person_name(session, person_id=victim.id, text=CanaryCase.CYRILLIC_NAME, actor_id=ACTOR_ID)
    grant(session, victim.id, "record_sensitive")
    changes = {
        "contact_info": f"{CanaryCase.PHONE}\n{CanaryCase.EMAIL}",
        "exact_address": f"{CanaryCase.ADDRESS}, flat 4\nBaku",
        "identity_notes": CanaryCase.IDENTITY_NOTE,
        "gender_identity": CanaryCase.GENDER,
        "sexual_orientation": "canary-orientation",
    }
    update_person(
        session,
        person_id=victim.id,
        expected_version=victim.version,
        changes=changes,
        actor_id=ACTOR_ID,
    )
    return victim.id


def make_detention(
    session: Session, places: dict[str, uuid.UUID], victim_id: uuid.UUID
) -> tuple[Incident, uuid.UUID, uuid.UUID, uuid.UUID]:
    summary = (
        f"{CanaryCase.REAL_NAME} was taken from {CanaryCase.ADDRESS} on "
        f"{CanaryCase.EXACT_DATE} at 14:00; reach him on {CanaryCase.PHONE} or "
        f"{CanaryCase.EMAIL}. ZAURBEK canaryov later told {CanaryCase.RELATIVE} everything."
    )
    incident = make_incident(
        session,
        start_text=CanaryCase.EXACT_DATE,
        place_id=places["safehouse"],
        title=f"Detention of {CanaryCase.REAL_NAME}",
        summary=summary,
        secondary_types=("TORT",),
    )
    # As a witness said it: the stored words must never leave below the legal level.
    incident.start_text = CanaryCase.ORIGINAL_DATE_TEXT
    city_police = make_organisation(
        session,
        name="Baku city police",
        kind="department",
        state_relation="state",
        perpetrator_type="state_agent",
    )
    police = make_organisation(
        session,
        name="Nasimi district police",
        parent_id=city_police.id,
        state_relation="state",
        perpetrator_type="state_agent",
    )
    make_involvement(
        session,
        incident_id=incident.id,
        person_id=victim_id,
        injuries=f"Bruises; treated at {CanaryCase.ADDRESS}",
        duration_text="10 days",
        charges=("AZ-CAO-510",),
    )
    make_involvement(
        session,
        incident_id=incident.id,
        organisation_id=police.id,
        role="alleged_perpetrator",
        perpetrator_type="state_agent",
        identified=True,
    )
    relative = make_person(session, role_letter="P", real_name=CanaryCase.RELATIVE)
    make_involvement(
        session,
        incident_id=incident.id,
        person_id=relative.id,
        role="alleged_perpetrator",
        perpetrator_type="family_member",
    )
    witness = make_person(session, role_letter="W", real_name="Leyla Witnessova")
    make_involvement(session, incident_id=incident.id, person_id=witness.id, role="witness")
    return incident, police.id, relative.id, witness.id


def cite_sources(session: Session, incident_id: uuid.UUID, victim_id: uuid.UUID) -> None:
    testimony = make_source(
        session,
        kind="victim_testimony",
        title=CanaryCase.CONTACT_SOURCE,
        contact_person_id=victim_id,
        reliability="B",
        url="https://canary.example/interview",
    )
    make_citation(
        session,
        source_id=testimony.id,
        incident_id=incident_id,
        credibility=2,
        claim=f"{CanaryCase.REAL_NAME} describes the arrest",
        locator="minute 12",
    )
    article = make_source(
        session,
        kind="media_article",
        title="Raid reported in Baku",
        reliability="C",
        url="https://news.example/raid",
    )
    make_citation(session, source_id=article.id, incident_id=incident_id, credibility=3)


def add_evidence_with_custody(session: Session, incident_id: uuid.UUID) -> None:
    photo = make_evidence(
        session,
        incident_id=incident_id,
        title="Photo of the bruises",
        file_name="bruises.jpg",
        media_type="image/jpeg",
        size_bytes=2048,
        collected_by="documenter-1",
    )
    for hour, action in ((11, "verified"), (10, "received")):
        add_custody_entry(
            session,
            evidence_id=photo.id,
            action=action,
            actor="documenter-1",
            actor_id=ACTOR_ID,
            occurred_at=datetime(2023, 3, 20, hour, tzinfo=UTC),
            sha256_seen=photo.sha256,
        )


def hide_two_incidents(
    session: Session, case_id: uuid.UUID, hidden_from: dict[str, Viewer]
) -> tuple[str, str]:
    """A restricted incident named to the reviewer only, and a deleted one, both in the case."""
    restricted = make_incident(session, start_text="May 2023", title=CanaryCase.HIDDEN_TITLES[0])
    deleted = make_incident(session, start_text="June 2023", title=CanaryCase.HIDDEN_TITLES[1])
    for incident in (restricted, deleted):
        add_incident_to_case(session, case_id=case_id, incident_id=incident.id, actor_id=ACTOR_ID)
    set_restriction(
        session,
        model=Incident,
        record_id=restricted.id,
        user_ids=[hidden_from["reviewer"].user_id],
        actor_id=ACTOR_ID,
    )
    delete_incident(
        session, incident_id=deleted.id, expected_version=deleted.version, actor_id=ACTOR_ID
    )
    return restricted.code, deleted.code


@pytest.fixture
def canary_case(session: Session, viewers: dict[str, Viewer]) -> CanaryCase:
    """The populated case described at the top of this file."""
    places = make_places(session)
    victim_id = make_victim(session)
    detention, police_id, relative_id, witness_id = make_detention(session, places, victim_id)
    cite_sources(session, detention.id, victim_id)
    add_evidence_with_custody(session, detention.id)
    raid = make_incident(session, type="RAID", start_text="spring 2019", place_id=places["baku"])
    undated = make_incident(session, type="THRT", start_text="unknown", title="Threats")
    case = make_case(
        session,
        title=f"Detention of {CanaryCase.REAL_NAME}",
        summary=f"{CanaryCase.REAL_NAME} ({CanaryCase.PHONE}) seeks redress.",
    )
    for incident in (detention, raid, undated):
        add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    add_client(session, case_id=case.id, person_id=victim_id, actor_id=ACTOR_ID)
    make_legal_action(
        session,
        case_id=case.id,
        kind="judgment",
        forum="Nasimi District Court",
        decided_on_text="20 March 2023",
        is_final_domestic=True,
        outcome=f"Fine upheld against {CanaryCase.REAL_NAME}",
    )
    restricted_code, deleted_code = hide_two_incidents(session, case.id, viewers)
    session.flush()
    return CanaryCase(
        case_id=case.id,
        victim_id=victim_id,
        witness_id=witness_id,
        relative_id=relative_id,
        detention_code=detention.code,
        raid_code=raid.code,
        undated_code=undated.code,
        restricted_code=restricted_code,
        deleted_code=deleted_code,
        safehouse_id=places["safehouse"],
        baku_id=places["baku"],
        police_id=police_id,
    )
