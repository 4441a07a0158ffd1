"""What one snapshot build knows besides its records: level, viewer, labels, consents, places."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from tracker.domain.disclosure import DisclosureLevel, PlaceStep, visible_place_names
from tracker.models import Person, Place, VocabularyTerm
from tracker.models.base import TimestampedRecord
from tracker.reporting.other_names import OtherNames
from tracker.reporting.redaction import Redactor
from tracker.services.consents import GRANTED, consents_of
from tracker.services.places import ancestors_of
from tracker.services.records import live
from tracker.services.restrictions import Viewer, may_view
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
    visibility_cache: dict[tuple[str, uuid.UUID], bool] = field(default_factory=dict)

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
    return SnapshotContext(session, level, viewer, language, labels)


def load_labels(session: Session, language: str) -> dict[tuple[str, str], str]:
    """Every vocabulary label in the language, inactive terms too: old records keep them."""
    terms = session.execute(live(select(VocabularyTerm), VocabularyTerm)).scalars()
    return {(term.vocabulary, term.code): label_for(term, language) for term in terms}


# --- consent: latest wins, none refuses, withdrawal blocks ---------------------------------


def latest_statuses(context: SnapshotContext, person_id: uuid.UUID) -> dict[str, str]:
    """The latest status per scope of one person, read once per build."""
    if person_id not in context.consent_cache:
        statuses: dict[str, str] = {}
        for consent in consents_of(context.session, person_id):  # latest first
            statuses.setdefault(consent.scope, consent.status)
        context.consent_cache[person_id] = statuses
    return context.consent_cache[person_id]


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
    key = (type(record).__name__, record.id)
    if key not in context.visibility_cache:
        allowed = may_view(context.session, context.viewer, type(record), record.id)
        context.visibility_cache[key] = allowed
    return context.visibility_cache[key]


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
