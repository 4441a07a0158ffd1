"""Pick the narratives an annual report may print, and withhold the names in them.

A narrative is printed only when the incident is marked publishable, neither it nor anyone
in it is restricted, and every victim granted `narrative_public` (for the dead, a recorded
`organisational_decision` stands in). Names of everyone involved are replaced unless their
bearer granted `name_public` (public level only; the partner level prints pseudonym codes),
by tracker.reporting.redaction, the helper the timelines and dossiers use.
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.disclosure import DisclosureLevel
from tracker.models import Consent, Incident, Involvement, Person, PersonName, RecordRestriction
from tracker.reporting.labels import label
from tracker.reporting.other_names import OtherNames, other_names
from tracker.reporting.redaction import NameRule, WithheldMarkers, build_redactor

GRANTED = "granted"
NARRATIVE_SCOPES = ("narrative_public", "name_public", "organisational_decision")
# The report is not an archive: a handful of reviewed accounts, earliest first.
MAX_NARRATIVES = 25
PSEUDONYM_IN_TEXT = re.compile(r"\b[VWPSL]-\d{4}-\d{3,}\b")


@dataclass(frozen=True)
class InvolvedPerson:
    person_id: uuid.UUID
    role: str
    pseudonym_code: str
    deceased: bool
    names: tuple[str, ...]  # real name and every recorded name
    contacts: tuple[str, ...] = ()  # contact details and exact address, as typed


@dataclass(frozen=True)
class NarrativeSource:
    """A candidate's text and people, loaded in bulk."""

    incident_id: uuid.UUID
    text: str
    persons: tuple[InvolvedPerson, ...]


def load_candidates(session: Session, incident_ids: Collection[uuid.UUID]) -> list[NarrativeSource]:
    """Text and involved persons of publishable incidents that nothing restricts.

    The names of people outside each incident are withheld from its text already: their
    consent to this narrative was never asked (tracker.reporting.other_names).
    """
    allowed = sorted(set(incident_ids) - restricted_ids(session, "incident", incident_ids))
    texts = {
        row.id: (row.narrative or row.summary)
        for row in session.execute(
            select(col(Incident.id), col(Incident.narrative), col(Incident.summary)).where(
                col(Incident.id).in_(allowed)
            )
        )
    }
    persons = involved_persons(session, allowed)
    everyone = other_names(session, known_codes=set(), by_code=False)  # one index, one query
    return [
        candidate(everyone, incident_id, texts[incident_id], persons.get(incident_id, []))
        for incident_id in allowed
        if texts.get(incident_id, "").strip()
    ]


def candidate(
    everyone: OtherNames, incident_id: uuid.UUID, text: str, persons: Sequence[InvolvedPerson]
) -> NarrativeSource:
    known = frozenset(person.pseudonym_code for person in persons)
    others = replace(everyone, known_codes=known)
    return NarrativeSource(incident_id, others.redact(text), tuple(persons))


