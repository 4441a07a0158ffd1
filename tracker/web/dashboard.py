"""The dashboard: recent incidents, records awaiting review, upcoming legal deadlines."""

from datetime import date

from flask import Blueprint, g, render_template

from tracker.domain.permissions import Permission
from tracker.services.dashboard import dashboard_for
from tracker.web.access import requires


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("dashboard", __name__)

    @blueprint.route("/")
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        today = date.today()
        return render_template(
            "dashboard/index.html", dashboard=dashboard_for(g.db, g.viewer, today=today)
        )

    return blueprint
