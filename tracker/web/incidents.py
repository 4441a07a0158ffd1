"""Incident screens: the filtered list and its CSV, the incident page, forms and quick entry."""

import csv
import io
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Engine
from sqlmodel import Session
from werkzeug.wrappers import Response
from wtforms import Field, SelectField, SelectMultipleField
from wtforms.form import BaseForm

from tracker.domain.errors import EditConflict, InvalidDate, InvalidInput
from tracker.domain.permissions import Permission
from tracker.forms.incidents import (
    CitationAddForm,
    DeleteForm,
    IncidentFilterForm,
    IncidentForm,
    InvolvementAddForm,
    LinkAddForm,
    QuickEntryForm,
    RestoreForm,
    incident_form_data,
    keep_unlisted,
    select_choices,
)
from tracker.interchange.csv_format import CSV_COLUMNS, ExportContext, guard_cell
from tracker.models import Case, Incident, Person
from tracker.services import incident_entry, incident_export, incident_pages
from tracker.services.incident_queries import IncidentFilters, count_incidents, list_incidents
from tracker.services.incidents import delete_incident, restore_incident
from tracker.services.record_pages import COUNT_LIMIT
from tracker.services.restrictions import get_visible_record
from tracker.web.access import requires
from tracker.web.display import fuzzy_date, vocabulary
from tracker.web.i18n import _
from tracker.web.navigation import query_args
from tracker.web.records import conflict_rows, record_history

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
# Vocabularies the incident page names by label rather than code.
PAGE_VOCABULARIES = (
    "incident_type",
    "verification_status",
    "violation",
    "involvement_role",
    "perpetrator_type",
    "link_type",
    "source_kind",
    "evidence_kind",
    "legal_action_kind",
)
# The fields two versions are compared on, in the form's order.
CONFLICT_FIELDS = (
    "title",
    "type",
    "secondary_types",
    "start_text",
    "end_text",
    "place",
    "summary",
    "narrative",
    "verification_status",
    "violations",
    "reported_victims_text",
    "reported_victims_min",
    "reported_victims_max",
    "sector",
    "inferred_note",
    "publishable",
)


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("incidents", __name__, url_prefix="/incidents")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> tuple[str, int]:
        form, filters = read_filters()
        if filters is None:
            return render_list(form, None, 1), 400
        return render_list(form, filters, requested_page()), 200

    @blueprint.route("/export.csv")
    @requires(Permission.EXPORT_RECORDS)
    def export_csv() -> Response | tuple[str, int]:
        form, filters = read_filters()
        if filters is None:
            return render_list(form, None, 1), 400
        sort = form.sort.data or "-date"
        engine: Engine = current_app.extensions["tracker_read_engine"]
        response = Response(csv_stream(engine, filters, sort), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="incidents.csv"'
        return response

    @blueprint.route("/date-preview")
    @requires(Permission.VIEW_RECORDS)
    def date_preview() -> Response:
        preview = understood(request.args.get("text", ""))
        return jsonify({"ok": preview.ok, "text": preview.text})

    @blueprint.route("/<uuid:incident_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(incident_id: uuid.UUID) -> str:
        # Admins may open a deleted incident to restore it; for others it does not exist.
        may_restore = g.viewer.may(Permission.RESTORE_RECORDS)
        incident = get_visible_record(
            g.db, g.viewer, Incident, incident_id, include_deleted=may_restore
        )
        return render_show(incident)

    @blueprint.route("/<uuid:incident_id>/involvements", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def add_involvement(incident_id: uuid.UUID) -> Response | tuple[str, int]:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        form = InvolvementAddForm()
        fill_involvement_choices(form)
        return add_to_page(
            incident,
            form,
            lambda: incident_pages.add_party(
                g.db, viewer=g.viewer, incident_id=incident_id, **form.values()
            ),
        )

    @blueprint.route("/<uuid:incident_id>/citations", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def add_citation(incident_id: uuid.UUID) -> Response | tuple[str, int]:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        form = CitationAddForm()
        fill_citation_choices(form)
        return add_to_page(
            incident,
            form,
            lambda: incident_pages.cite_source(
                g.db, incident_id=incident_id, actor_id=g.user.id, **form.values()
            ),
        )

    @blueprint.route("/<uuid:incident_id>/links", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def add_link(incident_id: uuid.UUID) -> Response | tuple[str, int]:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        form = LinkAddForm()
        fill_link_choices(form)
        return add_to_page(
            incident,
            form,
            lambda: incident_pages.link_by_code(
                g.db, viewer=g.viewer, incident_id=incident_id, **form.values()
            ),
        )

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def create() -> Response | tuple[str, int]:
        form = IncidentForm()
        fill_incident_choices(form)
        if not form.validate_on_submit() or form.checking:
            return incident_form_page(form, None)
        try:
            incident = incident_entry.create_incident(
                g.db,
                draft=form.to_draft(may_review=may_review()),
                new_place=form.new_place(),
                actor_id=g.user.id,
            )
        except InvalidInput as error:
            show_error(form, error)
            return incident_form_page(form, None)
        flash(_("Incident %(code)s recorded.", code=incident.code))
        return redirect(url_for("incidents.show", incident_id=incident.id))

    @blueprint.route("/<uuid:incident_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def edit(incident_id: uuid.UUID) -> Response | tuple[str, int]:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        # A posted form stands alone: a missing version must not borrow the current one.
        form = IncidentForm(data=incident_form_data(incident)) if is_get() else IncidentForm()
        fill_incident_choices(form)
        if not form.validate_on_submit() or form.checking:
            return incident_form_page(form, incident)
        try:
            incident_entry.edit_incident(
                g.db,
                incident_id=incident_id,
                expected_version=version_of(form),
                changes=form.to_changes(may_review=may_review()),
                new_place=form.new_place(),
                actor_id=g.user.id,
            )
        except EditConflict:
            return conflict_page(form, incident_id)
        except InvalidInput as error:
            show_error(form, error)
            return incident_form_page(form, incident)
        flash(_("Incident %(code)s saved.", code=incident.code))
        return redirect(url_for("incidents.show", incident_id=incident_id))

    @blueprint.route("/quick", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def quick_entry() -> Response | tuple[str, int]:
        form = QuickEntryForm()
        fill_quick_choices(form)
        if not form.validate_on_submit() or form.checking:
            return quick_entry_page(form)
        try:
            result = incident_entry.record_quick_entry(g.db, entry=form.to_entry(), viewer=g.viewer)
        except InvalidInput as error:
            show_error(form, error)
            return quick_entry_page(form)
        flash(quick_entry_message(result))
        return redirect(url_for("incidents.show", incident_id=result.incident.id))

    @blueprint.route("/<uuid:incident_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def delete(incident_id: uuid.UUID) -> Response:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        form = DeleteForm()
        delete_incident(
            g.db,
            incident_id=incident.id,
            expected_version=submitted_version(form),
            actor_id=g.user.id,
            reason=form.reason.data or "",
        )
        flash(_("Incident %(code)s deleted.", code=incident.code))
        return redirect(url_for("incidents.index"))

    @blueprint.route("/<uuid:incident_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(incident_id: uuid.UUID) -> Response:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id, include_deleted=True)
        form = RestoreForm()
        restore_incident(
            g.db,
            incident_id=incident.id,
            expected_version=submitted_version(form),
            actor_id=g.user.id,
            reason=form.reason.data or "",
        )
        flash(_("Incident %(code)s restored.", code=incident.code))
        return redirect(url_for("incidents.show", incident_id=incident_id))

    return blueprint


# --- the incident page and what it adds ------------------------------------------------------


PAGE_FORMS = {
    "involvement_form": InvolvementAddForm,
    "citation_form": CitationAddForm,
    "link_form": LinkAddForm,
}


def render_show(incident: Incident, **forms: Any) -> str:
    """The incident page; `forms` are page forms sent back with their errors."""
    if g.viewer.may(Permission.EDIT_RECORDS) and not incident.is_deleted:
        forms = {**blank_page_forms(), **forms}
    return render_template(
        "incidents/show.html",
        page=incident_pages.gather_incident_page(g.db, g.viewer, incident),
        label=term_labels(),
        revisions=record_history(g.db, g.viewer, Incident, incident.id),
        delete_form=DeleteForm(formdata=None, version=str(incident.version)),
        restore_form=RestoreForm(formdata=None, version=str(incident.version)),
        **forms,
    )


def blank_page_forms() -> dict[str, Any]:
    involvement, citation, link = (
        InvolvementAddForm(formdata=None),
        CitationAddForm(formdata=None),
        LinkAddForm(formdata=None),
    )
    fill_involvement_choices(involvement)
    fill_citation_choices(citation)
    fill_link_choices(link)
    return {"involvement_form": involvement, "citation_form": citation, "link_form": link}


def add_to_page(
    incident: Incident, form: BaseForm, add: Callable[[], object]
) -> Response | tuple[str, int]:
    """Run one page form's addition; on bad input, the page again with the form's errors."""
    name = next(key for key, form_class in PAGE_FORMS.items() if isinstance(form, form_class))
    if form.validate_on_submit():
        try:
            add()
        except InvalidInput as error:
            show_error(form, error)
        else:
            flash(_("Added to %(code)s.", code=incident.code))
            return redirect(url_for("incidents.show", incident_id=incident.id))
    return render_show(incident, **{name: form}), 400


def fill_involvement_choices(form: InvolvementAddForm) -> None:
    form.role.choices = select_choices(vocabulary("involvement_role"))
    form.organisation.choices = select_choices(incident_pages.organisation_choices(g.db), _("None"))
    form.perpetrator_type.choices = select_choices(vocabulary("perpetrator_type"), _("None"))


def fill_citation_choices(form: CitationAddForm) -> None:
    form.source.choices = select_choices(incident_pages.source_choices(g.db), _("Choose…"))


def fill_link_choices(form: LinkAddForm) -> None:
    form.link_type.choices = select_choices(vocabulary("link_type"))


# --- the list and its CSV ---------------------------------------------------------------------


def read_filters() -> tuple[IncidentFilterForm, IncidentFilters | None]:
    """The filter form from the query string, and its filters (None when a value is bad)."""
    return filters_from_args(request.args)


def filters_from_args(args: Mapping[str, Any]) -> tuple[IncidentFilterForm, IncidentFilters | None]:
    """The filter form from these values (a query string, a posted form), and its filters for
    the signed-in viewer (None when a value is bad). Timelines of a filter use it too, so the
    same filters mean the same incidents."""
    form = IncidentFilterForm(formdata=args)
    fill_filter_choices(form)
    if not form.validate():
        return form, None
    viewer = g.viewer
    records = incident_pages.filter_records(g.db, viewer, form.record_texts())
    for name in records.unknown:
        form[name].errors = [_("There is no such record.")]
    for name in records.ambiguous:
        form[name].errors = [_("Several records match; type a more exact name or code.")]
    if records.unknown or records.ambiguous:
        return form, None
    show_found_records(form, records)
    ids = {name: records.id_of(name) for name in incident_pages.FILTER_MODELS}
    return form, form.to_filters(None if viewer.sees_every_record else viewer.user_id, ids)


def show_found_records(form: IncidentFilterForm, records: incident_pages.FilterRecords) -> None:
    """Typed filters show the record's code or name, also when a link carried its id."""
    for name, record in records.found.items():
        field = form[name]
        if isinstance(record, Person):
            field.data = record.pseudonym_code  # never the real name: the value is in the page
        elif isinstance(record, Case):
            field.data = record.code
        elif name != "place" or not form.place.choices:
            field.data = getattr(record, "name", field.data)


def requested_page() -> int:
    page = request.args.get("page", default=1, type=int)
    return min(max(page, 1), MAX_PAGE)


def render_list(form: IncidentFilterForm, filters: IncidentFilters | None, page: int) -> str:
    total = count_incidents(g.db, filters=filters, up_to=COUNT_LIMIT) if filters else 0
    more = total > COUNT_LIMIT
    items = (
        list_incidents(
            g.db,
            filters=filters,
            sort=form.sort.data or "-date",
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        if filters
        else []
    )
    return render_template(
        "incidents/index.html",
        form=form,
        items=items,
        total=min(total, COUNT_LIMIT),
        more=more,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        has_next=len(items) == PAGE_SIZE if more else page * PAGE_SIZE < total,
        page_url=page_url,
        export_url=url_for("incidents.export_csv", **query_without_page()),
        timeline_url=timeline_url() if filters else None,
        label=term_labels(),
    )


def query_without_page() -> dict[str, Any]:
    return query_args("page")


def timeline_url() -> str:
    """The timeline of the listed incidents: the same filters, flagged as a filter subject."""
    kept: dict[str, Any] = query_args("page", "sort", "filter")
    return url_for("reports.timeline", **kept, filter=1)


def page_url(page: int) -> str:
    return url_for("incidents.index", **query_without_page(), page=page)


def csv_stream(engine: Engine, filters: IncidentFilters, sort: str) -> Iterator[str]:
    """The filtered list as CSV, batch by batch, read in a session of its own.

    The request's session is closed before a streamed body is sent.
    """
    # The BOM makes spreadsheets read the file as UTF-8 (Azerbaijani letters, Cyrillic).
    yield "\ufeff" + csv_text([CSV_COLUMNS])
    with Session(engine, expire_on_commit=False) as db:
        places = incident_export.all_places(db)
        for batch in incident_export.export_batches(db, filters=filters, sort=sort):
            context = ExportContext(
                places, batch.victims, batch.perpetrators, batch.cases, batch.campaigns
            )
            yield csv_text(
                [guard_cell(value) for value in context.row_of(incident)]
                for incident in batch.incidents
            )


def csv_text(rows: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# --- choices and labels -----------------------------------------------------------------------


def term_labels() -> Callable[[str, str | None], str]:
    """label(vocabulary, code): the term's label in the user's language, else the code."""
    tables: dict[str, dict[str, str]] = {}

    def label(name: str, code: str | None) -> str:
        # Read on first use: the list names two vocabularies, the incident page up to nine.
        if name not in tables:
            tables[name] = dict(vocabulary(name)) if name in PAGE_VOCABULARIES else {}
        return tables[name].get(code or "", code or "")

    return label


def fill_filter_choices(form: IncidentFilterForm) -> None:
    """Selects for the short vocabularies, and for places while they are few."""
    anything = _("Any")
    form.type.choices = select_choices(vocabulary("incident_type"), anything)
    form.perpetrator_type.choices = select_choices(vocabulary("perpetrator_type"), anything)
    form.verification_status.choices = select_choices(vocabulary("verification_status"), anything)
    if incident_pages.place_count(g.db) <= incident_pages.PLACE_SELECT_LIMIT:
        form.place.choices = select_choices(incident_pages.place_choices(g.db), anything)
        keep_unlisted(form.place, _("the record chosen"))
    else:
        form.place.as_text_input()


def fill_place_choices(form: IncidentForm | QuickEntryForm) -> None:
    form.place.choices = select_choices(incident_pages.place_choices(g.db), _("Not known"))
    form.new_place_kind.choices = select_choices(vocabulary("place_kind"))
    keep_unlisted(form.place, _("the place chosen"))


def fill_incident_choices(form: IncidentForm) -> None:
    form.type.choices = select_choices(vocabulary("incident_type"), _("Choose…"))
    form.secondary_types.choices = select_choices(vocabulary("incident_type"))
    form.verification_status.choices = select_choices(vocabulary("verification_status"))
    form.violations.choices = select_choices(vocabulary("violation"))
    fill_place_choices(form)


def fill_quick_choices(form: QuickEntryForm) -> None:
    form.type.choices = select_choices(vocabulary("incident_type"), _("Choose…"))
    form.source_kind.choices = select_choices(vocabulary("source_kind"), _("Not now"))
    fill_place_choices(form)


# --- forms: dates understood, errors at their fields, conflicts -------------------------------


@dataclass(frozen=True)
class DatePreview:
    ok: bool
    text: str


def understood(text: str) -> DatePreview:
    """How a typed date is read, in the user's language, or why it cannot be."""
    try:
        return DatePreview(True, fuzzy_date(incident_pages.understand_date(text or "unknown")))
    except InvalidDate as error:
        return DatePreview(False, str(error))


def date_previews(form: BaseForm, names: tuple[str, ...]) -> dict[str, DatePreview]:
    """Previews of the typed dates; an empty end is no date at all, so it has none."""
    return {name: understood(form[name].data) for name in names if (form[name].data or "").strip()}


def may_review() -> bool:
    return bool(g.viewer.may(Permission.REVIEW_RECORDS))


def form_status(form: BaseForm) -> int:
    """200 for a blank form or a date check that passed; 400 when something is wrong."""
    return 400 if form.is_submitted() and has_errors(form) else 200


def has_errors(form: BaseForm) -> bool:
    return bool(form.errors) or bool(getattr(form, "form_errors", None))


def show_error(form: BaseForm, error: InvalidInput) -> None:
    """A service's "field: message" shown at the field, or above the form when no field fits."""
    name, separator, message = str(error).partition(": ")
    field = form._fields.get(name) if separator else None
    if field is not None and field.type not in ("HiddenField", "SubmitField", "CSRFTokenField"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(str(error))


def version_of(form: IncidentForm) -> int:
    """Raises InvalidInput when the hidden version was tampered with."""
    try:
        return form.expected_version
    except ValueError:
        message = _("The form lost its version; reload the page and edit again.")
        raise InvalidInput(message) from None


def submitted_version(form: DeleteForm) -> int:
    """The version a delete or restore form carries. Raises InvalidInput if it is missing."""
    if not form.validate_on_submit():
        raise InvalidInput(_("The form was incomplete; reload the page and try again."))
    try:
        return form.expected_version
    except ValueError:
        raise InvalidInput(_("The form lost its version; reload the page and try again.")) from None


def is_get() -> bool:
    return request.method == "GET"


def checked_dates(form: BaseForm, names: tuple[str, ...]) -> dict[str, DatePreview]:
    """The previews; once submitted, a date that cannot be read is an error at its field."""
    previews = date_previews(form, names)
    for name, preview in previews.items():
        if form.is_submitted() and not preview.ok and not form[name].errors:
            form[name].errors = [preview.text]
    return previews


def incident_form_page(
    form: IncidentForm, incident: Incident | None, conflict: Any = None
) -> tuple[str, int]:
    previews = checked_dates(form, ("start_text", "end_text"))
    page = render_template(
        "incidents/form.html",
        form=form,
        incident=incident,
        may_review=may_review(),
        previews=previews,
        conflict=conflict,
    )
    return page, 409 if conflict is not None else form_status(form)


def quick_entry_page(form: QuickEntryForm) -> tuple[str, int]:
    previews = checked_dates(form, ("start_text",))
    return render_template("incidents/quick_entry.html", form=form, previews=previews), form_status(
        form
    )


def conflict_page(form: IncidentForm, incident_id: uuid.UUID) -> tuple[str, int]:
    """Both versions side by side; the hidden version moves on, so saving again overwrites."""
    g.db.rollback()  # nothing of this attempt (not even a new place) is kept
    current = get_visible_record(g.db, g.viewer, Incident, incident_id)
    theirs = IncidentForm(formdata=None, data=incident_form_data(current))
    fill_incident_choices(theirs)
    labels = {name: str(form[name].label.text) for name in CONFLICT_FIELDS}
    rows = conflict_rows(shown_values(form), shown_values(theirs), labels)
    form.version.data = str(current.version)
    return incident_form_page(form, current, conflict=rows)


def shown_values(form: IncidentForm) -> dict[str, str]:
    """Each compared field as the user reads it: choices by label, lists joined."""
    return {name: shown_value(form[name]) for name in CONFLICT_FIELDS}


def shown_value(field: Field) -> str:
    if isinstance(field, SelectMultipleField):
        labels = choice_labels(field)
        return ", ".join(labels.get(value, value) for value in field.data or ())
    if isinstance(field, SelectField):
        return choice_labels(field).get(field.data or "", field.data or "")
    if field.type == "BooleanField":
        return _("yes") if field.data else _("no")
    return "" if field.data is None else str(field.data)


def choice_labels(field: SelectField) -> Mapping[str, str]:
    return {choice.value: str(choice.label) for choice in field.choices or ()}


def quick_entry_message(result: incident_entry.QuickEntryResult) -> str:
    if result.victim is None:
        return _("Incident %(code)s recorded.", code=result.incident.code)
    return _(
        "Incident %(code)s recorded, with the new victim %(person)s.",
        code=result.incident.code,
        person=result.victim.pseudonym_code,
    )
