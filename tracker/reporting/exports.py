"""Produce a report's files (snapshot, render, encrypt), record the export, write the files.

The one way a report leaves the tracker, from the command line and the web alike: every
export is logged with who, when, level, scope and each file's SHA-256 (DOMAIN §7), in the
caller's transaction, so a refused or failed export records nothing.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tracker.domain.disclosure import DisclosureLevel, parse_level
from tracker.domain.errors import InvalidInput
from tracker.models import Case, Person
from tracker.reporting.annual import annual_csv_tables, build_annual_report
from tracker.reporting.exports_files import (
    check_output,
    exports_root,
    file_stem,
    unused_stem,
    write_files,
)
from tracker.reporting.exports_scope import (
    case_client_ids,
    filters_scope,
    persons_of_incidents,
)
from tracker.reporting.pdf.annual import render_annual_pdf
from tracker.reporting.pdf.dossier import dossier_manifest, render_dossier_pdf
from tracker.reporting.pdf.encryption import encrypt_pdf
from tracker.reporting.pdf.timeline import render_timeline_pdf
from tracker.reporting.snapshots import TimelineSubject, build_dossier, build_timeline
from tracker.services.audit import add_audit_entry
from tracker.services.incident_queries import IncidentFilters
from tracker.services.restrictions import Viewer

KINDS = ("timeline", "dossier", "annual")
PDF, JSON, CSV = "application/pdf", "application/json", "text/csv"
# Scopes without a record of their own (an annual report, a filter) get a stable id from this.
REPORT_NAMESPACE = uuid.UUID("5e6b1c1e-7a57-4d0e-9c2f-0a0b0c0d0e0f")
# The command line runs as the operator who holds the database: every record, every level.
# Its nil user id is never an account; its exports are audited with no actor, as other
# commands' changes are.
OPERATOR = Viewer(user_id=uuid.UUID(int=0), roles=frozenset({"admin"}))
# Coarse progress: 0 started, 1 data gathered and counted, 2 rendered, 3 recorded.
GATHERED, RENDERED, RECORDED = 1, 2, 3

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReportRequest:
    kind: str  # "timeline" | "dossier" | "annual"
    level: DisclosureLevel
    subject: TimelineSubject | None = None  # timeline
    case_id: uuid.UUID | None = None  # dossier
    year: int | None = None  # annual
    region_id: uuid.UUID | None = None  # annual filter
    incident_type: str | None = None  # annual filter
    language: str = "en"
    password: str | None = None  # dossier: AES-256 encryption for sending


@dataclass(frozen=True)
class ReportFile:
    name: str  # safe file name, e.g. "dossier-C-2023-004-legal-20261125T1030Z.pdf"
    data: bytes
    media_type: str  # "application/pdf", "application/json", "text/csv"
    sha256: str


@dataclass(frozen=True)
class ReportBundle:
    main: ReportFile  # the PDF
    extras: tuple[ReportFile, ...]  # dossier: manifest JSON; annual: one CSV per table

    @property
    def files(self) -> tuple[ReportFile, ...]:
        return (self.main, *self.extras)


@dataclass(frozen=True)
class Job:
    """One produce_report call's inputs, handed to the producer of its kind."""

    session: Session
    request: ReportRequest
    viewer: Viewer
    generated_at: datetime
    generated_by: str
    suppression_threshold: int
    progress: Progress | None


@dataclass(frozen=True)
class Produced:
    """A report made but not yet recorded: its files and what its audit entry says."""

    bundle: ReportBundle
    record_id: uuid.UUID
    scope: dict[str, Any]
    person_ids: tuple[uuid.UUID, ...]


def report_file(name: str, data: bytes, media_type: str) -> ReportFile:
    return ReportFile(name, data, media_type, hashlib.sha256(data).hexdigest())


def produce_report(
    session: Session,
    *,
    request: ReportRequest,
    viewer: Viewer,
    generated_at: datetime,
    generated_by: str,
    suppression_threshold: int,
    progress: Progress | None = None,
) -> ReportBundle:
    """The report's files, and one audit entry recording them (flushed, not committed).

    Raises DisclosureRefused for an unknown level or one the viewer's roles may not use,
    RecordNotFound for an unknown or hidden subject, InvalidInput for a malformed request
    or a year with no incidents. Nothing is recorded when it raises.
    """
    job = Job(
        session,
        checked_request(request),
        viewer,
        generated_at,
        generated_by,
        suppression_threshold,
        progress,
    )
    tell(job, 0)
    produced = PRODUCERS[job.request.kind](job)
    record_export(job, produced)
    tell(job, RECORDED)
    return produced.bundle


def tell(job: Job, step: int) -> None:
    if job.progress is not None:
        job.progress(step, RECORDED)


