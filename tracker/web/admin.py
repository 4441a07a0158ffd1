"""Admin pages: accounts, roles, vocabularies, the audit log and its chain, deleted records."""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.domain.audit_chain import BreakKind
from tracker.domain.errors import EditConflict, InvalidInput, RecordNotFound
from tracker.domain.permissions import ROLE_CODES, ROLES_BY_PERMISSION, Permission
from tracker.forms.admin import (
    AuditFilterForm,
    DeletedFilterForm,
    RestoreForm,
    RolesForm,
    TermAddForm,
    TermEditForm,
    UserActionForm,
    UserCreateForm,
)
from tracker.models import AuditEntry
from tracker.services import accounts, admin_pages, users, vocabularies, web_sessions
from tracker.services.admin_pages import AuditFilters
from tracker.services.vocabularies import vocabulary_exists
from tracker.web.access import requires
from tracker.web.display import optional_url
from tracker.web.i18n import _
from tracker.web.navigation import query_args
from tracker.web.records import FieldChange, conflict_rows, visible_changes

PAGE_SIZE = 50
MAX_PAGE = 100_000
PERMISSION_LABELS = {
    Permission.VIEW_RECORDS: _l("See records"),
    Permission.EDIT_RECORDS: _l("Create and edit records"),
    Permission.REVIEW_RECORDS: _l("Review records"),
    Permission.VIEW_IDENTITY: _l("See real names, contacts and addresses"),
    Permission.MERGE_PERSONS: _l("Merge duplicate persons"),
    Permission.EDIT_CASES: _l("Edit cases and legal actions"),
    Permission.EXPORT_RECORDS: _l("Export records"),
    Permission.RESTORE_RECORDS: _l("Restore deleted records"),
    Permission.RESTRICT_RECORDS: _l("Restrict records to named users"),
    Permission.MANAGE_USERS: _l("Manage accounts"),
    Permission.MANAGE_VOCABULARIES: _l("Manage vocabularies"),
    Permission.VIEW_AUDIT_LOG: _l("Read the audit log"),
}
# Record pages other blueprints provide: (endpoint, URL argument) by table.
RECORD_PAGES = {
    "incident": ("incidents.show", "incident_id"),
    "case_file": ("cases.show", "case_id"),
    "person": ("persons.show", "person_id"),
    "place": ("places.show", "place_id"),
    "organisation": ("organisations.show", "organisation_id"),
    "source": ("sources.show", "source_id"),
    "evidence": ("evidence.show", "evidence_id"),
}
# What each break of the audit chain means (tracker.domain.audit_chain.BreakKind).
BREAK_LABELS = {
    BreakKind.EDITED: _l("Edited entry: its content no longer matches its hash."),
    BreakKind.DELETED: _l("Deleted entries: entries before this one are missing."),
    BreakKind.INSERTED: _l("Inserted entry: the entry after it links past it."),
    BreakKind.REORDERED: _l("Reordered entries: this entry was moved from its place."),
    BreakKind.BROKEN_LINK: _l("Broken link: this entry does not link to the entry before it."),
}
TERM_LABELS = {
    "label_en": _l("English label"),
    "label_az": _l("Azerbaijani label"),
    "label_ru": _l("Russian label"),
    "description": _l("Description"),
    "sort_order": _l("Position in lists"),
    "active": _l("In use (offered in forms)"),
}


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("admin", __name__, url_prefix="/admin")
    add_overview_views(blueprint)
    add_user_views(blueprint)
    add_user_action_views(blueprint)
    add_vocabulary_views(blueprint)
    add_log_views(blueprint)
    return blueprint


# --- overview and roles -----------------------------------------------------------------------