def restricted_ids(
    session: Session, table_name: str, record_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Records among these with a live restriction: never shown, whoever asks."""
    statement = select(col(RecordRestriction.record_id)).where(
        col(RecordRestriction.table_name) == table_name,
        col(RecordRestriction.record_id).in_(sorted(record_ids)),
        col(RecordRestriction.deleted_at).is_(None),
    )
    return set(session.execute(statement).scalars())


def involved_persons(
    session: Session, incident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InvolvedPerson]]:
    statement = (
        select(
            col(Involvement.incident_id),
            col(Involvement.role),
            col(Person.id),
            col(Person.pseudonym_code),
            col(Person.deceased),
            col(Person.real_name),
            col(Person.contact_info),
            col(Person.exact_address),
        )
        .join(Person, col(Person.id) == col(Involvement.person_id))
        .where(col(Involvement.incident_id).in_(incident_ids))
        .where(col(Involvement.deleted_at).is_(None))
    )
    rows = session.execute(statement).all()
    names = recorded_names(session, [row.id for row in rows])
    found: dict[uuid.UUID, list[InvolvedPerson]] = defaultdict(list)
    for row in rows:
        all_names = tuple(name for name in (row.real_name, *names.get(row.id, ())) if name)
        contacts = tuple(text for text in (row.contact_info, row.exact_address) if text)
        found[row.incident_id].append(
            InvolvedPerson(row.id, row.role, row.pseudonym_code, row.deceased, all_names, contacts)
        )
    return found


def recorded_names(session: Session, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Every name recorded for the persons, deleted ones too: a name once typed stays a name."""
    statement = select(col(PersonName.person_id), col(PersonName.text)).where(
        col(PersonName.person_id).in_(sorted(set(person_ids)))
    )
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for person_id, text in session.execute(statement):
        names[person_id].append(text)
    return names


def current_consents(
    session: Session, person_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], str]:
    """The status holding now per (person, scope): the latest decision wins."""
    statement = (
        select(col(Consent.person_id), col(Consent.scope), col(Consent.status))
        .where(col(Consent.person_id).in_(sorted(set(person_ids))))
        .where(col(Consent.scope).in_(NARRATIVE_SCOPES), col(Consent.deleted_at).is_(None))
        .order_by(col(Consent.decided_on), col(Consent.created_at))
    )
    # Ordered oldest first, so each later decision overwrites the one before.
    return {(row.person_id, row.scope): row.status for row in session.execute(statement)}


def may_publish(
    source: NarrativeSource,
    consents: Mapping[tuple[uuid.UUID, str], str],
    restricted_persons: Collection[uuid.UUID],
) -> bool:
    """Every victim consented and nobody involved is restricted."""
    if any(person.person_id in restricted_persons for person in source.persons):
        return False
    return all(
        narrative_consented(person, consents)
        for person in source.persons
        if person.role == "victim"
    )


def narrative_consented(
    person: InvolvedPerson, consents: Mapping[tuple[uuid.UUID, str], str]
) -> bool:
    if consents.get((person.person_id, "narrative_public")) == GRANTED:
        return True
    decided = consents.get((person.person_id, "organisational_decision")) == GRANTED
    return person.deceased and decided


# --- withholding names: through tracker.reporting.redaction, the one redaction helper ---------


def name_rules(
    persons: Iterable[InvolvedPerson],
    consents: Mapping[tuple[uuid.UUID, str], str],
    level: DisclosureLevel,
    withheld: str,
) -> tuple[NameRule, ...]:
    """A rule for everyone whose names the level may not print: at the public level the
    withheld marker unless they granted `name_public`; at the partner level their code."""
    rules: list[NameRule] = []
    for person in persons:
        named = consents.get((person.person_id, "name_public")) == GRANTED
        if level is DisclosureLevel.PUBLIC and named:
            continue
        replacement = person.pseudonym_code if level is DisclosureLevel.PARTNER else withheld
        if person.names:
            rules.append(NameRule(person.names, replacement))
    return tuple(rules)


def withheld_markers(language: str) -> WithheldMarkers:
    return WithheldMarkers(
        name=label("name_withheld", language),
        contact=label("contact_withheld", language),
        date=label("date_withheld", language),
        time=label("time_withheld", language),
    )


def narrative_text(
    source: NarrativeSource,
    consents: Mapping[tuple[uuid.UUID, str], str],
    level: DisclosureLevel,
    language: str,
) -> str:
    """The narrative as the level may print it: names withheld (or coded at the partner
    level), the people's known contacts and addresses, any phone number or e-mail, and
    day-precise dates and times withheld (both levels show months at most, DOMAIN §7);
    at the public level pseudonym codes too."""
    markers = withheld_markers(language)
    redactor = build_redactor(
        name_rules(source.persons, consents, level, markers.name),
        withheld_strings=[text for person in source.persons for text in person.contacts],
        scrub_contacts=True,
        scrub_days=True,
        markers=markers,
    )
    text = redactor.redact(source.text)
    return withhold_codes(text, markers.name) if level is DisclosureLevel.PUBLIC else text


def withhold_codes(text: str, withheld: str) -> str:
    """Pseudonym codes leave public documents too (DOMAIN §7)."""
    return PSEUDONYM_IN_TEXT.sub(withheld, text)
