"""Report pages: timelines in the browser, and report downloads recorded in the audit log.

Every download is a POST with a CSRF token because it writes an audit entry (with each file's
SHA-256) through exports.produce_report; a refused or invalid request writes nothing. Records
the user may not see answer 404; a level the user's roles may not use answers 403.
"""

import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint, current_app, g, render_template, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from tracker.config import Settings
from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel, levels_for_roles
from tracker.domain.errors import DisclosureRefused, InvalidInput, TrackerError
from tracker.domain.permissions import Permission
from tracker.forms.incidents import IncidentFilterForm
from tracker.forms.records import show_error
from tracker.forms.reports import (
    LEVEL_LABELS,
    LEVEL_NAMES,
    TIMELINE_SUBJECTS,
    AnnualReportForm,
    DossierForm,
    TimelineDownloadForm,
)
from tracker.models import Case
from tracker.reporting import exports
from tracker.reporting.exports import ReportBundle, ReportFile, ReportRequest
from tracker.reporting.snapshots import TimelineSubject, build_timeline
from tracker.services.incident_queries import IncidentFilters
from tracker.services.places import list_places
from tracker.services.restrictions import get_visible_record
from tracker.web.access import requires
from tracker.web.i18n import _
from tracker.web.incidents import choice_labels, filters_from_args
from tracker.web.navigation import current_language
from tracker.web.record_views import optional_uuid, parsed_uuid, vocabulary_choices

Page = str | tuple[str, int]
ShowAgain = Callable[[int], Page]
# Annual reports exist only as aggregates: partner and public (DOMAIN §8).
ANNUAL_LEVELS = (DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC)
FIRST_LEVEL_UNIT = 3  # DOMAIN §5 geo_precision of regions
CHUNK_BYTES = 64 * 1024
UNSAFE_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Timelines and dossiers print English headings; their PDFs are made in English throughout.
DOCUMENT_LANGUAGE = "en"
# ?filter=1 (or a posted subject "filter"): the incident list's filters name the incidents.
FILTER_SUBJECT = "filter"
# The list's sort and the dates' match rule say nothing worth repeating about which incidents.
UNDESCRIBED_FILTERS = ("sort", "date_match")


@dataclass(frozen=True)
class ChosenSubject:
    """A timeline's subject, if one was named well; a filter subject keeps its filter form (for
    its description, its errors and the values carried into the download form)."""

    subject: TimelineSubject | None
    filter_form: IncidentFilterForm | None = None


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("reports", __name__, url_prefix="/reports")
    blueprint.app_template_global("export_levels")(export_levels)
    blueprint.app_template_global("level_name")(level_name)

    @blueprint.route("/")
    @requires(Permission.EXPORT_RECORDS)
    def index() -> Page:
        starting = {"year": now().year - 1, "level": DisclosureLevel.PUBLIC.value}
        return render_index(with_annual_choices(AnnualReportForm(formdata=None, data=starting)))

    @blueprint.route("/annual", methods=["POST"])
    @requires(Permission.EXPORT_RECORDS)
    def annual() -> Response | Page:
        form = with_annual_choices(AnnualReportForm())
        if not form.validate_on_submit():
            return render_index(form, status=400)
        return download(form, annual_request(form), lambda status: render_index(form, status))

    @blueprint.route("/timeline")
    @requires(Permission.EXPORT_RECORDS)
    def timeline() -> Page:
        chosen = chosen_from_query()
        if chosen.subject is None:
            return render_without_subject(chosen)
        form = TimelineDownloadForm(formdata=None)
        level = requested_level(form, request.args.get("level"))
        if level is None or form.level.errors:
            # Shown at the default level, with the message at the level chooser.
            status = 403 if level else 400
            return render_timeline(
                chosen.subject, default_level(), form, status, chosen.filter_form
            )
        return render_timeline(chosen.subject, level, form, 200, chosen.filter_form)

    @blueprint.route("/timeline.pdf", methods=["POST"])
    @requires(Permission.EXPORT_RECORDS)
    def timeline_pdf() -> Response | Page:
        form = TimelineDownloadForm()
        chosen = chosen_from_form(form)
        if chosen.subject is None:
            return render_without_subject(chosen)
        subject = chosen.subject
        if not form.validate_on_submit():
            return render_timeline(subject, default_level(), form, 400, chosen.filter_form)
        report_request = ReportRequest(
            kind="timeline",
            level=DisclosureLevel(form.level.data),
            subject=subject,
            language=DOCUMENT_LANGUAGE,
        )
        return download(
            form,
            report_request,
            lambda status: render_timeline(
                subject, default_level(), form, status, chosen.filter_form
            ),
        )

    @blueprint.route("/dossier/<uuid:case_id>", methods=["GET", "POST"])
    @requires(Permission.EXPORT_RECORDS)
    def dossier(case_id: uuid.UUID) -> Response | Page:
        case = get_visible_record(g.db, g.viewer, Case, case_id)
        form = dossier_form()
        if not form.validate_on_submit():
            return render_dossier(case, form, status=400 if form.is_submitted() else 200)
        report_request = ReportRequest(
            kind="dossier",
            level=DisclosureLevel(form.level.data),
            case_id=case.id,
            language=DOCUMENT_LANGUAGE,
            password=form.password.data or None,
        )
        return download(form, report_request, lambda status: render_dossier(case, form, status))

    return blueprint


