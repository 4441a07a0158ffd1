"""Deny by default, proven over the whole URL map: every route, every role, and anonymous."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.routing import Rule

from tests.web.conftest import Account, WebClient
from tests.web.examples import all_examples
from tests.web.sample import Sample, make_sample
from tracker.domain.permissions import ROLE_CODES, has_permission
from tracker.web.access import AccessRule, access_rule_of

# Routes whose job is to send the browser elsewhere.
REDIRECTING = {"auth.quick_exit", "auth.logout"}
# Routes that need state in the session first (the QR code in setup, the login's second step).
STATEFUL = {"account.second_factor_qr", "auth.second_factor"}


def test_every_route_declares_access(app: Flask) -> None:
    unguarded = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if not isinstance(getattr(view, "access_rule", None), AccessRule)
    )
    assert unguarded == []


def test_every_route_with_arguments_has_an_example(app: Flask) -> None:
    examples = all_examples()
    missing = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.arguments and rule.endpoint not in examples
    )
    assert missing == []


def test_a_route_without_a_rule_answers_404(app: Flask) -> None:
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert app.test_client().get("/undeclared").status_code == 404


def url_for_rule(app: Flask, rule: Rule, sample: Sample) -> str:
    arguments = all_examples()[rule.endpoint](sample) if rule.arguments else {}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def allowed(rule: AccessRule, role: str) -> bool:
    return rule.public or all(has_permission(frozenset({role}), p) for p in rule.permissions)


def routes(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint)


def check_anonymous(app: Flask, rule: Rule, url: str) -> None:
    client = WebClient(app.test_client())
    access = access_rule_of(app, rule.endpoint)
    assert access is not None
    if access.public:
        return
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = client.post(url, form_url="/login") if method == "POST" else client.get(url)
        assert response.status_code == 302, (rule.endpoint, method, response.status_code)
        assert response.location.startswith("/login"), rule.endpoint


def check_role(client: WebClient, app: Flask, rule: Rule, url: str, role: str) -> None:
    access = access_rule_of(app, rule.endpoint)
    assert access is not None
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        post = method == "POST"
        response = client.post(url, form_url="/account/") if post else client.get(url)
        status = response.status_code
        label = (rule.endpoint, method, role, status)
        assert status != 500, label
        if not allowed(access, role):
            assert status in (403, 404), label
        elif rule.endpoint in STATEFUL:
            continue
        elif method == "GET" and rule.endpoint not in REDIRECTING | STATEFUL:
            assert status == 200, label
        else:
            assert status not in (403, 404), label


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def test_anonymous_users_see_only_the_login_page(app: Flask, sample: Sample) -> None:
    for rule in routes(app):
        check_anonymous(app, rule, url_for_rule(app, rule, sample))


@pytest.mark.parametrize("role", ROLE_CODES)
def test_each_role_against_every_route(
    app: Flask, sample: Sample, signed_in: Any, accounts: dict[str, Account], role: str
) -> None:
    client = signed_in(role)
    # These end the session, so they come last.
    skip_until_last = {"auth.logout", "account.end_all_sessions", "auth.quick_exit"}
    rules = routes(app)
    ordered = [r for r in rules if r.endpoint not in skip_until_last] + [
        r for r in rules if r.endpoint in skip_until_last
    ]
    for rule in ordered:
        check_role(client, app, rule, url_for_rule(app, rule, sample), role)