def checked_request(request: ReportRequest) -> ReportRequest:
    """The request with its level parsed; raises before any work for a malformed one."""
    if request.kind not in KINDS:
        raise InvalidInput(f"kind: unknown report kind; use {', '.join(KINDS)}")
    level = parse_level(str(request.level))
    if request.password is not None and request.kind != "dossier":
        raise InvalidInput("password: only a case dossier is encrypted")
    if request.password is not None and not request.password:
        raise InvalidInput("password: an encrypted export needs a password")
    return replace(request, level=level)


def required(value: Any, field: str, kind: str) -> Any:
    if value is None:
        raise InvalidInput(f"{field}: a {kind} report needs one")
    return value


# --- the three kinds ---------------------------------------------------------------------------


def produce_timeline(job: Job) -> Produced:
    request = job.request
    subject: TimelineSubject = required(request.subject, "subject", "timeline")
    timeline = build_timeline(
        job.session,
        subject=subject,
        level=request.level,
        viewer=job.viewer,
        generated_at=job.generated_at,
        generated_by=job.generated_by,
        language=request.language,
    )
    tell(job, GATHERED)
    pdf = render_timeline_pdf(timeline)
    tell(job, RENDERED)
    label = subject_label(job.session, subject, request.level)
    stem = file_stem("timeline", label, request.level, generated_at=job.generated_at)
    filters = subject_filters(subject)
    return Produced(
        bundle=ReportBundle(report_file(f"{stem}.pdf", pdf, PDF), ()),
        record_id=subject.record_id or scope_id(timeline_scope(subject, filters)),
        scope=timeline_scope(subject, filters),
        person_ids=persons_of_incidents(job.session, filters, job.viewer),
    )


def produce_dossier(job: Job) -> Produced:
    request = job.request
    case_id: uuid.UUID = required(request.case_id, "case_id", "dossier")
    dossier = build_dossier(
        job.session,
        case_id=case_id,
        level=request.level,
        viewer=job.viewer,
        generated_at=job.generated_at,
        generated_by=job.generated_by,
        language=request.language,
    )
    tell(job, GATHERED)
    pdf = render_dossier_pdf(dossier)
    main_data = pdf if request.password is None else encrypt_pdf(pdf, request.password)
    tell(job, RENDERED)
    stem = file_stem("dossier", dossier.case_code, request.level, generated_at=job.generated_at)
    main = report_file(f"{stem}.pdf", main_data, PDF)
    manifest = manifest_json(dossier_manifest(dossier, pdf), main, request.password is not None)
    clients = case_client_ids(job.session, case_id)
    return Produced(
        bundle=ReportBundle(main, (report_file(f"{stem}.manifest.json", manifest, JSON),)),
        record_id=case_id,
        scope={"case_id": str(case_id)},
        person_ids=persons_of_incidents(
            job.session, IncidentFilters(case_id=case_id), job.viewer, clients
        ),
    )


def manifest_json(manifest: dict[str, Any], main: ReportFile, encrypted: bool) -> bytes:
    """The manifest beside the dossier; its sha256 is the unencrypted PDF's, which rendering
    again reproduces, and an encrypted file's own hash is stated apart."""
    extra: dict[str, Any] = {"file_name": main.name, "encrypted": encrypted}
    if encrypted:
        extra["encrypted_sha256"] = main.sha256
    text = json.dumps({**manifest, **extra}, sort_keys=True, indent=2, ensure_ascii=False)
    return f"{text}\n".encode()


def produce_annual(job: Job) -> Produced:
    request = job.request
    year: int = required(request.year, "year", "annual")
    report = build_annual_report(
        job.session,
        year=year,
        level=request.level,
        viewer=job.viewer,
        generated_at=job.generated_at,
        generated_by=job.generated_by,
        region_id=request.region_id,
        incident_type=request.incident_type,
        language=request.language,
        suppression_threshold=job.suppression_threshold,
    )
    tell(job, GATHERED)
    pdf = render_annual_pdf(report)
    tables = annual_csv_tables(report)
    tell(job, RENDERED)
    parts = ("annual", str(year), request.incident_type or "", request.level, request.language)
    stem = file_stem(*parts, generated_at=job.generated_at)
    scope = annual_scope(request)
    return Produced(
        bundle=ReportBundle(
            report_file(f"{stem}.pdf", pdf, PDF),
            tuple(report_file(f"{stem}-{name}", data, CSV) for name, data in tables.items()),
        ),
        record_id=scope_id(scope),
        scope=scope,
        # Aggregates name nobody; the narratives are about everyone involved in them.
        person_ids=report.narrative_person_ids,
    )


PRODUCERS: dict[str, Callable[[Job], Produced]] = {
    "timeline": produce_timeline,
    "dossier": produce_dossier,
    "annual": produce_annual,
}


# --- scope and names ---------------------------------------------------------------------------


