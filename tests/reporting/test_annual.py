"""The annual report snapshot: counting from the database, disclosure, narratives, labels."""

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_incident,
    make_involvement,
    make_link,
    make_person,
    make_place,
)
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import DisclosureRefused, InvalidInput, RecordNotFound
from tracker.models import Incident
from tracker.reporting.annual import AnnualReport, annual_csv_tables, build_annual_report
from tracker.reporting.annual_model import ReportTable
from tracker.reporting.labels import LABELS, LANGUAGES, MONTH_NAMES
from tracker.services.consents import record_consent
from tracker.services.incidents import delete_incident
from tracker.services.people import add_person_name
from tracker.services.restrictions import Viewer, set_restriction
from tracker.services.users import create_user

ANALYST = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
GENERATED_AT = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)


def build(session: Session, **values: object) -> AnnualReport:
    arguments: dict[str, object] = {
        "year": 2023,
        "level": DisclosureLevel.PUBLIC,
        "viewer": ANALYST,
        "generated_at": GENERATED_AT,
        "generated_by": "analyst",
    }
    return build_annual_report(session, **(arguments | values))  # type: ignore[arg-type]


def table_named(report: AnnualReport, table_name: str) -> ReportTable:
    return next(table for table in report.tables if table.name == table_name)


def cell(report: AnnualReport, table_name: str, row_label: str, column: int = 1) -> str:
    return next(row[column] for row in table_named(report, table_name).rows if row[0] == row_label)


def every_text(report: AnnualReport) -> str:
    cells = [c for table in report.tables for line in table.rows for c in line]
    narratives = [n.text for n in report.narratives]
    return "\n".join([*cells, *narratives, *(v for _, v in report.filters)])


def consent(session: Session, person_id: uuid.UUID, scope: str, status: str = "granted") -> None:
    record_consent(
        session, person_id=person_id, scope=scope, status=status,
        decided_on=date(2024, 1, 5), method="in person", actor_id=ACTOR_ID,
    )  # fmt: skip


def test_three_victims_and_one_person_detained_twice(session: Session) -> None:
    incident = make_incident(session, start_text="8 March 2023")
    for _ in range(3):
        make_involvement(session, incident_id=incident.id)
    person = make_person(session)
    for day in ("1 May 2023", "9 May 2023"):
        make_involvement(session, incident_id=make_incident(session, start_text=day).id,
                         person_id=person.id)  # fmt: skip
    report = build(session, level=DisclosureLevel.PARTNER)
    assert cell(report, "totals", "Incidents") == "3"
    assert cell(report, "totals", "Victim involvements") == "5"
    assert cell(report, "totals", "Unique victims") == "4"
    assert cell(report, "by_month", "March") == "1"
    assert cell(report, "by_month", "May") == "2"


def test_uncertain_deleted_and_duplicate_incidents_are_not_counted(session: Session) -> None:
    make_incident(session, start_text="late 2022", end_text="early 2023")
    canonical = make_incident(session, start_text="8 March 2023")
    duplicate = make_incident(session, start_text="8 March 2023")
    make_link(session, from_incident_id=duplicate.id, to_incident_id=canonical.id,
              link_type="duplicate_of")  # fmt: skip
    deleted = make_incident(session, start_text="9 March 2023")
    delete_incident(session, incident_id=deleted.id, expected_version=deleted.version,
                    actor_id=ACTOR_ID)  # fmt: skip
    report = build(session, level=DisclosureLevel.PARTNER)
    assert cell(report, "totals", "Incidents") == "1"
    assert cell(report, "by_month", "March") == "1"
    assert cell(report, "totals", "Date uncertain (partly in the year; not counted)") == "1"
    assert report.by_month.total == ("Total", "1")


def test_public_cells_below_the_threshold_are_hidden(session: Session) -> None:
    for day in ("1 March 2023", "2 March 2023", "3 March 2023", "4 May 2023"):
        make_incident(session, start_text=day)
    report = build(session)
    assert cell(report, "by_month", "March") == "3"
    assert cell(report, "by_month", "May") == "<3"
    assert cell(report, "totals", "Incidents") == "4"
    assert build(session, suppression_threshold=5).by_month.rows[2][1] == "<5"


