"""Timeline and dossier snapshots: canaries never leave below legal, consent and visibility hold."""

import uuid
from datetime import date

import pytest
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_incident,
    make_involvement,
    make_legal_action,
    make_person,
    make_source,
)
from tests.reporting.conftest import (
    GENERATED_AT,
    CanaryCase,
    grant,
    leaks_in,
    snapshot_strings,
)
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import DisclosureRefused, InvalidInput, RecordNotFound
from tracker.reporting import snapshot_timeline
from tracker.reporting.model import Dossier, Timeline, TimelineEvent
from tracker.reporting.snapshots import TimelineSubject, build_dossier, build_timeline
from tracker.services.cases import add_incident_to_case
from tracker.services.incident_queries import IncidentFilters
from tracker.services.restrictions import Viewer

PSEUDONYMISED = (DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC)


def dossier(
    session: Session, case_id: uuid.UUID, level: DisclosureLevel, viewer: Viewer
) -> Dossier:
    return build_dossier(
        session,
        case_id=case_id,
        level=level,
        viewer=viewer,
        generated_at=GENERATED_AT,
        generated_by="tester",
    )


def timeline(
    session: Session, subject: TimelineSubject, level: DisclosureLevel, viewer: Viewer
) -> Timeline:
    return build_timeline(
        session,
        subject=subject,
        level=level,
        viewer=viewer,
        generated_at=GENERATED_AT,
        generated_by="tester",
    )


def all_text(snapshot: object) -> str:
    return "\n".join(snapshot_strings(snapshot))


# --- canaries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", PSEUDONYMISED)
def test_no_canary_reaches_a_partner_or_public_dossier(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer], level: DisclosureLevel
) -> None:
    snapshot = dossier(session, canary_case.case_id, level, viewers["analyst"])
    assert leaks_in(snapshot) == []
    assert snapshot.evidence == ()


@pytest.mark.parametrize("kind", ["case", "person", "place", "organisation"])
@pytest.mark.parametrize("level", PSEUDONYMISED)
def test_no_canary_reaches_a_partner_or_public_timeline(
    session: Session,
    canary_case: CanaryCase,
    viewers: dict[str, Viewer],
    level: DisclosureLevel,
    kind: str,
) -> None:
    record_ids = {
        "case": canary_case.case_id,
        "person": canary_case.victim_id,
        "place": canary_case.baku_id,
        "organisation": canary_case.police_id,
    }
    subject = TimelineSubject(kind=kind, record_id=record_ids[kind])
    snapshot = timeline(session, subject, level, viewers["analyst"])
    assert canary_case.detention_code in all_text(snapshot)
    assert leaks_in(snapshot) == []


@pytest.mark.parametrize(
    "level, replacement",
    [
        (DisclosureLevel.LEGAL, "code"),
        (DisclosureLevel.PARTNER, "code"),
        (DisclosureLevel.PUBLIC, "[name withheld]"),
    ],
)
def test_names_of_people_outside_the_snapshot_are_withheld_too(
    session: Session, viewers: dict[str, Viewer], level: DisclosureLevel, replacement: str
) -> None:
    # The interviewee of another report, named in this incident's text and source title.
    outsider = make_person(session, real_name="Ilqar Outsiderov")
    other = make_incident(session, title="Elsewhere")
    make_involvement(session, incident_id=other.id, person_id=outsider.id)
    incident = make_incident(
        session,
        title="Raid reported by ILQAR OUTSİDEROV",
        summary="Outsiderov told the press what he saw.",
    )
    source = make_source(session, title="Interview with Ilqar Outsiderov")
    make_citation(session, incident_id=incident.id, source_id=source.id)
    case = make_case(session)
    add_incident_to_case(session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID)
    snapshot = dossier(session, case.id, level, viewers["admin"])
    text = all_text(snapshot)
    assert "outsiderov" not in text.casefold() and "ilqar" not in text.casefold()
    shown = outsider.pseudonym_code if replacement == "code" else replacement
    assert shown in text
    internal = all_text(dossier(session, case.id, DisclosureLevel.INTERNAL, viewers["admin"]))
    assert "Ilqar Outsiderov" in internal


