"""produce_report and write_bundle: files, manifest, audit entry, canaries, refusals, writing."""

import hashlib
import io
import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session, col

from tests.reporting.conftest import GENERATED_AT, CanaryCase
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import DisclosureRefused, InvalidInput, RecordNotFound
from tracker.models import AuditEntry, Case, Person
from tracker.reporting.exports import (
    OPERATOR,
    ReportBundle,
    ReportRequest,
    produce_report,
    write_bundle,
)
from tracker.reporting.exports_files import file_stem, safe_name
from tracker.reporting.snapshots import TimelineSubject
from tracker.services.restrictions import Viewer

LEGAL, PARTNER, PUBLIC = DisclosureLevel.LEGAL, DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC
SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def pdf_text(data: bytes, password: str | None = None) -> str:
    reader = PdfReader(io.BytesIO(data))
    if password is not None:
        reader.decrypt(password)
    pages = "\n".join(page.extract_text() for page in reader.pages)
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    return f"{pages}\n{metadata}"


def produce(session: Session, viewer: Viewer, request: ReportRequest) -> ReportBundle:
    return produce_report(
        session,
        request=request,
        viewer=viewer,
        generated_at=GENERATED_AT,
        generated_by="exporter",
        suppression_threshold=3,
    )


def dossier_request(
    canary_case: CanaryCase, level: DisclosureLevel, **values: object
) -> ReportRequest:
    return ReportRequest(kind="dossier", level=level, case_id=canary_case.case_id, **values)  # type: ignore[arg-type]


def case_timeline(canary_case: CanaryCase, level: DisclosureLevel) -> ReportRequest:
    subject = TimelineSubject(kind="case", record_id=canary_case.case_id)
    return ReportRequest(kind="timeline", level=level, subject=subject)


def annual_request(level: DisclosureLevel, year: int = 2023) -> ReportRequest:
    return ReportRequest(kind="annual", level=level, year=year)


def export_entries(session: Session) -> list[AuditEntry]:
    statement = select(AuditEntry).where(col(AuditEntry.table_name) == "report")
    return list(session.execute(statement.order_by(col(AuditEntry.sequence))).scalars())


def audit_count(session: Session) -> int:
    count: int = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    return count


def everything_in(bundle: ReportBundle, entry: AuditEntry) -> str:
    """Every text an export lets out: PDF text and metadata, extras, names, the audit entry."""
    parts = [pdf_text(bundle.main.data)]
    parts += [extra.data.decode("utf-8") for extra in bundle.extras]
    parts += [file.name for file in bundle.files]
    parts.append(json.dumps(entry.changes, ensure_ascii=False) + entry.reason)
    return "\n".join(parts).casefold()


# --- what each kind produces -----------------------------------------------------------------


