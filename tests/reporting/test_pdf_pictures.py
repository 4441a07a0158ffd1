"""Render the first pages of a dossier and a timeline to PNG, for people to look at.

The PNGs land in test-artifacts/reports/ (ignored by git); open them to check hierarchy,
readable tables, no overlapping text and nothing cut at the page edge.
"""

import subprocess
from pathlib import Path

import pytest

from tests.reporting import pdf_samples
from tracker.reporting.pdf.dossier import render_dossier_pdf
from tracker.reporting.pdf.timeline import render_timeline_pdf

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
PDFTOPPM = "/usr/bin/pdftoppm"


def render_pages(data: bytes, name: str) -> list[Path]:
    """Pages 1-3 of data as PNGs at 60 dpi; returns their paths."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(data)
    command = [PDFTOPPM, "-r", "60", "-f", "1", "-l", "3", "-png", str(pdf_path)]
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