def test_internal_shows_the_canaries(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.INTERNAL, viewers["admin"])
    text = all_text(snapshot)
    for canary in (
        CanaryCase.REAL_NAME,
        CanaryCase.PHONE,
        CanaryCase.ADDRESS,
        CanaryCase.IDENTITY_NOTE,
        CanaryCase.GENDER,
        CanaryCase.SITE,
        CanaryCase.RELATIVE,
        CanaryCase.CONTACT_SOURCE,
        "14 March 2023",
    ):
        assert canary in text, canary
    victim = next(person for person in snapshot.persons if "Client" in person.roles)
    assert victim.label == CanaryCase.REAL_NAME
    assert victim.other_names == (CanaryCase.CYRILLIC_NAME,)


def test_legal_shows_the_name_only_with_legal_filing_consent(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    lawyer = viewers["lawyer"]
    before = dossier(session, canary_case.case_id, DisclosureLevel.LEGAL, lawyer)
    assert leaks_in(before, (CanaryCase.REAL_NAME, "Zaurbek", CanaryCase.PHONE)) == []
    assert leaks_in(before, (CanaryCase.ADDRESS, CanaryCase.IDENTITY_NOTE, CanaryCase.GENDER)) == []
    grant(session, canary_case.victim_id, "legal_filing")
    after = dossier(session, canary_case.case_id, DisclosureLevel.LEGAL, lawyer)
    victim = next(person for person in after.persons if "Client" in person.roles)
    assert victim.label == CanaryCase.REAL_NAME
    assert victim.gender_identity == CanaryCase.GENDER
    assert victim.contact_info == victim.exact_address == victim.identity_notes == ""
    # Contacts stay withheld at the legal level even inside narratives.
    assert leaks_in(after, (CanaryCase.ADDRESS, CanaryCase.IDENTITY_NOTE)) == []
    assert CanaryCase.REAL_NAME in after.chronology.dated[-1].summary or any(
        CanaryCase.REAL_NAME in event.summary for event in after.chronology.dated
    )


def test_a_withdrawn_consent_hides_the_name_again(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    grant(session, canary_case.victim_id, "legal_filing")
    grant(session, canary_case.victim_id, "legal_filing", status="withdrawn")
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.LEGAL, viewers["lawyer"])
    assert leaks_in(snapshot, (CanaryCase.REAL_NAME, "Zaurbek", "Заурбек")) == []


@pytest.mark.parametrize("level", [DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL])
def test_a_withdrawn_record_sensitive_consent_blanks_gender_and_orientation(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer], level: DisclosureLevel
) -> None:
    grant(session, canary_case.victim_id, "legal_filing")
    viewer = viewers["admin"] if level is DisclosureLevel.INTERNAL else viewers["lawyer"]
    before = dossier(session, canary_case.case_id, level, viewer)
    assert CanaryCase.GENDER in all_text(before)
    grant(session, canary_case.victim_id, "record_sensitive", status="withdrawn")
    after = dossier(session, canary_case.case_id, level, viewer)
    assert leaks_in(after, (CanaryCase.GENDER,)) == []
    victim = next(person for person in after.persons if "Client" in person.roles)
    assert victim.gender_identity == victim.sexual_orientation == ""


def test_the_legal_level_shows_the_site_unless_it_is_sensitive(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.LEGAL, viewers["lawyer"])
    detention = event_by_code(snapshot.chronology, canary_case.detention_code)
    assert detention.place_label == "Nasimi, Baku, Azerbaijan"
    assert detention.date_label == "14 March 2023"
    assert snapshot.evidence and snapshot.evidence[0].sha256
    assert [line.action for line in snapshot.evidence[0].custody] == ["Received", "Verified"]


