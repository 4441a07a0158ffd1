"""Restricting an incident, case or person to named users (and lifting the restriction)."""

import uuid

from flask import Blueprint, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tracker.domain.errors import RecordNotFound
from tracker.domain.permissions import Permission
from tracker.forms.admin import RestrictionForm
from tracker.models import Case, Incident, Person
from tracker.models.base import TimestampedRecord
from tracker.services import admin_pages
from tracker.services.restrictions import get_visible_record, restricted_to, set_restriction
from tracker.web.access import requires
from tracker.web.display import optional_url, person_label
from tracker.web.i18n import _

RESTRICTABLE: dict[str, type[TimestampedRecord]] = {
    "incident": Incident,
    "case_file": Case,
    "person": Person,
}
# The record's own page, from the blueprints that show it: (endpoint, URL argument).
RECORD_PAGES = {
    "incident": ("incidents.show", "incident_id"),
    "case_file": ("cases.show", "case_id"),
    "person": ("persons.show", "person_id"),
}


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("restrictions", __name__, url_prefix="/restrictions")

    @blueprint.route("/<table_name>/<uuid:record_id>", methods=["GET", "POST"])
    @requires(Permission.RESTRICT_RECORDS)
    def edit(table_name: str, record_id: uuid.UUID) -> Response | tuple[str, int]:
        model = restrictable_model(table_name)
        record = get_visible_record(g.db, g.viewer, model, record_id)
        form = RestrictionForm(users=[str(user) for user in restricted_to(g.db, model, record_id)])
        form.users.choices = user_choices()
        if not form.validate_on_submit():
            status = 400 if form.is_submitted() else 200
            return render_edit(table_name, record, form), status
        chosen = admin_pages.restriction_users(g.viewer, form.chosen_user_ids())
        set_restriction(g.db, model=model, record_id=record_id, user_ids=chosen, actor_id=g.user.id)
        flash(_("Restricted to the users chosen.") if chosen else _("Restriction lifted."))
        return redirect(url_for("restrictions.edit", table_name=table_name, record_id=record_id))

    return blueprint


def restrictable_model(table_name: str) -> type[TimestampedRecord]:
    """Raises RecordNotFound for anything but incidents, cases and persons."""
    model = RESTRICTABLE.get(table_name)
    if model is None:
        raise RecordNotFound(f"No restrictable records of {table_name}.")
    return model


def user_choices() -> list[tuple[str, str]]:
    return [
        (
            str(user.id),
            f"{user.username} ({user.display_name})" if user.display_name else user.username,
        )
        for user in admin_pages.active_users(g.db)
    ]


def record_title(table_name: str, record: TimestampedRecord) -> str:
    """How the page names the record: a person by pseudonym unless the viewer sees names."""
    if isinstance(record, Person):
        return person_label(record)
    if isinstance(record, Incident | Case):
        return f"{record.code} · {record.title}" if record.title else record.code
    return str(record.id)


def render_edit(table_name: str, record: TimestampedRecord, form: RestrictionForm) -> str:
    endpoint, argument = RECORD_PAGES[table_name]
    restricted = restricted_to(g.db, RESTRICTABLE[table_name], record.id)
    return render_template(
        "restrictions/edit.html",
        form=form,
        title=record_title(table_name, record),
        record_url=optional_url(endpoint, **{argument: record.id}),
        restricted_usernames=admin_pages.usernames_of(g.db, restricted),
        keeps_saver=not g.viewer.sees_every_record,
    )
