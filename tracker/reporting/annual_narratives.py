"""Pick the narratives an annual report may print, and withhold the names in them.

A narrative is printed only when the incident is marked publishable, neither it nor anyone
in it is restricted, and every victim granted `narrative_public` (for the dead, a recorded
`organisational_decision` stands in). Names of everyone involved are replaced unless their
bearer granted `name_public` (public level only; the partner level prints pseudonym codes).
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.text import fold_for_search
from tracker.models import Consent, Incident, Involvement, Person, PersonName, RecordRestriction

GRANTED = "granted"
NARRATIVE_SCOPES = ("narrative_public", "name_public", "organisational_decision")
# The report is not an archive: a handful of reviewed accounts, earliest first.
MAX_NARRATIVES = 25
# Name parts shorter than this ("Ə.", "de") are left alone: too many false matches.
MIN_NAME_PART = 3
WORD = re.compile(r"\w+")
PSEUDONYM_IN_TEXT = re.compile(r"\b[VWPSL]-\d{4}-\d{3,}\b")


@dataclass(frozen=True)
class InvolvedPerson:
    person_id: uuid.UUID
    role: str
    pseudonym_code: str
    deceased: bool
    names: tuple[str, ...]  # real name and every recorded name


@dataclass(frozen=True)
class NarrativeSource:
    """A candidate's text and people, loaded in bulk."""

    incident_id: uuid.UUID
    text: str
    persons: tuple[InvolvedPerson, ...]


def load_candidates(session: Session, incident_ids: Collection[uuid.UUID]) -> list[NarrativeSource]:
    """Text and involved persons of publishable incidents that nothing restricts."""
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
    return [
        NarrativeSource(incident_id, texts[incident_id], tuple(persons.get(incident_id, ())))
        for incident_id in allowed
        if texts.get(incident_id, "").strip()
    ]


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
        found[row.incident_id].append(
            InvolvedPerson(row.id, row.role, row.pseudonym_code, row.deceased, all_names)
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


# --- withholding names -----------------------------------------------------------------------


def replacements_for(
    persons: Iterable[InvolvedPerson],
    consents: Mapping[tuple[uuid.UUID, str], str],
    level: DisclosureLevel,
    withheld: str,
) -> list[tuple[str, str]]:
    """(name, what replaces it) for every name the level may not print."""
    pairs: list[tuple[str, str]] = []
    for person in persons:
        named = consents.get((person.person_id, "name_public")) == GRANTED
        if level is DisclosureLevel.PUBLIC and named:
            continue
        replacement = person.pseudonym_code if level is DisclosureLevel.PARTNER else withheld
        pairs.extend((name, replacement) for name in person.names)
    return pairs


def withhold_names(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """Replace each name (compared folded: case, ə/e, ı/i, diacritics ignored) in the text.

    Whole names go first; then any single part of a name (a surname alone), so "Məlikov said"
    loses the surname too.
    """
    words = [
        (match.start(), match.end(), fold_for_search(match.group()))
        for match in WORD.finditer(text)
    ]
    spans: dict[int, tuple[int, str]] = {}  # first word index -> (last word index, replacement)
    covered: set[int] = set()
    for parts, replacement in sorted(name_parts(replacements), key=lambda item: -len(item[0])):
        for index in range(len(words) - len(parts) + 1):
            window = range(index, index + len(parts))
            if covered.isdisjoint(window) and all(
                words[i][2] == part for i, part in zip(window, parts, strict=True)
            ):
                spans[index] = (index + len(parts) - 1, replacement)
                covered.update(window)
    return splice(text, words, spans)


def name_parts(replacements: Sequence[tuple[str, str]]) -> list[tuple[tuple[str, ...], str]]:
    """Each name as folded words, and each long-enough word of it alone."""
    found: list[tuple[tuple[str, ...], str]] = []
    for name, replacement in replacements:
        parts = tuple(WORD.findall(fold_for_search(name)))
        if parts:
            found.append((parts, replacement))
            found.extend(((part,), replacement) for part in parts if len(part) >= MIN_NAME_PART)
    return found


def splice(
    text: str, words: Sequence[tuple[int, int, str]], spans: Mapping[int, tuple[int, str]]
) -> str:
    pieces: list[str] = []
    position = 0
    for first in sorted(spans):
        last, replacement = spans[first]
        pieces.extend((text[position : words[first][0]], replacement))
        position = words[last][1]
    pieces.append(text[position:])
    return "".join(pieces)


def withhold_codes(text: str, withheld: str) -> str:
    """Pseudonym codes leave public documents too (DOMAIN §7)."""
    return PSEUDONYM_IN_TEXT.sub(withheld, text)
