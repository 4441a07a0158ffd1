"""People: pseudonym codes, names, consent, duplicates, merge and its undo."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_case, make_incident, make_person, make_source
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.models import CaseClient, Consent, Involvement, Person, PersonName, Source
from tracker.models.base import utc_now
from tracker.services.audit import history_of
from tracker.services.cases import add_client
from tracker.services.consents import current_consent, record_consent
from tracker.services.involvements import InvolvementDraft, add_involvement
from tracker.services.merges import merge_persons, merges_of_person, undo_merge
from tracker.services.people import (
    add_person_name,
    delete_person,
    find_people_by_name,
    get_person,
    list_people,
    names_of,
    restore_person,
    suggest_duplicates,
    update_person,
)

THIS_YEAR = utc_now().year


def test_pseudonym_codes_follow_letter_and_year(session: Session) -> None:
    assert make_person(session).pseudonym_code == f"V-{THIS_YEAR}-001"
    assert make_person(session).pseudonym_code == f"V-{THIS_YEAR}-002"
    assert make_person(session, role_letter="W").pseudonym_code == f"W-{THIS_YEAR}-001"
    assert make_person(session, first_recorded_year=2017).pseudonym_code == "V-2017-001"


def test_pseudonym_codes_are_never_reused_and_grow_past_999(session: Session) -> None:
    person = make_person(session, first_recorded_year=2017)
    delete_person(session, person_id=person.id, expected_version=1, actor_id=ACTOR_ID)
    assert make_person(session, first_recorded_year=2017).pseudonym_code == "V-2017-002"
    session.execute(
        update(Person).where(col(Person.id) == person.id).values(pseudonym_code="V-2017-999")
    )
    assert make_person(session, first_recorded_year=2017).pseudonym_code == "V-2017-1000"
    assert make_person(session, first_recorded_year=2017).pseudonym_code == "V-2017-1001"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"role_letter": "X"}, "role_letter: use V victim"),
        ({"first_recorded_year": 3017}, "first_recorded_year:"),
        ({"age_band": "old"}, "age_band: unknown age band 'old'"),
        ({"names": ["ok", ""]}, "text: a name cannot be empty"),
    ],
)
def test_invalid_people_change_nothing(
    engine: Engine, session: Session, values: dict[str, Any], message: str
) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        make_person(session, **values)
    session.rollback()
    assert table_counts(engine) == before


def test_get_list_update_delete_restore(session: Session) -> None:
    person = make_person(session, age_band="25_34")
    assert get_person(session, person.id).age_band == "25_34"
    update_person(
        session,
        person_id=person.id,
        expected_version=1,
        changes={"description": "activist"},
        actor_id=ACTOR_ID,
    )
    assert person.version == 2
    with pytest.raises(EditConflict):
        update_person(
            session,
            person_id=person.id,
            expected_version=1,
            changes={"description": "stale"},
            actor_id=ACTOR_ID,
        )
    with pytest.raises(InvalidInput, match="read-only fields pseudonym_code"):
        update_person(
            session,
            person_id=person.id,
            expected_version=2,
            changes={"pseudonym_code": "V-2000-001"},
            actor_id=ACTOR_ID,
        )
    delete_person(session, person_id=person.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_person(session, person.id)
    assert list_people(session) == []
    restore_person(session, person_id=person.id, expected_version=3, actor_id=ACTOR_ID)
    assert list_people(session) == [person]
    assert [
        entry.action for entry in history_of(session, table_name="person", record_id=person.id)
    ] == ["create", "update", "delete", "restore"]


def test_names_keep_their_spelling_and_match_when_folded(session: Session) -> None:
    ali = make_person(session, names=["Əli Məlikov"])
    add_person_name(session, person_id=ali.id, text="Али Меликов", actor_id=ACTOR_ID)
    other = make_person(session, names=["Cavid Nəbiyev"])
    assert [name.text for name in names_of(session, ali.id)] == ["Əli Məlikov", "Али Меликов"]
    assert [name.script for name in names_of(session, ali.id)] == ["latn", "cyrl"]
    assert find_people_by_name(session, "eli melikov") == [ali]
    assert find_people_by_name(session, "ƏLİ MƏLİKOV") == [ali]
    assert find_people_by_name(session, "Cavid Nabiyev") == []
    assert find_people_by_name(session, "Cavid Nebiyev") == [other]


def test_suggest_duplicates_by_folded_name(session: Session) -> None:
    first = make_person(session, names=["Cavid Nəbiyev"])
    second = make_person(session, names=["cavid nebiyev"])
    make_person(session, names=["Cavid Nabiyev"])
    assert suggest_duplicates(session, first.id) == [second]


def test_consent_latest_wins_and_none_means_refused(session: Session) -> None:
    person = make_person(session)
    assert current_consent(session, person.id, "legal_filing") == "refused"
    record_consent(
        session,
        person_id=person.id,
        scope="legal_filing",
        status="granted",
        decided_on=date(2023, 1, 5),
        method="in person",
        actor_id=ACTOR_ID,
    )
    assert current_consent(session, person.id, "legal_filing") == "granted"
    record_consent(
        session,
        person_id=person.id,
        scope="legal_filing",
        status="withdrawn",
        decided_on=date(2023, 6, 1),
        method="signal call",
        actor_id=ACTOR_ID,
    )
    record_consent(
        session,
        person_id=person.id,
        scope="legal_filing",
        status="granted",
        decided_on=date(2023, 2, 1),
        method="entered late",
        actor_id=ACTOR_ID,
    )
    assert current_consent(session, person.id, "legal_filing") == "withdrawn"
    assert current_consent(session, person.id, "name_public") == "refused"


def test_invalid_consent_changes_nothing(engine: Engine, session: Session) -> None:
    person = make_person(session)
    session.commit()
    before = table_counts(engine)
    attempts: list[tuple[dict[str, Any], str]] = [
        ({"scope": "everything"}, "scope: unknown consent scope"),
        ({"status": "maybe"}, "status: unknown consent status"),
        ({"scope": "organisational_decision"}, "only for the deceased"),
        ({"decided_on": date(2999, 1, 1)}, "decided_on: "),
    ]
    for values, message in attempts:
        arguments: dict[str, Any] = {
            "scope": "legal_filing",
            "status": "granted",
            "decided_on": date(2023, 1, 1),
            **values,
        }
        with pytest.raises(InvalidInput, match=message):
            record_consent(session, person_id=person.id, method="x", actor_id=ACTOR_ID, **arguments)
        session.rollback()
    assert table_counts(engine) == before


def test_sensitive_fields_need_consent(session: Session) -> None:
    person = make_person(session)
    with pytest.raises(InvalidInput, match="gender_identity: record the person's"):
        update_person(
            session,
            person_id=person.id,
            expected_version=1,
            changes={"gender_identity": "trans woman"},
            actor_id=ACTOR_ID,
        )
    record_consent(
        session,
        person_id=person.id,
        scope="record_sensitive",
        status="granted",
        decided_on=date(2023, 1, 5),
        method="in person",
        actor_id=ACTOR_ID,
    )
    update_person(
        session,
        person_id=person.id,
        expected_version=1,
        changes={"gender_identity": "trans woman"},
        actor_id=ACTOR_ID,
    )
    assert person.gender_identity == "trans woman"


@pytest.mark.parametrize(("decision", "allowed"), [("granted", True), ("refused", False)])
def test_organisational_decision_stands_in_for_the_deceased(
    session: Session, decision: str, allowed: bool
) -> None:
    person = make_person(session, deceased=True)
    record_consent(
        session,
        person_id=person.id,
        scope="organisational_decision",
        status=decision,
        decided_on=date(2023, 1, 5),
        method="board decision",
        actor_id=ACTOR_ID,
    )
    arguments: dict[str, Any] = {
        "person_id": person.id,
        "expected_version": 1,
        "changes": {"sexual_orientation": "gay"},
        "actor_id": ACTOR_ID,
    }
    if allowed:
        assert update_person(session, **arguments).sexual_orientation == "gay"
        return
    with pytest.raises(InvalidInput, match="sexual_orientation: record the person's"):
        update_person(session, **arguments)


def person_rows(session: Session) -> set[tuple[str, str, str | None]]:
    """Every row naming a person, with that person's id and deletion mark."""
    rows: set[tuple[str, str, str | None]] = set()
    for model, column in (
        (PersonName, "person_id"),
        (Involvement, "person_id"),
        (Consent, "person_id"),
        (CaseClient, "person_id"),
        (Source, "contact_person_id"),
    ):
        for row in session.execute(select(model)).scalars():
            rows.add((str(row.id), str(getattr(row, column)), str(row.deleted_at)))
    for person in session.execute(select(Person)).scalars():
        rows.add((str(person.id), str(person.merged_into_id), str(person.deleted_at)))
    return rows


