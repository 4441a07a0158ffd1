"""The person page lists, for admins only, the earlier exports that included the person, and a
withdrawal recorded by an admin leads to those at the levels it affects."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.reporting.recall_samples import (
    RecallSample,
    decide,
    export,
    make_recall_sample,
)
from tests.web.conftest import Account
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.exports import ReportBundle
from tracker.services.restrictions import Viewer

HEADING = "Earlier exports that included this person"


@dataclass(frozen=True)
class Exported:
    sample: RecallSample
    legal_dossier: ReportBundle
    public_timeline: ReportBundle

    @property
    def page(self) -> str:
        return f"/persons/{self.sample.victim_id}"


@pytest.fixture
def exported(engine: Engine, accounts: dict[str, Account]) -> Exported:
    """A legal dossier and a public timeline naming the victim, exported by the admin."""
    admin = Viewer(user_id=accounts["admin"].user_id, roles=frozenset({"admin"}))
    with Session(engine, expire_on_commit=False) as session:
        sample = make_recall_sample(session)
        for scope in ("legal_filing", "name_public"):
            decide(session, sample.victim_id, scope, "granted")
        dossier = export(session, sample, "dossier", DisclosureLevel.LEGAL, admin)
        timeline = export(session, sample, "timeline", DisclosureLevel.PUBLIC, admin)
        session.commit()
    return Exported(sample, dossier, timeline)


def test_an_admin_sees_the_earlier_exports_with_their_files_and_hashes(
    exported: Exported, signed_in: Any
) -> None:
    page = signed_in("admin").get(exported.page).get_data(as_text=True)
    assert HEADING in page and "not recorded in the tracker" in page
    section = page[page.index('id="earlier-exports"') :]
    for bundle in (exported.legal_dossier, exported.public_timeline):
        for file in bundle.files:
            assert file.name in section and file.sha256 in section
    assert section.index(exported.public_timeline.main.name) < section.index(
        exported.legal_dossier.main.name
    )  # newest first
    assert "Case dossier" in section and "Timeline" in section and ">admin<" in section


@pytest.mark.parametrize("role", ["lawyer", "reviewer", "analyst", "documenter"])
def test_other_roles_never_see_the_earlier_exports(
    exported: Exported, signed_in: Any, role: str
) -> None:
    response = signed_in(role).get(exported.page)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert HEADING not in page and "earlier-exports" not in page
    for bundle in (exported.legal_dossier, exported.public_timeline):
        assert bundle.main.name not in page and bundle.main.sha256 not in page


def withdraw(client: Any, exported: Exported, scope: str) -> Any:
    decision = {"scope": scope, "status": "withdrawn", "decided_on": "2024-05-01"}
    return client.post(f"{exported.page}/consents", decision, form_url=exported.page)


def test_an_admin_withdrawing_is_shown_the_exports_at_the_levels_affected(
    exported: Exported, signed_in: Any
) -> None:
    client = signed_in("admin")
    response = withdraw(client, exported, "name_public")
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.fragment == "earlier-exports"
    assert parse_qs(location.query) == {"export_level": ["public"]}
    page = client.get(f"{location.path}?{location.query}").get_data(as_text=True)
    assert "files exported earlier do not change" in page
    section = page[page.index('id="earlier-exports"') :]
    assert exported.public_timeline.main.name in section
    assert exported.legal_dossier.main.name not in section
    assert "Show every level" in section


def test_a_narrative_withdrawal_points_to_partner_and_public_exports(
    exported: Exported, signed_in: Any
) -> None:
    response = withdraw(signed_in("admin"), exported, "narrative_public")
    query = parse_qs(urlsplit(response.location).query)
    assert query == {"export_level": ["partner", "public"]}


def test_a_withdrawal_by_another_role_goes_back_to_the_consent_record(
    exported: Exported, signed_in: Any
) -> None:
    response = withdraw(signed_in("lawyer"), exported, "legal_filing")
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.fragment == "consent" and location.query == ""


def test_a_grant_by_an_admin_goes_back_to_the_consent_record(
    exported: Exported, signed_in: Any
) -> None:
    decision = {"scope": "share_partner", "status": "granted", "decided_on": "2024-05-01"}
    client = signed_in("admin")
    response = client.post(f"{exported.page}/consents", decision, form_url=exported.page)
    assert urlsplit(response.location).fragment == "consent"


def test_an_unknown_level_in_the_query_is_ignored(exported: Exported, signed_in: Any) -> None:
    response = signed_in("admin").get(f"{exported.page}?export_level=secret&export_level=%00")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert exported.legal_dossier.main.name in page and "Show every level" not in page
