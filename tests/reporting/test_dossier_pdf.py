"""The case dossier PDF, its manifest and its encrypted copy."""

import dataclasses
import hashlib
import io

import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from tests.reporting import pdf_samples
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import InvalidInput
from tracker.reporting.pdf.dossier import dossier_manifest, render_dossier_pdf
from tracker.reporting.pdf.encryption import encrypt_pdf

SECTIONS = (
    "Contents",
    "Summary",
    "Chronology",
    "Persons",
    "Perpetrators and units",
    "Legal actions",
    "Upcoming deadlines",
    "Sources",
    "Evidence annex",
)


@pytest.fixture(scope="module")
def legal_pdf() -> bytes:
    return render_dossier_pdf(pdf_samples.dossier())


def test_unicode_names_are_extracted_intact(legal_pdf: bytes) -> None:
    text = pdf_samples.all_text(legal_pdf)
    for name in pdf_samples.UNICODE_NAMES:
        assert name in text


def test_cover_shows_case_level_marking_and_generation(legal_pdf: bytes) -> None:
    cover = pdf_samples.page_texts(legal_pdf)[0]
    assert "C-2023-004: Detentions in Gəncə" in cover
    assert "CONFIDENTIAL - LEGAL USE ONLY" in cover
    assert "legal" in cover
    assert "2024-05-17T09:30:00+00:00" in cover
    assert "lawyer.aziz" in cover


def test_every_page_has_the_marking_and_page_x_of_y(legal_pdf: bytes) -> None:
    pdf_samples.assert_page_furniture(legal_pdf, "CONFIDENTIAL - LEGAL USE ONLY")


def test_outline_and_contents_list_every_section(legal_pdf: bytes) -> None:
    titles = pdf_samples.outline_titles(legal_pdf)
    contents_page = pdf_samples.page_texts(legal_pdf)[1]
    for section in SECTIONS:
        assert section in titles
        assert section in contents_page


def test_sections_show_units_deadlines_grades_and_evidence(legal_pdf: bytes) -> None:
    text = pdf_samples.body_text(legal_pdf)
    squashed = pdf_samples.squashed(text)
    assert pdf_samples.squashed("2nd police station → Gəncə city police →") in squashed
    assert "2024-06-01(confirm)" in squashed and "confirm the date" in text
    assert "[B2]" in text
    assert "3f" * 32 in squashed
    assert "2,345,678 bytes" in text
    assert "copied to archive" in text
    assert "No custody entries recorded." in text


def test_metadata_names_the_document_and_producer(legal_pdf: bytes) -> None:
    metadata = PdfReader(io.BytesIO(legal_pdf)).metadata
    assert metadata is not None
    assert metadata.title == "Case dossier: Detentions in Gəncə"
    assert metadata.subject == "Case C-2023-004"
    assert metadata.producer == "tracker" and metadata.creator == "tracker"
    assert metadata.author == "lawyer.aziz"
    assert str(metadata["/CreationDate"]) == "D:20240517093000+00'00'"


@pytest.mark.parametrize("level", [DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC])
def test_metadata_names_nobody_below_the_legal_level(level: DisclosureLevel) -> None:
    dossier = pdf_samples.dossier(level, evidence=())
    metadata = PdfReader(io.BytesIO(render_dossier_pdf(dossier))).metadata
    assert metadata is not None
    values = " ".join(str(value) for value in metadata.values())
    for name in ("Əli Məlikov", "Leyla Həsənova", "lawyer.aziz"):
        assert name not in values
    assert not metadata.get("/Keywords")


def test_evidence_is_withheld_at_the_partner_level() -> None:
    dossier = pdf_samples.dossier(DisclosureLevel.PARTNER, evidence=())
    text = pdf_samples.body_text(render_dossier_pdf(dossier))
    assert "Withheld at the partner level." in text


def test_an_empty_case_says_no_incidents() -> None:
    empty = pdf_samples.timeline(dated=(), undated=())
    text = pdf_samples.body_text(render_dossier_pdf(pdf_samples.dossier(chronology=empty)))
    assert "No incidents." in text


def test_rendering_is_byte_identical_and_follows_generated_at(legal_pdf: bytes) -> None:
    assert render_dossier_pdf(pdf_samples.dossier()) == legal_pdf
    dossier = pdf_samples.dossier()
    later = dataclasses.replace(
        dossier.header, generated_at=dossier.header.generated_at.replace(minute=31)
    )
    assert render_dossier_pdf(dataclasses.replace(dossier, header=later)) != legal_pdf


def test_manifest_holds_the_pdf_hash_and_evidence_hashes(legal_pdf: bytes) -> None:
    manifest = dossier_manifest(pdf_samples.dossier(), legal_pdf)
    assert manifest["sha256"] == hashlib.sha256(legal_pdf).hexdigest()
    assert manifest["document"] == "case dossier"
    assert manifest["case"] == "C-2023-004"
    assert manifest["level"] == "legal"
    assert manifest["generated_at"] == "2024-05-17T09:30:00+00:00"
    assert manifest["generated_by"] == "lawyer.aziz"
    assert manifest["evidence"][0] == {
        "file_name": "injuries-Əli.jpg",
        "sha256": "3f" * 32,
        "size_bytes": 2_345_678,
    }
    assert len(manifest["evidence"]) == 2


@pytest.mark.parametrize("hostile", pdf_samples.HOSTILE_TEXTS)
def test_hostile_text_in_every_field_prints_literally(hostile: str) -> None:
    dossier = pdf_samples.with_every_string(pdf_samples.dossier(), hostile)
    pdf_samples.assert_literal(render_dossier_pdf(dossier), hostile)


def test_a_60000_character_text_renders_completely_in_body_and_tables() -> None:
    narrative = pdf_samples.long_narrative()
    dossier = pdf_samples.dossier(
        summary=narrative, evidence=(pdf_samples.evidence(file_name=narrative),)
    )
    text = pdf_samples.squashed(pdf_samples.body_text(render_dossier_pdf(dossier)))
    assert text.count("END-MARK") >= 2


def test_encrypted_copy_needs_the_password(legal_pdf: bytes) -> None:
    encrypted = encrypt_pdf(legal_pdf, "correct horse")
    reader = PdfReader(io.BytesIO(encrypted))
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert not PdfReader(io.BytesIO(encrypted)).decrypt("wrong")
    reader = PdfReader(io.BytesIO(encrypted))
    assert reader.decrypt("correct horse")
    assert "Əli Məlikov" in "\n".join(page.extract_text() for page in reader.pages)
    assert b"/AESV3" in encrypted


def test_encryption_refuses_an_empty_password(legal_pdf: bytes) -> None:
    with pytest.raises(InvalidInput):
        encrypt_pdf(legal_pdf, "")