# --- levels -------------------------------------------------------------------------------


def export_levels(kind: str = "dossier") -> list[tuple[str, str]]:
    """For templates: the levels the signed-in user may export this kind of report at, with
    their labels, from the most revealing."""
    allowed = levels_for_roles(g.viewer.roles) if g.get("viewer") else frozenset()
    offered = ANNUAL_LEVELS if kind == "annual" else LEVEL_ORDER
    return [(level.value, str(LEVEL_LABELS[level])) for level in offered if level in allowed]


def level_name(level: str) -> str:
    return str(LEVEL_NAMES[DisclosureLevel(level)])


def default_level() -> DisclosureLevel:
    """The most revealing level the user may use, but never internal unless chosen."""
    allowed = levels_for_roles(g.viewer.roles)
    for level in LEVEL_ORDER[1:]:
        if level in allowed:
            return level
    raise DisclosureRefused("level: your role may not export records")


def requested_level(form: FlaskForm, text: str | None) -> DisclosureLevel | None:
    """The level asked for in the query string; an unknown or refused one puts a message at
    the form's level field (the caller then answers 400 or 403)."""
    if text is None:
        return default_level()
    try:
        level = DisclosureLevel(text)
    except ValueError:
        form.level.errors = [_("Choose one of the levels offered.")]
        return None
    if level not in levels_for_roles(g.viewer.roles):
        form.level.errors = [_("Your role may not use this disclosure level.")]
    return level


# --- subjects of timelines ----------------------------------------------------------------


def chosen_from_query() -> ChosenSubject:
    if FILTER_SUBJECT in request.args:
        return chosen_by_filters(request.args)
    return ChosenSubject(subject_from_query())


def chosen_from_form(form: TimelineDownloadForm) -> ChosenSubject:
    if form.subject.data == FILTER_SUBJECT:
        return chosen_by_filters(request.form)
    return ChosenSubject(subject_from_form(form))


def chosen_by_filters(values: Mapping[str, Any]) -> ChosenSubject:
    """The incident list's filters, read as the list reads them; no subject when one is bad."""
    form, filters = filters_from_args(values)
    subject = None if filters is None else TimelineSubject(kind=FILTER_SUBJECT, filters=filters)
    return ChosenSubject(subject, form)


def carried_filters(
    form: IncidentFilterForm | None, filters: IncidentFilters | None
) -> list[tuple[str, str]]:
    """The filters to send again with the level chooser and the download: records by the id
    they were found to be (never a typed name back into the page), the rest as read."""
    if form is None or filters is None:
        return []
    found = {
        "place": filters.place_id,
        "organisation": filters.organisation_id,
        "case": filters.case_id,
        "person": filters.person_id,
    }
    values = [(field.name, found.get(field.name, field.data)) for field in form]
    return [(name, str(value)) for name, value in values if value and name != "sort"]


def filter_description(form: IncidentFilterForm | None) -> list[tuple[str, str]]:
    """What each filter in use asks for, by the filter's label: a select by its choice's label,
    anything typed (dates as typed, records as found) by its text."""
    if form is None:
        return []
    return [
        (str(field.label.text), shown_value(field))
        for field in form
        if field.name not in UNDESCRIBED_FILTERS and field.data
    ]


def shown_value(field: Any) -> str:
    labels = choice_labels(field) if isinstance(field, SelectField) else {}
    return labels.get(str(field.data), str(field.data))


def subject_from_query() -> TimelineSubject | None:
    """The one record named in the query string (?case=ID, ?person=ID ...), or None.

    Raises InvalidInput for two records or an id that is not one."""
    named = [(kind, request.args[kind]) for kind in TIMELINE_SUBJECTS if kind in request.args]
    if not named:
        return None
    if len(named) > 1:
        raise InvalidInput(_("A timeline is about one case, person, place or organisation."))
    return make_subject(*named[0])


def subject_from_form(form: TimelineDownloadForm) -> TimelineSubject:
    return make_subject(form.subject.data or "", form.record_id.data or "")


def make_subject(kind: str, record_id: str) -> TimelineSubject:
    """Raises InvalidInput for an unknown kind or an id that is not one."""
    parsed = parsed_uuid(record_id)
    if kind not in TIMELINE_SUBJECTS or parsed is None:
        raise InvalidInput(_("This timeline's subject is not a record."))
    return TimelineSubject(kind=kind, record_id=parsed)


# --- pages --------------------------------------------------------------------------------


def render_index(form: AnnualReportForm, status: int = 200) -> Page:
    offer_levels(form, "annual")
    page = render_template("reports/index.html", form=form)
    return (page, status) if status != 200 else page


