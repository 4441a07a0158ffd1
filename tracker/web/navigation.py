"""The main menu: the areas this user may open, in a fixed order."""

from typing import NamedTuple

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from tracker.domain.permissions import Permission
from tracker.web.access import can

# Endpoint, label, permission needed to see the link.
MENU: tuple[tuple[str, LazyString, Permission], ...] = (
    ("dashboard.index", _l("Dashboard"), Permission.VIEW_RECORDS),
    ("incidents.quick_entry", _l("Quick entry"), Permission.EDIT_RECORDS),
    ("incidents.index", _l("Incidents"), Permission.VIEW_RECORDS),
    ("search.index", _l("Search"), Permission.VIEW_RECORDS),
    ("cases.index", _l("Cases"), Permission.VIEW_RECORDS),
    ("persons.index", _l("People"), Permission.VIEW_RECORDS),
    ("places.index", _l("Places"), Permission.VIEW_RECORDS),
    ("organisations.index", _l("Organisations"), Permission.VIEW_RECORDS),
    ("sources.index", _l("Sources"), Permission.VIEW_RECORDS),
    ("reports.index", _l("Reports"), Permission.EXPORT_RECORDS),
    ("admin.index", _l("Admin"), Permission.MANAGE_USERS),
)


class MenuItem(NamedTuple):
    url: str
    label: str
    current: bool


def navigation() -> list[MenuItem]:
    """Links to the areas that exist and that the signed-in user may open."""
    return [
        MenuItem(url_for(endpoint), str(label), is_current(endpoint))
        for endpoint, label, permission in MENU
        if endpoint in current_app.view_functions and can(permission)
    ]


def is_current(endpoint: str) -> bool:
    """The menu entry of this page: itself, else the index of the page's area."""
    current = request.endpoint or ""
    if any(current == item for item, _label, _permission in MENU):
        return current == endpoint
    same_area = current.split(".")[0] == endpoint.split(".")[0]
    return same_area and endpoint.endswith(".index")


def query_args(*without: str) -> dict[str, str]:
    """The page's query parameters, to carry into links to its other pages (the next page, the
    same list as CSV). Names url_for takes for itself (endpoint, _external, _scheme, _anchor)
    are left out, so a crafted address can neither break the page nor send its links to
    another site; so are the page's own URL arguments and the names in `without`."""
    skipped = {*without, *(request.view_args or {}), "endpoint"}
    return {
        name: value
        for name, value in request.args.items()
        if name not in skipped and not name.startswith("_")
    }


def current_language() -> str:
    return str(get_locale() or "en")
