"""What one snapshot build knows besides its records: level, viewer, labels, consents, places."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.disclosure import DisclosureLevel, PlaceStep, visible_place_names
from tracker.models import Consent, Organisation, Person, Place, VocabularyTerm
from tracker.models.base import TimestampedRecord
from tracker.reporting.other_names import OtherNames
from tracker.reporting.redaction import Redactor
from tracker.services.consents import GRANTED, consents_of, consents_of_people
from tracker.services.people import names_of_people
from tracker.services.places import ancestors_of
from tracker.services.records import id_chunks, live, table_name_of
from tracker.services.restrictions import Viewer, restrictions_by_record
from tracker.services.vocabularies import label_for

WITHDRAWN = "withdrawn"
# For the dead, the organisation's recorded decision stands in for consent (DOMAIN §2).
STAND_IN_SCOPE = "organisational_decision"


@dataclass(frozen=True)
class SnapshotContext:
    """Everything a whitelisting function may consult; caches live for one build only."""

    session: Session
    level: DisclosureLevel
    viewer: Viewer
    language: str
    labels: dict[tuple[str, str], str]
    redactor: Redactor = field(default_factory=Redactor)
    other_names: OtherNames = field(default_factory=OtherNames)
    consent_cache: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)
    place_cache: dict[uuid.UUID, str] = field(default_factory=dict)
    # None when the viewer sees every record; else every live restriction, read once.
    restrictions: dict[tuple[str, uuid.UUID], frozenset[uuid.UUID]] | None = None
    names_cache: dict[uuid.UUID, tuple[str, ...]] = field(default_factory=dict)
    # Rows read ahead in a few queries, held here so the session's identity map keeps them.
    kept: list[object] = field(default_factory=list)

    def label(self, vocabulary: str, code: str | None) -> str:
        """The code's label in the snapshot's language; an unknown code prints as itself."""
        if not code:
            return ""
        return self.labels.get((vocabulary, code), code)

    def redact(self, text: str) -> str:
        """The text with the snapshot's people as the level allows, then everyone else's
        names withheld."""
        return self.other_names.redact(self.redactor.redact(text))


def make_context(
    session: Session, *, level: DisclosureLevel, viewer: Viewer, language: str
) -> SnapshotContext:
    labels = load_labels(session, language)
    restrictions = None if viewer.sees_every_record else restrictions_by_record(session)
    return SnapshotContext(session, level, viewer, language, labels, restrictions=restrictions)


def load_labels(session: Session, language: str) -> dict[tuple[str, str], str]:
    """Every vocabulary label in the language, inactive terms too: old records keep them."""
    terms = session.execute(live(select(VocabularyTerm), VocabularyTerm)).scalars()
    return {(term.vocabulary, term.code): label_for(term, language) for term in terms}


# --- consent: latest wins, none refuses, withdrawal blocks ---------------------------------


def latest_statuses(context: SnapshotContext, person_id: uuid.UUID) -> dict[str, str]:
    """The latest status per scope of one person, read once per build."""
    if person_id not in context.consent_cache:
        context.consent_cache[person_id] = latest_per_scope(consents_of(context.session, person_id))
    return context.consent_cache[person_id]


def latest_per_scope(consents: Iterable[Consent]) -> dict[str, str]:
    """Each scope's status from decisions given latest first."""
    statuses: dict[str, str] = {}
    for consent in consents:
        statuses.setdefault(consent.scope, consent.status)
    return statuses


def read_ahead_people(context: SnapshotContext, person_ids: Iterable[uuid.UUID]) -> None:
    """Consents and names of many people in a few queries, instead of a few per person."""
    wanted = sorted(set(person_ids) - set(context.consent_cache))
    for person_id, consents in consents_of_people(context.session, wanted).items():
        context.consent_cache[person_id] = latest_per_scope(consents)
    wanted = sorted(set(person_ids) - set(context.names_cache))
    for person_id, names in names_of_people(context.session, wanted).items():
        context.names_cache[person_id] = tuple(name.text for name in names)


def known_names(context: SnapshotContext, person_id: uuid.UUID) -> tuple[str, ...]:
    """The person's other recorded names (aliases, spellings), read once per build."""
    if person_id not in context.names_cache:
        read_ahead_people(context, [person_id])
    return context.names_cache[person_id]


def read_ahead_chains(
    context: SnapshotContext, model: type[Place] | type[Organisation], ids: Iterable[uuid.UUID]
) -> None:
    """Rows and all their parents in one query per generation, kept for the build, so the
    session.get calls that follow a chain find them in the identity map."""
    wanted = sorted(set(ids))
    seen: set[uuid.UUID] = set()
    while wanted:
        seen.update(wanted)
        rows: list[Place | Organisation] = []
        for chunk in id_chunks(wanted):
            statement = select(model).where(col(model.id).in_(chunk))
            rows.extend(context.session.execute(statement).scalars())
        context.kept.extend(rows)
        wanted = sorted({row.parent_id for row in rows if row.parent_id} - seen)


def consents_to(context: SnapshotContext, person: Person, scope: str) -> bool:
    """Whether the person's consent for the scope holds now.

    The person's own latest decision wins; with none recorded, a deceased person's
    organisational decision stands in. A withdrawal or refusal is never overridden.
    """
    own = latest_statuses(context, person.id).get(scope)
    if own is not None:
        return own == GRANTED
    stand_in = latest_statuses(context, person.id).get(STAND_IN_SCOPE)
    return person.deceased and stand_in == GRANTED


def viewer_may_see(context: SnapshotContext, record: TimestampedRecord) -> bool:
    """Whether a record restricted to named users is open to this viewer."""
    if context.restrictions is None:
        return True
    users = context.restrictions.get((table_name_of(type(record)), record.id))
    return not users or context.viewer.user_id in users


# --- places: the chain cut at the level's precision ----------------------------------------


def place_label(context: SnapshotContext, place_id: uuid.UUID | None) -> str:
    """The place and its parents down to the level's precision, e.g. "Nasimi, Baku, Azerbaijan"."""
    if place_id is None:
        return ""
    if place_id not in context.place_cache:
        context.place_cache[place_id] = ", ".join(place_names(context, place_id))
    return context.place_cache[place_id]


def place_names(context: SnapshotContext, place_id: uuid.UUID) -> tuple[str, ...]:
    place = context.session.get(Place, place_id)
    if place is None:
        return ()
    chain = [place, *ancestors_of(context.session, place)]
    steps = [PlaceStep(node.name, node.geo_precision, node.sensitive) for node in chain]
    return visible_place_names(steps, context.level)
