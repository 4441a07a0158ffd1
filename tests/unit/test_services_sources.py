"""Sources, citations, evidence and the append-only custody log."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, TODAY, make_incident, make_person, make_source
from tracker.domain.errors import EditConflict, InvalidDate, InvalidInput, RecordNotFound
from tracker.services import evidence as evidence_service
from tracker.services.audit import history_of
from tracker.services.evidence import (
    add_custody_entry,
    add_evidence,
    advance_evidence_stage,
    custody_alarms,
    custody_log,
    sha256_of,
    update_evidence,
)
from tracker.services.people import delete_person
from tracker.services.sources import (
    citations_of_incident,
    cite,
    delete_source,
    get_citation,
    get_source,
    list_sources,
    remove_citation,
    restore_citation,
    restore_source,
    update_citation,
    update_source,
)

HASH = sha256_of(b"original photo")


def test_source_lifecycle(session: Session) -> None:
    source = make_source(session, published_text="8 March 2023", today=TODAY)
    assert source.reliability == "F"  # unset is "cannot be judged", never A
    assert source.published_on is not None and source.published_on.earliest == date(2023, 3, 8)
    update_source(
        session,
        source_id=source.id,
        expected_version=1,
        changes={"reliability": "B", "published_text": "March 2023"},
        actor_id=ACTOR_ID,
        today=TODAY,
    )
    with pytest.raises(EditConflict):
        update_source(
            session,
            source_id=source.id,
            expected_version=1,
            changes={"reliability": "C"},
            actor_id=ACTOR_ID,
        )
    assert get_source(session, source.id).reliability == "B"
    changes = history_of(session, table_name="source", record_id=source.id)[1].changes
    assert changes["reliability"] == ["F", "B"]
    assert changes["published_on"][1]["original_text"] == "March 2023"
    delete_source(session, source_id=source.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_source(session, source.id)
    restore_source(session, source_id=source.id, expected_version=3, actor_id=ACTOR_ID)
    assert list_sources(session, kind="ngo_report") == [source]


def test_citations_are_graded_apart(session: Session) -> None:
    source = make_source(session, reliability="C")
    incident = make_incident(session)
    citation = cite(
        session,
        source_id=source.id,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        claim="police seized them",
    )
    assert citation.credibility == 6  # unset is "cannot be judged"
    update_citation(
        session,
        citation_id=citation.id,
        expected_version=1,
        changes={"credibility": 3},
        actor_id=ACTOR_ID,
    )
    assert citations_of_incident(session, incident.id) == [citation]
    with pytest.raises(InvalidInput, match="credibility: '7' is not a grade"):
        update_citation(
            session,
            citation_id=citation.id,
            expected_version=2,
            changes={"credibility": 7},
            actor_id=ACTOR_ID,
        )
    assert citation.credibility == 3


def test_removed_citation_comes_back_only_with_its_source(session: Session) -> None:
    source = make_source(session)
    incident = make_incident(session)
    citation = cite(session, source_id=source.id, incident_id=incident.id, actor_id=ACTOR_ID)
    remove_citation(session, citation_id=citation.id, expected_version=1, actor_id=ACTOR_ID)
    assert citations_of_incident(session, incident.id) == []
    with pytest.raises(RecordNotFound):
        get_citation(session, citation.id)
    delete_source(session, source_id=source.id, expected_version=1, actor_id=ACTOR_ID)
    with pytest.raises(InvalidInput, match="source_id: no source"):
        restore_citation(session, citation_id=citation.id, expected_version=2, actor_id=ACTOR_ID)
    restore_source(session, source_id=source.id, expected_version=2, actor_id=ACTOR_ID)
    restore_citation(session, citation_id=citation.id, expected_version=2, actor_id=ACTOR_ID)
    assert citations_of_incident(session, incident.id) == [citation]
    assert [
        entry.action for entry in history_of(session, table_name="citation", record_id=citation.id)
    ] == ["create", "delete", "restore"]


def test_invalid_sources_change_nothing(engine: Engine, session: Session) -> None:
    person = make_person(session)
    delete_person(session, person_id=person.id, expected_version=1, actor_id=ACTOR_ID)
    incident = make_incident(session)
    source = make_source(session)
    session.commit()
    before = table_counts(engine)
    attempts: list[tuple[Any, dict[str, Any], type[Exception], str]] = [
        (make_source, {"reliability": "G"}, InvalidInput, "reliability: 'G' is not a grade"),
        (make_source, {"reliability": "a"}, InvalidInput, "reliability:"),
        (make_source, {"kind": "rumour"}, InvalidInput, "kind: unknown source kind"),
        (make_source, {"contact_person_id": person.id}, InvalidInput, "contact_person_id: no"),
        (make_source, {"published_text": "2099"}, InvalidDate, "published_on:"),
        (
            cite_with,
            {"source_id": source.id, "incident_id": incident.id, "credibility": 0},
            InvalidInput,
            "credibility: '0' is not a grade",
        ),
        (
            cite_with,
            {"source_id": incident.id, "incident_id": incident.id},
            InvalidInput,
            "source_id: no source",
        ),
    ]
    for function, values, error, message in attempts:
        with pytest.raises(error, match=message):
            function(session, **values)
        session.rollback()
    assert table_counts(engine) == before


def cite_with(session: Session, **values: Any) -> Any:
    return cite(session, actor_id=ACTOR_ID, **values)


def test_evidence_hash_is_validated_and_never_changes(engine: Engine, session: Session) -> None:
    evidence = add_evidence(session, kind="photo", sha256=HASH, actor_id=ACTOR_ID)
    session.commit()
    before = table_counts(engine)
    for sha256 in (HASH.upper(), HASH[:-1], "z" * 64, ""):
        with pytest.raises(InvalidInput, match="sha256: a SHA-256 is 64 lowercase"):
            add_evidence(session, kind="photo", sha256=sha256, actor_id=ACTOR_ID)
    with pytest.raises(InvalidInput, match="originals never change"):
        update_evidence(
            session,
            evidence_id=evidence.id,
            expected_version=1,
            changes={"sha256": sha256_of(b"other")},
            actor_id=ACTOR_ID,
        )
    session.rollback()
    assert table_counts(engine) == before


def test_stages_move_only_forward(session: Session) -> None:
    evidence = add_evidence(session, kind="photo", sha256=HASH, actor_id=ACTOR_ID)
    advance_evidence_stage(
        session, evidence_id=evidence.id, stage="collection", expected_version=1, actor_id=ACTOR_ID
    )
    with pytest.raises(InvalidInput, match="stage: evidence moves only forward"):
        advance_evidence_stage(
            session,
            evidence_id=evidence.id,
            stage="online_inquiry",
            expected_version=2,
            actor_id=ACTOR_ID,
        )
    assert evidence.stage == "collection"


def test_custody_is_append_only_and_raises_alarms(session: Session) -> None:
    evidence = add_evidence(session, kind="photo", sha256=HASH, actor_id=ACTOR_ID)
    received = add_custody_entry(
        session,
        evidence_id=evidence.id,
        action="received",
        actor="documenter",
        actor_id=ACTOR_ID,
        occurred_at=datetime(2023, 3, 9, 10, tzinfo=UTC),
        sha256_seen=HASH,
    )
    rehashed = add_custody_entry(
        session,
        evidence_id=evidence.id,
        action="verified",
        actor="lawyer",
        actor_id=ACTOR_ID,
        sha256_seen=sha256_of(b"tampered"),
    )
    assert custody_log(session, evidence.id) == [received, rehashed]
    assert custody_alarms(session, evidence.id) == [rehashed]
    assert evidence.sha256 == HASH  # a differing re-hash never updates the item
    assert not any(
        name.startswith(("update_custody", "delete_custody", "remove_custody"))
        for name in dir(evidence_service)
    )
    with pytest.raises(InvalidInput, match="action: unknown custody action"):
        add_custody_entry(
            session, evidence_id=evidence.id, action="lost", actor="x", actor_id=ACTOR_ID
        )
    with pytest.raises(InvalidInput, match="occurred_at: give the time with its time zone"):
        add_custody_entry(
            session,
            evidence_id=evidence.id,
            action="viewed",
            actor="x",
            actor_id=ACTOR_ID,
            occurred_at=datetime(2023, 3, 9),
        )