def test_timeline_of_a_case_is_one_pdf_with_its_events_and_one_audit_entry(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    bundle = produce(session, viewers["lawyer"], case_timeline(canary_case, LEGAL))
    assert bundle.extras == ()
    assert bundle.main.media_type == "application/pdf"
    case = session.get(Case, canary_case.case_id)
    assert case is not None
    assert bundle.main.name == f"timeline-{case.code}-legal-20240601T0930Z.pdf"
    text = pdf_text(bundle.main.data)
    assert canary_case.detention_code in text and canary_case.raid_code in text
    [entry] = export_entries(session)
    assert entry.action == "export" and entry.record_id == canary_case.case_id
    assert entry.actor_id == viewers["lawyer"].user_id
    assert entry.changes["kind"] == "timeline" and entry.changes["level"] == "legal"
    assert entry.changes["scope"] == {"subject": "case", "id": str(canary_case.case_id)}
    sha256 = hashlib.sha256(bundle.main.data).hexdigest()
    assert entry.changes["files"] == [{"name": bundle.main.name, "sha256": sha256}]
    assert entry.reason == f"timeline at the legal level: {bundle.main.name} SHA-256 {sha256}"
    assert str(canary_case.victim_id) in entry.changes["person_ids"]


def test_dossier_manifest_holds_the_hash_of_the_pdf_beside_it(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    bundle = produce(session, viewers["lawyer"], dossier_request(canary_case, LEGAL))
    [manifest_file] = bundle.extras
    stem = bundle.main.name.removesuffix(".pdf")
    assert manifest_file.name == f"{stem}.manifest.json"
    assert manifest_file.media_type == "application/json"
    manifest = json.loads(manifest_file.data)
    assert manifest["sha256"] == hashlib.sha256(bundle.main.data).hexdigest()
    assert manifest["encrypted"] is False and manifest["file_name"] == bundle.main.name
    assert [item["file_name"] for item in manifest["evidence"]] == ["bruises.jpg"]
    rewritten = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert manifest_file.data.decode("utf-8") == rewritten
    [entry] = export_entries(session)
    hashes = {file["name"]: file["sha256"] for file in entry.changes["files"]}
    assert hashes == {file.name: file.sha256 for file in bundle.files}
    assert canary_case.detention_code in pdf_text(bundle.main.data)


def test_annual_report_has_a_csv_per_table_named_after_the_pdf(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    bundle = produce(session, viewers["analyst"], annual_request(PUBLIC))
    stem = bundle.main.name.removesuffix(".pdf")
    assert stem == "annual-2023-public-en-20240601T0930Z"
    names = [extra.name for extra in bundle.extras]
    assert f"{stem}-totals.csv" in names and f"{stem}-by_month.csv" in names
    assert all(extra.media_type == "text/csv" for extra in bundle.extras)
    assert "2023" in pdf_text(bundle.main.data)
    [entry] = export_entries(session)
    assert entry.changes["scope"] == {"year": 2023, "region_id": None, "incident_type": None}
    assert len(entry.changes["files"]) == 1 + len(bundle.extras)


def test_the_same_report_at_the_same_time_is_byte_identical(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    for request in (
        dossier_request(canary_case, LEGAL),
        case_timeline(canary_case, PARTNER),
        annual_request(PARTNER),
    ):
        first = produce(session, viewers["admin"], request)
        second = produce(session, viewers["admin"], request)
        assert [(file.name, file.data) for file in first.files] == [
            (file.name, file.data) for file in second.files
        ]


def test_an_encrypted_dossier_opens_only_with_its_password(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    password = "correct horse ə Баку"
    bundle = produce(
        session, viewers["lawyer"], dossier_request(canary_case, LEGAL, password=password)
    )
    reader = PdfReader(io.BytesIO(bundle.main.data))
    assert reader.is_encrypted
    assert not reader.decrypt("wrong password")
    assert canary_case.detention_code in pdf_text(bundle.main.data, password)
    manifest = json.loads(bundle.extras[0].data)
    assert manifest["encrypted"] is True
    assert manifest["encrypted_sha256"] == hashlib.sha256(bundle.main.data).hexdigest()
    plain = produce(session, viewers["lawyer"], dossier_request(canary_case, LEGAL))
    assert manifest["sha256"] == hashlib.sha256(plain.main.data).hexdigest()
    assert export_entries(session)[0].changes["encrypted"] is True
    assert password not in json.dumps(export_entries(session)[0].changes, ensure_ascii=False)


# --- nothing identifying leaves below the legal level -----------------------------------------


@pytest.mark.parametrize("level", [PARTNER, PUBLIC])
def test_canaries_never_leave_in_partner_or_public_files_names_or_audit(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer], level: DisclosureLevel
) -> None:
    victim = session.get(Person, canary_case.victim_id)
    assert victim is not None
    requests = [
        dossier_request(canary_case, level),
        case_timeline(canary_case, level),
        ReportRequest(
            kind="timeline",
            level=level,
            subject=TimelineSubject(kind="person", record_id=canary_case.victim_id),
        ),
        ReportRequest(
            kind="timeline",
            level=level,
            subject=TimelineSubject(kind="place", record_id=canary_case.safehouse_id),
        ),
        annual_request(level),
    ]
    for request in requests:
        bundle = produce(session, viewers["analyst"], request)
        text = everything_in(bundle, export_entries(session)[-1])
        leaked = [canary for canary in CanaryCase.LEAKS if canary.casefold() in text]
        assert leaked == [], (request.kind, leaked)
        if level is PUBLIC:
            assert (
                victim.pseudonym_code.casefold()
                not in "".join(f.name for f in bundle.files).casefold()
            )


def test_a_person_timeline_is_named_by_pseudonym_code_only_where_the_level_shows_it(
    session: Session, canary_case: CanaryCase, viewers: dict[str, Viewer]
) -> None:
    victim = session.get(Person, canary_case.victim_id)
    assert victim is not None
    subject = TimelineSubject(kind="person", record_id=victim.id)
    partner = produce(session, viewers["analyst"], ReportRequest("timeline", PARTNER, subject))
    public = produce(session, viewers["analyst"], ReportRequest("timeline", PUBLIC, subject))
    assert partner.main.name.startswith(f"timeline-{victim.pseudonym_code}-partner-")
    assert public.main.name == "timeline-person-public-20240601T0930Z.pdf"


def test_the_command_line_operator_is_audited_without_an_actor(
    session: Session, canary_case: CanaryCase
) -> None:
    produce(session, OPERATOR, dossier_request(canary_case, DisclosureLevel.INTERNAL))
    [entry] = export_entries(session)
    assert entry.actor_id is None and entry.changes["level"] == "internal"


# --- refusals record nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "request_of", "error"),
    [
        ("analyst", lambda case: dossier_request(case, LEGAL), DisclosureRefused),
        ("documenter", lambda case: case_timeline(case, PUBLIC), DisclosureRefused),
        ("admin", lambda case: dossier_request(case, "secret"), DisclosureRefused),  # type: ignore[arg-type]
        ("admin", lambda case: annual_request(DisclosureLevel.LEGAL), DisclosureRefused),
        ("admin", lambda case: annual_request(PUBLIC, year=1990), InvalidInput),
        (
            "admin",
            lambda case: ReportRequest("dossier", LEGAL, case_id=uuid.uuid4()),
            RecordNotFound,
        ),
        ("admin", lambda case: dossier_request(case, LEGAL, password=""), InvalidInput),
        ("admin", lambda case: ReportRequest("timeline", LEGAL, password="x"), InvalidInput),
        ("admin", lambda case: ReportRequest("timeline", LEGAL), InvalidInput),
        ("admin", lambda case: ReportRequest("brochure", LEGAL), InvalidInput),
    ],
)
def test_a_refused_report_records_nothing(
    session: Session,
    canary_case: CanaryCase,
    viewers: dict[str, Viewer],
    role: str,
    request_of: object,
    error: type[Exception],
) -> None:
    viewer = viewers.get(role, Viewer(user_id=uuid.uuid4(), roles=frozenset({role})))
    before = audit_count(session)
    with pytest.raises(error):
        produce(session, viewer, request_of(canary_case))  # type: ignore[operator]
    assert audit_count(session) == before


# --- writing files -----------------------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.fixture
def bundle() -> ReportBundle:
    from tracker.reporting.exports import report_file

    stem = "dossier-C-2023-004-legal-20240601T0930Z"
    return ReportBundle(
        report_file(f"{stem}.pdf", b"%PDF-1.4 dossier", "application/pdf"),
        (report_file(f"{stem}.manifest.json", b"{}\n", "application/json"),),
    )


def test_without_output_files_go_to_the_exports_folder_made_private(
    tmp_path: Path, bundle: ReportBundle
) -> None:
    exports = tmp_path / "exports"
    paths = write_bundle(bundle, output=None, exports_path=exports)
    assert [path.name for path in paths] == [file.name for file in bundle.files]
    assert paths[0].read_bytes() == bundle.main.data
    assert oct(exports.stat().st_mode & 0o777) == oct(0o700)
    assert all(path.stat().st_mode & 0o077 == 0 for path in paths)
    again = write_bundle(bundle, output=None, exports_path=exports)
    assert again[0].name == "dossier-C-2023-004-legal-20240601T0930Z-2.pdf"
    assert again[1].name == "dossier-C-2023-004-legal-20240601T0930Z-2.manifest.json"


def test_with_output_extras_are_named_from_its_stem(tmp_path: Path, bundle: ReportBundle) -> None:
    exports = tmp_path / "exports"
    (exports / "court").mkdir(parents=True)
    paths = write_bundle(bundle, output=exports / "court" / "filing.pdf", exports_path=exports)
    assert listing(exports) == ["court", "court/filing.manifest.json", "court/filing.pdf"]
    assert paths[1].read_bytes() == b"{}\n"


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("missing/filing.pdf", "does not exist"),
        ("../filing.pdf", "outside the exports folder"),
        ("court/../../filing.pdf", "outside the exports folder"),
        ("escape/filing.pdf", "outside the exports folder"),
        ("court", "is a folder"),
        (".", "is a folder"),
    ],
)
def test_a_bad_output_is_refused_and_nothing_is_written(
    tmp_path: Path, bundle: ReportBundle, output: str, words: str
) -> None:
    exports = tmp_path / "exports"
    (exports / "court").mkdir(parents=True)
    (exports / "escape").symlink_to(tmp_path, target_is_directory=True)
    before = listing(tmp_path)
    with pytest.raises(InvalidInput, match=f"^output: .*{words}"):
        write_bundle(bundle, output=exports / output, exports_path=exports)
    assert listing(tmp_path) == before


def test_a_failing_disk_leaves_no_file_behind(
    tmp_path: Path, bundle: ReportBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    replaced: list[str] = []
    real_replace = os.replace

    def replace_then_fail(source: str, target: str) -> None:
        if replaced:
            raise OSError(28, "No space left on device", str(target))
        real_replace(source, target)
        replaced.append(str(target))

    monkeypatch.setattr(os, "replace", replace_then_fail)
    with pytest.raises(InvalidInput, match="No space left"):
        write_bundle(bundle, output=None, exports_path=exports)
    assert replaced and listing(exports) == []


@given(st.text(max_size=80))
def test_safe_names_keep_only_safe_characters(text: str) -> None:
    name = safe_name(text)
    assert SAFE_NAME.fullmatch(name) and not name.startswith(".")
    stem = file_stem(
        "timeline", text, "legal", generated_at=datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    )
    assert SAFE_NAME.fullmatch(stem) and stem.endswith("-legal-20261125T1030Z")
    assert "/" not in stem and ".." not in stem.split("-")
