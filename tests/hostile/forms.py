"""Generated form data: for each field of a form as the page shows it, its own value, one of
its choices, a hint, hostile text of any kind, nothing at all, or several values at once.

The values are drawn before the page is loaded for the example, so "the page's own value"
(a version, a token-like hidden field) is a placeholder filled in from the page just loaded.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.evidence_samples import (
    SVG_PICTURE,
    WEB_PAGE,
    WINDOWS_PROGRAM,
    WITNESS_NOTE,
    ZIP_ARCHIVE,
    decompression_bomb,
    phone_photo,
)
from tests.hostile import payloads
from tests.hostile.html_forms import FormField, HtmlForm


class Placeholder:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DEFAULT = Placeholder("DEFAULT")  # what the page holds for the field
MISSING = Placeholder("MISSING")  # the field is not sent
BUTTON_KINDS = frozenset({"submit", "button", "image", "reset"})
TOKEN_FIELD = "csrf_token"
ODD_VALUES = (
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "-0",
    "NaN",
    "Infinity",
    "null",
    "None",
    "true",
    "on",
    "y",
    "[]",
    "{}",
    "2023-02-30",
    "0000-00-00",
    "31/12/1899",
    "9999-12-31",
    "10000-01-01",
    "99999999999999999999999",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
)


@dataclass(frozen=True)
class FieldSpec:
    """The fields of one name: their kind, the choices a browser could send, its buttons."""

    name: str
    kind: str
    options: tuple[str, ...]
    required: bool = False


def field_specs(form: HtmlForm) -> list[FieldSpec]:
    grouped: dict[str, list[FormField]] = {}
    for item in form.fields:
        if item.name != TOKEN_FIELD:
            grouped.setdefault(item.name, []).append(item)
    specs = []
    for name, items in grouped.items():
        options: list[str] = []
        for item in items:
            options += item.options if item.kind == "select" else [item.value]
        required = any(item.required for item in items)
        specs.append(FieldSpec(name, items[0].kind, tuple(dict.fromkeys(options)), required))
    return specs


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        st.sampled_from(payloads.FORM),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats().map(str),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
        st.sampled_from(ODD_VALUES),
        st.text(st.characters(max_codepoint=0x9F, categories=["Cc"]), max_size=5),
        st.sampled_from(payloads.LONG),
    )


FILE_CONTENTS = (
    WITNESS_NOTE,
    WEB_PAGE,
    WINDOWS_PROGRAM,
    SVG_PICTURE,
    ZIP_ARCHIVE,
    b"",
    b"\x00" * 64,
    b"\xff\xd8\xff\xe0 truncated jpeg",
)


def file_values() -> st.SearchStrategy[Any]:
    contents = st.one_of(
        st.sampled_from(FILE_CONTENTS),
        st.just(phone_photo()),
        st.just(decompression_bomb(20_000, 20_000)),
        st.binary(max_size=200),
    )
    names = st.one_of(st.sampled_from(payloads.FILE_NAMES), st.text(max_size=20))
    return st.one_of(
        st.just(MISSING),
        st.lists(st.tuples(contents, names), min_size=1, max_size=2),
    )


def values_of(spec: FieldSpec, hints: Iterable[str]) -> st.SearchStrategy[Any]:
    if spec.kind == "file":
        return file_values()
    singles = [hostile_text()]
    if spec.options:
        singles.insert(0, st.sampled_from(spec.options))
    hinted = tuple(hints)
    if hinted:
        singles.insert(0, st.sampled_from(hinted))
    one = st.one_of(*singles)
    return st.one_of(
        st.just(DEFAULT),
        one.map(lambda value: [value]),
        st.just(MISSING),
        st.lists(one, min_size=2, max_size=3),
    )


PLAIN_TEXT = "A plain value"
PLAIN_DATE_TEXT = "8 March 2023"
PLAIN_FILE = [(WITNESS_NOTE, "note.txt")]
TEXT_KINDS = frozenset({"text", "textarea", "search", "password", "url", "tel"})
DATE_NAMES = ("_text", "_on", "date")


def plain_value(spec: FieldSpec, hints: list[str]) -> Any:
    """What a careful user would send: a hint, else the page's value, else plain words where
    the page leaves a required field empty; one file, and the form's main button."""
    if hints:
        return [hints[0]]
    if spec.kind == "file":
        return PLAIN_FILE
    if spec.kind in BUTTON_KINDS:
        return MISSING if spec.name == "check" else DEFAULT
    if not spec.required:
        return DEFAULT
    if spec.kind == "select":
        chosen = [option for option in spec.options if option]
        return PlainText(chosen[0]) if chosen else DEFAULT
    if spec.kind == "date":
        return PlainText("2024-01-10")
    if spec.kind == "number":
        return PlainText("3")
    if spec.name.endswith(DATE_NAMES):
        return PlainText(PLAIN_DATE_TEXT)
    return PlainText()


class PlainText:
    """Resolved to the page's value when it has one, else to plain text."""

    def __init__(self, fallback: str = PLAIN_TEXT) -> None:
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"PlainText({self.fallback!r})"


def form_data(
    specs: list[FieldSpec], hints: dict[str, list[str]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Half the time every field is generated; else the form is filled as a user would and
    one or two fields are attacked, so the attack reaches past the form's first checks."""
    generated = {spec.name: values_of(spec, hints.get(spec.name, ())) for spec in specs}
    plain = {spec.name: plain_value(spec, hints.get(spec.name, [])) for spec in specs}
    unknown = st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda name: name != TOKEN_FIELD),
        hostile_text().map(lambda value: [value]),
        max_size=2,
    )

    @st.composite
    def focused(draw: st.DrawFn) -> dict[str, Any]:
        plan = dict(plain)
        if specs:
            chosen = draw(st.sets(st.sampled_from(sorted(plan)), min_size=1, max_size=2))
            plan.update({name: draw(generated[name]) for name in sorted(chosen)})
        return plan

    everything = st.tuples(st.fixed_dictionaries(generated), unknown).map(
        lambda parts: {**parts[1], **parts[0]}
    )
    return st.one_of(focused(), everything)


def defaults_of(form: HtmlForm) -> dict[str, list[str]]:
    """The page's values, with each name's first button as if it were pressed."""
    values = form.defaults()
    for item in form.fields:
        if item.kind in BUTTON_KINDS:
            values.setdefault(item.name, [item.value])
    return values


def resolved(planned: Any, defaults: list[str]) -> list[Any]:
    if planned is DEFAULT:
        return defaults
    if isinstance(planned, PlainText):
        return [value for value in defaults if value.strip()] or [planned.fallback]
    return list(planned)


def body_of(plan: dict[str, Any], form: HtmlForm, token: str | None) -> MultiDict[str, Any]:
    """The fields to post: each plan resolved against the page, the CSRF token first."""
    defaults = defaults_of(form)
    pairs: list[tuple[str, Any]] = [(TOKEN_FIELD, token or "")]
    for name, planned in plan.items():
        if planned is MISSING:
            continue
        values = resolved(planned, defaults.get(name, []))
        for value in values:
            if isinstance(value, tuple):
                data, file_name = value
                pairs.append((name, (io.BytesIO(data), file_name)))
            else:
                pairs.append((name, value))
    return MultiDict(pairs)
