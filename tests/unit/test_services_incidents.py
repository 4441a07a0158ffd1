"""Incidents: record, read, list with filters, update with version checks, delete, restore."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, TODAY, make_case, make_incident, make_person, make_place
from tracker.domain.dates import DatePrecision, DateQualifier
from tracker.domain.errors import EditConflict, InvalidDate, InvalidInput, RecordNotFound
from tracker.models import AuditEntry, Incident
from tracker.services.audit import history_of
from tracker.services.cases import add_incident_to_case
from tracker.services.incident_queries import (
    DateMatch,
    IncidentFilters,
    IncidentListItem,
    count_incidents,
    list_incidents,
)
from tracker.services.incidents import (
    IncidentDraft,
    delete_incident,
    get_incident,
    record_incident,
    restore_incident,
    update_incident,
)
from tracker.services.involvements import InvolvementDraft, add_involvement, remove_involvement
from tracker.services.organisations import create_organisation


def test_record_incident_parses_dates_and_allocates_codes(session: Session) -> None:
    first = make_incident(session, start_text="spring 2019", end_text="summer 2019")
    second = make_incident(session)
    assert (first.code, second.code) == ("INC-000001", "INC-000002")
    assert first.start_earliest == date(2019, 3, 1)
    assert first.start_latest == date(2019, 5, 31)
    assert first.start_precision == "season"
    assert first.end_latest == date(2019, 8, 31)
    assert first.start.original_text == "spring 2019"


def test_codes_are_never_reused_after_deletion(session: Session) -> None:
    first = make_incident(session)
    delete_incident(session, incident_id=first.id, expected_version=1, actor_id=ACTOR_ID)
    assert make_incident(session).code == "INC-000002"


def test_codes_grow_past_their_width(session: Session) -> None:
    incident = make_incident(session)
    session.execute(Incident.__table__.update().values(code="INC-999999"))  # type: ignore[attr-defined]
    session.refresh(incident)
    assert make_incident(session).code == "INC-1000000"
    assert make_incident(session).code == "INC-1000001"


def test_get_update_delete_restore(session: Session) -> None:
    incident = make_incident(session, title="March", summary="Police pushed protesters")
    assert get_incident(session, incident.id).title == "March"
    update_incident(
        session,
        incident_id=incident.id,
        expected_version=1,
        changes={"title": "8 March march", "start_text": "March 2023"},
        actor_id=ACTOR_ID,
        today=TODAY,
    )
    assert incident.version == 2
    assert incident.start_precision == "month"
    assert incident.start_latest == date(2023, 3, 31)
    delete_incident(session, incident_id=incident.id, expected_version=2, actor_id=ACTOR_ID)
    with pytest.raises(RecordNotFound):
        get_incident(session, incident.id)
    assert list_incidents(session) == []
    restore_incident(session, incident_id=incident.id, expected_version=3, actor_id=ACTOR_ID)
    assert [item.id for item in list_incidents(session)] == [incident.id]


def test_update_keeps_stored_bounds_of_dates_not_changed(session: Session) -> None:
    incident = make_incident(
        session, start_text="about 2 years ago", reference_date=date(2023, 3, 14)
    )
    bounds = (incident.start_earliest, incident.start_latest)
    update_incident(
        session,
        incident_id=incident.id,
        expected_version=1,
        changes={"summary": "later"},
        actor_id=ACTOR_ID,
    )
    assert (incident.start_earliest, incident.start_latest) == bounds


def test_audit_has_field_level_old_and_new_values(session: Session) -> None:
    incident = make_incident(session, title="old")
    update_incident(
        session,
        incident_id=incident.id,
        expected_version=1,
        changes={"title": "new", "end_text": "9 March 2023"},
        actor_id=ACTOR_ID,
        today=TODAY,
    )
    created, updated = history_of(session, table_name="incident", record_id=incident.id)
    assert created.action == "create" and created.changes["code"] == [None, "INC-000001"]
    assert updated.changes["title"] == ["old", "new"]
    assert updated.changes["end_latest"] == [None, "2023-03-09"]
    assert updated.actor_id == ACTOR_ID


def test_rollback_leaves_neither_record_nor_audit(engine: Engine, session: Session) -> None:
    before = table_counts(engine)
    make_incident(session)
    session.rollback()
    assert table_counts(engine) == before
    assert session.execute(select(AuditEntry)).first() is None


def test_second_editor_gets_edit_conflict(engine: Engine, session: Session) -> None:
    incident = make_incident(session, title="original")
    session.commit()
    with (
        Session(engine, expire_on_commit=False) as first,
        Session(engine, expire_on_commit=False) as second,
    ):
        # Both editors load version 1; SQLite lets one transaction at a time hold the database.
        get_incident(first, incident.id)
        first.commit()
        get_incident(second, incident.id)
        second.commit()
        update_incident(
            first,
            incident_id=incident.id,
            expected_version=1,
            changes={"title": "first"},
            actor_id=ACTOR_ID,
        )
        first.commit()
        with pytest.raises(EditConflict):
            update_incident(
                second,
                incident_id=incident.id,
                expected_version=1,
                changes={"title": "second"},
                actor_id=ACTOR_ID,
            )
        second.rollback()
    session.expire_all()
    assert get_incident(session, incident.id).title == "first"


BAD_DRAFTS = [
    ({"type": "XYZ"}, InvalidInput, "type: unknown incident type 'XYZ'; known: DET, RAID"),
    ({"secondary_types": ("NOPE",)}, InvalidInput, "secondary_types: unknown"),
    ({"secondary_types": ("DET",)}, InvalidInput, "already the primary type"),
    ({"type": "DISC"}, InvalidInput, "sector:"),
    ({"type": "RAID", "secondary_types": ("DISC",)}, InvalidInput, "sector:"),
    ({"start_text": "March 14th"}, InvalidDate, "start:"),
    ({"start_text": "2030"}, InvalidDate, "start:"),
    ({"start_text": "2019", "end_text": "2017"}, InvalidDate, "end:"),
    ({"reported_victims_min": 5, "reported_victims_max": 3}, InvalidInput, "reported_victims_min"),
    ({"reported_victims_min": -1}, InvalidInput, "reported_victims_min"),
    ({"verification_status": "sure"}, InvalidInput, "verification_status: unknown"),
    ({"title": "a\x00b"}, InvalidInput, "title: contains control"),
]


@pytest.mark.parametrize(("values", "error", "message"), BAD_DRAFTS)
def test_invalid_drafts_change_nothing(
    engine: Engine,
    session: Session,
    values: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    before = table_counts(engine)
    with pytest.raises(error, match=message.replace("(", r"\(")):
        make_incident(session, **values)
    session.rollback()
    assert table_counts(engine) == before


def test_dangling_or_deleted_place_is_refused(engine: Engine, session: Session) -> None:
    place = make_place(session)
    from tracker.services.places import delete_place

    delete_place(session, place_id=place.id, expected_version=1, actor_id=ACTOR_ID)
    session.commit()
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="place_id: no place"):
        make_incident(session, place_id=place.id)
    session.rollback()
    assert table_counts(engine) == before


def test_invalid_update_changes_nothing(session: Session) -> None:
    incident = make_incident(session, start_text="2019")
    with pytest.raises(InvalidDate, match="end:"):
        update_incident(
            session,
            incident_id=incident.id,
            expected_version=1,
            changes={"end_text": "2018"},
            actor_id=ACTOR_ID,
            today=TODAY,
        )
    with pytest.raises(InvalidInput, match="unknown or read-only fields code"):
        update_incident(
            session,
            incident_id=incident.id,
            expected_version=1,
            changes={"code": "INC-1"},
            actor_id=ACTOR_ID,
        )
    assert incident.version == 1 and incident.end_text is None


def test_record_incident_with_blank_start_is_unknown(session: Session) -> None:
    incident = record_incident(
        session, draft=IncidentDraft(type="KILL", start_text=""), actor_id=ACTOR_ID
    )
    assert incident.start_precision == "unknown" and incident.start_earliest is None


def codes(items: list[IncidentListItem]) -> list[str]:
    return [item.code for item in items]


def test_date_filter_tells_wholly_from_partly_within(session: Session) -> None:
    make_incident(session, start_text="8 March 2023")  # 1: wholly in 2023
    make_incident(session, start_text="late 2022", end_text="February 2023")  # 2: straddles
    make_incident(session, start_text="2017")  # 3: outside
    make_incident(session, start_text="unknown")  # 4: never matches a period
    make_incident(session, start_text="after 2022")  # 5: open, overlaps but not wholly
    make_incident(session, start_text="2023")  # 6: wholly
    year = IncidentFilters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
    wholly = replace(year, date_match=DateMatch.WHOLLY_WITHIN)
    partly = replace(year, date_match=DateMatch.PARTLY_WITHIN)
    either = replace(year, date_match=DateMatch.OVERLAPS)
    assert codes(list_incidents(session, filters=wholly, sort="code")) == [
        "INC-000001",
        "INC-000006",
    ]
    assert codes(list_incidents(session, filters=partly, sort="code")) == [
        "INC-000002",
        "INC-000005",
    ]
    assert count_incidents(session, filters=either) == 4


def test_place_filter_includes_sub_places(session: Session) -> None:
    country = make_place(session, name="Azerbaijan", kind="country", geo_precision=4)
    baku = make_place(session, name="Bakı", parent_id=country.id)
    nasimi = make_place(session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id)
    ganja = make_place(session, name="Gəncə", parent_id=country.id)
    make_incident(session, place_id=nasimi.id)
    make_incident(session, place_id=baku.id)
    make_incident(session, place_id=ganja.id)
    make_incident(session)
    assert codes(
        list_incidents(session, filters=IncidentFilters(place_id=baku.id), sort="code")
    ) == ["INC-000001", "INC-000002"]
    assert count_incidents(session, filters=IncidentFilters(place_id=country.id)) == 3
    assert count_incidents(session, filters=IncidentFilters(place_id=nasimi.id)) == 1


def test_type_and_status_filters_and_sorting(session: Session) -> None:
    make_incident(session, type="RAID", start_text="2019")
    make_incident(session, type="RAID", start_text="2017", verification_status="verified")
    make_incident(session, type="HATE", start_text="unknown")
    make_incident(session, type="HATE", start_text="before 2017")
    assert codes(list_incidents(session, sort="date")) == [
        "INC-000004",
        "INC-000002",
        "INC-000001",
        "INC-000003",
    ]
    raids = IncidentFilters(type="RAID")
    assert codes(list_incidents(session, filters=raids, sort="-date")) == [
        "INC-000001",
        "INC-000002",
    ]
    verified = IncidentFilters(verification_status="verified")
    assert codes(list_incidents(session, filters=verified)) == ["INC-000002"]
    assert codes(list_incidents(session, sort="code", limit=2, offset=1)) == [
        "INC-000002",
        "INC-000003",
    ]


def test_unknown_sort_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="sort: unknown sort"):
        list_incidents(session, sort="code; DROP TABLE incident")


def test_deleted_incidents_only_when_asked(session: Session) -> None:
    incident = make_incident(session)
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    assert count_incidents(session) == 0
    assert count_incidents(session, filters=IncidentFilters(include_deleted=True)) == 1


def test_list_rows_carry_what_a_list_shows(session: Session) -> None:
    place = make_place(session, name="Bakı")
    incident = make_incident(
        session, title="Raid on a bar", type="RAID", start_text="spring 2019", place_id=place.id
    )
    make_incident(session, start_text="2020")
    first, second = list_incidents(session, sort="code")
    assert first == IncidentListItem(
        id=incident.id,
        code="INC-000001",
        title="Raid on a bar",
        type="RAID",
        start_text="spring 2019",
        start_earliest=date(2019, 3, 1),
        start_latest=date(2019, 5, 31),
        start_precision="season",
        start_qualifier="exact",
        place_id=place.id,
        place_name="Bakı",
        verification_status="unverified",
        updated_at=incident.updated_at,
        version=1,
        deleted_at=None,
    )
    assert first.start == incident.start
    assert first.start.precision == DatePrecision.SEASON
    assert first.start.qualifier == DateQualifier.EXACT
    assert (second.place_id, second.place_name, second.is_deleted) == (None, None, False)


def test_list_builds_no_orm_objects(session: Session) -> None:
    make_incident(session, place_id=make_place(session).id)
    session.commit()
    session.expunge_all()
    assert len(list_incidents(session)) == 1
    assert len(session.identity_map) == 0


def test_deleted_rows_are_marked_when_listed(session: Session) -> None:
    incident = make_incident(session)
    delete_incident(session, incident_id=incident.id, expected_version=1, actor_id=ACTOR_ID)
    (item,) = list_incidents(session, filters=IncidentFilters(include_deleted=True))
    assert item.is_deleted and item.version == 2


def test_people_and_case_filters(session: Session) -> None:
    unit = create_organisation(
        session,
        name="Police",
        kind="police_station",
        perpetrator_type="state_agent",
        state_relation="state",
        actor_id=ACTOR_ID,
    )
    officer, victim = make_person(session, role_letter="P"), make_person(session)
    first, second, third = make_incident(session), make_incident(session), make_incident(session)
    perpetrator = InvolvementDraft(
        role="alleged_perpetrator",
        person_id=officer.id,
        perpetrator_type="state_agent",
        unit_organisation_id=unit.id,
    )
    add_involvement(session, incident_id=first.id, actor_id=ACTOR_ID, draft=perpetrator)
    add_involvement(
        session,
        incident_id=second.id,
        actor_id=ACTOR_ID,
        draft=InvolvementDraft(role="victim", person_id=victim.id),
    )
    removed = add_involvement(session, incident_id=third.id, actor_id=ACTOR_ID, draft=perpetrator)
    remove_involvement(session, involvement_id=removed.id, expected_version=1, actor_id=ACTOR_ID)
    case = make_case(session)
    add_incident_to_case(session, case_id=case.id, incident_id=third.id, actor_id=ACTOR_ID)

    def listed(filters: IncidentFilters) -> list[str]:
        return codes(list_incidents(session, filters=filters, sort="code"))

    assert listed(IncidentFilters(perpetrator_type="state_agent")) == ["INC-000001"]
    assert listed(IncidentFilters(perpetrator_type="family_member")) == []
    assert listed(IncidentFilters(organisation_id=unit.id)) == ["INC-000001"]
    assert listed(IncidentFilters(person_id=officer.id)) == ["INC-000001"]
    assert listed(IncidentFilters(person_id=victim.id)) == ["INC-000002"]
    assert listed(IncidentFilters(case_id=case.id)) == ["INC-000003"]
    assert listed(IncidentFilters(case_id=case.id, type="RAID")) == []
    assert count_incidents(session, filters=IncidentFilters(person_id=officer.id)) == 1


def test_list_shows_changes_not_yet_flushed(session: Session) -> None:
    incident = make_incident(session, title="before")
    incident.title = "after"
    assert [item.title for item in list_incidents(session)] == ["after"]
    with session.no_autoflush:
        incident.title = "held back"
        assert [item.title for item in list_incidents(session)] == ["after"]


def test_one_statement_serves_every_value(session: Session) -> None:
    make_incident(session, type="RAID")
    make_incident(session, type="DET")
    assert codes(list_incidents(session, filters=IncidentFilters(type="RAID"))) == ["INC-000001"]
    assert codes(list_incidents(session, filters=IncidentFilters(type="DET"))) == ["INC-000002"]
    assert count_incidents(session, filters=IncidentFilters(type="HATE")) == 0
    assert codes(list_incidents(session, sort="code", limit=1)) == ["INC-000001"]
    assert codes(list_incidents(session, sort="code", limit=1, offset=1)) == ["INC-000002"]
