"""Bodies and addresses no browser sends: invalid UTF-8 and NUL in field values and names,
broken percent-encoding, bodies of 1 MB per field and above the limit, JSON nested 10,000
deep, a NUL in each field on its own, and paths and query strings with the same bytes. Never
a 500; a refused body writes nothing (the form fuzzer's check)."""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from sqlalchemy import Engine

from tests.hostile import payloads
from tests.hostile.attack import Body, FormAttack
from tests.hostile.forms import TOKEN_FIELD, defaults_of
from tests.hostile.html_forms import HtmlForm
from tests.hostile.tally import TALLY
from tests.hostile.targets import TARGETS
from tests.hostile.world import World
from tests.web.conftest import Account, WebClient
from tests.web.examples import all_examples
from tracker.config import Settings
from tracker.web import MAX_FORM_BYTES

FORM_TYPE = "application/x-www-form-urlencoded"
CHOICE_KINDS = frozenset({"select", "checkbox", "radio", "submit", "button", "file", "image"})
# Value bytes as they appear in a urlencoded body.
BAD_VALUES = {
    "invalid UTF-8": b"%FF%FE%C3%28 \xff\xfe raw %ED%A0%80 surrogate %C0%AF overlong %F4%90%80%80",
    "NUL": b"before%00after",
    "broken percent-encoding": b"%zz%%4%",
    "bidirectional override": b"%E2%80%AEgnp.exe",
}
BAD_NAMES = b"%FF%FE=1&\xff\xfe=2&%00=3&a%00b=4&=5&&&==="
DEEP_JSON = b"[" * 10_000 + b"]" * 10_000
# Uploads take files up to the evidence limit (test_uploads.py sends more than that).
OWN_LIMIT = frozenset({"evidence.upload"})


def urlencoded(
    form: HtmlForm,
    token: str | None,
    value: bytes | None,
    extra: bytes = b"",
    only: str | None = None,
) -> bytes:
    """The form's own values, with `value` (raw bytes) in every field a user types into (or
    in the one named `only`)."""
    parts = [b"%s=%s" % (TOKEN_FIELD.encode(), quote(token or "").encode())]
    kinds = {item.name: item.kind for item in form.fields}
    for name, values in defaults_of(form).items():
        if name == TOKEN_FIELD:
            continue
        for each in values:
            typed = value is not None and kinds.get(name) not in CHOICE_KINDS
            typed = typed and only in (None, name)
            encoded = value if typed and value is not None else quote(each).encode()
            parts.append(quote(name).encode() + b"=" + encoded)
    return b"&".join(parts) + extra


def with_values(raw: bytes) -> Callable[[HtmlForm, str | None], Body]:
    return lambda form, token: (urlencoded(form, token, raw), FORM_TYPE)


def bodies() -> dict[str, Callable[[HtmlForm, str | None], Body]]:
    """The raw bodies posted to every form, by what is wrong with them."""
    made = {name: with_values(raw) for name, raw in BAD_VALUES.items()}
    made["invalid UTF-8 and NUL in names"] = lambda form, token: (
        urlencoded(form, token, None, b"&" + BAD_NAMES),
        FORM_TYPE,
    )
    made["1 MB in every field"] = lambda form, token: (
        urlencoded(form, token, quote(payloads.MEGABYTE).encode()),
        FORM_TYPE,
    )
    made["above the body limit"] = lambda form, token: (
        urlencoded(form, token, None, b"&padding=" + b"p" * (MAX_FORM_BYTES + 1)),
        FORM_TYPE,
    )
    made["latin-1 declared"] = lambda form, token: (
        urlencoded(form, token, b"\xe9t\xe9"),
        FORM_TYPE + "; charset=latin-1",
    )
    made["plain text"] = lambda form, token: (urlencoded(form, token, None), "text/plain")
    made["nested JSON"] = lambda form, token: (DEEP_JSON, "application/json")
    made["huge JSON string"] = lambda form, token: (
        json.dumps({"csrf_token": token, "title": payloads.MEGABYTE}).encode(),
        "application/json",
    )
    return made


