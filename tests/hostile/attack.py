"""One form under attack: a client signed in with a role that may use it, the form as its page
shows it, and a post that must neither fail nor write anything when it is refused."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, url_for
from sqlalchemy import Engine
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.hostile.fingerprint import changes_between, fingerprint
from tests.hostile.html_forms import HtmlForm, post_form_for
from tests.hostile.targets import Target
from tests.hostile.world import World
from tests.web.conftest import PASSWORD, Account, WebClient, make_account
from tracker.config import Settings
from tracker.domain.permissions import has_permission
from tracker.web.access import access_rule_of

HOST = "http://localhost"
# Fields to post, or raw bytes and their content type.
Body = MultiDict[str, Any] | tuple[bytes, str]


def stored_files(settings: Settings) -> list[str]:
    folder: Path = settings.resolved_evidence_path
    return sorted(str(path) for path in folder.rglob("*")) if folder.exists() else []


def refused(response: TestResponse, target: Target) -> bool:
    """A status of 400 and above, or the form shown again (a page that is no success)."""
    if response.status_code >= 400:
        return True
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not target.writes_on_page
    )


@dataclass
class FormAttack:
    app: Flask
    engine: Engine
    settings: Settings
    world: World
    accounts: dict[str, Account]
    endpoint: str
    target: Target
    client: WebClient | None = None
    own: Account | None = None
    form: HtmlForm | None = field(default=None)

    # --- addresses

    def action_url(self) -> str:
        arguments = self.target.args(self.world) if self.target.args else {}
        with self.app.test_request_context():
            return url_for(self.endpoint, **arguments)

    def page_url(self) -> str:
        make_args = self.target.page_args or self.target.args
        arguments = make_args(self.world) if make_args else {}
        query = self.target.page_query(self.world) if self.target.page_query else {}
        with self.app.test_request_context():
            return url_for(self.target.page, **{**arguments, **query})

    # --- who posts

    def check_role_may_post(self) -> None:
        rule = access_rule_of(self.app, self.endpoint)
        assert rule is not None
        role = self.target.role
        if role is None:
            assert rule.public, f"{self.endpoint} needs a role"
            return
        roles = frozenset({role})
        assert all(has_permission(roles, p) for p in rule.permissions), (self.endpoint, role)

    def account(self) -> Account:
        role = self.target.role
        assert role is not None
        if not self.target.own_account:
            return self.accounts[role]
        if self.own is None:
            self.own = make_account(self.engine, role, username=f"own-{role}", with_totp=False)
        return self.own

    def fresh_client(self) -> WebClient:
        client = WebClient(self.app.test_client())
        if self.target.second_step:  # halfway through signing in: password accepted
            client.login_first_step = client.post(  # type: ignore[attr-defined]
                "/login", {"username": "admin", "password": PASSWORD}
            )
        elif self.target.role is not None:
            response = client.login(self.account())
            assert response.status_code == 302, (self.endpoint, response.status_code)
        return client

    def client_on_page(self) -> tuple[WebClient, HtmlForm | None]:
        """The client for the next post, on the form's page: a new one for the login steps,
        else the same one, signed in again when the last post ended its session."""
        if self.target.role is None or self.client is None:
            self.client = self.fresh_client()
        page = self.client.get(self.page_url())
        if page.status_code == 302 and "/login" in page.location:
            self.client = self.fresh_client()
            page = self.client.get(self.page_url())
        return self.client, self.form_in(page)

    def form_in(self, page: TestResponse) -> HtmlForm | None:
        if page.mimetype != "text/html":
            return None
        html = page.get_data(as_text=True)
        return post_form_for(html, HOST + self.page_url(), self.action_url().split("?")[0])

    def discover(self) -> HtmlForm:
        """The form on its page; the table is wrong when the page does not show it."""
        self.check_role_may_post()
        _client, found = self.client_on_page()
        assert found is not None, f"no form posting to {self.action_url()} on {self.page_url()}"
        self.form = found
        return found

    # --- the post

    def post(self, build_body: Callable[[HtmlForm, str | None], Body]) -> TestResponse:
        """Post the body built from the page's current form and its CSRF token: fields (a
        MultiDict, encoded as the form would be) or raw bytes with their content type.
        Refused posts must change nothing."""
        client, current = self.client_on_page()
        current = current or self.form
        assert current is not None
        body = build_body(current, client.last_token)
        before, files_before = fingerprint(self.engine), stored_files(self.settings)
        if isinstance(body, MultiDict):
            response = client.client.post(
                self.action_url(), data=body, content_type=current.enctype
            )
        else:
            raw, content_type = body
            response = client.client.post(self.action_url(), data=raw, content_type=content_type)
        client.remember_token(response)
        self.check_response(response, before, files_before)
        return response

    def check_response(
        self, response: TestResponse, before: dict[str, Any], files_before: list[str]
    ) -> None:
        label = f"{self.endpoint} answered {response.status_code}"
        assert response.status_code < 500, label
        if response.mimetype == "text/html":
            assert "Traceback" not in response.get_data(as_text=True), label
        if refused(response, self.target):
            changed = changes_between(before, fingerprint(self.engine))
            assert changed == {}, f"{label} but wrote {changed}"
            assert stored_files(self.settings) == files_before, f"{label} but stored a file"
