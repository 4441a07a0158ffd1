"""Two editors of one record, in every family: the later save of a stale version is refused."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from tests import factories
from tests.factories import ACTOR_ID
from tracker.db import unit_of_work
from tracker.domain.errors import EditConflict
from tracker.models import (
    AuditEntry,
    Campaign,
    Case,
    Citation,
    Evidence,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    Person,
    Place,
    Source,
    VocabularyTerm,
)
from tracker.models.base import TimestampedRecord
from tracker.services import (
    campaigns,
    cases,
    evidence,
    involvements,
    links,
    organisations,
    people,
    places,
    sources,
    vocabularies,
)
from tracker.services.audit import history_of
from tracker.services.records import get_record

EDITOR_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
EDITOR_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")
# Every family's update takes (session, record id, changes, actor) and saves over version 1.
Change = Callable[[Session, uuid.UUID, dict[str, Any], uuid.UUID], object]


@dataclass(frozen=True)
class Family:
    make: Callable[[Session], TimestampedRecord]
    model: type[TimestampedRecord]
    change: Change
    field: str


def service_update(function: Callable[..., object], id_argument: str) -> Change:
    """Call a family's own update service with the record id under its own name."""

    def change(
        session: Session, record_id: uuid.UUID, changes: dict[str, Any], actor: uuid.UUID
    ) -> object:
        return function(
            session,
            **{id_argument: record_id},
            expected_version=1,
            changes=changes,
            actor_id=actor,
        )

    return change


def update_link_note(
    session: Session, record_id: uuid.UUID, changes: dict[str, Any], actor: uuid.UUID
) -> object:
    return links.update_link_note(
        session, link_id=record_id, expected_version=1, note=changes["note"], actor_id=actor
    )


FAMILIES = {
    "place": Family(
        factories.make_place,
        Place,
        service_update(places.update_place, "place_id"),
        "name",
    ),
    "organisation": Family(
        factories.make_organisation,
        Organisation,
        service_update(organisations.update_organisation, "organisation_id"),
        "name",
    ),
    "person": Family(
        factories.make_person,
        Person,
        service_update(people.update_person, "person_id"),
        "description",
    ),
    "source": Family(
        factories.make_source,
        Source,
        service_update(sources.update_source, "source_id"),
        "title",
    ),
    "citation": Family(
        factories.make_citation,
        Citation,
        service_update(sources.update_citation, "citation_id"),
        "claim",
    ),
    "evidence": Family(
        factories.make_evidence,
        Evidence,
        service_update(evidence.update_evidence, "evidence_id"),
        "title",
    ),
    "case": Family(
        factories.make_case,
        Case,
        service_update(cases.update_case, "case_id"),
        "title",
    ),
    "legal action": Family(
        factories.make_legal_action,
        LegalAction,
        service_update(cases.update_legal_action, "legal_action_id"),
        "forum",
    ),
    "involvement": Family(
        factories.make_involvement,
        Involvement,
        service_update(involvements.update_involvement, "involvement_id"),
        "notes",
    ),
    "incident link": Family(factories.make_link, IncidentLink, update_link_note, "note"),
    "campaign": Family(
        factories.make_campaign,
        Campaign,
        service_update(campaigns.update_campaign, "campaign_id"),
        "name",
    ),
    "vocabulary term": Family(
        factories.make_term,
        VocabularyTerm,
        service_update(vocabularies.update_term, "term_id"),
        "label_en",
    ),
}


def create_in_own_transaction(engine: Engine, family: Family) -> uuid.UUID:
    with unit_of_work(engine) as session:
        return family.make(session).id


@pytest.mark.parametrize("keeps_stale_copy", [False, True], ids=["reloaded", "stale-copy"])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_stale_save_is_refused_and_the_first_save_stands(
    engine: Engine, name: str, keeps_stale_copy: bool
) -> None:
    """A reloaded record shows the service checks the version it was given; a stale copy in
    memory shows the check also sits inside the UPDATE."""
    family = FAMILIES[name]
    record_id = create_in_own_transaction(engine, family)
    with (
        Session(engine, expire_on_commit=not keeps_stale_copy) as editor_a,
        Session(engine) as editor_b,
    ):
        # Held, so the session's identity map keeps A's copy of version 1 alive.
        seen_by_a = get_record(editor_a, family.model, record_id)
        assert seen_by_a.version == 1
        editor_a.commit()  # release SQLite's lock: writers take BEGIN IMMEDIATE
        family.change(editor_b, record_id, {family.field: "B's value"}, EDITOR_B)
        editor_b.commit()
        with pytest.raises(EditConflict):
            family.change(editor_a, record_id, {family.field: "A's value"}, EDITOR_A)
        assert seen_by_a.version == (1 if keeps_stale_copy else 2)
        editor_a.rollback()
    with Session(engine) as session:
        assert_b_saved(session, family, record_id)


def assert_b_saved(session: Session, family: Family, record_id: uuid.UUID) -> None:
    """The record holds B's value at version 2, and the log holds B's change and none of A's."""
    stored = get_record(session, family.model, record_id)
    assert (getattr(stored, family.field), stored.version) == ("B's value", 2)
    history = history_of(session, table_name=str(family.model.__tablename__), record_id=record_id)
    assert [(entry.action, entry.actor_id) for entry in history] == [
        ("create", ACTOR_ID),
        ("update", EDITOR_B),
    ]
    assert history[-1].changes[family.field][1] == "B's value"
    by_a = select(func.count()).where(col(AuditEntry.actor_id) == EDITOR_A)
    assert session.execute(by_a).scalar() == 0