def test_partner_generalises_places_and_widens_dates(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.PARTNER, viewers["analyst"])
    detention = event_by_code(snapshot.chronology, canary_case.detention_code)
    assert detention.place_label == "Baku, Azerbaijan"
    assert detention.date_label == "March 2023"
    assert detention.approximate
    labels = {line.label for line in detention.involvements}
    victim_code = next(person.pseudonym_code for person in snapshot.persons)
    assert {"Nasimi district police", "Family member", victim_code} <= labels
    testimony = next(c for c in detention.citations if c.source_kind == "Victim testimony")
    assert (testimony.source_title, testimony.url, testimony.grade) == ("", "", "B2")
    police = next(entry for entry in snapshot.perpetrators if entry.label.startswith("Nasimi"))
    assert police.unit_path == ("Nasimi district police", "Baku city police")
    [action] = snapshot.legal_actions
    assert (action.decided_on, action.forum, action.deadline_on) == ("2023", "", None)


def test_public_names_no_person_and_shows_no_pseudonym(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.PUBLIC, viewers["analyst"])
    assert snapshot.persons == ()
    assert snapshot.legal_actions == ()
    assert "V-20" not in all_text(snapshot) and "W-20" not in all_text(snapshot)
    detention = event_by_code(snapshot.chronology, canary_case.detention_code)
    assert detention.summary == ""  # not publishable, no narrative consent
    assert {line.label for line in detention.involvements} == {
        "Victim",
        "Witness",
        "Family member",
        "Nasimi district police",
    }


def test_public_names_a_person_who_asked_to_be_named(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    grant(session, canary_case.witness_id, "name_public")
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.PUBLIC, viewers["analyst"])
    assert [person.label for person in snapshot.persons] == ["Leyla Witnessova"]
    assert leaks_in(snapshot) == []


