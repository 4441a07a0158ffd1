"""Signing in: passwords, second factor, throttling, sessions, quick exit, cookies and headers."""

from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from tests.web.conftest import PASSWORD, Account, WebClient, make_account, user_of
from tracker.models import UserSession
from tracker.models.base import utc_now
from tracker.services.accounts import issue_recovery_codes
from tracker.services.users import create_user

REFUSAL = "Unknown username or wrong password."


def test_anonymous_users_are_sent_to_login(web: WebClient) -> None:
    response = web.get("/account/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/account/")


def test_password_then_totp_signs_in(web: WebClient, accounts: dict[str, Account]) -> None:
    first = web.post("/login", {"username": "lawyer", "password": PASSWORD})
    assert first.status_code == 302 and "/login/code" in first.location
    assert web.get("/").status_code == 302  # not signed in before the second step
    code = pyotp.TOTP(accounts["lawyer"].totp_secret).now()
    second = web.post(first.location, {"code": code})
    assert second.status_code == 302
    assert web.get("/").status_code == 200


def test_wrong_password_and_unknown_user_read_the_same(web: WebClient, accounts) -> None:
    wrong = web.post("/login", {"username": "lawyer", "password": "wrong password here"})
    unknown = web.post("/login", {"username": "nobody", "password": "wrong password here"})
    assert wrong.status_code == unknown.status_code == 401
    assert REFUSAL in wrong.get_data(as_text=True)
    assert REFUSAL in unknown.get_data(as_text=True)


def test_a_totp_code_works_only_once(app: Flask, accounts: dict[str, Account]) -> None:
    code = pyotp.TOTP(accounts["admin"].totp_secret).now()
    first, second = WebClient(app.test_client()), WebClient(app.test_client())
    step_one = first.post("/login", {"username": "admin", "password": PASSWORD})
    assert first.post(step_one.location, {"code": code}).status_code == 302
    step_two = second.post("/login", {"username": "admin", "password": PASSWORD})
    reused = second.post(step_two.location, {"code": code})
    assert reused.status_code == 401
    assert "only once" in reused.get_data(as_text=True)


def test_a_recovery_code_signs_in_once(
    app: Flask, engine: Engine, accounts: dict[str, Account]
) -> None:
    with Session(engine) as session:
        codes = issue_recovery_codes(session, user_id=accounts["lawyer"].user_id)
        session.commit()
    for expected in (302, 401):
        client = WebClient(app.test_client())
        step = client.post("/login", {"username": "lawyer", "password": PASSWORD})
        assert client.post(step.location, {"code": codes[0].lower()}).status_code == expected


def test_failed_logins_are_throttled_per_account_with_the_same_message(
    web: WebClient, accounts: dict[str, Account]
) -> None:
    for _ in range(5):
        web.post("/login", {"username": "analyst", "password": "not the password"})
    throttled = web.post("/login", {"username": "analyst", "password": PASSWORD})
    assert throttled.status_code == 429
    for _ in range(5):
        web.post("/login", {"username": "ghost", "password": "not the password"})
    ghost = web.post("/login", {"username": "ghost", "password": "not the password"})
    assert ghost.status_code == 429
    assert ghost.get_data(as_text=True) == throttled.get_data(as_text=True).replace(
        "analyst", "ghost"
    )
    other = web.post("/login", {"username": "reviewer", "password": PASSWORD})
    assert other.status_code == 302  # another account from the same client still works


def test_failed_logins_are_throttled_per_client(app: Flask, engine: Engine) -> None:
    # Four refusals each for five accounts: under the per-account limit, at the client's.
    for number in range(5):
        make_account(engine, "analyst", username=f"user{number}", with_totp=False)
    client = WebClient(app.test_client())
    for attempt in range(20):
        client.post("/login", {"username": f"user{attempt % 5}", "password": "bad password x"})
    response = client.post("/login", {"username": "user0", "password": PASSWORD})
    assert response.status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    other_client = WebClient(elsewhere)
    signed = other_client.post("/login", {"username": "user1", "password": PASSWORD})
    assert signed.status_code == 302


def test_login_rotates_the_session_token(web: WebClient, accounts) -> None:
    web.get("/login")
    before = web.client.get_cookie("tracker_session")
    web.login(accounts["analyst"])
    after = web.client.get_cookie("tracker_session")
    assert after is not None
    assert before is None or before.value != after.value


