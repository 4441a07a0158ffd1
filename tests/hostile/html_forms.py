"""The forms of a page as a browser sees them: fields, their values and their choices.

The form fuzzer reads the fields from the rendered page rather than from the form classes, so
what it attacks is what a user (or an attacker with the page) can post.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FIELD_TAGS = frozenset({"input", "select", "textarea", "button"})


@dataclass
class FormField:
    """One named control: its kind (input type, "select", "textarea"), value and choices."""

    name: str
    kind: str
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    checked: bool = False
    required: bool = False


@dataclass
class HtmlForm:
    action: str
    method: str
    enctype: str
    fields: list[FormField] = field(default_factory=list)

    @property
    def path(self) -> str:
        return urlsplit(self.action).path

    def named(self, name: str) -> FormField | None:
        return next((item for item in self.fields if item.name == name), None)

    def defaults(self) -> dict[str, list[str]]:
        """What a browser posts for the untouched form (submit buttons left out)."""
        posted: dict[str, list[str]] = {}
        for item in self.fields:
            if item.kind in ("submit", "button", "reset", "file", "image"):
                continue
            if item.kind in ("checkbox", "radio") and not item.checked:
                continue
            if item.kind == "select" and not item.value and item.options and not item.multiple:
                posted.setdefault(item.name, []).append(item.options[0])
                continue
            if item.kind == "select" and item.multiple and not item.value:
                continue
            posted.setdefault(item.name, []).append(item.value)
        return posted


class FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self.form: HtmlForm | None = None
        self.select: FormField | None = None
        self.option_value: str | None = None
        self.option_text: list[str] = []
        self.textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urljoin(self.page_url, values.get("action") or self.page_url)
            method = (values.get("method") or "get").lower()
            enctype = values.get("enctype") or "application/x-www-form-urlencoded"
            self.form = HtmlForm(action, method, enctype)
            self.forms.append(self.form)
        elif self.form is not None and tag in FIELD_TAGS and values.get("name"):
            self.add_field(tag, values)
        elif tag == "option" and self.select is not None:
            self.option_value = values.get("value")
            self.option_text = []
            if "selected" in values:
                chosen = values.get("value", "")
                self.select.value = chosen if not self.select.value else self.select.value
        if tag == "input" or tag == "option":  # void or self-closing in practice
            return

    def add_field(self, tag: str, values: dict[str, str]) -> None:
        assert self.form is not None
        name, required = values["name"], "required" in values
        if tag == "select":
            multiple = "multiple" in values
            self.select = FormField(name, "select", multiple=multiple, required=required)
            self.form.fields.append(self.select)
        elif tag == "textarea":
            self.textarea = FormField(name, "textarea", required=required)
            self.form.fields.append(self.textarea)
        elif tag == "button":
            kind = values.get("type", "submit")
            self.form.fields.append(FormField(name, kind, values.get("value", "")))
        else:
            kind = values.get("type", "text").lower()
            value, checked = values.get("value", ""), "checked" in values
            field = FormField(name, kind, value, checked=checked, required=required)
            self.form.fields.append(field)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.value += data
        if self.option_value is not None or self.select is not None:
            self.option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            if self.textarea is not None:  # the newline after <textarea> is not content
                self.textarea.value = re.sub(r"\A\r?\n", "", self.textarea.value)
            self.textarea = None
        elif tag == "option" and self.select is not None:
            value = self.option_value
            if value is None:
                value = "".join(self.option_text).strip()
            self.select.options.append(value)
            self.option_value = None


def forms_in(html: str, page_url: str) -> list[HtmlForm]:
    parser = FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def post_form_for(html: str, page_url: str, action_path: str) -> HtmlForm | None:
    """The first POST form of the page that posts to this path."""
    for form in forms_in(html, page_url):
        if form.method == "post" and form.path == action_path:
            return form
    return None
