"""Organisation pages: a body or unit, its parents and units, aliases and incidents."""

import uuid
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tracker.domain.errors import EditConflict, InvalidInput
from tracker.domain.permissions import Permission
from tracker.forms.organisations import (
    ORGANISATION_FIELDS,
    OrganisationAliasForm,
    OrganisationEditForm,
    OrganisationForm,
)
from tracker.forms.records import DeleteForm, RemoveForm, RestoreForm, field_values, show_error
from tracker.models import Organisation, OrganisationAlias, Place
from tracker.services import organisations, record_pages
from tracker.web.access import requires
from tracker.web.i18n import _
from tracker.web.record_views import (
    actor_id,
    field_labels,
    known_filter,
    optional_uuid,
    page_number,
    parsed_uuid,
    record_choices,
    search_text,
    show_deleted,
    versioned_conflict,
    vocabulary_choices,
)
from tracker.web.records import record_history

Page = str | tuple[str, int]
RECORD_FIELDS = ("parent_id", "place_id")


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("organisations", __name__, url_prefix="/organisations")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        kinds = vocabulary_choices("organisation_kind")
        query, deleted = search_text(), show_deleted()
        kind = known_filter(search_text("kind"), kinds)
        found = record_pages.search_organisations(
            g.db, text=query, kind=kind, deleted=deleted, number=page_number()
        )
        return render_template(
            "organisations/index.html",
            page=found,
            query=query,
            kind=kind,
            kinds=kinds,
            deleted=deleted,
        )

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def create() -> Response | Page:
        form = with_choices(OrganisationForm(), None)
        if not form.validate_on_submit():
            return render_form(form, None, status=400 if form.is_submitted() else 200)
        try:
            organisation = organisations.create_organisation(
                g.db, actor_id=actor_id(), **organisation_values(form)
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, None, status=400)
        return redirect(url_for("organisations.show", organisation_id=organisation.id))

    @blueprint.route("/<uuid:organisation_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(organisation_id: uuid.UUID) -> Page:
        return render_show(load_organisation(organisation_id, deleted_too=True))

    @blueprint.route("/<uuid:organisation_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def edit(organisation_id: uuid.UUID) -> Response | Page:
        organisation = load_organisation(organisation_id)
        form = with_choices(OrganisationEditForm(data=editable_values(organisation)), organisation)
        if not form.validate_on_submit():
            return render_form(form, organisation, status=400 if form.is_submitted() else 200)
        changes = organisation_values(form)
        try:
            organisations.update_organisation(
                g.db,
                organisation_id=organisation.id,
                expected_version=form.version.data,
                changes=changes,
                actor_id=actor_id(),
            )
        except EditConflict:
            labels = field_labels(form, ORGANISATION_FIELDS)
            rows = versioned_conflict(form, organisation, named(changes), labels)
            return render_form(form, organisation, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, organisation, status=400)
        flash(_("Saved."))
        return redirect(url_for("organisations.show", organisation_id=organisation.id))

    @blueprint.route("/<uuid:organisation_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def delete(organisation_id: uuid.UUID) -> Response | Page:
        organisation = load_organisation(organisation_id)
        form = DeleteForm()
        if not form.validate_on_submit():
            return render_show(organisation, status=400, delete_form=form)
        try:
            record_pages.delete_with_reason(
                g.db,
                Organisation,
                record_id=organisation.id,
                expected_version=form.version.data,
                reason=form.reason.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(organisation, form, error, delete_form=form)
        flash(_("Deleted."))
        return redirect(url_for("organisations.index"))

    @blueprint.route("/<uuid:organisation_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(organisation_id: uuid.UUID) -> Response | Page:
        organisation = load_organisation(organisation_id, deleted_too=True)
        form = RestoreForm()
        if not form.validate_on_submit():
            return render_show(organisation, status=400, restore_form=form)
        try:
            organisations.restore_organisation(
                g.db,
                organisation_id=organisation.id,
                expected_version=form.version.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(organisation, form, error, restore_form=form)
        flash(_("Restored."))
        return redirect(url_for("organisations.show", organisation_id=organisation.id))

    @blueprint.route("/<uuid:organisation_id>/aliases", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def add_alias(organisation_id: uuid.UUID) -> Response | Page:
        organisation = load_organisation(organisation_id)
        form = with_alias_choices(OrganisationAliasForm())
        if not form.validate_on_submit():
            return render_show(organisation, status=400, alias_form=form)
        try:
            organisations.add_organisation_alias(
                g.db,
                organisation_id=organisation.id,
                text=form.text.data,
                script=form.script.data or None,
                actor_id=actor_id(),
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_show(organisation, status=400, alias_form=form)
        return redirect(
            url_for("organisations.show", organisation_id=organisation.id, _anchor="aliases")
        )

    @blueprint.route("/<uuid:organisation_id>/aliases/remove", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def remove_alias(organisation_id: uuid.UUID) -> Response | Page:
        organisation = load_organisation(organisation_id)
        form = RemoveForm()
        alias_id = parsed_uuid(form.item_id.data)
        if not form.validate_on_submit() or alias_id is None:
            flash(_("Nothing was removed: reload the page and try again."))
            return render_show(organisation, status=400)
        record_pages.remove_alias(
            g.db,
            OrganisationAlias,
            owner_field="organisation_id",
            owner_id=organisation.id,
            alias_id=alias_id,
            actor_id=actor_id(),
        )
        return redirect(
            url_for("organisations.show", organisation_id=organisation.id, _anchor="aliases")
        )

    return blueprint


def load_organisation(organisation_id: uuid.UUID, *, deleted_too: bool = False) -> Organisation:
    include_deleted = deleted_too and g.viewer.may(Permission.RESTORE_RECORDS)
    return organisations.get_organisation(g.db, organisation_id, include_deleted=include_deleted)


def editable_values(organisation: Organisation) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(organisation, field) for field in ORGANISATION_FIELDS}
    for field in RECORD_FIELDS:
        values[field] = str(values[field] or "")
    values["version"] = organisation.version
    return values


def organisation_values(form: OrganisationForm) -> dict[str, Any]:
    values = field_values(form, ORGANISATION_FIELDS)
    for field in RECORD_FIELDS:
        values[field] = optional_uuid(values[field])
    values["description"] = values["description"] or ""
    return values


def named(changes: dict[str, Any]) -> dict[str, Any]:
    """The user's values for the conflict table: parent and place by name."""
    parent = g.db.get(Organisation, changes["parent_id"]) if changes["parent_id"] else None
    place = g.db.get(Place, changes["place_id"]) if changes["place_id"] else None
    return {
        **changes,
        "parent_id": parent.name if parent is not None else "",
        "place_id": place.name if place is not None else "",
    }


def with_choices(form: Any, organisation: Organisation | None) -> Any:
    form.kind.choices = vocabulary_choices("organisation_kind")
    form.state_relation.choices = vocabulary_choices("state_relation")
    form.perpetrator_type.choices = vocabulary_choices("perpetrator_type")
    parents = [
        candidate
        for candidate in record_pages.organisation_choices(g.db)
        if organisation is None or candidate.id != organisation.id
    ]
    form.parent_id.choices = record_choices(parents, lambda unit: unit.name, blank=_("None"))
    current_place = organisation.place_id if organisation is not None else None
    form.place_id.choices = record_choices(
        record_pages.parent_place_choices(g.db, current_place),
        lambda place: place.name,
        blank=_("Not recorded"),
    )
    return form


def with_alias_choices(form: OrganisationAliasForm) -> OrganisationAliasForm:
    form.script.choices = vocabulary_choices("script", blank=_("Detect from the letters"))
    return form


def render_form(
    form: Any, organisation: Organisation | None, *, status: int = 200, conflict: Any = None
) -> Page:
    page = render_template(
        "organisations/form.html", form=form, organisation=organisation, conflict=conflict
    )
    return (page, status) if status != 200 else page


def refused(organisation: Organisation, form: Any, error: Exception, **forms: Any) -> Page:
    if isinstance(error, EditConflict):
        form.form_errors.append(
            _("Someone else changed this organisation meanwhile. Reload the page.")
        )
        return render_show(organisation, status=409, **forms)
    show_error(form, error)  # type: ignore[arg-type]
    return render_show(organisation, status=400, **forms)


def render_show(organisation: Organisation, *, status: int = 200, **forms: Any) -> Page:
    place = g.db.get(Place, organisation.place_id) if organisation.place_id else None
    page = render_template(
        "organisations/show.html",
        organisation=organisation,
        ancestors=record_pages.organisation_chain(g.db, organisation),
        units=organisations.list_organisations(g.db, parent_id=organisation.id),
        place=place,
        aliases=organisations.aliases_of(g.db, organisation.id),
        incidents=record_pages.incidents_page(
            g.db, viewer=g.viewer, number=page_number(), organisation_id=organisation.id
        ),
        history=record_history(g.db, g.viewer, Organisation, organisation.id),
        **show_forms(forms),
    )
    return (page, status) if status != 200 else page


def show_forms(forms: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "alias_form": lambda: with_alias_choices(OrganisationAliasForm(formdata=None)),
        "delete_form": lambda: DeleteForm(formdata=None),
        "restore_form": lambda: RestoreForm(formdata=None),
    }
    return {name: forms.get(name) or make() for name, make in defaults.items()}
