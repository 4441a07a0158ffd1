"""The incident list: filters, the honest date rule, sub-places, pages, restriction and CSV."""

import csv
import io
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import (
    ACTOR_ID,
    make_case,
    make_incident,
    make_involvement,
    make_organisation,
    make_person,
    make_place,
)
from tests.web.conftest import Account
from tracker.interchange.csv_format import CSV_COLUMNS
from tracker.models import Incident
from tracker.services.cases import add_incident_to_case
from tracker.services.incidents import delete_incident
from tracker.services.restrictions import set_restriction
from tracker.web import incidents as web_incidents

T = TypeVar("T")
CODE = re.compile(r"INC-\d{6}")


def seed(engine: Engine, build: Callable[[Session], T]) -> T:
    with Session(engine, expire_on_commit=False) as session:
        result = build(session)
        session.commit()
        return result


def codes_on(page: str) -> set[str]:
    return set(CODE.findall(page))


def listed(client: Any, query: str = "", status: int = 200) -> set[str]:
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    return codes_on(response.get_data(as_text=True))


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_filter_by_type_and_verification(engine: Engine, signed_in: Any) -> None:
    detention, raid = seed(
        engine,
        lambda s: (
            make_incident(s, type="DET"),
            make_incident(s, type="RAID", verification_status="verified"),
        ),
    )
    client = signed_in("analyst")
    assert listed(client) == {detention.code, raid.code}
    assert listed(client, "type=RAID") == {raid.code}
    assert listed(client, "verification_status=unverified") == {detention.code}


def test_dates_overlap_or_lie_wholly_within(engine: Engine, signed_in: Any) -> None:
    year, month, later, unknown = seed(
        engine,
        lambda s: (
            make_incident(s, start_text="2019"),
            make_incident(s, start_text="March 2019"),
            make_incident(s, start_text="spring 2020"),
            make_incident(s, start_text="unknown"),
        ),
    )
    client = signed_in("analyst")
    period = "date_from=March+2019&date_to=March+2019"
    # A year-precise "2019" may have happened in March 2019: it overlaps, never "within".
    assert listed(client, f"{period}&date_match=overlaps") == {year.code, month.code}
    assert listed(client, f"{period}&date_match=wholly_within") == {month.code}
    assert listed(client, "date_from=2020-01-01") == {later.code}
    assert unknown.code not in listed(client, "date_to=2030")
    page = client.get(f"/incidents/?{period}").get_data(as_text=True)
    assert "from March 2019" in page  # how the typed bounds were understood


def test_place_filter_includes_sub_places(engine: Engine, signed_in: Any) -> None:
    def build(session: Session) -> tuple[Any, ...]:
        baku = make_place(session, name="Baku")
        nasimi = make_place(
            session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id
        )
        club = make_place(session, name="A club", kind="site", geo_precision=1, parent_id=nasimi.id)
        ganja = make_place(session, name="Ganja")
        in_club = make_incident(session, place_id=club.id)
        in_ganja = make_incident(session, place_id=ganja.id)
        return baku, nasimi, ganja, in_club, in_ganja

    baku, nasimi, ganja, in_club, in_ganja = seed(engine, build)
    client = signed_in("documenter")
    assert listed(client, f"place={baku.id}") == {in_club.code}
    assert listed(client, f"place={nasimi.id}") == {in_club.code}
    assert listed(client, f"place={ganja.id}") == {in_ganja.code}
    page = client.get("/incidents/").get_data(as_text=True)
    assert "Baku › Nasimi › A club" in page  # places offered with their path


def test_people_organisation_case_and_perpetrator_filters(engine: Engine, signed_in: Any) -> None:
    def build(session: Session) -> tuple[Any, ...]:
        police = make_organisation(session)
        person = make_person(session)
        case = make_case(session)
        first, second = make_incident(session), make_incident(session)
        make_involvement(session, incident_id=first.id, person_id=person.id)
        make_involvement(
            session,
            incident_id=second.id,
            organisation_id=police.id,
            role="alleged_perpetrator",
            perpetrator_type="state_agent",
        )
        add_incident_to_case(session, case_id=case.id, incident_id=first.id, actor_id=ACTOR_ID)
        return police, person, case, first, second

    police, person, case, first, second = seed(engine, build)
    client = signed_in("analyst")
    assert listed(client, f"person={person.id}") == {first.code}
    assert listed(client, f"case={case.id}") == {first.code}
    assert listed(client, f"organisation={police.id}") == {second.code}
    assert listed(client, "perpetrator_type=state_agent") == {second.code}
    # The fields are typed: a pseudonym code, a case code, an organisation's name.
    assert listed(client, f"person={person.pseudonym_code.lower()}") == {first.code}
    assert listed(client, f"case={case.code}") == {first.code}
    assert listed(client, f"organisation={police.name.upper()}") == {second.code}
    page = client.get(f"/incidents/?person={person.id}").get_data(as_text=True)
    assert f'value="{person.pseudonym_code}"' in page  # a linked id shows as the code