def subject_filters(subject: TimelineSubject) -> IncidentFilters:
    """The incident filters of a timeline's subject, as the snapshot builder uses them."""
    if subject.kind == "filter":
        return subject.filters or IncidentFilters()
    record_id = subject.record_id
    return {
        "case": IncidentFilters(case_id=record_id),
        "person": IncidentFilters(person_id=record_id),
        "place": IncidentFilters(place_id=record_id),
        "organisation": IncidentFilters(organisation_id=record_id),
    }.get(subject.kind, IncidentFilters())


def subject_label(session: Session, subject: TimelineSubject, level: DisclosureLevel) -> str:
    """What names the subject in a file name: a case code, a pseudonym code where the level
    shows it, else only the kind; never a real name, a place or a unit."""
    if subject.kind == "case" and subject.record_id is not None:
        case = session.get(Case, subject.record_id)
        return case.code if case is not None else "case"
    if subject.kind == "person" and subject.record_id is not None:
        person = session.get(Person, subject.record_id)
        shows_code = level is not DisclosureLevel.PUBLIC and person is not None
        return person.pseudonym_code if shows_code and person is not None else "person"
    return "incidents" if subject.kind == "filter" else subject.kind


def timeline_scope(subject: TimelineSubject, filters: IncidentFilters) -> dict[str, Any]:
    if subject.kind == "filter":
        return {"subject": "filter", "filters": filters_scope(filters)}
    return {"subject": subject.kind, "id": str(subject.record_id)}


def annual_scope(request: ReportRequest) -> dict[str, Any]:
    region = None if request.region_id is None else str(request.region_id)
    return {"year": request.year, "region_id": region, "incident_type": request.incident_type}


def scope_id(scope: dict[str, Any]) -> uuid.UUID:
    """A stable id for a scope without a record: the same scope, the same audit record id."""
    return uuid.uuid5(REPORT_NAMESPACE, json.dumps(scope, sort_keys=True))


# --- the audit entry ---------------------------------------------------------------------------


def record_export(job: Job, produced: Produced) -> None:
    """One audit entry: kind, level, scope, language, each file's name and SHA-256, and the
    persons whose data the files hold; never a name or any of the report's text."""
    request = job.request
    add_audit_entry(
        job.session,
        actor_id=actor_of(job.viewer),
        action="export",
        table_name="report",
        record_id=produced.record_id,
        changes={
            "kind": request.kind,
            "level": request.level.value,
            "scope": produced.scope,
            "language": request.language,
            "generated_at": job.generated_at.isoformat(),
            "encrypted": request.password is not None,
            "files": [{"name": file.name, "sha256": file.sha256} for file in produced.bundle.files],
            "person_ids": [str(person_id) for person_id in produced.person_ids],
        },
        # The audit page prints the reason: the main file and its hash are readable there.
        reason=(
            f"{request.kind} at the {request.level.value} level: {produced.bundle.main.name}"
            f" SHA-256 {produced.bundle.main.sha256}"
        ),
    )


def actor_of(viewer: Viewer) -> uuid.UUID | None:
    return None if viewer.user_id == OPERATOR.user_id else viewer.user_id


# --- writing -----------------------------------------------------------------------------------


def write_bundle(bundle: ReportBundle, *, output: Path | None, exports_path: Path) -> list[Path]:
    """Write the bundle's files; returns their paths, the main file first.

    Without output: into exports_path (made, mode 0700, when missing) under the bundle's
    dated names, numbered when a name is taken. With output: the main file there, the
    extras beside it named from its stem. Raises InvalidInput naming the output for a
    missing folder or a place outside exports_path; on any error no file is left behind.
    """
    root = exports_root(exports_path)
    paths = default_paths(bundle, root) if output is None else output_paths(bundle, output, root)
    return write_files(zip(paths, (file.data for file in bundle.files), strict=True))


def main_stem(bundle: ReportBundle) -> str:
    return bundle.main.name.removesuffix(".pdf")


def extra_rests(bundle: ReportBundle) -> list[str]:
    """What follows the main file's stem in each extra's name (".manifest.json", "-totals.csv")."""
    stem = main_stem(bundle)
    return [extra.name.removeprefix(stem) for extra in bundle.extras]


def output_paths(bundle: ReportBundle, output: Path, root: Path) -> list[Path]:
    """The main file at output; extras beside it: report.pdf, report.manifest.json."""
    target = check_output(output, root)
    stem = target.name[:-4] if target.name.lower().endswith(".pdf") else target.name
    return [target, *(target.with_name(f"{stem}{rest}") for rest in extra_rests(bundle))]


def default_paths(bundle: ReportBundle, root: Path) -> list[Path]:
    rests = [".pdf", *extra_rests(bundle)]
    stem = unused_stem(root, main_stem(bundle), rests)
    return [root / f"{stem}{rest}" for rest in rests]
