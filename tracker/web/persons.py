"""Person pages: involvements, names, consent record and merges of duplicates.

Identity values (real name, contacts, address, notes, gender identity, orientation, names) are
shown only to roles that may see them. Documenters may write them but never read them back.
"""

import uuid
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel
from tracker.domain.errors import EditConflict, InvalidInput
from tracker.domain.permissions import Permission
from tracker.forms.persons import (
    CREATE_FIELDS,
    IDENTITY_FIELDS,
    PERSON_FIELDS,
    ConsentForm,
    MergeForm,
    NameForm,
    PersonEditForm,
    PersonForm,
    UndoMergeForm,
)
from tracker.forms.records import DeleteForm, RemoveForm, RestoreForm, field_values, show_error
from tracker.models import Person, PersonName
from tracker.services import consents, export_recall, people, record_pages
from tracker.services.merges import merges_of_person
from tracker.services.restrictions import get_visible_record, may_view
from tracker.web.access import requires
from tracker.web.i18n import _
from tracker.web.record_views import (
    actor_id,
    field_labels,
    page_number,
    parsed_uuid,
    search_text,
    show_deleted,
    versioned_conflict,
    vocabulary_choices,
)
from tracker.web.records import record_history, usernames

Page = str | tuple[str, int]
EXPORTS_ANCHOR = "earlier-exports"


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("persons", __name__, url_prefix="/persons")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        query, deleted = search_text(), show_deleted()
        found = record_pages.search_people(
            g.db, viewer=g.viewer, text=query, deleted=deleted, number=page_number()
        )
        return render_template("persons/index.html", page=found, query=query, deleted=deleted)

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def create() -> Response | Page:
        form = with_choices(PersonForm())
        if not form.validate_on_submit():
            return render_form(form, None, status=400 if form.is_submitted() else 200)
        try:
            person = record_pages.create_person_record(
                g.db,
                role_letter=form.role_letter.data,
                first_recorded_year=form.first_recorded_year.data,
                values=field_values(form, CREATE_FIELDS),
                actor_id=actor_id(),
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, None, status=400)
        return redirect(url_for("persons.show", person_id=person.id))

    @blueprint.route("/<uuid:person_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(person_id: uuid.UUID) -> Page:
        return render_show(load_person(person_id, deleted_too=True))

    @blueprint.route("/<uuid:person_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def edit(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = with_choices(PersonEditForm(data=editable_values(person)))
        if not form.validate_on_submit():
            return render_form(form, person, status=400 if form.is_submitted() else 200)
        changes = changed_values(person, form)
        try:
            people.update_person(
                g.db,
                person_id=person.id,
                expected_version=form.version.data,
                changes=changes,
                actor_id=actor_id(),
            )
        except EditConflict:
            rows = versioned_conflict(form, person, changes, field_labels(form, PERSON_FIELDS))
            return render_form(form, person, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, person, status=400)
        flash(_("Saved."))
        return redirect(url_for("persons.show", person_id=person.id))

    @blueprint.route("/<uuid:person_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def delete(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = DeleteForm()
        if not form.validate_on_submit():
            return render_show(person, status=400, delete_form=form)
        try:
            record_pages.delete_with_reason(
                g.db,
                Person,
                record_id=person.id,
                expected_version=form.version.data,
                reason=form.reason.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(person, form, error, delete_form=form)
        flash(_("Deleted."))
        return redirect(url_for("persons.index"))

    @blueprint.route("/<uuid:person_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id, deleted_too=True)
        form = RestoreForm()
        if not form.validate_on_submit():
            return render_show(person, status=400, restore_form=form)
        try:
            people.restore_person(
                g.db, person_id=person.id, expected_version=form.version.data, actor_id=actor_id()
            )
        except (InvalidInput, EditConflict) as error:
            return refused(person, form, error, restore_form=form)
        flash(_("Restored."))
        return redirect(url_for("persons.show", person_id=person.id))

    @blueprint.route("/<uuid:person_id>/names", methods=["POST"])
    @requires(Permission.EDIT_RECORDS, Permission.VIEW_IDENTITY)
    def add_name(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = with_name_choices(NameForm())
        if not form.validate_on_submit():
            return render_show(person, status=400, name_form=form)
        try:
            people.add_person_name(
                g.db,
                person_id=person.id,
                text=form.text.data,
                kind=form.kind.data,
                script=form.script.data or None,
                actor_id=actor_id(),
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_show(person, status=400, name_form=form)
        return redirect(url_for("persons.show", person_id=person.id, _anchor="names"))

    @blueprint.route("/<uuid:person_id>/names/remove", methods=["POST"])
    @requires(Permission.EDIT_RECORDS, Permission.VIEW_IDENTITY)
    def remove_name(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = RemoveForm()
        name_id = parsed_uuid(form.item_id.data)
        if not form.validate_on_submit() or name_id is None:
            flash(_("Nothing was removed: reload the page and try again."))
            return render_show(person, status=400)
        record_pages.remove_alias(
            g.db,
            PersonName,
            owner_field="person_id",
            owner_id=person.id,
            alias_id=name_id,
            actor_id=actor_id(),
        )
        return redirect(url_for("persons.show", person_id=person.id, _anchor="names"))

    @blueprint.route("/<uuid:person_id>/consents", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def record_consent(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = with_consent_choices(ConsentForm())
        if not form.validate_on_submit():
            return render_show(person, status=400, consent_form=form)
        try:
            consents.record_consent(
                g.db,
                person_id=person.id,
                scope=form.scope.data,
                status=form.status.data,
                decided_on=form.decided_on.data,
                method=form.method.data or "",
                note=form.note.data or "",
                actor_id=actor_id(),
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_show(person, status=400, consent_form=form)
        return after_consent(person, scope=form.scope.data, status=form.status.data)

    @blueprint.route("/<uuid:person_id>/merge", methods=["POST"])
    @requires(Permission.MERGE_PERSONS)
    def merge(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = MergeForm()
        if not form.validate_on_submit():
            return render_show(person, status=400, merge_form=form)
        try:
            record_pages.merge_by_code(
                g.db,
                viewer=g.viewer,
                survivor_id=person.id,
                code=form.merged_code.data,
                reason=form.reason.data,
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_show(person, status=400, merge_form=form)
        flash(_("Merged. The merge can be undone below."))
        return redirect(url_for("persons.show", person_id=person.id, _anchor="merges"))

    @blueprint.route("/<uuid:person_id>/merge/undo", methods=["POST"])
    @requires(Permission.MERGE_PERSONS)
    def undo_merge(person_id: uuid.UUID) -> Response | Page:
        person = load_person(person_id)
        form = UndoMergeForm()
        merge_id = parsed_uuid(form.merge_id.data)
        if not form.validate_on_submit() or merge_id is None:
            flash(_("Nothing was undone: reload the page and try again."))
            return render_show(person, status=400)
        try:
            record_pages.undo_merge_of(
                g.db, person_id=person.id, merge_id=merge_id, actor_id=actor_id()
            )
        except InvalidInput as error:
            flash(str(error))
            return render_show(person, status=400)
        flash(_("Merge undone."))
        return redirect(url_for("persons.show", person_id=person.id, _anchor="merges"))

    return blueprint


def load_person(person_id: uuid.UUID, *, deleted_too: bool = False) -> Person:
    """The person if this viewer may see it (deleted ones only for those who may restore)."""
    include_deleted = deleted_too and g.viewer.may(Permission.RESTORE_RECORDS)
    return get_visible_record(g.db, g.viewer, Person, person_id, include_deleted=include_deleted)


def editable_values(person: Person) -> dict[str, Any]:
    """The form's starting values: identity fields empty for those who may not read them."""
    values = {field: getattr(person, field) for field in PERSON_FIELDS}
    values["version"] = person.version
    if not g.viewer.sees_identity:
        values.update(dict.fromkeys(IDENTITY_FIELDS, ""))
    return values


def changed_values(person: Person, form: PersonEditForm) -> dict[str, Any]:
    """The fields the user changed. For those who cannot see identities, an empty identity
    field means "keep what is there": they were never shown it."""
    values = field_values(form, PERSON_FIELDS)
    if not g.viewer.sees_identity:
        values = {
            field: value for field, value in values.items() if field not in IDENTITY_FIELDS or value
        }
    return {field: value for field, value in values.items() if getattr(person, field) != value}


def with_choices(form: Any) -> Any:
    form.age_band.choices = vocabulary_choices("age_band")
    return form


def with_name_choices(form: NameForm) -> NameForm:
    form.kind.choices = vocabulary_choices("name_kind")
    form.script.choices = vocabulary_choices("script", blank=_("Detect from the letters"))
    return form


def with_consent_choices(form: ConsentForm) -> ConsentForm:
    form.scope.choices = vocabulary_choices("consent_scope")
    form.status.choices = vocabulary_choices("consent_status")
    return form


def render_form(
    form: Any, person: Person | None, *, status: int = 200, conflict: Any = None
) -> Page:
    page = render_template("persons/form.html", form=form, person=person, conflict=conflict)
    return (page, status) if status != 200 else page


def refused(person: Person, form: Any, error: Exception, **forms: Any) -> Page:
    """A delete or restore the services refused: the page again, saying why."""
    if isinstance(error, EditConflict):
        form.form_errors.append(_("Someone else changed this person meanwhile. Reload the page."))
        return render_show(person, status=409, **forms)
    show_error(form, error)  # type: ignore[arg-type]
    return render_show(person, status=400, **forms)


def render_show(person: Person, *, status: int = 200, **forms: Any) -> Page:
    """The person page; forms passed in (with the user's input and errors) replace fresh ones."""
    if person.is_deleted and not g.viewer.may(Permission.RESTORE_RECORDS):
        abort(404)
    incidents = record_pages.incidents_page(
        g.db, viewer=g.viewer, number=page_number(), person_id=person.id
    )
    roles = record_pages.roles_in_incidents(g.db, person.id, [item.id for item in incidents.items])
    consent_rows = consents.consents_of(g.db, person.id)
    page = render_template(
        "persons/show.html",
        person=person,
        incidents=incidents,
        roles=roles,
        names=people.names_of(g.db, person.id) if g.viewer.sees_identity else [],
        consents=consent_rows,
        recorders=usernames(g.db, {row.recorded_by for row in consent_rows if row.recorded_by}),
        **merge_context(person),
        **export_recall_context(person),
        history=record_history(g.db, g.viewer, Person, person.id),
        **show_forms(forms),
    )
    return (page, status) if status != 200 else page


def after_consent(person: Person, *, scope: str, status: str) -> Response:
    """Back to the consent record; for an admin, after a decision that is not a grant, to
    the earlier exports at the levels it affects, which the decision cannot reach."""
    if status == consents.GRANTED or not g.viewer.may(Permission.VIEW_AUDIT_LOG):
        flash(_("Consent recorded."))
        return redirect(url_for("persons.show", person_id=person.id, _anchor="consent"))
    flash(
        _(
            "Consent recorded. Later exports at the levels it affects follow it; files"
            " exported earlier do not change: those that included this person are listed"
            " below, to recall them."
        )
    )
    levels = [level.value for level in export_recall.levels_affected_by(scope)]
    return redirect(
        url_for("persons.show", person_id=person.id, export_level=levels, _anchor=EXPORTS_ANCHOR)
    )


def export_recall_context(person: Person) -> dict[str, Any]:
    """Admins only: the earlier exports whose audit entries list the person, filtered by the
    levels in the query string (?export_level=public&export_level=partner)."""
    if not g.viewer.may(Permission.VIEW_AUDIT_LOG):
        return {"earlier_exports": None, "export_levels": []}
    levels = requested_levels()
    found = export_recall.exports_including(g.db, person.id, levels or None)
    return {"earlier_exports": found, "export_levels": levels}


def requested_levels() -> list[DisclosureLevel]:
    """The levels named in the query string, in the usual order; unknown values ignored."""
    asked = set(request.args.getlist("export_level"))
    return [level for level in LEVEL_ORDER if level.value in asked]


def merge_context(person: Person) -> dict[str, Any]:
    if not g.viewer.may(Permission.MERGE_PERSONS):
        return {"duplicates": [], "merges": [], "merge_people": {}}
    merge_rows = merges_of_person(g.db, person.id)
    others = {row.survivor_id for row in merge_rows} | {row.merged_id for row in merge_rows}
    return {
        "duplicates": []
        if person.is_deleted
        else record_pages.visible_duplicates(g.db, g.viewer, person.id),
        "merges": merge_rows,
        "merge_people": {
            pid: person
            for pid in others
            if (person := g.db.get(Person, pid)) is not None
            and may_view(g.db, g.viewer, Person, pid)
        },
    }


def show_forms(forms: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "name_form": lambda: with_name_choices(NameForm(formdata=None)),
        "consent_form": lambda: with_consent_choices(ConsentForm(formdata=None)),
        "merge_form": lambda: MergeForm(formdata=None),
        "delete_form": lambda: DeleteForm(formdata=None),
        "restore_form": lambda: RestoreForm(formdata=None),
    }
    return {name: forms.get(name) or make() for name, make in defaults.items()}
