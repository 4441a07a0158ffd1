"""Source pages: what a source is, how reliable, and the incidents citing it with grades."""

import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tracker.domain.errors import EditConflict, InvalidInput
from tracker.domain.permissions import Permission
from tracker.forms.records import DeleteForm, RestoreForm, field_values, show_error
from tracker.forms.sources import SOURCE_FIELDS, SourceEditForm, SourceForm
from tracker.models import Person, Source
from tracker.services import record_pages, sources
from tracker.services.restrictions import may_view
from tracker.web.access import requires
from tracker.web.i18n import _
from tracker.web.record_views import (
    actor_id,
    field_labels,
    known_filter,
    page_number,
    search_text,
    show_deleted,
    today,
    versioned_conflict,
    vocabulary_choices,
)
from tracker.web.records import record_history

Page = str | tuple[str, int]
RENAMES = {"published_on": "published_text"}


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("sources", __name__, url_prefix="/sources")

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        kinds = vocabulary_choices("source_kind")
        query, deleted = search_text(), show_deleted()
        kind = known_filter(search_text("kind"), kinds)
        found = record_pages.search_sources(
            g.db, text=query, kind=kind, deleted=deleted, number=page_number()
        )
        return render_template(
            "sources/index.html", page=found, query=query, kind=kind, kinds=kinds, deleted=deleted
        )

    @blueprint.route("/new", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def create() -> Response | Page:
        form = with_choices(SourceForm())
        if not form.validate_on_submit():
            return render_form(form, None, status=400 if form.is_submitted() else 200)
        try:
            source = sources.create_source(
                g.db, actor_id=actor_id(), today=today(), **source_values(form)
            )
        except InvalidInput as error:
            show_error(form, error, renames=RENAMES)
            return render_form(form, None, status=400)
        return redirect(url_for("sources.show", source_id=source.id))

    @blueprint.route("/<uuid:source_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(source_id: uuid.UUID) -> Page:
        return render_show(load_source(source_id, deleted_too=True))

    @blueprint.route("/<uuid:source_id>/edit", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def edit(source_id: uuid.UUID) -> Response | Page:
        source = load_source(source_id)
        form = with_choices(SourceEditForm(data=editable_values(source)))
        if not form.validate_on_submit():
            return render_form(form, source, status=400 if form.is_submitted() else 200)
        changes = changed_values(source, source_values(form))
        try:
            sources.update_source(
                g.db,
                source_id=source.id,
                expected_version=form.version.data,
                changes=changes,
                actor_id=actor_id(),
                today=today(),
            )
        except EditConflict:
            rows = versioned_conflict(
                form, source, conflict_values(changes), field_labels(form, SOURCE_FIELDS)
            )
            return render_form(form, source, status=409, conflict=rows)
        except InvalidInput as error:
            show_error(form, error, renames=RENAMES)
            return render_form(form, source, status=400)
        flash(_("Saved."))
        return redirect(url_for("sources.show", source_id=source.id))

    @blueprint.route("/<uuid:source_id>/delete", methods=["POST"])
    @requires(Permission.EDIT_RECORDS)
    def delete(source_id: uuid.UUID) -> Response | Page:
        source = load_source(source_id)
        form = DeleteForm()
        if not form.validate_on_submit():
            return render_show(source, status=400, delete_form=form)
        try:
            record_pages.delete_with_reason(
                g.db,
                Source,
                record_id=source.id,
                expected_version=form.version.data,
                reason=form.reason.data,
                actor_id=actor_id(),
            )
        except (InvalidInput, EditConflict) as error:
            return refused(source, form, error, delete_form=form)
        flash(_("Deleted."))
        return redirect(url_for("sources.index"))

    @blueprint.route("/<uuid:source_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(source_id: uuid.UUID) -> Response | Page:
        source = load_source(source_id, deleted_too=True)
        form = RestoreForm()
        if not form.validate_on_submit():
            return render_show(source, status=400, restore_form=form)
        try:
            sources.restore_source(
                g.db, source_id=source.id, expected_version=form.version.data, actor_id=actor_id()
            )
        except (InvalidInput, EditConflict) as error:
            return refused(source, form, error, restore_form=form)
        flash(_("Restored."))
        return redirect(url_for("sources.show", source_id=source.id))

    return blueprint


def load_source(source_id: uuid.UUID, *, deleted_too: bool = False) -> Source:
    include_deleted = deleted_too and g.viewer.may(Permission.RESTORE_RECORDS)
    return sources.get_source(g.db, source_id, include_deleted=include_deleted)


def editable_values(source: Source) -> dict[str, Any]:
    values: dict[str, Any] = {
        field: getattr(source, field) for field in SOURCE_FIELDS if field != "published_text"
    }
    values["published_text"] = source.published_on.original_text if source.published_on else ""
    values["version"] = source.version
    return values


def source_values(form: SourceForm) -> dict[str, Any]:
    values = field_values(form, SOURCE_FIELDS)
    for field in ("title", "citation_text", "url", "published_text"):
        values[field] = (values[field] or "").strip()
    return values


def changed_values(source: Source, values: dict[str, Any]) -> dict[str, Any]:
    """Only what changed; an unchanged date is not parsed again (its reading could differ)."""
    current = editable_values(source)
    return {field: value for field, value in values.items() if current.get(field) != value}


def conflict_values(changes: dict[str, Any]) -> dict[str, Any]:
    """The user's values keyed by the record's fields, so both versions line up."""
    values = dict(changes)
    if "published_text" in values:
        values["published_on"] = values.pop("published_text")
    return values


def with_choices(form: Any) -> Any:
    form.kind.choices = vocabulary_choices("source_kind")
    return form


def render_form(
    form: Any, source: Source | None, *, status: int = 200, conflict: Any = None
) -> Page:
    page = render_template("sources/form.html", form=form, source=source, conflict=conflict)
    return (page, status) if status != 200 else page


def refused(source: Source, form: Any, error: Exception, **forms: Any) -> Page:
    if isinstance(error, EditConflict):
        form.form_errors.append(_("Someone else changed this source meanwhile. Reload the page."))
        return render_show(source, status=409, **forms)
    show_error(form, error)  # type: ignore[arg-type]
    return render_show(source, status=400, **forms)


def web_link(url: str) -> str | None:
    """The address as a link only when it is an ordinary web address (never javascript:)."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def contact_of(source: Source) -> Person | None:
    """The contact person, if any and if this viewer may see them."""
    if source.contact_person_id is None:
        return None
    person: Person | None = g.db.get(Person, source.contact_person_id)
    if person is None or person.is_deleted or not may_view(g.db, g.viewer, Person, person.id):
        return None
    return person


def render_show(source: Source, *, status: int = 200, **forms: Any) -> Page:
    page = render_template(
        "sources/show.html",
        source=source,
        link=web_link(source.url),
        contact=contact_of(source),
        citations=record_pages.citing_incidents(
            g.db, viewer=g.viewer, source_id=source.id, number=page_number()
        ),
        history=record_history(g.db, g.viewer, Source, source.id),
        delete_form=forms.get("delete_form") or DeleteForm(formdata=None),
        restore_form=forms.get("restore_form") or RestoreForm(formdata=None),
    )
    return (page, status) if status != 200 else page