def test_many_places_are_typed_by_name(
    engine: Engine, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.services import incident_pages

    monkeypatch.setattr(incident_pages, "PLACE_SELECT_LIMIT", 1)

    def build(session: Session) -> tuple[Any, ...]:
        baku = make_place(session, name="Bakı")
        nasimi = make_place(
            session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id
        )
        return baku, make_incident(session, place_id=nasimi.id), make_incident(session)

    baku, in_nasimi, _elsewhere = seed(engine, build)
    client = signed_in("analyst")
    page = client.get("/incidents/").get_data(as_text=True)
    assert '<select id="place"' not in page and 'name="place" type="text"' in page
    assert listed(client, "place=Baki") == {in_nasimi.code}  # folded: Baki finds Bakı
    assert listed(client, f"place={baku.id}") == {in_nasimi.code}
    assert listed(client, "place=Ganja", status=400) == set()


def test_a_name_several_records_share_is_refused_at_the_field(
    engine: Engine, signed_in: Any
) -> None:
    seed(
        engine, lambda s: (make_organisation(s, name="Police"), make_organisation(s, name="police"))
    )
    response = signed_in("analyst").get("/incidents/?organisation=Police")
    assert response.status_code == 400
    assert "Several records match" in response.get_data(as_text=True)


def test_pages_of_fifty(engine: Engine, signed_in: Any) -> None:
    seed(engine, lambda s: [make_incident(s) for _ in range(53)])
    client = signed_in("analyst")
    first = client.get("/incidents/?sort=code").get_data(as_text=True)
    second = client.get("/incidents/?sort=code&page=2").get_data(as_text=True)
    assert len(codes_on(first)) == 50 and "INC-000001" in first
    assert codes_on(second) == {f"INC-0000{n}" for n in range(51, 54)}
    assert "53 incidents" in first and "Page 1 of 2" in first
    assert 'href="/incidents/?sort=code&amp;page=2"' in first
    assert codes_on(client.get("/incidents/?page=99").get_data(as_text=True)) == set()


def test_a_broad_list_counts_only_so_far(
    engine: Engine, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, lambda s: [make_incident(s) for _ in range(53)])
    monkeypatch.setattr(web_incidents, "COUNT_LIMIT", 10)
    client = signed_in("analyst")
    first = client.get("/incidents/?sort=code").get_data(as_text=True)
    second = client.get("/incidents/?sort=code&page=2").get_data(as_text=True)
    assert "More than 10 incidents" in first and "53 incidents" not in first
    assert "Page 1" in first and "Page 1 of" not in first
    assert 'href="/incidents/?sort=code&amp;page=2"' in first
    assert codes_on(second) == {f"INC-0000{n}" for n in range(51, 54)}
    assert 'rel="next"' not in second and 'rel="prev"' in second


@pytest.mark.parametrize(
    "query",
    [
        "type=NOPE",
        "date_from=gibberish",
        "date_from=before+2019",  # no first day: cannot start a period
        "date_from='%3B+DROP+TABLE+incident%3B+--",
        "place=not-a-uuid",
        f"person={uuid.uuid4()}",
        f"case={uuid.uuid4()}",
        "case=CASE-NOPE",
        "person=X-9999-999",
        "organisation=Nobody+at+all",
        "organisation=" + "o" * 301,
        "sort=password",
        "date_match=sometimes",
        "date_from=" + "9" * 100_000,
        "date_from=2019%00",
    ],
)
def test_bad_filters_answer_400_at_the_field(engine: Engine, signed_in: Any, query: str) -> None:
    seed(engine, lambda s: make_incident(s))
    response = signed_in("analyst").get(f"/incidents/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page
    assert codes_on(page) == set()


def test_a_restricted_person_cannot_be_used_as_a_filter(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    def build(session: Session) -> Any:
        person = make_person(session)
        make_involvement(session, person_id=person.id)
        set_restriction(
            session,
            model=type(person),
            record_id=person.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return person

    person = seed(engine, build)
    assert signed_in("analyst").get(f"/incidents/?person={person.id}").status_code == 400
    assert listed(signed_in("lawyer"), f"person={person.id}") != set()


def restrict_one(engine: Engine, accounts: dict[str, Account]) -> tuple[Incident, Incident]:
    def build(session: Session) -> tuple[Incident, Incident]:
        open_one = make_incident(session, title="Open incident")
        hidden = make_incident(session, title="Hidden incident")
        set_restriction(
            session,
            model=Incident,
            record_id=hidden.id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        return open_one, hidden

    return seed(engine, build)


def test_restricted_incidents_leave_the_list_for_others(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    open_one, hidden = restrict_one(engine, accounts)
    assert listed(signed_in("documenter")) == {open_one.code}
    assert listed(signed_in("lawyer")) == {open_one.code, hidden.code}
    assert listed(signed_in("admin")) == {open_one.code, hidden.code}
    assert "1 incidents" in signed_in("analyst").get("/incidents/").get_data(as_text=True)


def test_deleted_incidents_leave_the_list(engine: Engine, signed_in: Any) -> None:
    def build(session: Session) -> tuple[Incident, Incident]:
        kept, gone = make_incident(session), make_incident(session)
        delete_incident(session, incident_id=gone.id, expected_version=1, actor_id=ACTOR_ID)
        return kept, gone

    kept, _gone = seed(engine, build)
    assert listed(signed_in("admin")) == {kept.code}


def test_csv_holds_the_filtered_rows(engine: Engine, signed_in: Any) -> None:
    def build(session: Session) -> tuple[Incident, Incident]:
        place = make_place(session, name="Bakı")
        raid = make_incident(session, type="RAID", place_id=place.id, title="Raid at a club")
        return raid, make_incident(session, type="DET")

    raid, _detention = seed(engine, build)
    response = signed_in("analyst").get("/incidents/export.csv?type=RAID")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data().startswith("\ufeff".encode())
    rows = csv_rows(response)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(row["code"], row["place_name"], row["title"]) for row in rows] == [
        (raid.code, "Bakı", "Raid at a club")
    ]


def test_csv_in_batches_keeps_the_sort_order(
    engine: Engine, signed_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.services import incident_export

    defaults = incident_export.export_batches.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "batch_size", 4)
    seed(engine, lambda s: [make_incident(s) for _ in range(10)])
    response = signed_in("analyst").get("/incidents/export.csv?sort=-code")
    codes = [row["code"] for row in csv_rows(response)]
    assert codes == [f"INC-{n:06d}" for n in range(10, 0, -1)]


def test_csv_guards_formulas_and_leaves_out_restricted_incidents(
    engine: Engine, signed_in: Any, accounts: dict[str, Account]
) -> None:
    open_one, hidden = restrict_one(engine, accounts)
    seed(engine, lambda s: make_incident(s, title='=HYPERLINK("http://evil","x")'))
    rows = csv_rows(signed_in("analyst").get("/incidents/export.csv"))
    titles = {row["title"] for row in rows}
    assert '\'=HYPERLINK("http://evil","x")' in titles
    assert hidden.title not in titles and open_one.title in titles
    lawyer_rows = csv_rows(signed_in("lawyer").get("/incidents/export.csv"))
    assert hidden.code in {row["code"] for row in lawyer_rows}


def test_csv_needs_the_export_permission_and_good_filters(engine: Engine, signed_in: Any) -> None:
    seed(engine, lambda s: make_incident(s))
    documenter, analyst = signed_in("documenter"), signed_in("analyst")
    before = table_counts(engine)
    assert documenter.get("/incidents/export.csv").status_code == 403
    assert analyst.get("/incidents/export.csv?type=NOPE").status_code == 400
    assert table_counts(engine) == before


def test_the_list_shows_markup_as_text(engine: Engine, signed_in: Any) -> None:
    seed(engine, lambda s: make_incident(s, title="<script>alert(1)</script>"))
    page = signed_in("analyst").get("/incidents/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
