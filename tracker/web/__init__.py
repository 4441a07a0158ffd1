"""The web application: sessions, access, languages, headers, errors and the blueprints."""

from flask import Flask
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.config import Settings
from tracker.db import engine_from_settings
from tracker.domain.permissions import Permission
from tracker.web import (
    account,
    admin,
    auth,
    cases,
    dashboard,
    evidence,
    incidents,
    organisations,
    persons,
    places,
    reports,
    restrictions,
    search,
    sources,
)
from tracker.web.access import can, enforce_access, public
from tracker.web.database import (
    discard_request_session,
    finish_request_session,
    open_request_session,
)
from tracker.web.display import fuzzy_date, grade, optional_url, person_label, term
from tracker.web.errors import refuse_undecodable_query, register_error_pages
from tracker.web.headers import add_security_headers
from tracker.web.i18n import LANGUAGE_NAMES, init_languages
from tracker.web.navigation import current_language, navigation, query_args
from tracker.web.sessions import DatabaseSessionInterface
from tracker.web.throttle import make_limiter
from tracker.web.unlock import install_database_guard

# Forms carry text, not files (evidence uploads get their own limit).
MAX_FORM_BYTES = 2 * 1024 * 1024
MAX_FORM_FIELDS = 500


def init_web(app: Flask, settings: Settings) -> None:
    """Everything a request needs, in the order the hooks must run."""
    configure_flask(app, settings)
    app.extensions["tracker_read_engine"] = engine_from_settings(
        settings, for_writing=False, database_key=app.extensions["tracker_database_key"]
    )
    app.session_interface = DatabaseSessionInterface(
        app.extensions["tracker_read_engine"], app.extensions["tracker_engine"], settings
    )
    CSRFProtect(app)
    init_languages(app)
    limiter = make_limiter(app, settings, app.extensions["tracker_engine"])
    app.before_request(refuse_undecodable_query)
    app.before_request(open_request_session)
    app.before_request(enforce_access)
    app.after_request(finish_request_session)
    app.after_request(add_security_headers)
    app.teardown_request(discard_request_session)
    register_blueprints(app, limiter, settings)
    register_error_pages(app)
    app.jinja_env.globals.update(
        can=can,
        Permission=Permission,
        language_names=LANGUAGE_NAMES,
        navigation=navigation,
        current_language=current_language,
        person_label=person_label,
        optional_url=optional_url,
        query_args=query_args,
        term=term,
    )
    app.jinja_env.filters.update(fuzzy_date=fuzzy_date, grade=grade)
    public(app.view_functions["static"])
    install_database_guard(app, settings)


def configure_flask(app: Flask, settings: Settings) -> None:
    app.secret_key = settings.read_secret_key()
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        MAX_FORM_PARTS=MAX_FORM_FIELDS,
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session, which times out itself
        SESSION_COOKIE_NAME="tracker_session",
    )
    if settings.proxy_count:
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]


def register_blueprints(app: Flask, limiter: Limiter, settings: Settings) -> None:
    app.register_blueprint(auth.make_blueprint(limiter, settings))
    app.register_blueprint(account.make_blueprint())
    app.register_blueprint(dashboard.make_blueprint())
    app.register_blueprint(incidents.make_blueprint())
    app.register_blueprint(admin.make_blueprint())
    app.register_blueprint(restrictions.make_blueprint())
    app.register_blueprint(cases.make_blueprint())
    app.register_blueprint(persons.make_blueprint())
    app.register_blueprint(places.make_blueprint())
    app.register_blueprint(organisations.make_blueprint())
    app.register_blueprint(sources.make_blueprint())
    app.register_blueprint(search.make_blueprint())
    app.register_blueprint(reports.make_blueprint())
    app.register_blueprint(evidence.make_blueprint())
