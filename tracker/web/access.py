"""Deny by default: every view declares who may use it, and one hook enforces it.

A view without a rule answers 404 and fails the route test. Anonymous users are sent to the
login page; signed-in users lacking a permission get 403; records they may not see get 404
(raised by the services as RecordNotFound).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlmodel import Session
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.domain.permissions import Permission, needs_second_factor
from tracker.models import UserAccount
from tracker.services.accounts import roles_of
from tracker.services.restrictions import Viewer

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """Who may call a view: anyone (public), or signed-in users holding every permission."""

    public: bool = False
    permissions: frozenset[Permission] = frozenset()


def requires(*permissions: Permission) -> Callable[[ViewT], ViewT]:
    """Signed-in users holding all these permissions (none named: any signed-in user)."""

    def declare(view: ViewT) -> ViewT:
        view.access_rule = AccessRule(permissions=frozenset(permissions))  # type: ignore[attr-defined]
        return view

    return declare


def public(view: ViewT) -> ViewT:
    """Open without signing in: only the login steps, quick exit and static files."""
    view.access_rule = AccessRule(public=True)  # type: ignore[attr-defined]
    return view


def access_rule_of(app: Flask, endpoint: str) -> AccessRule | None:
    return getattr(app.view_functions.get(endpoint), "access_rule", None)


# Reachable while an account still has to set a password or a second factor.
SETUP_ENDPOINTS = frozenset(
    {
        "account.change_password",
        "account.setup_second_factor",
        "account.second_factor_qr",
        "account.recovery_codes",
        "auth.logout",
        "auth.quick_exit",
    }
)


def enforce_access() -> Response | None:
    """before_request: load the user, then allow, redirect to login or setup, or refuse."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such URL: routing answers 404 or 405
    rule = access_rule_of(current_app, endpoint)
    if rule is None:
        abort(404)
    load_current_user()
    if rule.public:
        return None
    if g.user is None:
        return redirect(url_for("auth.login", next=local_path(request.full_path)))
    setup = pending_setup(g.user, g.viewer.roles)
    if setup is not None and endpoint not in SETUP_ENDPOINTS:
        return redirect(url_for(setup))
    if not all(g.viewer.may(permission) for permission in rule.permissions):
        abort(403)
    return None


def load_current_user() -> None:
    """g.user and g.viewer from the session, or None when nobody is signed in.

    Read in a session of its own on the reading engine: on SQLite, the request's writing
    transaction must not start (and take the write lock) before the login throttle has run.
    Views that change the account load it again with current_account().
    """
    g.user, g.viewer = None, None
    user_id = session.get("user_id")
    if not isinstance(user_id, str):
        return
    with Session(current_app.extensions["tracker_read_engine"], expire_on_commit=False) as db:
        user = db.get(UserAccount, uuid.UUID(user_id))
        roles = roles_of(db, user.id) if user is not None else frozenset()
    if user is None or user.is_deleted or not user.is_active:
        session.end()  # type: ignore[attr-defined]
        return
    g.user = user
    g.viewer = Viewer(user_id=user.id, roles=roles)


def current_account() -> UserAccount:
    """The signed-in user's account in the request's own session, for views that change it."""
    user: UserAccount | None = g.db.get(UserAccount, g.user.id)
    assert user is not None
    return user


def pending_setup(user: UserAccount, roles: frozenset[str]) -> str | None:
    """The setup page a user must finish first, if any."""
    if user.must_change_password:
        return "account.change_password"
    settings: Settings = current_app.config["TRACKER_SETTINGS"]
    required = needs_second_factor(roles, required_for_all=settings.require_totp_for_all)
    if required and not user.totp_secret:
        return "account.setup_second_factor"
    return None


def local_path(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (no scheme, no host, one leading /)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target.rstrip("?") or None


def can(permission: Permission) -> bool:
    """For templates: whether the signed-in user may do this."""
    viewer: Viewer | None = g.get("viewer")
    return viewer is not None and viewer.may(permission)