def add_overview_views(blueprint: Blueprint) -> None:
    @blueprint.route("/")
    @requires(Permission.MANAGE_USERS)
    def index() -> str:
        return render_template(
            "admin/index.html",
            required_for_all=settings().require_totp_for_all,
            account_count=admin_pages.count_users(g.db),
            without_second_factor=admin_pages.count_without_second_factor(g.db),
        )

    @blueprint.route("/roles")
    @requires(Permission.MANAGE_USERS)
    def roles() -> str:
        labels = {role.code: role.label for role in admin_pages.list_roles(g.db)}
        return render_template(
            "admin/roles.html",
            role_codes=ROLE_CODES,
            role_labels=labels,
            permissions=[(PERMISSION_LABELS[p], ROLES_BY_PERMISSION[p]) for p in Permission],
        )


def settings() -> Settings:
    value: Settings = current_app.config["TRACKER_SETTINGS"]
    return value


# --- accounts ---------------------------------------------------------------------------------


def add_user_views(blueprint: Blueprint) -> None:
    @blueprint.route("/users")
    @requires(Permission.MANAGE_USERS)
    def users_page() -> tuple[str, int]:
        return render_users(selected_user_id())

    @blueprint.route("/users/new", methods=["GET", "POST"])
    @requires(Permission.MANAGE_USERS)
    def create_user() -> tuple[str, int] | str:
        form = UserCreateForm()
        if not form.validate_on_submit():
            status = 400 if form.is_submitted() else 200
            return render_template("admin/user_new.html", form=form), status
        try:
            user, password = users.create_user(
                g.db,
                username=form.username.data,
                display_name=form.display_name.data or "",
                roles=tuple(form.roles.data or ()),
                actor_id=g.user.id,
            )
        except InvalidInput as error:
            show_input_error(form, error)
            return render_template("admin/user_new.html", form=form), 400
        return render_password(user.username, password, created=True)

    @blueprint.route("/users/<uuid:user_id>/roles", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def set_roles(user_id: uuid.UUID) -> Response | tuple[str, int]:
        form = RolesForm()
        require_valid(form)
        chosen = tuple(form.roles.data or ())
        try:
            users.set_roles(
                g.db,
                user_id=user_id,
                roles=chosen,
                expected_version=form.version.data,
                actor_id=g.user.id,
            )
        except users.LastAdminError:
            return render_users(user_id, error=last_admin_message(), status=400)
        except EditConflict:
            return roles_conflict(user_id, chosen)
        flash(_("Roles saved."))
        return redirect_to_user(user_id)


def selected_user_id() -> uuid.UUID | None:
    """The account picked from the list (?user=<id>); a malformed id is a missing page."""
    text = request.args.get("user")
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise RecordNotFound("No such account.") from error


def render_users(
    selected_id: uuid.UUID | None,
    *,
    roles_form: RolesForm | None = None,
    error: str | None = None,
    rows: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    """The accounts list, with the chosen account's roles and actions above it."""
    page = page_number()
    selected = admin_pages.user_summary(g.db, selected_id) if selected_id else None
    if selected is not None and roles_form is None:
        roles_form = RolesForm(formdata=None, roles=list(selected.roles), version=selected.version)
    page_html = render_template(
        "admin/users.html",
        rows=admin_pages.list_users(g.db, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
        pages=pagination(page, admin_pages.count_users(g.db)),
        selected=selected,
        roles_form=roles_form,
        error=error,
        conflict_rows=rows,
    )
    return page_html, status


def roles_conflict(user_id: uuid.UUID, chosen: tuple[str, ...]) -> tuple[str, int]:
    """Someone changed the account meanwhile: show both role sets; saving again overwrites."""
    g.db.expire_all()
    current = admin_pages.user_summary(g.db, user_id)
    form = RolesForm(formdata=None, roles=list(chosen), version=current.version)
    rows = conflict_rows(
        {"roles": ", ".join(chosen)}, {"roles": ", ".join(current.roles)}, {"roles": _("Roles")}
    )
    return render_users(user_id, roles_form=form, rows=rows, status=409)


def last_admin_message() -> str:
    return _(
        "This is the last active admin account. Make another account an admin first, so that"
        " someone can still manage accounts."
    )


def redirect_to_user(user_id: uuid.UUID) -> Response:
    return redirect(url_for("admin.users_page", user=str(user_id), _anchor="manage"))


def render_password(username: str, password: str, *, created: bool) -> str:
    """The one-time password, on this response only: never stored, flashed or logged."""
    return render_template(
        "admin/password.html", username=username, password=password, created=created
    )


# --- actions on one account -------------------------------------------------------------------


def add_user_action_views(blueprint: Blueprint) -> None:
    @blueprint.route("/users/<uuid:user_id>/deactivate", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def deactivate_user(user_id: uuid.UUID) -> Response | tuple[str, int]:
        version = action_version()
        try:
            users.deactivate_user(
                g.db, user_id=user_id, expected_version=version, actor_id=g.user.id
            )
        except users.LastAdminError:
            return render_users(user_id, error=last_admin_message(), status=400)
        flash(_("Account deactivated; its sessions have ended."))
        return after_own_sessions_end(user_id)

    @blueprint.route("/users/<uuid:user_id>/reactivate", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def reactivate_user(user_id: uuid.UUID) -> Response:
        version = action_version()
        users.reactivate_user(g.db, user_id=user_id, expected_version=version, actor_id=g.user.id)
        flash(_("Account reactivated."))
        return redirect_to_user(user_id)

    @blueprint.route("/users/<uuid:user_id>/password", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def reset_password(user_id: uuid.UUID) -> str:
        version = action_version()
        password = users.reset_password(
            g.db, user_id=user_id, expected_version=version, actor_id=g.user.id
        )
        if user_id == g.user.id:
            session.end()  # type: ignore[attr-defined]
        return render_password(users.get_user(g.db, user_id).username, password, created=False)

    @blueprint.route("/users/<uuid:user_id>/second-factor", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def reset_second_factor(user_id: uuid.UUID) -> Response:
        user = users.user_at_version(g.db, user_id, action_version())
        accounts.reset_second_factor(g.db, user=user, actor_id=g.user.id)
        flash(_("Second factor reset: the account sets up a new one at its next sign-in."))
        return redirect_to_user(user_id)

    @blueprint.route("/users/<uuid:user_id>/sessions/end", methods=["POST"])
    @requires(Permission.MANAGE_USERS)
    def end_sessions(user_id: uuid.UUID) -> Response:
        users.user_at_version(g.db, user_id, action_version())
        count = web_sessions.end_user_sessions(g.db, user_id=user_id)
        flash(_("Sessions ended: %(count)d.", count=count))
        return after_own_sessions_end(user_id)


def action_version() -> int:
    """The account version a button was rendered with; a forged or stale form writes nothing."""
    form = UserActionForm()
    require_valid(form)
    version: int = form.version.data
    return version


def after_own_sessions_end(user_id: uuid.UUID) -> Response:
    if user_id == g.user.id:
        session.end()  # type: ignore[attr-defined]
        return redirect(url_for("auth.login"))
    return redirect_to_user(user_id)


def require_valid(form: FlaskForm) -> None:
    """Buttons and hidden fields only go wrong when forged or mangled: say so, write nothing.

    Raises InvalidInput.
    """
    if not form.validate_on_submit():
        raise InvalidInput(_("The form was incomplete or changed. Reload the page and retry."))


def show_input_error(form: FlaskForm, error: InvalidInput) -> None:
    """Put a service's "field: message" at the field it names, else above the form."""
    field_name, _sep, message = str(error).partition(": ")
    field = getattr(form, field_name, None) if message else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(str(error))


# --- vocabularies -----------------------------------------------------------------------------


def add_vocabulary_views(blueprint: Blueprint) -> None:
    @blueprint.route("/vocabularies")
    @requires(Permission.MANAGE_VOCABULARIES)
    def vocabularies_page() -> str:
        return render_template("admin/vocabularies.html", sizes=admin_pages.vocabulary_sizes(g.db))

    @blueprint.route("/vocabularies/<vocabulary>")
    @requires(Permission.MANAGE_VOCABULARIES)
    def vocabulary(vocabulary: str) -> tuple[str, int]:
        return render_vocabulary(vocabulary, TermAddForm(formdata=None))

    @blueprint.route("/vocabularies/<vocabulary>/terms", methods=["POST"])
    @requires(Permission.MANAGE_VOCABULARIES)
    def add_term(vocabulary: str) -> Response | tuple[str, int]:
        form = TermAddForm()
        if not form.validate_on_submit():
            return render_vocabulary(vocabulary, form, status=400)
        try:
            term = vocabularies.add_term(
                g.db, vocabulary=vocabulary, actor_id=g.user.id, **term_values(form)
            )
        except InvalidInput as error:
            show_input_error(form, error)
            return render_vocabulary(vocabulary, form, status=400)
        flash(_("Term %(code)s added.", code=term.code))
        return redirect(url_for("admin.vocabulary", vocabulary=vocabulary))

    @blueprint.route("/terms/<uuid:term_id>", methods=["GET", "POST"])
    @requires(Permission.MANAGE_VOCABULARIES)
    def edit_term(term_id: uuid.UUID) -> Response | tuple[str, int]:
        term = admin_pages.get_term(g.db, term_id)
        form = TermEditForm(obj=term)
        if not form.validate_on_submit():
            return render_term(term, form, status=400 if form.is_submitted() else 200)
        try:
            vocabularies.update_term(
                g.db,
                term_id=term_id,
                expected_version=form.version.data,
                changes=form.term_changes(),
                actor_id=g.user.id,
            )
        except InvalidInput as error:
            show_input_error(form, error)
            return render_term(term, form, status=400)
        except EditConflict:
            return term_conflict(term_id, form)
        flash(_("Term %(code)s saved.", code=term.code))
        return redirect(url_for("admin.vocabulary", vocabulary=term.vocabulary))


def term_values(form: TermAddForm) -> dict[str, str]:
    return {
        "code": form.code.data,
        "label_en": form.label_en.data,
        "label_az": form.label_az.data or "",
        "label_ru": form.label_ru.data or "",
        "description": form.description.data or "",
    }


def render_vocabulary(vocabulary: str, form: TermAddForm, status: int = 200) -> tuple[str, int]:
    if not vocabulary_exists(g.db, vocabulary):
        raise RecordNotFound(f"No vocabulary {vocabulary}.")
    terms = vocabularies.list_terms(g.db, vocabulary, include_inactive=True)
    page = render_template("admin/vocabulary.html", vocabulary=vocabulary, terms=terms, form=form)
    return page, status


def render_term(term: Any, form: TermEditForm, *, status: int, rows: Any = None) -> tuple[str, int]:
    return render_template("admin/term.html", term=term, form=form, conflict_rows=rows), status


def term_conflict(term_id: uuid.UUID, form: TermEditForm) -> tuple[str, int]:
    """Both versions side by side; the form keeps the user's text and the current version."""
    g.db.expire_all()
    term = admin_pages.get_term(g.db, term_id)
    theirs = {field: getattr(term, field) for field in TERM_LABELS}
    labels = {field: str(label) for field, label in TERM_LABELS.items()}
    rows = conflict_rows(form.term_changes(), theirs, labels)
    form.version.data = term.version
    form.version.raw_data = [str(term.version)]
    return render_term(term, form, status=409, rows=rows)


# --- audit log and deleted records ------------------------------------------------------------


def add_log_views(blueprint: Blueprint) -> None:
    @blueprint.route("/audit")
    @requires(Permission.VIEW_AUDIT_LOG)
    def audit_log() -> tuple[str, int]:
        form = audit_filter_form()
        if not form.validate():
            return render_template("admin/audit.html", form=form, rows=[], pages=None), 400
        filters, page = audit_filters(form), page_number()
        entries = admin_pages.list_audit_entries(
            g.db, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        total = admin_pages.count_audit_entries(g.db, filters=filters)
        return render_template(
            "admin/audit.html",
            form=form,
            rows=[(row, visible_changes_of(row.entry)) for row in entries],
            pages=pagination(page, total),
            record_url=record_url,
        ), 200

    @blueprint.route("/audit/chain")
    @requires(Permission.VIEW_AUDIT_LOG)
    def audit_chain() -> str:
        return render_template(
            "admin/audit_chain.html",
            check=admin_pages.check_audit_chain(g.db),
            break_labels=BREAK_LABELS,
        )

    @blueprint.route("/deleted")
    @requires(Permission.RESTORE_RECORDS)
    def deleted() -> tuple[str, int]:
        form = DeletedFilterForm(formdata=request.args)
        form.table.choices = any_choice(list(admin_pages.DELETABLE))
        if not form.validate():
            return render_template("admin/deleted.html", form=form, rows=[], pages=None), 400
        table_name, page = form.table.data or None, page_number()
        rows = admin_pages.list_deleted(
            g.db, table_name=table_name, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        total = admin_pages.count_deleted(g.db, table_name=table_name)
        return render_template(
            "admin/deleted.html",
            form=form,
            rows=rows,
            pages=pagination(page, total),
            restore_form=RestoreForm(formdata=None),
        ), 200

    @blueprint.route("/deleted/<table_name>/<uuid:record_id>/restore", methods=["POST"])
    @requires(Permission.RESTORE_RECORDS)
    def restore(table_name: str, record_id: uuid.UUID) -> Response:
        form = RestoreForm()
        admin_pages.check_deletable(table_name)
        require_valid(form)
        admin_pages.restore_deleted(
            g.db,
            table_name=table_name,
            record_id=record_id,
            expected_version=form.version.data,
            actor_id=g.user.id,
        )
        flash(_("Record restored."))
        return redirect(url_for("admin.deleted", table=table_name))


def audit_filter_form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.table.choices = any_choice(admin_pages.audited_tables())
    form.action.choices = any_choice(list(admin_pages.AUDIT_ACTIONS))
    return form


def any_choice(values: list[str]) -> list[tuple[str, str]]:
    return [("", _("Any")), *((value, value) for value in values)]


def audit_filters(form: AuditFilterForm) -> AuditFilters:
    record_id = form.record_id.data.strip() if form.record_id.data else ""
    return AuditFilters(
        actor=(form.actor.data or "").strip() or None,
        table_name=form.table.data or None,
        record_id=uuid.UUID(record_id) if record_id else None,
        action=form.action.data or None,
        since=start_of(form.date_from.data),
        before=start_of(form.date_to.data + timedelta(days=1) if form.date_to.data else None),
    )


def start_of(day: date | None) -> datetime | None:
    """Midnight of a day where the app shows times, so the filter matches the dates shown."""
    if day is None:
        return None
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return datetime.combine(day, time.min, tzinfo=zone)


def visible_changes_of(entry: AuditEntry) -> tuple[FieldChange, ...]:
    # Through the same filter as record pages, so what a role may read stays in one place.
    return visible_changes(entry.table_name, entry.changes, g.viewer)


def record_url(table_name: str, record_id: uuid.UUID) -> str | None:
    """The record's own page, when the blueprint showing it exists."""
    page = RECORD_PAGES.get(table_name)
    return optional_url(page[0], **{page[1]: record_id}) if page else None


# --- pages ------------------------------------------------------------------------------------


def page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def pagination(page: int, total: int) -> dict[str, Any]:
    """Where the list is and links to its neighbours, keeping the filters in the URL."""
    last = max(1, -(-total // PAGE_SIZE))
    return {
        "page": page,
        "last": last,
        "total": total,
        "previous": page_url(page - 1) if page > 1 else None,
        "next": page_url(page + 1) if page < last else None,
    }


def page_url(page: int) -> str:
    values: dict[str, Any] = {**query_args("page"), **(request.view_args or {}), "page": page}
    return url_for(request.endpoint or "admin.index", **values)