def test_timeline_order_and_the_undated_section(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    subject = TimelineSubject(kind="case", record_id=canary_case.case_id)
    snapshot = timeline(session, subject, DisclosureLevel.PARTNER, viewers["analyst"])
    assert [event.code for event in snapshot.dated] == [
        canary_case.raid_code,
        canary_case.detention_code,
    ]
    assert [event.code for event in snapshot.undated] == [canary_case.undated_code]
    assert snapshot.dated[0].date_label == "spring 2019"
    assert snapshot.header.subject.startswith("Case ")
    assert snapshot.header.classification.startswith("PARTNER")


def test_restricted_and_deleted_incidents_are_absent(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    for viewer, level in ((viewers["lawyer"], DisclosureLevel.LEGAL),
                          (viewers["analyst"], DisclosureLevel.PARTNER)):  # fmt: skip
        snapshot = dossier(session, canary_case.case_id, level, viewer)
        text = all_text(snapshot)
        assert canary_case.restricted_code not in text
        assert canary_case.deleted_code not in text
        assert leaks_in(snapshot, CanaryCase.HIDDEN_TITLES) == []


def test_the_named_user_sees_the_restricted_incident(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.PARTNER, viewers["reviewer"])
    assert canary_case.restricted_code in all_text(snapshot)
    assert canary_case.deleted_code not in all_text(snapshot)


def test_a_filter_timeline_keeps_to_visible_live_incidents(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    subject = TimelineSubject(kind="filter", filters=IncidentFilters(type="DET"))
    snapshot = timeline(session, subject, DisclosureLevel.PUBLIC, viewers["analyst"])
    codes = [event.code for event in (*snapshot.dated, *snapshot.undated)]
    assert codes == [canary_case.detention_code]


def test_upcoming_deadlines_come_from_final_decisions(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    snapshot = dossier(session, canary_case.case_id, DisclosureLevel.INTERNAL, viewers["admin"])
    [judgment] = snapshot.legal_actions
    assert judgment.deadline_on == date(2023, 7, 20)  # 4 months (Protocol No. 15)
    assert snapshot.upcoming_deadlines == ()  # passed by the time of GENERATED_AT
    make_legal_action(
        session,
        case_id=canary_case.case_id,
        kind="cassation",
        decided_on_text="2 May 2024",
        is_final_domestic=True,
    )
    later = dossier(session, canary_case.case_id, DisclosureLevel.LEGAL, viewers["lawyer"])
    assert [entry.deadline_on for entry in later.upcoming_deadlines] == [date(2024, 9, 2)]


# --- refusals and edge cases ------------------------------------------------------------------


def test_an_unknown_case_is_not_found(session: Session, viewers: dict[str, Viewer]) -> None:
    with pytest.raises(RecordNotFound):
        dossier(session, uuid.uuid4(), DisclosureLevel.PARTNER, viewers["analyst"])


def test_an_analyst_asking_for_legal_is_refused_before_any_lookup(
    session: Session, viewers: dict[str, Viewer]
) -> None:
    with pytest.raises(DisclosureRefused):
        dossier(session, uuid.uuid4(), DisclosureLevel.LEGAL, viewers["analyst"])
    subject = TimelineSubject(kind="case", record_id=uuid.uuid4())
    with pytest.raises(DisclosureRefused):
        timeline(session, subject, DisclosureLevel.INTERNAL, viewers["lawyer"])


def test_an_empty_case_has_an_empty_chronology(
    session: Session, viewers: dict[str, Viewer]
) -> None:
    case = make_case(session, title="Nothing yet")
    snapshot = dossier(session, case.id, DisclosureLevel.LEGAL, viewers["lawyer"])
    assert (snapshot.chronology.dated, snapshot.chronology.undated) == ((), ())
    assert (snapshot.persons, snapshot.sources, snapshot.evidence) == ((), (), ())
    assert snapshot.header.title == "Case dossier"
    assert snapshot.header.subject == f"Case {case.code}"


def test_a_deleted_person_subject_is_not_found(
    session: Session, viewers: dict[str, Viewer]
) -> None:
    from tracker.services.people import delete_person

    person = make_person(session)
    delete_person(session, person_id=person.id, expected_version=person.version, actor_id=ACTOR_ID)
    subject = TimelineSubject(kind="person", record_id=person.id)
    with pytest.raises(RecordNotFound):
        timeline(session, subject, DisclosureLevel.PARTNER, viewers["analyst"])


def test_the_deceased_are_named_on_an_organisational_decision(
    session: Session, viewers: dict[str, Viewer]
) -> None:
    from tracker.services.cases import add_client

    person = make_person(session, real_name="Aysel Canarova", deceased=True)
    case = make_case(session, title="Killing")
    add_client(session, case_id=case.id, person_id=person.id, actor_id=ACTOR_ID)
    make_incident(session, type="KILL")
    hidden = dossier(session, case.id, DisclosureLevel.LEGAL, viewers["lawyer"])
    assert [entry.label for entry in hidden.persons] == [person.pseudonym_code]
    grant(session, person.id, "organisational_decision")
    shown = dossier(session, case.id, DisclosureLevel.LEGAL, viewers["lawyer"])
    assert [entry.label for entry in shown.persons] == ["Aysel Canarova"]


def event_by_code(snapshot: Timeline, code: str) -> TimelineEvent:
    return next(event for event in (*snapshot.dated, *snapshot.undated) if event.code == code)


def test_a_timeline_too_long_to_read_is_refused(
    session: Session, viewers: dict[str, Viewer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_timeline, "MAX_TIMELINE_INCIDENTS", 2)
    for _ in range(3):
        make_incident(session)
    subject = TimelineSubject(kind="filter", filters=IncidentFilters())
    with pytest.raises(InvalidInput, match="narrow the filters"):
        timeline(session, subject, DisclosureLevel.PARTNER, viewers["analyst"])
    monkeypatch.setattr(snapshot_timeline, "MAX_TIMELINE_INCIDENTS", 3)
    assert len(timeline(session, subject, DisclosureLevel.PARTNER, viewers["analyst"]).dated) == 3
