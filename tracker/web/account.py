"""One's own account: password, second factor, recovery codes, sessions and language."""

import io

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.domain.errors import AccessDenied, InvalidInput
from tracker.forms.accounts import ConfirmForm, LanguageForm, PasswordChangeForm, SecondFactorForm
from tracker.services import accounts, web_sessions
from tracker.services.records import update_record
from tracker.web.access import current_account, requires
from tracker.web.i18n import _

SETUP_SECRET_KEY = "totp_setup_secret"


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("account", __name__, url_prefix="/account")

    @blueprint.route("/")
    @requires()
    def overview() -> str:
        return render_template(
            "account/overview.html",
            sessions=web_sessions.user_sessions(g.db, user_id=g.user.id),
            recovery_left=accounts.remaining_recovery_codes(g.db, user_id=g.user.id),
            language_form=LanguageForm(language=g.user.language or "en"),
            confirm_form=ConfirmForm(),
        )

    @blueprint.route("/password", methods=["GET", "POST"])
    @requires()
    def change_password() -> Response | tuple[str, int] | str:
        form = PasswordChangeForm()
        if not form.validate_on_submit():
            return render_template("account/password.html", form=form)
        try:
            accounts.change_password(
                g.db,
                user=current_account(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                min_length=settings().min_password_length,
            )
        except AccessDenied:
            form.current_password.errors = [_("The current password is wrong.")]
            return render_template("account/password.html", form=form), 400
        except InvalidInput:
            form.new_password.errors = [password_rule_message()]
            return render_template("account/password.html", form=form), 400
        flash(_("Password changed."))
        return redirect(url_for("dashboard.index"))

    @blueprint.route("/second-factor", methods=["GET", "POST"])
    @requires()
    def setup_second_factor() -> Response | tuple[str, int] | str:
        secret = session.get(SETUP_SECRET_KEY) or accounts.new_totp_secret()
        session[SETUP_SECRET_KEY] = secret
        form = SecondFactorForm()
        if not form.validate_on_submit():
            return render_template("account/second_factor.html", form=form, secret=secret)
        try:
            accounts.enable_totp(g.db, user=current_account(), secret=secret, code=form.code.data)
        except InvalidInput:
            form.code.errors = [_("The code does not match. Check the time on your phone.")]
            return render_template("account/second_factor.html", form=form, secret=secret), 400
        session.pop(SETUP_SECRET_KEY, None)
        return render_recovery_codes()

    @blueprint.route("/second-factor/qr.svg")
    @requires()
    def second_factor_qr() -> Response:
        secret = session.get(SETUP_SECRET_KEY)
        if not isinstance(secret, str):
            return Response(status=404)
        uri = accounts.totp_provisioning_uri(secret, g.user.username)
        return Response(qr_svg(uri), mimetype="image/svg+xml")

    @blueprint.route("/recovery-codes", methods=["POST"])
    @requires()
    def recovery_codes() -> Response | str:
        if not ConfirmForm().validate_on_submit() or not g.user.totp_secret:
            return redirect(url_for("account.overview"))
        return render_recovery_codes()

    @blueprint.route("/sessions/end", methods=["POST"])
    @requires()
    def end_all_sessions() -> Response:
        if ConfirmForm().validate_on_submit():
            web_sessions.end_user_sessions(g.db, user_id=g.user.id)
            session.end()  # type: ignore[attr-defined]
        return redirect(url_for("auth.login"))

    @blueprint.route("/language", methods=["POST"])
    @requires()
    def choose_language() -> Response:
        form = LanguageForm()
        if form.validate_on_submit():
            account = current_account()
            update_record(
                g.db,
                account,
                actor_id=account.id,
                expected_version=account.version,
                changes={"language": form.language.data},
            )
        return redirect(url_for("account.overview"))

    return blueprint


def render_recovery_codes() -> str:
    codes = accounts.issue_recovery_codes(g.db, user_id=g.user.id)
    return render_template("account/recovery_codes.html", codes=codes)


def qr_svg(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buffer)
    return buffer.getvalue()


def settings() -> Settings:
    value: Settings = current_app.config["TRACKER_SETTINGS"]
    return value


def password_rule_message() -> str:
    return _(
        "Use at least %(count)d characters, not a common password and not your username.",
        count=settings().min_password_length,
    )
