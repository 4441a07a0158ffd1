"""A minimal browser over http.client: cookies, forms read from the page (CSRF token
included), multipart uploads, and no redirect followed, so each answer is seen as sent."""

import http.client
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from tests.faults.instance import PASSWORD
from tests.faults.server import Server

Fields = list[tuple[str, str]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str


@dataclass
class FormReader(HTMLParser):
    """The fields of the form whose action ends with `action`, as a browser would send them."""

    action: str
    fields: Fields = field(default_factory=list)
    inside: bool = False
    found: bool = False
    textarea: str | None = None
    select: str | None = None
    text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attributes}
        if tag == "form" and not self.found and self.wanted(values):
            self.inside = self.found = True
        elif self.inside:
            self.read_field(tag, values)

    def wanted(self, form: dict[str, str]) -> bool:
        """A POST form sending to the action (one without an action sends to its own page)."""
        target = form.get("action", self.action).split("#")[0]
        return form.get("method", "").lower() == "post" and target.endswith(self.action)

    def read_field(self, tag: str, values: dict[str, str]) -> None:
        name = values.get("name", "")
        kind = values.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in values:
                self.fields.append((name, values.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self.textarea, self.text = name, []
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in values:
            self.fields.append((self.select, values.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, "".join(self.text).removeprefix("\n")))
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_fields(page: str, action: str) -> Fields:
    reader = FormReader(action)
    reader.feed(page)
    assert reader.found, f"no form posting to {action} in the page"
    return reader.fields


def multipart(fields: Fields, file_field: str, file_name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}";'
        f' filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    body = b"".join([*parts, head.encode(), data, f"\r\n--{boundary}--\r\n".encode()])
    return body, f"multipart/form-data; boundary={boundary}"


class Browser:
    """One person's browser: its own cookies, an optional client address behind the proxy."""

    def __init__(self, server: Server, *, client_address: str = "") -> None:
        self.server = server
        self.cookies: dict[str, str] = {}
        self.client_address = client_address

    def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> Answer:
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers=self.headers(content_type))
            response = connection.getresponse()
            self.remember_cookies(response.msg.get_all("Set-Cookie") or [])
            text = response.read().decode("utf-8", errors="replace")
            return Answer(response.status, text, response.getheader("Location") or "")
        finally:
            connection.close()

    def headers(self, content_type: str) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        if self.client_address:
            headers["X-Forwarded-For"] = self.client_address
        return headers

    def remember_cookies(self, lines: list[str]) -> None:
        for line in lines:
            name, _, value = line.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: Fields) -> Answer:
        from urllib.parse import urlencode

        return self.request(
            "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def submit(self, path: str, changes: dict[str, Any], *, action: str | None = None) -> Answer:
        """GET the form's page, change some fields, POST it back as a browser would."""
        page = self.get(path)
        assert page.status == 200, page.status
        return self.post(path, fill(form_fields(page.body, action or path), changes))

    def login(self, username: str, password: str = PASSWORD) -> Answer:
        return self.submit("/login", {"username": username, "password": password})


def fill(fields: Fields, changes: dict[str, Any]) -> Fields:
    """The form's fields with CHANGES applied (a list value sends the field several times)."""
    kept = [(name, value) for name, value in fields if name not in changes]
    for name, value in changes.items():
        values = value if isinstance(value, list | tuple) else [value]
        kept.extend((name, str(each)) for each in values)
    return kept
