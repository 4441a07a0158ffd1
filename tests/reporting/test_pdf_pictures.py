"""Render the first pages of a dossier, a timeline and an annual report to PNG, for people to
look at.

The PNGs land in test-artifacts/reports/ (ignored by git); open them to check hierarchy,
readable tables, no overlapping text and nothing cut at the page edge.
"""

import subprocess
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.factories import (
    ACTOR_ID,
    make_incident,
    make_involvement,
    make_organisation,
    make_person,
    make_place,
)
from tests.reporting import pdf_samples
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.annual import build_annual_report
from tracker.reporting.pdf.annual import render_annual_pdf
from tracker.reporting.pdf.dossier import render_dossier_pdf
from tracker.reporting.pdf.timeline import render_timeline_pdf
from tracker.services.consents import record_consent
from tracker.services.restrictions import Viewer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
PDFTOPPM = "/usr/bin/pdftoppm"


def render_pages(data: bytes, name: str, last_page: int = 3) -> list[Path]:
    """The first pages of data as PNGs at 60 dpi; returns their paths."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(data)
    command = [PDFTOPPM, "-r", "60", "-f", "1", "-l", str(last_page), "-png", str(pdf_path)]
    subprocess.run([*command, str(ARTIFACTS / name)], check=True, timeout=60)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("dossier-legal", lambda: render_dossier_pdf(pdf_samples.dossier())),
        ("timeline-legal", lambda: render_timeline_pdf(pdf_samples.timeline())),
    ],
)
def test_first_pages_render_to_png(name: str, render: object) -> None:
    assert callable(render)
    pages = render_pages(render(), name)
    assert len(pages) >= 2
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG")


REGIONS = ("Bakı", "Gəncə", "Сумгаит", "İsmayıllı")
PERPETRATORS = ("state_agent", "state_agent", "private_individual", "unknown")
NARRATIVE = (
    "Əli Məlikov was stopped outside the market on 14 March and taken to a police station, "
    "where he was held for two days without a lawyer.\n\n"
    "He was released without charge; his family filed a complaint the following week."
)


def year_of_incidents(session: Session) -> None:
    """About forty incidents of 2023 over four regions, months and perpetrator types."""
    regions = [make_place(session, name=name) for name in REGIONS]
    police = make_organisation(session)
    for number in range(40):
        day = f"{1 + number % 27} {MONTHS[number * 7 % 12]} 2023"
        incident = make_incident(session, start_text=day, place_id=regions[number % 4].id,
                                 type=("DET", "RAID", "DET", "TORT")[number % 4])  # fmt: skip
        make_involvement(session, incident_id=incident.id)
        make_involvement(session, incident_id=incident.id, organisation_id=police.id,
                         role="alleged_perpetrator",
                         perpetrator_type=PERPETRATORS[number % 4])  # fmt: skip
    narrated = make_incident(session, start_text="14 March 2023", place_id=regions[0].id,
                             publishable=True, narrative=NARRATIVE)  # fmt: skip
    victim = make_person(session, real_name="Əli Məlikov")
    make_involvement(session, incident_id=narrated.id, person_id=victim.id)
    record_consent(session, person_id=victim.id, scope="narrative_public", status="granted",
                   decided_on=date(2024, 1, 5), method="in person", actor_id=ACTOR_ID)  # fmt: skip


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


@pytest.mark.parametrize(("level", "language"), [("public", "en"), ("partner", "ru")])
def test_annual_report_renders_to_png(session: Session, level: str, language: str) -> None:
    year_of_incidents(session)
    analyst = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
    report = build_annual_report(
        session, year=2023, level=DisclosureLevel(level), viewer=analyst, language=language,
        generated_at=datetime(2024, 2, 1, 12, tzinfo=UTC), generated_by="analyst",
    )  # fmt: skip
    pages = render_pages(render_annual_pdf(report), f"annual-{level}", last_page=6)
    assert len(pages) >= 4