def test_region_is_the_first_level_unit_above_the_place(session: Session) -> None:
    country = make_place(session, name="Azerbaijan", kind="country", geo_precision=4)
    baku = make_place(session, name="Bakı", parent_id=country.id)
    station = make_place(session, name="Police station 9", kind="site", geo_precision=1,
                         parent_id=baku.id)  # fmt: skip
    make_incident(session, place_id=station.id)
    make_incident(session, place_id=country.id)
    report = build(session, level=DisclosureLevel.PARTNER)
    assert cell(report, "by_region", "Bakı") == "1"
    assert cell(report, "by_region", "Region uncertain") == "1"
    filtered = build(session, level=DisclosureLevel.PARTNER, region_id=baku.id)
    assert cell(filtered, "totals", "Incidents") == "1"
    assert "Police station 9" not in every_text(report)


def test_restricted_incident_is_counted_but_its_narrative_never_shown(session: Session) -> None:
    user, _ = create_user(session, username="lawyer1", display_name="", roles=("lawyer",),
                          actor_id=ACTOR_ID)  # fmt: skip
    incident = make_incident(session, publishable=True, narrative="Canary narrative QX7",
                             verification_status="verified")  # fmt: skip
    set_restriction(session, model=Incident, record_id=incident.id, user_ids=[user.id],
                    actor_id=ACTOR_ID)  # fmt: skip
    admin = Viewer(user_id=user.id, roles=frozenset({"admin"}))
    # Counted at both levels; at the public level a total of 1 is itself a small count.
    for level, shown in ((DisclosureLevel.PUBLIC, "<3"), (DisclosureLevel.PARTNER, "1")):
        report = build(session, level=level, viewer=admin)
        assert cell(report, "totals", "Incidents") == shown
        assert report.narratives == ()
        text = every_text(report) + str(annual_csv_tables(report))
        assert "QX7" not in text and incident.code not in text


def test_small_totals_are_hidden_at_the_public_level(session: Session) -> None:
    for _ in range(2):
        make_incident(session, start_text="8 March 2023")
    public = build(session, level=DisclosureLevel.PUBLIC)
    assert cell(public, "totals", "Incidents") == "<3"
    by_type = table_named(public, "by_type")
    assert all(row[-1] == "<3" for row in by_type.rows) and by_type.total[-1] == "<3"
    year_on_year = table_named(public, "year_on_year").total
    assert year_on_year[-2] == "<3" and year_on_year[-1] == ""
    for _ in range(2):
        make_incident(session, start_text="9 March 2023")
    assert cell(build(session, level=DisclosureLevel.PUBLIC), "totals", "Incidents") == "4"


def test_narratives_need_every_victims_consent_and_withhold_names(session: Session) -> None:
    incident = make_incident(
        session, publishable=True, start_text="8 March 2023",
        narrative="Əli Məlikov and LEYLA were held; MƏLIKOV later spoke. Code V-2023-999.",
    )  # fmt: skip
    ali = make_person(session, real_name="Əli Məlikov")
    leyla = make_person(session)
    add_person_name(session, person_id=leyla.id, text="Leyla", actor_id=ACTOR_ID)
    for person in (ali, leyla):
        make_involvement(session, incident_id=incident.id, person_id=person.id)
    consent(session, ali.id, "narrative_public")
    assert build(session).narratives == ()  # Leyla has not consented
    consent(session, leyla.id, "narrative_public")
    consent(session, leyla.id, "name_public")
    (narrative,) = build(session).narratives
    assert narrative.text == (
        "[name withheld] and LEYLA were held; [name withheld] later spoke. Code [name withheld]."
    )
    assert narrative.date_label == "March 2023"
    (partner,) = build(session, level=DisclosureLevel.PARTNER).narratives
    assert ali.pseudonym_code in partner.text and "LEYLA" not in partner.text
    consent(session, leyla.id, "narrative_public", "withdrawn")
    assert build(session).narratives == ()


