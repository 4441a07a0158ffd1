"""The dashboard: recent incidents, records awaiting review, upcoming legal deadlines."""

from flask import Blueprint, render_template

from tracker.domain.permissions import Permission
from tracker.web.access import requires


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("dashboard", __name__)

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        return render_template("dashboard/index.html")

    return blueprint
