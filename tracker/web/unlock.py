"""Locked mode: until an admin types the database passphrase, the app serves only this page.

The database (accounts and web sessions included) cannot be read before the key exists, so
the unlock page is a small separate Flask app in front of the tracker: its own cookie session
for the CSRF token, its own failure counter in memory, no database. Every path answers 503
with the unlock form, except POST /unlock. Once the passphrase opens the database, the key
stays in this process's memory and every request goes to the tracker itself.
"""

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.config import Settings
from tracker.db import (
    DatabaseUnavailable,
    check_database_opens,
    open_encrypted_database,
    refuse_wrong_kind_of_file,
)
from tracker.services.database_keys import PassphraseKey, read_kdf_parameters
from tracker.web.headers import add_security_headers
from tracker.web.i18n import _, init_languages

log = logging.getLogger("tracker.security")

UNLOCK_PATH = "/unlock"
# Wrong passphrases allowed per client address within the window (each costs argon2id).
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60
MAX_UNLOCK_FORM_BYTES = 16 * 1024


class UnlockForm(FlaskForm):  # type: ignore[misc]
    passphrase = PasswordField(
        _l("Database passphrase"), validators=[DataRequired(), Length(max=1000)]
    )
    submit = SubmitField(_l("Unlock"))


class FailureCounter:
    """Failed attempts per client address in a sliding window, in this process's memory."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def recent(self, address: str) -> deque[float]:
        times = self.failures[address]
        while times and times[0] <= time.monotonic() - self.window:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        with self.lock:
            return len(self.recent(address)) >= self.limit

    def record(self, address: str) -> None:
        with self.lock:
            self.recent(address).append(time.monotonic())


class LockedGate:
    """WSGI: the unlock app while the key is missing, the tracker once it is there."""

    def __init__(self, tracker: Any, unlock: Any, key: PassphraseKey) -> None:
        self.tracker = tracker
        self.unlock = unlock
        self.key = key

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        application = self.tracker if self.key.unlocked else self.unlock
        result: Iterable[bytes] = application(environ, start_response)
        return result


def install_database_guard(app: Flask, settings: Settings) -> None:
    """Locked mode: put the unlock app in front. Otherwise open the database once now, so a
    missing or wrong key (or a key file others can read, in production) stops the start."""
    engine: Engine = app.extensions["tracker_engine"]
    if not settings.starts_locked:
        if settings.encrypts_database:
            check_database_opens(engine)
        return
    key = app.extensions["tracker_database_key"]
    assert isinstance(key, PassphraseKey)
    # What no passphrase can fix stops the start: a plaintext file, no argon2id parameters.
    refuse_wrong_kind_of_file(settings.sqlite_database_path, encrypted=True)
    read_kdf_parameters(key.kdf_path)
    unlock_app = make_unlock_app(app, settings, key)
    app.wsgi_app = LockedGate(app.wsgi_app, unlock_app, key)  # type: ignore[method-assign]


def make_unlock_app(tracker: Flask, settings: Settings, key: PassphraseKey) -> Flask:
    unlock = Flask(
        "tracker.unlock",
        root_path=tracker.root_path,
        template_folder=tracker.template_folder,
        static_folder="static",
    )
    unlock.secret_key = settings.read_secret_key()
    unlock.config.update(
        TRACKER_SETTINGS=settings,
        SESSION_COOKIE_NAME="tracker_unlock",
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=MAX_UNLOCK_FORM_BYTES,
    )
    if settings.proxy_count:
        n = settings.proxy_count
        unlock.wsgi_app = ProxyFix(unlock.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    init_languages(unlock)
    csrf = CSRFProtect(unlock)
    unlock.after_request(add_security_headers)
    add_unlock_routes(unlock, csrf, settings, key)
    return unlock


def add_unlock_routes(
    unlock: Flask, csrf: CSRFProtect, settings: Settings, key: PassphraseKey
) -> None:
    failures = FailureCounter(MAX_FAILURES, FAILURE_WINDOW_SECONDS)

    @unlock.get(UNLOCK_PATH)
    def show_form() -> Any:
        return unlock_page(UnlockForm(), None, 200)

    @unlock.post(UNLOCK_PATH)
    def try_passphrase() -> Any:
        address = request.remote_addr or "unknown"
        form = UnlockForm()
        if failures.blocked(address):
            return unlock_page(
                form, _("Too many attempts. Wait a few minutes, then try again."), 429
            )
        if not form.validate_on_submit():
            return unlock_page(form, _("Type the database passphrase."), 400)
        candidate = key.candidate(form.passphrase.data)
        revision = revision_opened_by(settings, candidate)
        if revision is WRONG_KEY:
            failures.record(address)
            log.warning("database unlock refused: wrong passphrase")
            return unlock_page(form, _("This passphrase does not open the database."), 400)
        problem = schema_problem(revision)
        if problem is not None:  # the right key, but nothing to serve yet: stay locked
            return unlock_page(form, problem, 503)
        key.keep(candidate)
        log.info("database unlocked")
        return redirect("/", code=303)

    def everything_else(path: str = "") -> Any:
        return unlock_page(UnlockForm(), None, 503)

    csrf.exempt(everything_else)  # it changes nothing, whatever the method

    unlock.add_url_rule("/", view_func=everything_else, methods=ALL_METHODS)
    unlock.add_url_rule("/<path:path>", view_func=everything_else, methods=ALL_METHODS)

    @unlock.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> Any:
        message = _(
            "The form had expired or did not come from this site. Reload the page and retry."
        )
        return unlock_page(UnlockForm(), message, 400)

    @unlock.errorhandler(413)
    def too_large(_error: Exception) -> Any:
        return unlock_page(UnlockForm(), _("What you sent is larger than allowed."), 413)


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unlock_page(form: UnlockForm, message: str | None, status: int) -> Response:
    response = Response(
        render_template(
            "unlock.html", form=form, message=message, language=str(get_locale() or "en")
        ),
        status=status,
        mimetype="text/html",
    )
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response


WRONG_KEY = "wrong key"


def revision_opened_by(settings: Settings, candidate: bytes) -> str | None:
    """The database's schema revision read with the candidate key (None for an empty
    database), or WRONG_KEY when the key does not open it."""
    assert settings.sqlite_database_path is not None
    try:
        connection = open_encrypted_database(settings.sqlite_database_path, candidate)
    except DatabaseUnavailable:
        return WRONG_KEY
    try:
        if not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone():
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        connection.close()


def schema_problem(revision: str | None) -> str | None:
    """Why the unlocked database cannot be served yet (empty, or behind the code), or None."""
    from tracker.migrations import head_revision

    if revision is None:
        return _("The database is empty: run “tracker init” on the server.")
    if revision != head_revision():
        return _("The database is older than the code: run “tracker db upgrade” on the server.")
    return None