def render_without_subject(chosen: ChosenSubject) -> Page:
    """The page without a timeline: how to get one, or why these filters cannot give one."""
    page = render_template("reports/timeline.html", timeline=None, filter_form=chosen.filter_form)
    return page if chosen.filter_form is None else (page, 400)


def render_timeline(
    subject: TimelineSubject,
    level: DisclosureLevel,
    form: TimelineDownloadForm,
    status: int,
    filter_form: IncidentFilterForm | None = None,
) -> Page:
    """The timeline at the level, with the download form (holding any errors) beneath it."""
    snapshot = build_timeline(
        g.db,
        subject=subject,
        level=level,
        viewer=g.viewer,
        generated_at=now(),
        generated_by=g.user.username,
        language=current_language(),
    )
    page = render_template(
        "reports/timeline.html",
        timeline=snapshot,
        subject=subject,
        level=level.value,
        form=offer_levels(form, "timeline"),
        carried=carried_filters(filter_form, subject.filters),
        described=filter_description(filter_form),
    )
    return (page, status) if status != 200 else page


def render_dossier(case: Case, form: DossierForm, status: int = 200) -> Page:
    page = render_template("reports/dossier.html", case=case, form=offer_levels(form, "dossier"))
    return (page, status) if status != 200 else page


def dossier_form() -> DossierForm:
    """A posted form as sent (a missing level is an error, never a default), else defaults."""
    if request.method == "POST":
        return DossierForm()
    return DossierForm(data={"level": default_level().value})


def offer_levels(form: Any, kind: str) -> Any:
    """Show only the user's own levels; the submitted value was checked against all of them."""
    form.level.choices = [SelectChoice(value, label) for value, label in export_levels(kind)]
    return form


def with_annual_choices(form: AnnualReportForm) -> AnnualReportForm:
    form.region_id.choices = [SelectChoice("", _("All regions"))] + [
        SelectChoice(str(place.id), place.name)
        for place in list_places(g.db)
        if place.geo_precision == FIRST_LEVEL_UNIT
    ]
    form.incident_type.choices = vocabulary_choices("incident_type", blank=_("All types"))
    form.language.data = form.language.data or current_language()
    return form


def annual_request(form: AnnualReportForm) -> ReportRequest:
    return ReportRequest(
        kind="annual",
        level=DisclosureLevel(form.level.data),
        year=form.year.data,
        region_id=optional_uuid(form.region_id.data),
        incident_type=form.incident_type.data or None,
        language=form.language.data,
    )


# --- downloads ----------------------------------------------------------------------------


def download(form: Any, report_request: ReportRequest, show_again: ShowAgain) -> Response | Page:
    """Produce the report (recording it) and send it; a refusal shows the form again."""
    try:
        bundle = exports.produce_report(
            g.db,
            request=report_request,
            viewer=g.viewer,
            generated_at=now(),
            generated_by=g.user.username,
            suppression_threshold=settings().public_suppression_threshold,
        )
    except DisclosureRefused as error:
        show_form_error(form, error)
        return show_again(403)
    except InvalidInput as error:
        show_form_error(form, error)
        return show_again(400)
    return attachment(packaged(bundle, form.package.data if "package" in form else "pdf"))


def show_form_error(form: FlaskForm, error: TrackerError) -> None:
    """The service's message at the field it names (`level: ...`), else above the form."""
    show_error(form, InvalidInput(str(error)))


def packaged(bundle: ReportBundle, package: str) -> ReportFile:
    """The PDF alone, or a ZIP of the PDF and the files beside it from the same run (so the
    manifest's hash is the PDF's)."""
    if package != "zip" or not bundle.extras:
        return bundle.main
    return zipped(bundle)


def zipped(bundle: ReportBundle) -> ReportFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in (bundle.main, *bundle.extras):
            # PDFs are compressed already; the JSON and CSV files shrink well.
            method = zipfile.ZIP_STORED if file is bundle.main else zipfile.ZIP_DEFLATED
            archive.writestr(safe_file_name(file.name), file.data, compress_type=method)
    data = buffer.getvalue()
    name = str(PurePosixPath(safe_file_name(bundle.main.name)).with_suffix(".zip"))
    return ReportFile(name=name, data=data, media_type="application/zip", sha256="")


def attachment(file: ReportFile) -> Response:
    """The file streamed in chunks, never cached, never sniffed into something else."""
    response = Response(chunks(file.data), mimetype=file.media_type, direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_file_name(file.name)}"'
    response.headers["Content-Length"] = str(len(file.data))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def safe_file_name(name: str) -> str:
    """Only letters, digits, dots, dashes and underscores reach a header or an archive."""
    cleaned = UNSAFE_FILE_NAME.sub("-", PurePosixPath(name).name).strip(".-")
    return cleaned or "report"


def now() -> datetime:
    return datetime.now(UTC)


def settings() -> Settings:
    configured: Settings = current_app.config["TRACKER_SETTINGS"]
    return configured
