"""Admin pages for accounts: who may open them, one-time passwords, deactivation, roles."""

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlmodel import Session

from tests.conftest import table_counts
from tests.web.conftest import PASSWORD, Account, WebClient, make_account, user_of
from tests.web.examples.admin import DET_TERM_ID
from tests.web.sample import make_sample
from tracker.domain.permissions import ROLE_CODES
from tracker.models import AuditEntry, UserAccount
from tracker.services.accounts import roles_of

ADMIN_PAGES = (
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/roles",
    "/admin/vocabularies",
    "/admin/vocabularies/incident_type",
    f"/admin/terms/{DET_TERM_ID}",
    "/admin/audit",
    "/admin/deleted",
)
PASSWORD_SHOWN = re.compile(r'class="secret one-time-password"><code>([^<]+)</code>')


def one_time_password(page: str) -> str:
    match = PASSWORD_SHOWN.search(page)
    assert match, page
    return match.group(1)


def manage_url(account_id: uuid.UUID) -> str:
    return f"/admin/users?user={account_id}"


def version_of(engine: Engine, account_id: uuid.UUID) -> int:
    with Session(engine) as session:
        user = session.get(UserAccount, account_id)
        assert user is not None
        return user.version


def set_roles(client: WebClient, account_id: uuid.UUID, roles: list[str], version: int) -> Any:
    data = {"roles": roles, "version": version}
    url = f"/admin/users/{account_id}/roles"
    return client.post(url, data, form_url=manage_url(account_id))


def act(client: WebClient, engine: Engine, account_id: uuid.UUID, action: str) -> Any:
    """Press one of the account's buttons, with the version the page shows."""
    return client.post(
        f"/admin/users/{account_id}/{action}",
        {"version": version_of(engine, account_id)},
        form_url=manage_url(account_id),
    )


@pytest.fixture
def admin(signed_in: Any) -> WebClient:
    client: WebClient = signed_in("admin")
    return client


def test_every_admin_page_renders_for_admins(
    admin: WebClient, accounts: dict[str, Account]
) -> None:
    for url in (*ADMIN_PAGES, manage_url(accounts["lawyer"].user_id)):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert "Traceback" not in response.get_data(as_text=True)


def test_other_roles_are_refused(signed_in: Any, accounts: dict[str, Account]) -> None:
    target = accounts["admin"].user_id
    for role in ROLE_CODES:
        if role == "admin":
            continue
        client = signed_in(role)
        for url in (*ADMIN_PAGES, manage_url(target)):
            assert client.get(url).status_code == 403, (role, url)
        url = f"/admin/users/{target}/deactivate"
        assert client.post(url, {"version": 1}, form_url="/account/").status_code == 403


def test_the_menu_links_to_admin_for_admins_only(signed_in: Any, accounts) -> None:
    assert 'href="/admin/"' in signed_in("admin").get("/account/").get_data(as_text=True)
    assert 'href="/admin/"' not in signed_in("lawyer").get("/account/").get_data(as_text=True)


def test_overview_counts_accounts_without_a_second_factor(
    admin: WebClient, engine: Engine, accounts
) -> None:
    make_account(engine, "analyst", username="no-factor", with_totp=False)
    page = admin.get("/admin/").get_data(as_text=True)
    assert "Active accounts without a second factor: 1." in page
    assert "required of admins and lawyers" in page


def test_users_list_shows_roles_and_second_factor(admin: WebClient, accounts) -> None:
    page = admin.get("/admin/users").get_data(as_text=True)
    for role in ROLE_CODES:
        assert f">{role}</a>" in page