def test_narratives_never_print_a_day_a_phone_or_an_address(session: Session) -> None:
    incident = make_incident(
        session, publishable=True, start_text="14 March 2023",
        narrative="Stopped on 14 March 2023 at 14:00 near the metro; call +994 55 123 45 67.",
    )  # fmt: skip
    victim = make_person(session)
    make_involvement(session, incident_id=incident.id, person_id=victim.id)
    consent(session, victim.id, "narrative_public")
    for level in (DisclosureLevel.PUBLIC, DisclosureLevel.PARTNER):
        (narrative,) = build(session, level=level).narratives
        assert "14 March" not in narrative.text and "14:00" not in narrative.text
        assert "123 45 67" not in narrative.text and "metro" in narrative.text


def test_unpublishable_incident_gives_no_narrative(session: Session) -> None:
    make_incident(session, narrative="Not reviewed yet")
    assert build(session).narratives == ()


@pytest.mark.parametrize("level", ["legal", "internal", "secret"])
def test_only_public_and_partner_levels(session: Session, level: str) -> None:
    make_incident(session)
    admin = Viewer(user_id=uuid.uuid4(), roles=frozenset({"admin"}))
    with pytest.raises(DisclosureRefused):
        build(session, level=level, viewer=admin)


def test_a_role_without_export_rights_is_refused(session: Session) -> None:
    make_incident(session)
    documenter = Viewer(user_id=uuid.uuid4(), roles=frozenset({"documenter"}))
    with pytest.raises(DisclosureRefused):
        build(session, viewer=documenter)


def test_bad_requests(session: Session) -> None:
    with pytest.raises(InvalidInput, match="no incidents recorded for 2023"):
        build(session)
    make_incident(session)
    with pytest.raises(InvalidInput, match="language"):
        build(session, language="fr")
    with pytest.raises(InvalidInput, match="incident_type"):
        build(session, incident_type="NOPE")
    with pytest.raises(RecordNotFound):
        build(session, region_id=uuid.uuid4())


def test_year_on_year_and_type_filter(session: Session) -> None:
    for day in ("1 March 2022", "1 March 2023", "2 March 2023", "3 March 2023"):
        make_incident(session, start_text=day)
    make_incident(session, type="RAID", start_text="4 March 2023")
    report = build(session, level=DisclosureLevel.PARTNER)
    assert report.year_on_year.total == ("All incidents", "1", "4", "+3")
    assert report.year_on_year.rows[0] == ("Arbitrary detention", "1", "3", "+2")
    filtered = build(session, level=DisclosureLevel.PARTNER, incident_type="RAID")
    assert cell(filtered, "totals", "Incidents") == "1"


def test_labels_in_az_and_ru(session: Session) -> None:
    make_incident(session)
    az = build(session, language="az")
    ru = build(session, language="ru")
    assert az.by_type.title == "Növ üzrə insidentlər"
    assert ru.by_type.rows[0][0] == "Произвольное задержание"
    assert ru.by_month.rows[2][0] == "Март"


def test_every_label_has_all_three_languages() -> None:
    for key, translations in LABELS.items():
        assert set(translations) == set(LANGUAGES), key
        assert all(text.strip() for text in translations.values()), key
    assert all(len(MONTH_NAMES[language]) == 12 for language in LANGUAGES)


def test_csv_tables_match_the_report(session: Session) -> None:
    make_incident(session)
    report = build(session)
    tables = annual_csv_tables(report)
    assert set(tables) == {f"{table.name}.csv" for table in report.tables}
    lines = tables["by_month.csv"].decode("utf-8").splitlines()
    assert lines[0] == "Month,Incidents"
    assert lines[3] == "March,<3"
    assert lines[-1] == "Total,<3"


def test_many_estimates_are_grouped_and_capped_in_one_short_cell() -> None:
    from tracker.reporting.annual_tables import SHOWN_ESTIMATES, estimates_cell

    estimates = ["dozens"] * 5 + ["20\u201330"] * 2 + [f"about {n}" for n in range(100)]
    cell = estimates_cell(estimates, "and {count} other estimates")
    assert cell.startswith("dozens (\u00d75); 20\u201330 (\u00d72); about 0")
    assert cell.count(";") == SHOWN_ESTIMATES
    assert cell.endswith(f"and {107 - 5 - 2 - (SHOWN_ESTIMATES - 2)} other estimates")
    assert (
        estimates_cell(["nearly 100", "20\u201330"], "and {count} more") == "nearly 100; 20\u201330"
    )