def merge_scene(session: Session) -> tuple[Person, Person]:
    survivor = make_person(session, names=["Ali Malikov"])
    merged = make_person(session, names=["Əli Məlikov", "Али"])
    incident = make_incident(session)
    add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="victim", person_id=merged.id),
    )
    add_involvement(
        session,
        incident_id=incident.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="witness", person_id=survivor.id),
    )
    record_consent(
        session,
        person_id=merged.id,
        scope="legal_filing",
        status="granted",
        decided_on=date(2023, 1, 5),
        method="in person",
        actor_id=ACTOR_ID,
    )
    add_client(session, case_id=make_case(session).id, person_id=merged.id, actor_id=ACTOR_ID)
    make_source(session, kind="victim_testimony", contact_person_id=merged.id)
    return survivor, merged


def test_merge_moves_everything_and_undo_puts_it_back(session: Session) -> None:
    survivor, merged = merge_scene(session)
    before = person_rows(session)
    merge = merge_persons(
        session,
        survivor_id=survivor.id,
        merged_id=merged.id,
        reason="same interview",
        actor_id=ACTOR_ID,
    )
    assert [name.text for name in names_of(session, survivor.id)] == [
        "Ali Malikov",
        "Əli Məlikov",
        "Али",
    ]
    assert current_consent(session, survivor.id, "legal_filing") == "granted"
    assert merged.merged_into_id == survivor.id and merged.is_deleted
    assert {table: len(ids) for table, ids in merge.snapshot.items()} == {
        "person_name": 2,
        "involvement": 1,
        "consent": 1,
        "case_client": 1,
        "source": 1,
    }
    assert find_people_by_name(session, "Али") == [survivor]
    assert merges_of_person(session, survivor.id) == merges_of_person(session, merged.id) == [merge]
    undo_merge(session, merge_id=merge.id, actor_id=ACTOR_ID)
    assert person_rows(session) == before
    assert merge.undone_at is not None
    with pytest.raises(InvalidInput, match="already undone"):
        undo_merge(session, merge_id=merge.id, actor_id=ACTOR_ID)


