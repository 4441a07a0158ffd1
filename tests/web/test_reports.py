"""Report pages: timelines in the browser, downloads per role and level, audit, bad input."""

import hashlib
import io
import json
import re
import string
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from tests.factories import (
    ACTOR_ID,
    make_case,
    make_citation,
    make_incident,
    make_involvement,
    make_person,
    make_place,
    make_source,
)
from tests.web.conftest import Account, WebClient
from tracker.domain.permissions import ROLE_CODES
from tracker.models import AuditEntry
from tracker.reporting.exports import ReportFile
from tracker.services.cases import add_client, add_incident_to_case
from tracker.services.consents import record_consent
from tracker.services.people import update_person
from tracker.services.restrictions import set_restriction
from tracker.web.reports import attachment, safe_file_name

REAL_NAME = "Zaurbek Canaryov"
PHONE = "+994 55 123 45 67"
ADDRESS = "12 Canary Street"
SITE = "Canary Safehouse"
# Never on a partner or public page, whatever the case's records say.
LEAKS = (REAL_NAME, "Canaryov", PHONE, "123 45 67", ADDRESS, SITE, "14.03.2023", "14 March")
SAFE_CHARACTERS = set(string.ascii_letters + string.digits + "._-")
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<b>R&D</b>",
)


@dataclass(frozen=True)
class ReportRecords:
    case_id: uuid.UUID
    case_code: str
    victim_id: uuid.UUID
    place_id: uuid.UUID
    restricted_case_id: uuid.UUID
    hostile_incident_code: str


def make_victim(session: Session) -> uuid.UUID:
    victim = make_person(session, real_name=REAL_NAME, age_band="25_34")
    record_consent(
        session,
        person_id=victim.id,
        scope="record_sensitive",
        status="granted",
        decided_on=date(2024, 1, 10),
        method="in person",
        actor_id=ACTOR_ID,
    )
    changes = {"contact_info": PHONE, "exact_address": f"{ADDRESS}, flat 4"}
    update_person(
        session,
        person_id=victim.id,
        expected_version=victim.version,
        changes=changes,
        actor_id=ACTOR_ID,
    )
    return victim.id


def make_site(session: Session) -> uuid.UUID:
    country = make_place(session, name="Azerbaijan", kind="country", geo_precision=4)
    baku = make_place(session, name="Baku", parent_id=country.id)
    nasimi = make_place(session, name="Nasimi", kind="district", geo_precision=2, parent_id=baku.id)
    site = make_place(
        session, name=SITE, kind="site", geo_precision=1, parent_id=nasimi.id, sensitive=True
    )
    return site.id


def make_records(engine: Engine, reviewer: Account) -> ReportRecords:
    """A case with a canary victim at a sensitive site, a hostile incident, and a restricted
    case named to the reviewer only."""
    with Session(engine, expire_on_commit=False) as session:
        victim_id, site_id = make_victim(session), make_site(session)
        detention = make_incident(
            session,
            start_text="14.03.2023",
            place_id=site_id,
            title=f"Detention of {REAL_NAME}",
            summary=f"{REAL_NAME} was taken from {ADDRESS}; reach him on {PHONE}.",
        )
        make_involvement(session, incident_id=detention.id, person_id=victim_id)
        hostile = make_incident(
            session, start_text="May 2023", title=HOSTILE[0], summary=" ".join(HOSTILE[1:])
        )
        source = make_source(session, title=HOSTILE[1], reliability="B")
        make_citation(session, source_id=source.id, incident_id=hostile.id, credibility=2)
        undated = make_incident(session, start_text="unknown", title="Threats by telephone")
        case = make_case(session, title="Detention case")
        for incident in (detention, hostile, undated):
            add_incident_to_case(
                session, case_id=case.id, incident_id=incident.id, actor_id=ACTOR_ID
            )
        add_client(session, case_id=case.id, person_id=victim_id, actor_id=ACTOR_ID)
        restricted = make_case(session, title="Restricted case")
        set_restriction(
            session,
            model=type(restricted),
            record_id=restricted.id,
            user_ids=[reviewer.user_id],
            actor_id=ACTOR_ID,
        )
        session.commit()
        return ReportRecords(case.id, case.code, victim_id, site_id, restricted.id, hostile.code)


