"""Errors become pages: the mapping of STYLE.md §7, and no traceback ever reaches a user."""

import logging

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tracker.domain.errors import (
    AccessDenied,
    DisclosureRefused,
    EditConflict,
    InvalidInput,
    RecordNotFound,
)
from tracker.web.i18n import _

logger = logging.getLogger("tracker.web")


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, message=message), status


def not_found(_error: Exception) -> tuple[str, int]:
    # The same page for a record that does not exist and one the user may not see.
    return error_page(404, _("Not found"), _("There is no such page or record."))


def forbidden(_error: Exception) -> tuple[str, int]:
    return error_page(403, _("Not allowed"), _("Your role does not allow this."))


def refused_disclosure(error: DisclosureRefused) -> tuple[str, int]:
    return error_page(403, _("Not allowed"), str(error))


def invalid_input(error: InvalidInput) -> tuple[str, int]:
    return error_page(400, _("Not saved"), str(error))


def edit_conflict(error: EditConflict) -> tuple[str, int]:
    return error_page(409, _("Changed by someone else"), str(error))


def csrf_failed(_error: CSRFError) -> tuple[str, int]:
    message = _("The form had expired or did not come from this site. Reload the page and retry.")
    return error_page(400, _("Form expired"), message)


def too_many(_error: Exception) -> tuple[str, int]:
    message = _("Too many attempts. Wait a few minutes, then try again.")
    return error_page(429, _("Too many attempts"), message)


def too_large(_error: Exception) -> tuple[str, int]:
    return error_page(413, _("Too large"), _("What you sent is larger than allowed."))


def http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    return error_page(status, error.name, _("The request could not be served."))


def unexpected(error: Exception) -> tuple[str, int]:
    # Logged without the request's values: they may hold names.
    logger.error("unexpected error: %s", type(error).__name__, exc_info=error)
    return error_page(500, _("Something went wrong"), _("The error was logged. Nothing was saved."))


def refuse_undecodable_query() -> None:
    """before_request, first of all: a query string that is not UTF-8 (raw bytes, which no
    browser sends) is a bad request, not a failure wherever the page first reads it."""
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(RecordNotFound, not_found)
    app.register_error_handler(AccessDenied, not_found)
    app.register_error_handler(404, not_found)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(DisclosureRefused, refused_disclosure)
    app.register_error_handler(InvalidInput, invalid_input)
    app.register_error_handler(EditConflict, edit_conflict)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(429, too_many)
    app.register_error_handler(413, too_large)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
