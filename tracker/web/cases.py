"""Case pages: a lawyer's file with its incidents, clients, lead lawyer and legal actions."""

import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.domain.permissions import Permission
from tracker.forms.cases import (
    CASE_FIELDS,
    CaseEditForm,
    CaseForm,
    ClientForm,
    IncidentCodeForm,
    LegalActionDeleteForm,
    LegalActionEditForm,
    LegalActionForm,
)
from tracker.forms.records import DeleteForm, RestoreForm, field_values, show_error
from tracker.models import Case, LegalAction, UserAccount
from tracker.services import cases, record_pages
from tracker.services.restrictions import get_visible_record
from tracker.web.access import requires
from tracker.web.i18n import _
from tracker.web.record_views import (
    actor_id,
    field_labels,
    known_filter,
    optional_uuid,
    page_number,
    record_choices,
    search_text,
    show_deleted,
    today,
    versioned_conflict,
    vocabulary_choices,
)
from tracker.web.records import record_history

Page = str | tuple[str, int]
# Deadlines this close are highlighted on the case page.
UPCOMING = timedelta(days=30)
LEGAL_ACTION_FIELDS = (
    "forum",
    "filed_on_text",
    "decided_on_text",
    "served_on_text",
    "is_final_domestic",
    "outcome",
    "sentence_months",
    "notes",
)


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("cases", __name__, url_prefix="/cases")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        statuses = vocabulary_choices("case_status")
        query, status, deleted = (
            search_text(),
            known_filter(search_text("status"), statuses),
            show_deleted(),
        )
        found = record_pages.search_cases(
            g.db, viewer=g.viewer, text=query, status=status, deleted=deleted, number=page_number()
        )
        return render_template(
            "cases/index.html",
            page=found,
            query=query,
            status=status,
            statuses=statuses,
            deleted=deleted,
        )

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_CASES)
    def create() -> Response | Page:
        form = with_choices(CaseForm(), None)
        if not form.validate_on_submit():
            return render_form(form, None, status=400 if form.is_submitted() else 200)
        values = case_values(form)
        try:
            case = cases.create_case(g.db, actor_id=actor_id(), **values)
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, None, status=400)
        return redirect(url_for("cases.show", case_id=case.id))

    @blueprint.route("/<uuid:case_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(case_id: uuid.UUID) -> Page:
        return render_show(load_case(case_id, deleted_too=True))

    @blueprint.route("/<uuid:case_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_CASES)
    def edit(case_id: uuid.UUID) -> Response | Page:
        case = load_case(case_id)
        form = with_choices(CaseEditForm(data=editable_values(case)), case)
        if not form.validate_on_submit():
            return render_form(form, case, status=400 if form.is_submitted() else 200)
        changes = case_values(form)
        try:
            cases.update_case(
                g.db,
                case_id=case.id,
                expected_version=form.version.data,
                changes=changes,
                actor_id=actor_id(),
            )
        except EditConflict:
            labels = field_labels(form, CASE_FIELDS)
            rows = versioned_conflict(form, case, shown_values(changes), labels)
            return render_form(form, case, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, case, status=400)
        flash(_("Saved."))
        return redirect(url_for("cases.show", case_id=case.id))

    @blueprint.route("/<uuid:case_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def delete(case_id: uuid.UUID) -> Response | Page:
        case = load_case(case_id)
        form = DeleteForm()
        if not form.validate_on_submit():
            return render_show(case, status=400, delete_form=form)
        try:
            record_pages.delete_with_reason(
                g.db,
                Case,
                record_id=case.id,
                expected_version=form.version.data,
                reason=form.reason.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(case, form, error, delete_form=form)
        flash(_("Deleted."))
        return redirect(url_for("cases.index"))

    @blueprint.route("/<uuid:case_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(case_id: uuid.UUID) -> Response | Page:
        case = load_case(case_id, deleted_too=True)
        form = RestoreForm()
        if not form.validate_on_submit():
            return render_show(case, status=400, restore_form=form)
        try:
            cases.restore_case(
                g.db, case_id=case.id, expected_version=form.version.data, actor_id=actor_id()
            )
        except (InvalidInput, EditConflict) as error:
            return refused(case, form, error, restore_form=form)
        flash(_("Restored."))
        return redirect(url_for("cases.show", case_id=case.id))

    @blueprint.route("/<uuid:case_id>/incidents", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def add_incident(case_id: uuid.UUID) -> Response | Page:
        return change_members(case_id, IncidentCodeForm, record_pages.add_incident_by_code)

    @blueprint.route("/<uuid:case_id>/incidents/remove", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def remove_incident(case_id: uuid.UUID) -> Response | Page:
        return change_members(case_id, IncidentCodeForm, record_pages.remove_incident_by_code)

    @blueprint.route("/<uuid:case_id>/clients", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def add_client(case_id: uuid.UUID) -> Response | Page:
        return change_members(case_id, ClientForm, record_pages.add_client_by_code)

    @blueprint.route("/<uuid:case_id>/clients/remove", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def remove_client(case_id: uuid.UUID) -> Response | Page:
        return change_members(case_id, ClientForm, record_pages.remove_client_by_code)

    @blueprint.route("/<uuid:case_id>/legal-actions", methods=["POST"])
    @requires(Permission.EDIT_CASES)
    def add_legal_action(case_id: uuid.UUID) -> Response | Page:
        case = load_case(case_id)
        form = with_action_choices(LegalActionForm())
        if not form.validate_on_submit():
            return render_show(case, status=400, action_form=form)
        try:
            cases.add_legal_action(
                g.db,
                case_id=case.id,
                kind=form.kind.data,
                actor_id=actor_id(),
                today=today(),
                **field_values(form, LEGAL_ACTION_FIELDS),
            )
        except InvalidInput as error:
            show_error(form, error, renames=DATE_FIELDS)
            return render_show(case, status=400, action_form=form)
        flash(_("Legal action added."))
        return redirect(url_for("cases.show", case_id=case.id, _anchor="legal-actions"))

    @blueprint.route(
        "/<uuid:case_id>/legal-actions/<uuid:legal_action_id>/edit", methods=["GET", "POST"]
    )
    @requires(Permission.EDIT_CASES)
    def edit_legal_action(case_id: uuid.UUID, legal_action_id: uuid.UUID) -> Response | Page:
        case, action = load_legal_action(case_id, legal_action_id)
        form = with_kept_kind(LegalActionEditForm(data=action_form_values(action)), action.kind)
        if not form.validate_on_submit():
            status = 400 if form.is_submitted() else 200
            return render_action_form(form, case, action, status=status)
        entered = {"kind": form.kind.data, **field_values(form, LEGAL_ACTION_FIELDS)}
        try:
            cases.update_legal_action(
                g.db,
                legal_action_id=action.id,
                expected_version=form.version.data,
                changes=changed_fields(entered, action),
                actor_id=actor_id(),
                today=today(),
            )
        except EditConflict:
            rows = versioned_conflict(form, action, stored_names(entered), action_labels(form))
            return render_action_form(form, case, action, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error, renames=DATE_FIELDS)
            return render_action_form(form, case, action, status=400)
        flash(_("Legal action saved."))
        return redirect(url_for("cases.show", case_id=case.id, _anchor="legal-actions"))

    @blueprint.route(
        "/<uuid:case_id>/legal-actions/<uuid:legal_action_id>/delete", methods=["POST"]
    )
    @requires(Permission.EDIT_CASES)
    def delete_legal_action(case_id: uuid.UUID, legal_action_id: uuid.UUID) -> Response | Page:
        case, action = load_legal_action(case_id, legal_action_id)
        form = LegalActionDeleteForm()
        if not form.validate_on_submit():
            flash(_("The legal action was not deleted: reload the page and try again."))
            return render_show(case, status=400)
        try:
            cases.delete_legal_action(
                g.db,
                legal_action_id=action.id,
                expected_version=form.version.data,
                actor_id=actor_id(),
            )
        except EditConflict:
            flash(_("Someone else changed this legal action meanwhile. Reload the page."))
            return render_show(case, status=409)
        flash(_("Legal action deleted."))
        return redirect(url_for("cases.show", case_id=case.id, _anchor="legal-actions"))

    return blueprint


DATE_FIELDS = {
    "filed_on": "filed_on_text",
    "decided_on": "decided_on_text",
    "served_on": "served_on_text",
}
DATE_TEXTS = {text_field: column for column, text_field in DATE_FIELDS.items()}
# The add form and the remove buttons share a form class; errors go back to the add form.
MEMBER_FORM_NAMES = {IncidentCodeForm: "incident_form", ClientForm: "client_form"}


def change_members(case_id: uuid.UUID, form_class: Any, change: Any) -> Response | Page:
    """Add or remove an incident or a client named by its code."""
    case = load_case(case_id)
    form = form_class()
    form_name = MEMBER_FORM_NAMES[form_class]
    if not form.validate_on_submit():
        return render_show(case, status=400, **{form_name: form})
    code = form.data.get("incident_code") or form.data.get("pseudonym_code") or ""
    try:
        change(g.db, viewer=g.viewer, case_id=case.id, code=code)
    except InvalidInput as error:
        show_error(form, error)
        return render_show(case, status=400, **{form_name: form})
    return redirect(url_for("cases.show", case_id=case.id))


def load_case(case_id: uuid.UUID, *, deleted_too: bool = False) -> Case:
    """The case if this viewer may see it (deleted ones only for those who may restore)."""
    include_deleted = deleted_too and g.viewer.may(Permission.RESTORE_RECORDS)
    return get_visible_record(g.db, g.viewer, Case, case_id, include_deleted=include_deleted)


def load_legal_action(case_id: uuid.UUID, legal_action_id: uuid.UUID) -> tuple[Case, LegalAction]:
    """A live legal action of a case this viewer may see; anything else does not exist."""
    case = load_case(case_id)
    action = get_visible_record(g.db, g.viewer, LegalAction, legal_action_id)
    if action.case_id != case.id:
        raise RecordNotFound(f"No legal action {legal_action_id} in this case.")
    return case, action


def action_form_values(action: LegalAction) -> dict[str, Any]:
    """The edit form's values: dates as the lawyer wrote them, not as normalised."""
    values: dict[str, Any] = {
        field: getattr(action, field)
        for field in ("kind", *LEGAL_ACTION_FIELDS)
        if field not in DATE_TEXTS
    }
    for column, text_field in DATE_FIELDS.items():
        values[text_field] = date_text(getattr(action, column))
    values["version"] = action.version
    return values


def date_text(value: Any) -> str:
    return str(getattr(value, "original_text", "") or "")


def changed_fields(entered: dict[str, Any], action: LegalAction) -> dict[str, Any]:
    """Only what the user changed: untouched dates are not parsed again, and a kind since
    retired from the vocabulary must not block fixing a date."""
    current = action_form_values(action)
    return {field: value for field, value in entered.items() if not same(value, current[field])}


def same(entered: Any, current: Any) -> bool:
    if isinstance(entered, str) and isinstance(current, str):
        return entered.strip() == current.strip()
    return bool(entered == current)


def stored_names(entered: dict[str, Any]) -> dict[str, Any]:
    """The user's values under the columns' names, as the conflict table compares them."""
    return {DATE_TEXTS.get(field, field): value for field, value in entered.items()}


def action_labels(form: LegalActionEditForm) -> dict[str, str]:
    labels = field_labels(form, ("kind", *LEGAL_ACTION_FIELDS))
    return {DATE_TEXTS.get(field, field): label for field, label in labels.items()}


def render_action_form(
    form: LegalActionEditForm,
    case: Case,
    action: LegalAction,
    *,
    status: int = 200,
    conflict: Any = None,
) -> Page:
    page = render_template(
        "cases/legal_action_edit.html", form=form, case=case, action=action, conflict=conflict
    )
    return (page, status) if status != 200 else page


def editable_values(case: Case) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(case, field) for field in CASE_FIELDS}
    values["lead_lawyer_id"] = str(case.lead_lawyer_id or "")
    values["version"] = case.version
    return values


def case_values(form: CaseForm) -> dict[str, Any]:
    values = field_values(form, CASE_FIELDS)
    values["lead_lawyer_id"] = optional_uuid(values["lead_lawyer_id"])
    values["summary"] = values["summary"] or ""
    return values


def shown_values(changes: dict[str, Any]) -> dict[str, Any]:
    """The user's values as the conflict table compares them: the lawyer by name."""
    lawyer = record_pages.username_of(g.db, changes.get("lead_lawyer_id"))
    return {**changes, "lead_lawyer_id": lawyer}


def with_choices(form: Any, case: Case | None) -> Any:
    form.status.choices = vocabulary_choices("case_status")
    lawyers = record_pages.lawyers(g.db)
    current = case.lead_lawyer_id if case is not None else None
    former = g.db.get(UserAccount, current) if current is not None else None
    if former is not None and former.id not in {lawyer.id for lawyer in lawyers}:
        lawyers.append(former)  # kept as a choice so editing the title does not drop them
    form.lead_lawyer_id.choices = record_choices(
        lawyers, lambda user: user.display_name or user.username, blank=_("None yet")
    )
    return form


def with_action_choices(form: LegalActionForm) -> LegalActionForm:
    form.kind.choices = vocabulary_choices("legal_action_kind")
    return form


def render_form(form: Any, case: Case | None, *, status: int = 200, conflict: Any = None) -> Page:
    page = render_template("cases/form.html", form=form, case=case, conflict=conflict)
    return (page, status) if status != 200 else page


def refused(case: Case, form: Any, error: Exception, **forms: Any) -> Page:
    """A delete or restore the services refused: the page again, saying why."""
    if isinstance(error, EditConflict):
        form.form_errors.append(_("Someone else changed this case meanwhile. Reload the page."))
        return render_show(case, status=409, **forms)
    show_error(form, error)  # type: ignore[arg-type]
    return render_show(case, status=400, **forms)


def deadline_state(action: LegalAction) -> str:
    """overdue, upcoming (within 30 days) or empty, for highlighting."""
    if action.deadline_on is None:
        return ""
    now = today()
    if action.deadline_on < now:
        return "overdue"
    return "upcoming" if action.deadline_on - now <= UPCOMING else ""


def with_kept_kind(form: LegalActionEditForm, kind: str) -> LegalActionEditForm:
    """The action's kind stays a choice even if since retired, so fixing a date still works."""
    with_action_choices(form)
    if kind not in {choice.value for choice in form.kind.choices}:
        form.kind.choices.append(SelectChoice(kind, kind))
    return form


def render_show(case: Case, *, status: int = 200, **forms: Any) -> Page:
    """The case page; forms passed in (with the user's input and errors) replace fresh ones."""
    actions = cases.legal_actions_of_case(g.db, case.id)
    page = render_template(
        "cases/show.html",
        case=case,
        lead_lawyer=record_pages.username_of(g.db, case.lead_lawyer_id),
        incidents=record_pages.incidents_page(
            g.db, viewer=g.viewer, number=page_number(), case_id=case.id
        ),
        clients=record_pages.visible_clients(g.db, g.viewer, case.id),
        legal_actions=[(action, deadline_state(action)) for action in actions],
        history=record_history(g.db, g.viewer, Case, case.id),
        **show_forms(forms),
    )
    return (page, status) if status != 200 else page


def show_forms(forms: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "incident_form": lambda: IncidentCodeForm(formdata=None),
        "client_form": lambda: ClientForm(formdata=None),
        "action_form": lambda: with_action_choices(LegalActionForm(formdata=None)),
        "delete_form": lambda: DeleteForm(formdata=None),
        "restore_form": lambda: RestoreForm(formdata=None),
    }
    return {name: forms.get(name) or make() for name, make in defaults.items()}