@pytest.fixture
def records(engine: Engine, accounts: dict[str, Account]) -> ReportRecords:
    return make_records(engine, accounts["reviewer"])


def report_entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        statement = select(AuditEntry).where(col(AuditEntry.table_name) == "report")
        return list(session.execute(statement).scalars())


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def download(
    client: WebClient, url: str, fields: dict[str, str], *, form_url: str | None = None
) -> TestResponse:
    """POST a download form with the token of its page; the answer may be a file, not text."""
    client.get(form_url or url)
    return client.client.post(url, data={"csrf_token": client.last_token, **fields})


def dossier(client: WebClient, records: ReportRecords, **fields: str) -> TestResponse:
    url = f"/reports/dossier/{records.case_id}"
    return download(client, url, {"package": "pdf", **fields})


def assert_download(response: TestResponse, media_type: str, suffix: str) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == media_type
    assert response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith(f'{suffix}"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    data = response.get_data()
    assert response.headers["Content-Length"] == str(len(data))
    return data


# --- downloads and the audit log ------------------------------------------------------------


def test_a_lawyer_downloads_a_legal_dossier_recorded_with_its_hash(
    engine: Engine, records: ReportRecords, signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("lawyer")
    case_page = client.get(f"/cases/{records.case_id}").get_data(as_text=True)
    assert f"/reports/dossier/{records.case_id}" in case_page
    data = assert_download(dossier(client, records, level="legal"), "application/pdf", ".pdf")
    assert records.case_code in pdf_text(data)
    [entry] = report_entries(engine)
    assert entry.action == "export"
    assert entry.actor_id == accounts["lawyer"].user_id
    assert hashlib.sha256(data).hexdigest() in json.dumps(entry.changes)


def test_an_analyst_may_not_take_the_legal_level_but_gets_partner_and_public(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    case_page = client.get(f"/cases/{records.case_id}").get_data(as_text=True)
    assert 'name="level" value="partner"' in case_page
    assert 'name="level" value="legal"' not in case_page
    refused = dossier(client, records, level="legal")
    assert refused.status_code == 403
    assert 'name="password"' in refused.get_data(as_text=True)  # the form, shown again
    assert report_entries(engine) == []
    for level in ("partner", "public"):
        data = assert_download(dossier(client, records, level=level), "application/pdf", ".pdf")
        text = pdf_text(data)
        assert [leak for leak in LEAKS if leak in text] == []
    assert len(report_entries(engine)) == 2


def test_the_dossier_and_its_manifest_come_from_one_run(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    response = dossier(client, records, level="partner", package="zip")
    archive = zipfile.ZipFile(io.BytesIO(assert_download(response, "application/zip", ".zip")))
    [pdf_name] = [name for name in archive.namelist() if name.endswith(".pdf")]
    [manifest_name] = [name for name in archive.namelist() if name.endswith(".json")]
    assert len(archive.namelist()) == 2
    pdf_hash = hashlib.sha256(archive.read(pdf_name)).hexdigest()
    assert pdf_hash in archive.read(manifest_name).decode()
    [entry] = report_entries(engine)
    assert pdf_hash in json.dumps(entry.changes)


def test_an_encrypted_dossier_opens_only_with_its_password(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    password = "a long shared secret"
    fields = {"level": "legal", "password": password, "password_confirmation": password}
    data = assert_download(dossier(client, records, **fields), "application/pdf", ".pdf")
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted and reader.decrypt(password)
    assert records.case_code in reader.pages[0].extract_text()
    [entry] = report_entries(engine)
    assert hashlib.sha256(data).hexdigest() in json.dumps(entry.changes)


def test_bad_dossier_passwords_are_refused_at_the_field(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    mismatched = {"password": "a long shared secret", "password_confirmation": "another one!!"}
    for fields in (mismatched, {"password": "short", "password_confirmation": "short"}):
        response = dossier(client, records, level="legal", **fields)
        assert response.status_code == 400
        assert "field-error" in response.get_data(as_text=True)
    assert dossier(client, records, level="secret").status_code == 400
    assert dossier(client, records).status_code == 400  # no level: never a default
    assert report_entries(engine) == []


def test_a_timeline_pdf_at_partner_level(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    page_url = f"/reports/timeline?person={records.victim_id}"
    fields = {"subject": "person", "record_id": str(records.victim_id), "level": "partner"}
    response = download(client, "/reports/timeline.pdf", fields, form_url=page_url)
    text = pdf_text(assert_download(response, "application/pdf", ".pdf"))
    assert [leak for leak in LEAKS if leak in text] == []
    assert len(report_entries(engine)) == 1
    refused = client.post("/reports/timeline.pdf", {**fields, "level": "legal"}, form_url=page_url)
    assert refused.status_code == 403
    assert "field-error" in refused.get_data(as_text=True)
    forged = {**fields, "record_id": "not-an-id"}
    assert client.post("/reports/timeline.pdf", forged, form_url=page_url).status_code == 400
    assert len(report_entries(engine)) == 1


def test_the_annual_report_as_pdf_and_as_tables(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    fields = {
        "year": "2023",
        "level": "public",
        "language": "az",
        "region_id": "",
        "package": "pdf",
    }
    response = download(client, "/reports/annual", fields, form_url="/reports/")
    text = pdf_text(assert_download(response, "application/pdf", ".pdf"))
    assert "2023" in text
    zipped = download(client, "/reports/annual", {**fields, "package": "zip"}, form_url="/reports/")
    archive = zipfile.ZipFile(io.BytesIO(assert_download(zipped, "application/zip", ".zip")))
    names = archive.namelist()
    assert sum(name.endswith(".pdf") for name in names) == 1
    assert any(name.endswith(".csv") for name in names)
    for name in names:
        content = archive.read(name)
        found = pdf_text(content) if name.endswith(".pdf") else content.decode("utf-8")
        assert [leak for leak in LEAKS if leak in found] == [], name
    assert len(report_entries(engine)) == 2


@pytest.mark.parametrize(
    ("year", "level", "status"),
    [
        ("1990", "public", 400),
        ("twenty", "public", 400),
        ("", "public", 400),
        ("2023", "legal", 403),
    ],
)
def test_annual_bad_input_shows_the_form_again_and_writes_nothing(
    engine: Engine, records: ReportRecords, signed_in: Any, year: str, level: str, status: int
) -> None:
    client = signed_in("analyst")
    fields = {"year": year, "level": level, "language": "en", "package": "pdf"}
    response = client.post("/reports/annual", fields, form_url="/reports/")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert 'name="year"' in page and "field-error" in page
    assert f'value="{year}"' in page if year else True
    assert report_entries(engine) == []


def test_an_unknown_region_or_type_is_refused(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    base = {"year": "2023", "level": "public", "language": "en", "package": "pdf"}
    for extra in ({"region_id": str(uuid.uuid4())}, {"incident_type": "NOPE"}, {"language": "fr"}):
        response = client.post("/reports/annual", {**base, **extra}, form_url="/reports/")
        assert response.status_code == 400
    assert report_entries(engine) == []


def test_downloads_need_the_csrf_token(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    url = f"/reports/dossier/{records.case_id}"
    assert client.post(url, {"level": "legal"}, with_token=False).status_code == 400
    assert client.post(url, {"level": "legal", "csrf_token": "forged"}).status_code == 400
    annual = {"year": "2023", "level": "public", "language": "en", "csrf_token": "forged"}
    assert client.post("/reports/annual", annual, form_url="/reports/").status_code == 400
    timeline = {"subject": "case", "record_id": str(records.case_id), "level": "legal"}
    assert client.post("/reports/timeline.pdf", timeline, with_token=False).status_code == 400
    assert report_entries(engine) == []


# --- who may see what ----------------------------------------------------------------------


def report_urls(records: ReportRecords) -> list[tuple[str, str]]:
    return [
        ("GET", "/reports/"),
        ("GET", f"/reports/timeline?case={records.case_id}"),
        ("GET", f"/reports/dossier/{records.case_id}"),
        ("POST", f"/reports/dossier/{records.case_id}"),
        ("POST", "/reports/timeline.pdf"),
        ("POST", "/reports/annual"),
    ]


def test_documenters_get_no_report_and_no_button(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("documenter")
    fields = {"level": "public", "year": "2023", "subject": "case"}
    for method, url in report_urls(records):
        response = client.get(url) if method == "GET" else client.post(url, fields, form_url="/")
        assert response.status_code in (403, 404), (method, url)
    for page in (f"/cases/{records.case_id}", f"/persons/{records.victim_id}", "/"):
        text = client.get(page).get_data(as_text=True)
        assert "/reports/" not in text, page
    assert report_entries(engine) == []


def test_anonymous_users_are_sent_to_login(records: ReportRecords, web: WebClient) -> None:
    for method, url in report_urls(records):
        response = web.get(url) if method == "GET" else web.post(url, form_url="/login")
        assert response.status_code == 302 and response.location.startswith("/login")


def test_a_restricted_case_is_not_found_for_those_not_named(
    engine: Engine, records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    restricted = records.restricted_case_id
    assert client.get(f"/reports/dossier/{restricted}").status_code == 404
    assert client.get(f"/reports/timeline?case={restricted}").status_code == 404
    fields = {"level": "legal", "package": "pdf"}
    response = client.post(f"/reports/dossier/{restricted}", fields, form_url="/reports/")
    assert response.status_code == 404
    timeline = {"subject": "case", "record_id": str(restricted), "level": "legal"}
    assert client.post("/reports/timeline.pdf", timeline, form_url="/reports/").status_code == 404
    assert client.get(f"/reports/timeline?case={uuid.uuid4()}").status_code == 404
    reviewer = signed_in("reviewer")
    assert reviewer.get(f"/reports/timeline?case={restricted}").status_code == 200
    assert report_entries(engine) == []


@pytest.mark.parametrize("role", [role for role in ROLE_CODES if role != "documenter"])
def test_report_buttons_on_record_pages(records: ReportRecords, signed_in: Any, role: str) -> None:
    client = signed_in(role)
    for kind, url in (
        ("case", f"/cases/{records.case_id}"),
        ("person", f"/persons/{records.victim_id}"),
        ("place", f"/places/{records.place_id}"),
    ):
        page = client.get(url).get_data(as_text=True)
        assert f"/reports/timeline?{kind}=" in page, (role, kind)
    assert "/reports/" in client.get("/").get_data(as_text=True)  # the menu entry


# --- the timeline page ---------------------------------------------------------------------


def test_the_partner_timeline_page_shows_no_identity(
    records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    for subject in (f"case={records.case_id}", f"person={records.victim_id}"):
        response = client.get(f"/reports/timeline?{subject}&level=partner")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert records.case_code in page or subject.startswith("person")
        assert [leak for leak in LEAKS if leak in page] == [], subject


def test_the_timeline_lists_dated_then_undated_events(
    records: ReportRecords, signed_in: Any
) -> None:
    page = signed_in("lawyer").get(f"/reports/timeline?case={records.case_id}")
    text = page.get_data(as_text=True)
    dated, undated = text.index('id="dated"'), text.index('id="undated"')
    assert dated < text.index(records.hostile_incident_code) < undated
    assert undated < text.index("Threats by telephone")
    assert "Undated events" in text


def test_the_timeline_defaults_to_the_most_revealing_level_up_to_legal(
    records: ReportRecords, signed_in: Any
) -> None:
    for role, level in (("admin", "legal"), ("lawyer", "legal"), ("analyst", "partner")):
        page = signed_in(role).get(f"/reports/timeline?case={records.case_id}")
        assert f'name="level" value="{level}"' in page.get_data(as_text=True), role


def test_timeline_levels_and_subjects_are_checked(records: ReportRecords, signed_in: Any) -> None:
    client = signed_in("analyst")
    case = f"case={records.case_id}"
    refused = client.get(f"/reports/timeline?{case}&level=legal")
    assert refused.status_code == 403 and "field-error" in refused.get_data(as_text=True)
    assert client.get(f"/reports/timeline?{case}&level=secret").status_code == 400
    assert client.get(f"/reports/timeline?{case}&person={records.victim_id}").status_code == 400
    assert client.get("/reports/timeline?case=not-an-id").status_code == 400
    assert client.get("/reports/timeline").status_code == 200


def test_hostile_text_is_escaped_on_the_timeline(records: ReportRecords, signed_in: Any) -> None:
    page = signed_in("lawyer").get(f"/reports/timeline?case={records.case_id}")
    text = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>R&" not in text
    assert "[B2]" in text  # the hostile source's grade


@given(st.text(max_size=300))
def test_any_file_name_becomes_a_safe_header_value(name: str) -> None:
    safe = safe_file_name(name)
    assert safe and set(safe) <= SAFE_CHARACTERS
    assert not safe.startswith(".") and "/" not in safe
    disposition = attachment(ReportFile(name, b"%PDF", "application/pdf", "")).headers
    assert disposition["Content-Disposition"] == f'attachment; filename="{safe}"'


# --- timelines of an incident filter --------------------------------------------------------

LIST_CODES = re.compile(r'<a href="/incidents/[0-9a-f-]{36}">([^<]+)</a>')
TIMELINE_CODES = re.compile(r'<span class="record-code">([^<]+)</span>')
FILTERS_2017 = "type=DET&date_from=2017&date_to=2017"


@dataclass(frozen=True)
class FilteredIncidents:
    """Detentions in 2017 (one hostile, one restricted to the reviewer), and what the filters
    must leave out: a detention of 2018 and a 2017 incident of another type."""

    wanted: tuple[str, ...]
    restricted: str
    unwanted: tuple[str, ...]


@pytest.fixture
def filtered(engine: Engine, accounts: dict[str, Account]) -> FilteredIncidents:
    with Session(engine, expire_on_commit=False) as session:
        plain = make_incident(session, start_text="May 2017", title="Detention at the march")
        hostile = make_incident(
            session, start_text="3.09.2017", title=HOSTILE[0], summary=HOSTILE[2]
        )
        restricted = make_incident(session, start_text="2017", title="Restricted detention")
        set_restriction(
            session,
            model=type(restricted),
            record_id=restricted.id,
            user_ids=[accounts["reviewer"].user_id],
            actor_id=ACTOR_ID,
        )
        later = make_incident(session, start_text="January 2018", title="Later detention")
        other = make_incident(session, type="TORT", start_text="June 2017", title="Beating")
        session.commit()
        return FilteredIncidents(
            (plain.code, hostile.code), restricted.code, (later.code, other.code)
        )


def filter_timeline(client: WebClient, query: str, status: int = 200) -> str:
    response = client.get(f"/reports/timeline?{query}&filter=1")
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:2000]
    return page


def test_the_incident_list_links_to_the_timeline_of_its_filters(
    filtered: FilteredIncidents, signed_in: Any
) -> None:
    page = signed_in("lawyer").get(f"/incidents/?{FILTERS_2017}&sort=code&page=1")
    links = re.findall(r'href="(/reports/timeline\?[^"]+)"', page.get_data(as_text=True))
    assert len(links) == 1
    query = links[0].replace("&amp;", "&")
    assert "filter=1" in query and "type=DET" in query and "date_from=2017" in query
    assert "page=" not in query and "sort=" not in query
    listing = signed_in("documenter").get(f"/incidents/?{FILTERS_2017}")
    assert "/reports/timeline" not in listing.get_data(as_text=True)  # no export permission


@pytest.mark.parametrize("role", ["lawyer", "reviewer", "admin"])
def test_a_filter_timeline_shows_the_incidents_the_list_shows(
    filtered: FilteredIncidents, signed_in: Any, role: str
) -> None:
    client = signed_in(role)
    listed = LIST_CODES.findall(client.get(f"/incidents/?{FILTERS_2017}").get_data(as_text=True))
    page = filter_timeline(client, FILTERS_2017)
    shown = TIMELINE_CODES.findall(page)
    assert sorted(shown) == sorted(listed)
    named = role != "lawyer"  # the reviewer is named on the restriction; admins see all
    expected = {*filtered.wanted, *([filtered.restricted] if named else [])}
    assert set(shown) == expected, role
    assert "Restricted detention" not in page or named
    assert "Incidents matching:" in page and "From: 2017" in page


def test_a_filter_timeline_escapes_hostile_text_and_carries_its_filters(
    filtered: FilteredIncidents, signed_in: Any
) -> None:
    page = filter_timeline(signed_in("lawyer"), "date_to=%3Cscript%3Ealert(3)%3C/script%3E", 400)
    assert "&lt;script&gt;alert(3)" in page and "<script>alert" not in page  # echoed, escaped
    page = filter_timeline(signed_in("lawyer"), f"{FILTERS_2017}&level=partner")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<b>R&" not in page
    for name, value in (("filter", "1"), ("subject", "filter"), ("date_to", "2017")):
        assert f'name="{name}" value="{value}"' in page


def test_bad_filters_show_why_and_an_empty_filter_an_empty_timeline(
    engine: Engine, filtered: FilteredIncidents, signed_in: Any
) -> None:
    client = signed_in("analyst")
    bad_date = filter_timeline(client, "date_from=the+day+after", 400)
    assert "field-error" in bad_date and "is not a date" in bad_date
    assert "no such record" in filter_timeline(client, "case=C-1999-999", 400)
    assert "field-error" in filter_timeline(client, "type=NOPE", 400)
    empty = filter_timeline(client, "type=DET&date_from=1990&date_to=1991")
    assert TIMELINE_CODES.findall(empty) == [] and "No dated events." in empty
    fields = {"subject": "filter", "date_from": "the day after", "level": "partner"}
    response = client.post("/reports/timeline.pdf", fields, form_url="/reports/timeline")
    assert response.status_code == 400
    assert report_entries(engine) == []


def test_the_pdf_of_a_filter_timeline_is_recorded_with_its_filters(
    engine: Engine, filtered: FilteredIncidents, signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("lawyer")
    fields = {"subject": "filter", "level": "legal", "type": "DET"}
    fields |= {"date_from": "2017", "date_to": "2017"}
    page_url = f"/reports/timeline?{FILTERS_2017}&filter=1"
    response = download(client, "/reports/timeline.pdf", fields, form_url=page_url)
    data = assert_download(response, "application/pdf", ".pdf")
    text = pdf_text(data)
    for code in filtered.wanted:
        assert code in text
    for code in (filtered.restricted, *filtered.unwanted):
        assert code not in text
    [entry] = report_entries(engine)
    assert entry.actor_id == accounts["lawyer"].user_id
    assert entry.changes["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    scope = json.dumps(entry.changes, default=str)
    assert '"filter"' in scope and "2017-01-01" in scope and "DET" in scope


def test_record_filters_are_carried_by_the_id_they_were_found_to_be(
    records: ReportRecords, signed_in: Any
) -> None:
    client = signed_in("analyst")
    query = f"case={records.case_code.lower()}&person={records.victim_id}&level=partner"
    page = filter_timeline(client, query)
    assert f'name="case" value="{records.case_id}"' in page
    assert f'name="person" value="{records.victim_id}"' in page
    assert records.hostile_incident_code not in page  # the victim is not party to it
    assert f"Case: {records.case_code}" in page
    assert [leak for leak in LEAKS if leak in page] == []
