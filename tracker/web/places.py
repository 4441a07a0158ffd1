"""Place pages: a node of the place tree, its parents, sub-places, aliases and incidents.

Coordinates are internal and forbidden on sensitive places (DOMAIN §5): only roles that see
identities see them.
"""

import uuid
from dataclasses import replace
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tracker.domain.errors import EditConflict, InvalidInput
from tracker.domain.identity import WITHHELD
from tracker.domain.permissions import Permission
from tracker.forms.places import PLACE_FIELDS, AliasForm, PlaceEditForm, PlaceForm
from tracker.forms.records import (
    DeleteForm,
    RemoveForm,
    RestoreForm,
    field_values,
    show_error,
)
from tracker.models import Place, PlaceAlias
from tracker.services import places, record_pages
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
from tracker.web.records import FieldChange, Revision, record_history

Page = str | tuple[str, int]
COORDINATES = ("latitude", "longitude")


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("places", __name__, url_prefix="/places")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        kinds = vocabulary_choices("place_kind")
        query, kind, deleted = (
            search_text(),
            known_filter(search_text("kind"), kinds),
            show_deleted(),
        )
        found = record_pages.search_places(
            g.db, text=query, kind=kind, deleted=deleted, number=page_number()
        )
        return render_template(
            "places/index.html", page=found, query=query, kind=kind, kinds=kinds, deleted=deleted
        )

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def create() -> Response | Page:
        form = with_choices(PlaceForm(), None)
        if not form.validate_on_submit():
            return render_form(form, None, status=400 if form.is_submitted() else 200)
        try:
            place = places.create_place(g.db, actor_id=actor_id(), **place_values(form, None))
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, None, status=400)
        return redirect(url_for("places.show", place_id=place.id))

    @blueprint.route("/<uuid:place_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(place_id: uuid.UUID) -> Page:
        return render_show(load_place(place_id, deleted_too=True))

    @blueprint.route("/<uuid:place_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def edit(place_id: uuid.UUID) -> Response | Page:
        place = load_place(place_id)
        form = with_choices(PlaceEditForm(data=editable_values(place)), place)
        if not form.validate_on_submit():
            return render_form(form, place, status=400 if form.is_submitted() else 200)
        changes = place_values(form, place)
        try:
            places.update_place(
                g.db,
                place_id=place.id,
                expected_version=form.version.data,
                changes=changes,
                actor_id=actor_id(),
            )
        except EditConflict:
            rows = versioned_conflict(form, place, shown(changes), field_labels(form, PLACE_FIELDS))
            return render_form(form, place, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error)
            return render_form(form, place, status=400)
        flash(_("Saved."))
        return redirect(url_for("places.show", place_id=place.id))

    @blueprint.route("/<uuid:place_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def delete(place_id: uuid.UUID) -> Response | Page:
        place = load_place(place_id)
        form = DeleteForm()
        if not form.validate_on_submit():
            return render_show(place, status=400, delete_form=form)
        try:
            record_pages.delete_with_reason(
                g.db,
                Place,
                record_id=place.id,
                expected_version=form.version.data,
                reason=form.reason.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(place, form, error, delete_form=form)
        flash(_("Deleted."))
        return redirect(url_for("places.index"))

    @blueprint.route("/<uuid:place_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(place_id: uuid.UUID) -> Response | Page:
        place = load_place(place_id, deleted_too=True)
        form = RestoreForm()
        if not form.validate_on_submit():
            return render_show(place, status=400, restore_form=form)
        try:
            places.restore_place(
                g.db, place_id=place.id, expected_version=form.version.data, actor_id=actor_id()
            )
        except (InvalidInput, EditConflict) as error:
            return refused(place, form, error, restore_form=form)
        flash(_("Restored."))
        return redirect(url_for("places.show", place_id=place.id))

    @blueprint.route("/<uuid:place_id>/aliases", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def add_alias(place_id: uuid.UUID) -> Response | Page:
        place = load_place(place_id)
        form = with_alias_choices(AliasForm())
        if not form.validate_on_submit():
            return render_show(place, status=400, alias_form=form)
        try:
            places.add_place_alias(
                g.db,
                place_id=place.id,
                text=form.text.data,
                script=form.script.data or None,
                actor_id=actor_id(),
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_show(place, status=400, alias_form=form)
        return redirect(url_for("places.show", place_id=place.id, _anchor="aliases"))

    @blueprint.route("/<uuid:place_id>/aliases/remove", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def remove_alias(place_id: uuid.UUID) -> Response | Page:
        place = load_place(place_id)
        form = RemoveForm()
        alias_id = parsed_uuid(form.item_id.data)
        if not form.validate_on_submit() or alias_id is None:
            flash(_("Nothing was removed: reload the page and try again."))
            return render_show(place, status=400)
        record_pages.remove_alias(
            g.db,
            PlaceAlias,
            owner_field="place_id",
            owner_id=place.id,
            alias_id=alias_id,
            actor_id=actor_id(),
        )
        return redirect(url_for("places.show", place_id=place.id, _anchor="aliases"))

    return blueprint


def load_place(place_id: uuid.UUID, *, deleted_too: bool = False) -> Place:
    include_deleted = deleted_too and g.viewer.may(Permission.RESTORE_RECORDS)
    return places.get_place(g.db, place_id, include_deleted=include_deleted)


def editable_values(place: Place) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(place, field) for field in PLACE_FIELDS}
    values["parent_id"] = str(place.parent_id or "")
    values["version"] = place.version
    if not g.viewer.sees_identity:
        values.update(dict.fromkeys(COORDINATES))
    return values


def place_values(form: PlaceForm, place: Place | None) -> dict[str, Any]:
    """The form's values; those who may not see coordinates cannot change them either."""
    values = field_values(form, tuple(name for name in PLACE_FIELDS if name in form._fields))
    values["parent_id"] = optional_uuid(values["parent_id"])
    values["platform"] = values["platform"] or ""
    if not g.viewer.sees_identity:
        for field in COORDINATES:
            values[field] = getattr(place, field) if place is not None else None
    if place is not None:
        values = {field: value for field, value in values.items() if getattr(place, field) != value}
    return values


def shown(changes: dict[str, Any]) -> dict[str, Any]:
    """The user's values for the conflict table: the parent by name."""
    parent_id = changes.get("parent_id")
    if "parent_id" not in changes:
        return changes
    parent = g.db.get(Place, parent_id) if parent_id is not None else None
    return {**changes, "parent_id": parent.name if parent is not None else ""}


def with_choices(form: Any, place: Place | None) -> Any:
    form.kind.choices = vocabulary_choices("place_kind")
    current = place.parent_id if place is not None else None
    parents = [
        candidate
        for candidate in record_pages.parent_place_choices(g.db, current)
        if place is None or candidate.id != place.id
    ]
    form.parent_id.choices = record_choices(
        parents, lambda parent: parent.name, blank=_("None (top of the tree)")
    )
    if not g.viewer.sees_identity:
        del form.latitude, form.longitude
    return form


def with_alias_choices(form: AliasForm) -> AliasForm:
    form.script.choices = vocabulary_choices("script", blank=_("Detect from the letters"))
    return form


def render_form(form: Any, place: Place | None, *, status: int = 200, conflict: Any = None) -> Page:
    page = render_template("places/form.html", form=form, place=place, conflict=conflict)
    return (page, status) if status != 200 else page


def refused(place: Place, form: Any, error: Exception, **forms: Any) -> Page:
    if isinstance(error, EditConflict):
        form.form_errors.append(_("Someone else changed this place meanwhile. Reload the page."))
        return render_show(place, status=409, **forms)
    show_error(form, error)  # type: ignore[arg-type]
    return render_show(place, status=400, **forms)


def render_show(place: Place, *, status: int = 200, **forms: Any) -> Page:
    page = render_template(
        "places/show.html",
        place=place,
        ancestors=places.ancestors_of(g.db, place),
        children=record_pages.child_places(g.db, place.id),
        aliases=places.aliases_of(g.db, place.id),
        incidents=record_pages.incidents_page(
            g.db, viewer=g.viewer, number=page_number(), place_id=place.id
        ),
        history=hide_coordinates(record_history(g.db, g.viewer, Place, place.id)),
        **show_forms(forms),
    )
    return (page, status) if status != 200 else page


def hide_coordinates(revisions: list[Revision]) -> list[Revision]:
    """Coordinates are internal: the history withholds them as the page does."""
    if g.viewer.sees_identity:
        return revisions
    return [
        replace(revision, changes=tuple(withheld(change) for change in revision.changes))
        for revision in revisions
    ]


def withheld(change: FieldChange) -> FieldChange:
    if change.field not in COORDINATES:
        return change
    return FieldChange(
        change.field,
        WITHHELD if change.old is not None else None,
        WITHHELD if change.new is not None else None,
    )


def show_forms(forms: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "alias_form": lambda: with_alias_choices(AliasForm(formdata=None)),
        "delete_form": lambda: DeleteForm(formdata=None),
        "restore_form": lambda: RestoreForm(formdata=None),
    }
    return {name: forms.get(name) or make() for name, make in defaults.items()}
