"""Web fixtures: an app on the test database, accounts for every role, a CSRF-aware client."""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session
from werkzeug.test import TestResponse

from tracker import create_app
from tracker.config import Settings
from tracker.domain.permissions import ROLE_CODES
from tracker.models import UserAccount
from tracker.services.records import update_record
from tracker.services.users import create_user, hash_password

PASSWORD = "correct horse battery staple 42"
CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    username: str
    user_id: uuid.UUID
    role: str
    totp_secret: str | None


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[Flask]:
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    for key in ("tracker_engine", "tracker_read_engine"):
        application.extensions[key].dispose()


def make_account(
    engine: Engine, role: str, *, username: str | None = None, with_totp: bool = True
) -> Account:
    """An account that has set its password (and its second factor, if asked)."""
    secret = pyotp.random_base32() if with_totp else None
    with Session(engine, expire_on_commit=False) as session:
        user, _ = create_user(
            session,
            username=username or role,
            display_name=role.title(),
            roles=(role,),
            actor_id=None,
        )
        changes: dict[str, Any] = {
            "password_hash": hash_password(PASSWORD),
            "must_change_password": False,
            "totp_secret": secret,
        }
        update_record(session, user, actor_id=None, expected_version=user.version, changes=changes)
        session.commit()
        return Account(user.username, user.id, role, secret)


@pytest.fixture
def accounts(engine: Engine) -> dict[str, Account]:
    """One account per role, each with a password and a second factor."""
    return {role: make_account(engine, role) for role in ROLE_CODES}


def totp_codes(secret: str) -> list[str]:
    """This step's code, then the next one's: codes work once and the server accepts the next
    step's too, so a test can sign one account in twice within 30 seconds."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.now(UTC))
    return [totp.generate_otp(step), totp.generate_otp(step + 1)]


class WebClient:
    """A test client that reads CSRF tokens from pages, as a browser would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.last_token: str | None = None

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(url, **kwargs)
        self.remember_token(response)
        return response

    def remember_token(self, response: TestResponse) -> None:
        if response.mimetype != "text/html":  # a download: no form, maybe not even text
            return
        match = CSRF_FIELD.search(response.get_data(as_text=True))
        if match:
            self.last_token = match.group(1)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        form_url: str | None = None,
        with_token: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        """POST a form; the token comes from the form's page (form_url, else url)."""
        fields = dict(data or {})
        if with_token:
            self.get(form_url or url)
            fields.setdefault("csrf_token", self.last_token)
        response = self.client.post(url, data=fields, **kwargs)
        self.remember_token(response)
        return response

    def login(self, account: Account, *, password: str = PASSWORD) -> TestResponse:
        response = self.post("/login", {"username": account.username, "password": password})
        if (
            account.totp_secret
            and response.status_code == 302
            and "/login/code" in response.location
        ):
            location = response.location
            for code in totp_codes(account.totp_secret):
                response = self.post(location, {"code": code})
                if response.status_code != 401:
                    break
        return response


@pytest.fixture
def web(app: Flask) -> WebClient:
    return WebClient(app.test_client())


@pytest.fixture
def signed_in(app: Flask, accounts: dict[str, Account]) -> Any:
    """signed_in(role) -> a WebClient signed in with that role's account."""

    def sign_in(role: str) -> WebClient:
        client = WebClient(app.test_client())
        response = client.login(accounts[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def user_of(engine: Engine, account: Account) -> UserAccount:
    with Session(engine) as session:
        user = session.get(UserAccount, account.user_id)
        assert user is not None
        return user