def test_session_cookie_flags(web: WebClient, accounts) -> None:
    web.get("/login")
    response = web.post("/login", {"username": "analyst", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; HTTPS adds it
    secure = web.client.post(
        "/login", data={}, base_url="https://localhost", headers={"Cookie": ""}
    )
    assert "Secure" in secure.headers.get("Set-Cookie", "Secure")


def expire_sessions(engine: Engine, **shift: float) -> None:
    with Session(engine) as session:
        session.execute(
            update(UserSession).values(
                last_seen_at=utc_now() - timedelta(**shift),
                created_at=utc_now() - timedelta(**shift),
            )
        )
        session.commit()


@pytest.mark.parametrize("shift", [{"minutes": 31}, {"hours": 9}])
def test_sessions_end_after_idle_and_absolute_limits(
    signed_in, engine: Engine, shift: dict[str, float]
) -> None:
    client = signed_in("analyst")
    assert client.get("/").status_code == 200
    expire_sessions(engine, **shift)
    assert client.get("/").status_code == 302


def test_log_out_everywhere_ends_every_session(signed_in, engine: Engine, accounts) -> None:
    laptop, phone = signed_in("reviewer"), signed_in("reviewer")
    response = laptop.post("/account/sessions/end", form_url="/account/")
    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    with Session(engine) as session:
        rows = session.exec(
            select(UserSession).where(UserSession.user_id == accounts["reviewer"].user_id)
        ).all()
    assert rows == []


def test_quick_exit_ends_the_session_and_leaves(signed_in) -> None:
    client = signed_in("documenter")
    response = client.get("/exit")
    assert response.status_code == 302
    assert not response.location.startswith("/")
    assert client.get("/").status_code == 302


def test_quick_exit_is_on_every_page(signed_in, web: WebClient) -> None:
    assert 'id="quick-exit"' in web.get("/login").get_data(as_text=True)
    assert 'id="quick-exit"' in signed_in("analyst").get("/").get_data(as_text=True)


def test_security_headers_on_pages(signed_in) -> None:
    response = signed_in("analyst").get("/")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_no_inline_scripts_or_styles(signed_in) -> None:
    client = signed_in("analyst")
    for url in ("/", "/account/", "/account/password"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and "onclick" not in html


def test_csrf_is_required(web: WebClient, accounts) -> None:
    missing = web.post("/login", {"username": "analyst", "password": PASSWORD}, with_token=False)
    forged = web.post(
        "/login",
        {"username": "analyst", "password": PASSWORD, "csrf_token": "forged"},
        with_token=False,
    )
    assert missing.status_code == forged.status_code == 400


def test_next_parameter_cannot_leave_the_site(web: WebClient, accounts) -> None:
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = web.post(
            f"/login?next={target}",
            {"username": "analyst", "password": PASSWORD},
            form_url="/login",
        )
        assert response.status_code in (302, 429)
        assert not response.location.startswith(("http", "//", "javascript"))
        web.client.get("/exit")


def test_new_account_must_change_password_and_set_second_factor(app: Flask, engine: Engine) -> None:
    with Session(engine) as session:
        user, one_time = create_user(
            session, username="newlawyer", display_name="", roles=("lawyer",), actor_id=None
        )
        session.commit()
        user_id = user.id
    client = WebClient(app.test_client())
    assert client.post("/login", {"username": "newlawyer", "password": one_time}).status_code == 302
    assert client.get("/").location == "/account/password"
    weak = client.post(
        "/account/password",
        {
            "current_password": one_time,
            "new_password": "password123",
            "repeat_password": "password123",
        },
    )
    assert weak.status_code == 400
    new_password = "a long and rare passphrase 7"
    changed = client.post(
        "/account/password",
        {
            "current_password": one_time,
            "new_password": new_password,
            "repeat_password": new_password,
        },
    )
    assert changed.status_code == 302
    assert client.get("/").location == "/account/second-factor"
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    assert client.get("/account/second-factor/qr.svg").mimetype == "image/svg+xml"
    enabled = client.post("/account/second-factor", {"code": pyotp.TOTP(secret).now()})
    assert enabled.status_code == 200 and "Recovery codes" in enabled.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert user_of(engine, Account("newlawyer", user_id, "lawyer", None)).totp_secret == secret


def test_deactivated_user_is_signed_out(signed_in, engine: Engine, accounts) -> None:
    client = signed_in("analyst")
    with Session(engine) as session:
        user = session.get(type(user_of(engine, accounts["analyst"])), accounts["analyst"].user_id)
        assert user is not None
        user.is_active = False
        session.add(user)
        session.commit()
    assert client.get("/").status_code == 302