def test_create_user_shows_the_password_once_and_forces_a_change(
    app: Flask, admin: WebClient, engine: Engine
) -> None:
    response = admin.post(
        "/admin/users/new",
        {"username": "newcomer", "display_name": "New One", "roles": ["documenter"]},
    )
    assert response.status_code == 200
    password = one_time_password(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    # Not stored in clear anywhere: not in the audit log, not in any session.
    with engine.connect() as connection:
        audit = connection.execute(text("SELECT changes FROM audit_entry")).scalars().all()
        sessions = connection.execute(text("SELECT data FROM user_session")).scalars().all()
    assert password not in repr(audit) and password not in repr(sessions)
    assert password not in admin.get("/admin/users").get_data(as_text=True)
    newcomer = WebClient(app.test_client())
    login = newcomer.post("/login", {"username": "newcomer", "password": password})
    assert login.status_code == 302
    assert newcomer.get("/account/").location.startswith("/account/password")


def test_create_user_refuses_a_taken_username(admin: WebClient, engine: Engine, accounts) -> None:
    before = table_counts(engine)
    response = admin.post("/admin/users/new", {"username": "lawyer", "roles": ["analyst"]})
    assert response.status_code == 400
    assert "is taken" in response.get_data(as_text=True)
    assert table_counts(engine) == before


def test_a_role_ticked_twice_is_held_once(admin: WebClient, engine: Engine) -> None:
    response = admin.post(
        "/admin/users/new", {"username": "twice", "roles": ["documenter", "documenter"]}
    )
    assert response.status_code == 200
    with Session(engine) as session:
        user = session.execute(
            select(UserAccount).where(UserAccount.username == "twice")
        ).scalar_one()
        assert roles_of(session, user.id) == {"documenter"}


BAD_NEW_ACCOUNTS = (
    {"username": "x" * 100_000},
    {"username": "nul\x00byte"},
    {"username": "two words"},
    {"username": "ok", "display_name": "y" * 100_000},
    {"username": "ok", "display_name": "nul\x00"},
    {"username": "ok", "roles": ["emperor"]},
    {"username": ""},
)


def test_create_user_refuses_bad_input(admin: WebClient, engine: Engine) -> None:
    before = table_counts(engine)
    for values in BAD_NEW_ACCOUNTS:
        response = admin.post("/admin/users/new", values)
        assert response.status_code == 400, str(values)[:80]
        assert "one-time-password" not in response.get_data(as_text=True)
    assert table_counts(engine) == before


def test_markup_in_names_is_shown_escaped(admin: WebClient) -> None:
    markup = "<script>alert(1)</script>"
    created = admin.post("/admin/users/new", {"username": "markup", "display_name": markup})
    assert created.status_code == 200
    page = admin.get("/admin/users").get_data(as_text=True)
    assert markup not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_forged_or_missing_csrf_writes_nothing(admin: WebClient, engine: Engine, accounts) -> None:
    before = table_counts(engine)
    target = accounts["lawyer"].user_id
    for token in ("forged", None):
        data: dict[str, Any] = {"username": "sneaky", "csrf_token": token}
        assert admin.post("/admin/users/new", data, with_token=False).status_code == 400
        action = {"version": version_of(engine, target), "csrf_token": token}
        url = f"/admin/users/{target}/deactivate"
        assert admin.post(url, action, with_token=False).status_code == 400
    assert table_counts(engine) == before
    assert user_of(engine, accounts["lawyer"]).is_active


def test_unknown_and_malformed_ids_are_not_found(admin: WebClient) -> None:
    unknown = uuid.uuid4()
    assert admin.get(manage_url(unknown)).status_code == 404
    assert admin.get("/admin/users?user=not-an-id").status_code == 404
    response = admin.post(
        f"/admin/users/{unknown}/deactivate", {"version": 1}, form_url="/account/"
    )
    assert response.status_code == 404
    assert admin.post("/admin/users/not-an-id/deactivate", {"version": 1}).status_code == 404


def test_deactivation_ends_the_users_sessions(
    app: Flask, admin: WebClient, engine: Engine, signed_in: Any, accounts
) -> None:
    lawyer = signed_in("lawyer")
    assert lawyer.get("/account/").status_code == 200
    response = act(admin, engine, accounts["lawyer"].user_id, "deactivate")
    assert response.status_code == 302
    assert not user_of(engine, accounts["lawyer"]).is_active
    assert lawyer.get("/account/").location.startswith("/login")
    again = WebClient(app.test_client())
    login = again.post("/login", {"username": "lawyer", "password": PASSWORD})
    assert login.status_code == 401
    assert act(admin, engine, accounts["lawyer"].user_id, "reactivate").status_code == 302
    assert user_of(engine, accounts["lawyer"]).is_active


def test_end_sessions_signs_a_user_out_everywhere(
    admin: WebClient, engine: Engine, signed_in: Any, accounts
) -> None:
    analyst = signed_in("analyst")
    assert act(admin, engine, accounts["analyst"].user_id, "sessions/end").status_code == 302
    assert analyst.get("/account/").location.startswith("/login")
    assert admin.get("/admin/").status_code == 200


def test_reset_password_shows_a_new_one_time_password(
    app: Flask, admin: WebClient, engine: Engine, signed_in: Any, accounts
) -> None:
    analyst = signed_in("analyst")
    response = act(admin, engine, accounts["analyst"].user_id, "password")
    assert response.status_code == 200
    password = one_time_password(response.get_data(as_text=True))
    assert user_of(engine, accounts["analyst"]).must_change_password
    assert analyst.get("/account/").location.startswith("/login")
    client = WebClient(app.test_client())
    old = client.post("/login", {"username": "analyst", "password": PASSWORD})
    assert old.status_code == 401
    new = Account(
        "analyst", accounts["analyst"].user_id, "analyst", accounts["analyst"].totp_secret
    )
    assert client.login(new, password=password).status_code == 302
    assert client.get("/account/").location.startswith("/account/password")


def test_reset_second_factor(admin: WebClient, engine: Engine, accounts) -> None:
    assert act(admin, engine, accounts["lawyer"].user_id, "second-factor").status_code == 302
    assert user_of(engine, accounts["lawyer"]).totp_secret is None
    page = admin.get(manage_url(accounts["lawyer"].user_id)).get_data(as_text=True)
    assert "Reset second factor" not in page


def test_roles_are_edited_with_the_version_seen(admin: WebClient, engine: Engine, accounts) -> None:
    target = accounts["analyst"].user_id
    version = version_of(engine, target)
    saved = set_roles(admin, target, ["analyst", "reviewer"], version)
    assert saved.status_code == 302
    with Session(engine) as session:
        assert roles_of(session, target) == {"analyst", "reviewer"}
    before = table_counts(engine)
    stale = set_roles(admin, target, ["documenter"], version)
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else saved this record" in page
    assert "analyst, reviewer" in page
    assert table_counts(engine) == before
    with Session(engine) as session:
        assert roles_of(session, target) == {"analyst", "reviewer"}
    again = set_roles(admin, target, [], version_of(engine, target))
    assert again.status_code == 302
    with Session(engine) as session:
        assert roles_of(session, target) == frozenset()


def test_role_changes_are_audited(admin: WebClient, engine: Engine, accounts) -> None:
    target = accounts["analyst"].user_id
    set_roles(admin, target, ["documenter"], version_of(engine, target))
    with Session(engine) as session:
        actions = session.execute(
            select(AuditEntry.action).where(AuditEntry.table_name == "user_role")
        ).scalars()
        assert {"create", "delete"} <= set(actions)


def test_the_last_admin_cannot_lock_everyone_out(
    admin: WebClient, engine: Engine, accounts
) -> None:
    me = accounts["admin"].user_id
    before = table_counts(engine)
    response = set_roles(admin, me, ["lawyer"], version_of(engine, me))
    assert response.status_code == 400
    assert "last active admin" in response.get_data(as_text=True)
    deactivate = act(admin, engine, me, "deactivate")
    assert deactivate.status_code == 400
    assert "last active admin" in deactivate.get_data(as_text=True)
    assert table_counts(engine) == before
    with Session(engine) as session:
        assert "admin" in roles_of(session, me)
    assert user_of(engine, accounts["admin"]).is_active


def test_an_admin_may_step_down_when_another_remains(
    admin: WebClient, engine: Engine, accounts
) -> None:
    make_account(engine, "admin", username="second-admin")
    me = accounts["admin"].user_id
    response = set_roles(admin, me, ["lawyer"], version_of(engine, me))
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 403


def test_a_stale_action_writes_nothing(admin: WebClient, engine: Engine, accounts) -> None:
    target = accounts["reviewer"].user_id
    before = table_counts(engine)
    response = admin.post(
        f"/admin/users/{target}/deactivate",
        {"version": version_of(engine, target) - 1},
        form_url=manage_url(target),
    )
    assert response.status_code == 409
    assert table_counts(engine) == before
    assert user_of(engine, accounts["reviewer"]).is_active
    for version in ("", "x", "-1", "9" * 30, "1\x00"):
        response = admin.post(
            f"/admin/users/{target}/deactivate", {"version": version}, form_url="/admin/users"
        )
        assert response.status_code == 400, version
    assert table_counts(engine) == before


def test_roles_page_lists_permissions_with_role_labels(admin: WebClient, engine: Engine) -> None:
    make_sample(engine)
    page = admin.get("/admin/roles").get_data(as_text=True)
    assert "Restore deleted records" in page
    assert "(documenter)" in page


def test_an_imported_account_without_a_password_says_to_reset_it(
    admin: WebClient, engine: Engine, accounts
) -> None:
    imported_hint = "The account came from another instance: reset the password"
    page = admin.get(manage_url(accounts["analyst"].user_id)).get_data(as_text=True)
    assert imported_hint not in page
    with Session(engine) as session:  # as an import from another instance leaves it
        session.execute(
            text("UPDATE user_account SET password_hash = '' WHERE username = 'analyst'")
        )
        session.commit()
    page = admin.get(manage_url(accounts["analyst"].user_id)).get_data(as_text=True)
    assert imported_hint in page
