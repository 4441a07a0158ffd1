"""Signing in (password, then the second factor), signing out, and the quick exit."""

import time
import uuid

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from sqlmodel import Session
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.domain.errors import AccessDenied
from tracker.forms.accounts import CodeForm, ConfirmForm, LoginForm
from tracker.models import UserAccount
from tracker.services import accounts
from tracker.web.access import local_path, public, requires
from tracker.web.i18n import _
from tracker.web.throttle import throttled_login

# The second step must follow the first within this many seconds.
PENDING_SECONDS = 300


def make_blueprint(limiter: Limiter, settings: Settings) -> Blueprint:
    blueprint = Blueprint("auth", __name__)
    throttled = throttled_login(limiter, settings)

    @blueprint.route("/login", methods=["GET", "POST"])
    @public
    @throttled
    def login() -> Response | tuple[str, int] | str:
        form = LoginForm()
        if not form.validate_on_submit():
            return render_template("auth/login.html", form=form)
        try:
            with password_check_session() as db:
                user = accounts.authenticate(
                    db, username=form.username.data, password=form.password.data
                )
        except AccessDenied:
            form.form_errors.append(_("Unknown username or wrong password."))
            return render_template("auth/login.html", form=form), 401
        return begin_second_step(user)

    @blueprint.route("/login/code", methods=["GET", "POST"])
    @public
    @throttled
    def second_factor() -> Response | tuple[str, int] | str:
        user = pending_user()
        if user is None:
            return redirect(url_for("auth.login"))
        form = CodeForm()
        if not form.validate_on_submit():
            return render_template("auth/code.html", form=form)
        try:
            accounts.verify_second_factor(g.db, user=user, code=form.code.data)
        except AccessDenied:
            form.code.errors = [_("That code is not valid. Codes can be used only once.")]
            return render_template("auth/code.html", form=form), 401
        return complete_login(user)

    @blueprint.route("/logout", methods=["POST"])
    @requires()
    def logout() -> Response:
        if ConfirmForm().validate_on_submit():
            session.end()  # type: ignore[attr-defined]
        return redirect(url_for("auth.login"))

    @blueprint.route("/exit")
    @public
    def quick_exit() -> Response:
        # A GET, so that one tap works without JavaScript and without a form.
        session.end()  # type: ignore[attr-defined]
        return redirect(settings.quick_exit_url)

    return blueprint


def password_check_session() -> Session:
    """Checking a password takes a deliberate fraction of a second (argon2id): it reads on the
    reading engine, so on SQLite no write lock is held meanwhile, and a burst of guesses cannot
    make everyone else's saves wait until they fail."""
    return Session(current_app.extensions["tracker_read_engine"], expire_on_commit=False)


def begin_second_step(user: UserAccount) -> Response:
    """Password accepted: ask for the code, or sign in when the account has no second factor."""
    if not user.totp_secret:
        return complete_login(user)
    session.clear()
    session["pending_user_id"] = str(user.id)
    session["pending_since"] = time.time()
    return redirect(url_for("auth.second_factor", next=request.args.get("next")))


def pending_user() -> UserAccount | None:
    user_id, since = session.get("pending_user_id"), session.get("pending_since", 0)
    if not isinstance(user_id, str) or time.time() - float(since) > PENDING_SECONDS:
        return None
    user = g.db.get(UserAccount, uuid.UUID(user_id))
    return user if user is not None and user.is_active and not user.is_deleted else None


def complete_login(user: UserAccount) -> Response:
    """A fresh session (new token) holding the user; then where they were going."""
    language = session.get("language")
    session.clear()
    session.rotate()  # type: ignore[attr-defined]
    session["user_id"] = str(user.id)
    if language:
        session["language"] = language
    current_app.logger.info("sign-in for account %s", user.id)
    target = local_path(request.args.get("next")) or url_for("dashboard.index")
    return redirect(target)