def nul_in(name: str) -> Callable[[HtmlForm, str | None], Body]:
    return lambda form, token: (urlencoded(form, token, b"nul%00byte", only=name), FORM_TYPE)


def typed_fields(form: HtmlForm) -> list[str]:
    return sorted(
        {item.name for item in form.fields if item.kind not in CHOICE_KINDS} - {TOKEN_FIELD}
    )


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_raw_bodies_are_refused_cleanly_or_saved(
    app: Flask,
    engine: Engine,
    settings: Settings,
    world: World,
    accounts: dict[str, Account],
    endpoint: str,
) -> None:
    attack = FormAttack(app, engine, settings, world, accounts, endpoint, TARGETS[endpoint])
    form = attack.discover()
    names = tuple(item.name for item in form.fields if item.name != TOKEN_FIELD)
    for kind, build in bodies().items():
        response = attack.post(build)
        if kind == "above the body limit" and endpoint not in OWN_LIMIT:
            assert response.status_code == 413, endpoint
        TALLY.tried(f"raw body: {kind}", route=endpoint, fields=names)
    # Then a NUL in one field at a time, so that no other field's refusal hides the one that
    # would fail (PostgreSQL refuses a NUL in any text it is given, even to compare).
    for name in typed_fields(form):
        attack.post(nul_in(name))
        TALLY.tried("NUL in one field", route=endpoint, fields=(name,))


BAD_QUERIES = (
    b"q=%FF%FE%00&page=%FF&deleted=%00&sort=%ED%A0%80&x%FF=1&%00=%00",
    b"q=\xff\xfe\x00raw&page=\xff&level=\xc3\x28",
    b"page=99999999999999999999999999&page=-1&page=0",
    b"q=%zz%&&&==&=&" + b"a" * 10_000,
)
SKIPPED_PAGES = frozenset({"auth.quick_exit", "auth.logout"})


@pytest.mark.parametrize("role", ["admin", "analyst", None])
def test_query_strings_with_invalid_bytes_never_fail(
    app: Flask, world: World, signed_in: Any, role: str | None
) -> None:
    client = signed_in(role) if role else WebClient(app.test_client())
    examples = all_examples()

    def arguments_of(endpoint: str) -> dict[str, Any]:
        example = examples.get(endpoint)
        return example(world.sample) if example else {}

    with app.test_request_context():
        urls = [
            (rule.endpoint, url_for(rule.endpoint, **arguments_of(rule.endpoint)))
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint not in SKIPPED_PAGES
        ]
    for endpoint, url in urls:
        for query in BAD_QUERIES:
            # WSGI carries the raw bytes of the query string as a latin-1 string.
            raw = {"QUERY_STRING": query.decode("latin-1")}
            response = client.client.get(url, environ_overrides=raw)
            assert response.status_code < 500, (url, query[:40], response.status_code)
            assert b"Traceback" not in response.get_data(), url
            TALLY.tried("raw query string", route=endpoint)


BAD_PATHS = (
    "/incidents/%FF",
    "/persons/%00",
    "/%ED%A0%80",
    "/cases/00000000-0000-0000-0000-000000000000%00",
    "/static/..%2f..%2ftracker%2fconfig.py",
    "/static/%2e%2e/%2e%2e/tracker/config.py",
    "/static/../../tracker/config.py",
    "/static/..\\..\\tracker\\config.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/evidence/..%2f..%2fevidence",
    "/search/" + "a" * 10_000,
)


def test_paths_with_invalid_bytes_or_traversal_find_nothing(signed_in: Any) -> None:
    client = signed_in("admin")
    for path in BAD_PATHS:
        response = client.client.get(path)
        assert response.status_code in (400, 404, 405, 308), (path, response.status_code)
        body = response.get_data()
        assert b"root:" not in body and b"TRACKER_" not in body, path
        TALLY.tried("raw path")
