"""Incident links: types, no self-links, symmetric same_operation, retaliation order, duplicates."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident
from tracker.domain.errors import InvalidInput
from tracker.models import Incident, IncidentLink
from tracker.services.links import (
    canonical_of,
    link_incidents,
    links_of,
    restore_link,
    unlink_incidents,
    update_link_note,
)


def linked(session: Session, source: Incident, target: Incident, link_type: str) -> IncidentLink:
    """Link two incidents as the test's documenter."""
    return link_incidents(
        session,
        from_incident_id=source.id,
        to_incident_id=target.id,
        link_type=link_type,
        actor_id=ACTOR_ID,
    )


def test_link_and_unlink(session: Session) -> None:
    first = make_incident(session, start_text="2017")
    second = make_incident(session, start_text="2019")
    link = linked(session, first, second, "precedes")
    assert links_of(session, second.id) == [link]
    unlink_incidents(session, link_id=link.id, expected_version=1, actor_id=ACTOR_ID)
    assert links_of(session, first.id) == []
    # Once unlinked, the same link may be made again.
    linked(session, first, second, "precedes")


def test_duplicates_point_to_the_canonical_record(session: Session) -> None:
    canonical, copy, third = (make_incident(session) for _ in range(3))
    linked(session, copy, canonical, "duplicate_of")
    assert canonical_of(session, copy.id) == canonical.id
    assert canonical_of(session, canonical.id) == canonical.id
    with pytest.raises(InvalidInput, match="itself a duplicate; link to its canonical"):
        linked(session, third, copy, "duplicate_of")
    with pytest.raises(InvalidInput, match="already marked a duplicate"):
        linked(session, copy, third, "duplicate_of")
    with pytest.raises(InvalidInput, match="it is canonical"):
        linked(session, canonical, third, "duplicate_of")


def test_retaliation_may_answer_an_act_that_started_earlier(session: Session) -> None:
    speech = make_incident(session, start_text="March 2023")
    reprisal = make_incident(session, start_text="between 1 and 20 March 2023")
    linked(session, reprisal, speech, "retaliation_for")


@pytest.mark.parametrize(
    ("first_date", "second_date", "link_type", "reverse_first", "message"),
    [
        ("2017", "2017", "same_operation", True, "already linked as same_operation"),
        ("2017", "2017", "precedes", False, "already linked as precedes"),
        ("2017", "2019", "retaliation_for", False, "starts after INC-000001 ends"),
        ("2017", "2017", "sideways", False, "link_type: unknown link type"),
    ],
)
def test_refused_links_change_nothing(
    engine: Engine,
    session: Session,
    first_date: str,
    second_date: str,
    link_type: str,
    reverse_first: bool,
    message: str,
) -> None:
    first = make_incident(session, start_text=first_date)
    second = make_incident(session, start_text=second_date)
    if link_type in ("same_operation", "precedes"):
        link_incidents(
            session,
            from_incident_id=second.id if reverse_first else first.id,
            to_incident_id=first.id if reverse_first else second.id,
            link_type=link_type,
            actor_id=ACTOR_ID,
        )
    session.commit()
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        link_incidents(
            session,
            from_incident_id=first.id,
            to_incident_id=second.id,
            link_type=link_type,
            actor_id=ACTOR_ID,
        )
    session.rollback()
    assert table_counts(engine) == before


def test_no_self_links(session: Session) -> None:
    incident = make_incident(session)
    with pytest.raises(InvalidInput, match="cannot be linked to itself"):
        linked(session, incident, incident, "precedes")


def test_note_changes_and_unlinked_links_come_back(session: Session) -> None:
    first, second = make_incident(session), make_incident(session)
    link = linked(session, first, second, "precedes")
    update_link_note(
        session, link_id=link.id, expected_version=1, note="S1 says so", actor_id=ACTOR_ID
    )
    unlink_incidents(session, link_id=link.id, expected_version=2, actor_id=ACTOR_ID)
    restore_link(session, link_id=link.id, expected_version=3, actor_id=ACTOR_ID)
    assert links_of(session, first.id) == [link]
    assert link.note == "S1 says so"


def test_a_link_made_again_meanwhile_blocks_the_restore(session: Session) -> None:
    first, second = make_incident(session), make_incident(session)
    old = linked(session, first, second, "precedes")
    unlink_incidents(session, link_id=old.id, expected_version=1, actor_id=ACTOR_ID)
    linked(session, first, second, "precedes")
    with pytest.raises(InvalidInput, match="already linked"):
        restore_link(session, link_id=old.id, expected_version=2, actor_id=ACTOR_ID)