def test_merge_is_audited(session: Session) -> None:
    survivor, merged = merge_scene(session)
    merge = merge_persons(
        session,
        survivor_id=survivor.id,
        merged_id=merged.id,
        reason="same interview",
        actor_id=ACTOR_ID,
    )
    moved_name = names_of(session, survivor.id)[1]
    entry = history_of(session, table_name="person_name", record_id=moved_name.id)[-1]
    assert entry.action == "merge" and entry.reason == "same interview"
    assert entry.changes["person_id"] == [str(merged.id), str(survivor.id)]
    assert history_of(session, table_name="person_merge", record_id=merge.id)[0].action == (
        "create"
    )


def test_refused_merges_change_nothing(engine: Engine, session: Session) -> None:
    survivor, merged = merge_scene(session)
    incident = make_incident(session)
    for person in (survivor, merged):
        add_involvement(
            session,
            incident_id=incident.id,
            actor_id=ACTOR_ID,
            draft=InvolvementDraft(role="victim", person_id=person.id),
        )
    session.commit()
    before = table_counts(engine)
    for survivor_id, merged_id, reason, message in [
        (survivor.id, survivor.id, "x", "into themselves"),
        (survivor.id, merged.id, "x", "both people are victim"),
        (survivor.id, merged.id, " ", "reason:"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            merge_persons(
                session,
                survivor_id=survivor_id,
                merged_id=merged_id,
                reason=reason,
                actor_id=ACTOR_ID,
            )
        session.rollback()
    assert table_counts(engine) == before


def test_merged_person_cannot_be_restored_directly(session: Session) -> None:
    survivor = make_person(session)
    merged = make_person(session)
    merge_persons(
        session, survivor_id=survivor.id, merged_id=merged.id, reason="same", actor_id=ACTOR_ID
    )
    with pytest.raises(InvalidInput, match="undo the merge"):
        restore_person(
            session, person_id=merged.id, expected_version=merged.version, actor_id=ACTOR_ID
        )
