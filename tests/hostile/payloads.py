"""The hostile corpus: markup, template, report-markup, SQL and search syntax, control and
bidirectional characters, very long strings, and path traversal.

Every markup payload carries the marker `hstl` in the tag or attribute it would create if it
were rendered unescaped, so a page can be checked by parsing it: an element or attribute whose
name holds the marker, a script or comment holding it, or a javascript: link holding it can only
have come from a payload (see `injected_markup`).
"""

import re
from html.parser import HTMLParser

MARKER = "hstl"
# What a template engine would print for the template payloads if it evaluated them.
EVALUATED = "hstlevaluated"

MARKUP = (
    "<script data-hstl>hstl_script()</script>",
    "<img src=x data-hstl onerror=hstl_img()>",
    '"><svg data-hstl onload=hstl_svg()>',
    '\'><iframe data-hstl src="javascript:hstl_iframe()"></iframe>',
    '<a data-hstl href="javascript:hstl_link()">click</a>',
    "javascript:hstl_url()",
    " JaVaScRiPt:hstl_url2()",
    "data:text/html,<script data-hstl>hstl_data()</script>",
    "<svg><script data-hstl>hstl_svg_script()</script></svg>",
    '<math><mi data-hstl xlink:href="javascript:hstl_math()">x</mi></math>',
    '" data-hstl-dq="1" onfocus="hstl_dq()" autofocus x="',
    "' data-hstl-sq='1' onmouseover='hstl_sq()' x='",
    "</textarea><script data-hstl>hstl_textarea()</script>",
    "</title><script data-hstl>hstl_title()</script>",
    "</option></select><img data-hstl src=x onerror=hstl_select()>",
    "<!--hstl_comment",
    "<style data-hstl>*{display:none}</style>hstl_style",
    '<base data-hstl href="//evil.example/">',
    '<meta data-hstl http-equiv="refresh" content="0;url=//evil.example/">',
    '<form data-hstl action="//evil.example/"><button data-hstl>hstl_form</button></form>',
    "<hstl-element>custom</hstl-element>",
    "&lt;script data-hstl&gt;hstl_entity()&lt;/script&gt; &amp;amp; &#60;b&#62;",
    "{{ 'hstl' ~ 'evaluated' }} {{7*7}}",
    "{% if true %}hstl{{ 'eval' ~ 'uated' }}{% endif %} {# hstl #}",
    "${'hstl' + 'evaluated'} #{7*7} <%= 7*7 %>",
)
# ReportLab's paragraph markup: printed literally in a PDF, never obeyed.
REPORT_MARKUP = (
    "<font size=1000>hstl_font</font>",
    "<para>hstl_para</para>",
    "<b>hstl_bold</b> <i>x</i> <u>y</u>",
    '<img src="/etc/passwd" width=1000 height=1000/>hstl_img',
    '<link href="http://evil.example/">hstl_link</link>',
    "<br/><br/><br/>hstl_breaks",
    "<onDraw name=hstl_draw/>",
    "R&D & Co < > hstl_amp",
)
SQL = (
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "1; DROP TABLE incident; --",
    "'; DROP TABLE person; --",
    "') UNION SELECT id, real_name FROM person --",
    "\\'; SELECT pg_sleep(5); --",
    "1' AND (SELECT COUNT(*) FROM user_account) > 0 --",
    "%",
    "_",
    "%%",
    "%_%",
    "\\%",
    "[a-z]*",
    "' || (SELECT real_name FROM person LIMIT 1) || '",
)
# FTS5 query syntax: the search must take it as words, never as a query it fails to parse.
SEARCH_SYNTAX = (
    "*",
    "a*",
    '"',
    '"unbalanced',
    "NEAR(a b)",
    "NEAR(a b, 2)",
    "a NEAR/2 b",
    "title:x",
    "real_name:canary",
    "{title summary}:x",
    "^start",
    "a AND b OR NOT c",
    "AND",
    "OR OR OR",
    "NOT",
    "(",
    ")",
    "a + b - c",
    ":",
    "-x",
    "col:",
)
BIDI = (
    "\u202egnp.exe",
    "abc\u202edef\u202c",
    "\u2066isolate\u2069 \u200f rlm \u200e lrm",
    "\ufeffbom",
    "zero\u200bwidth",
)
CONTROL = (
    "nul\x00byte",
    "bell\x07 escape\x1b[31m",
    "\x00",
    "line\u2028separator\u2029paragraph",
    "tab\there\r\nwindows\rold-mac",
    "c1\x85\x9b",
)
UNICODE = (
    "Əli Məlikov İsmayıllı",
    "Баку Сумгаит",
    "مرحبا שלום",
    "emoji 😀🔥👨‍👩‍👧",
    "z\u0351\u0353\u0354\u0355\u0356\u0357\u0358a\u0301\u0301\u0301\u0301lgo",
)
TRAVERSAL = (
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "C:\\Windows\\System32\\x",
    "....//....//etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..",
    ".",
    "~/.ssh/id_rsa",
    "\\\\server\\share\\x",
)
FILE_NAMES = (
    *TRAVERSAL,
    "photo\x00.jpg",
    "photo\n.jpg",
    "photo\r\nContent-Type: text/html\r\n\r\n.jpg",
    'photo".jpg',
    "photo;.jpg",
    "\u202egpj.exe",
    "con.jpg",
    "   ",
    "",
    "a" * 5000 + ".jpg",
    "<img src=x data-hstl onerror=hstl_file()>.jpg",
)
LONG = (
    "x" * 301,
    "y" * 2_001,
    "Ж" * 100_001,
)
MEGABYTE = "m" * 1_000_000

# Payloads for text fields: stored, then shown.
STORED = MARKUP + REPORT_MARKUP + SQL[:4] + BIDI[:2] + UNICODE[:2] + CONTROL[:2]
# Payloads for query parameters and the search box.
QUERY = SQL + SEARCH_SYNTAX + MARKUP[:6] + BIDI[:2] + CONTROL[:2] + TRAVERSAL[:3] + LONG[:1]
# Short payloads to mix into generated form data.
FORM = MARKUP + REPORT_MARKUP + SQL + SEARCH_SYNTAX + BIDI + CONTROL + UNICODE + TRAVERSAL

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster"})
DANGEROUS_SCHEMES = re.compile(r"^[\s\x00-\x20]*(javascript|vbscript|data):", re.IGNORECASE)


class InjectionFinder(HTMLParser):
    """Collects what in a page can only have come from a payload rendered unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.raw_text_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if MARKER in tag:
            self.found.append(f"element <{tag}>")
        for name, value in attrs:
            if MARKER in name:
                self.found.append(f"attribute {name} on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value and DANGEROUS_SCHEMES.match(value):
                self.found.append(f"{name}={value!r} on <{tag}>")
        if tag in ("script", "style"):
            self.raw_text_tag = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.raw_text_tag = None

    def handle_endtag(self, tag: str) -> None:
        if tag == self.raw_text_tag:
            self.raw_text_tag = None

    def handle_data(self, data: str) -> None:
        if self.raw_text_tag and MARKER in data:
            self.found.append(f"<{self.raw_text_tag}> holding {data[:60]!r}")
        if EVALUATED in data:
            self.found.append(f"template evaluated: {data[:60]!r}")

    def handle_comment(self, data: str) -> None:
        if MARKER in data:
            self.found.append(f"comment holding {data[:60]!r}")


def injected_markup(page: str) -> list[str]:
    """What in the page came from a payload rendered unescaped (empty for a safe page)."""
    finder = InjectionFinder()
    finder.feed(page)
    finder.close()
    return finder.found


class VisibleText(HTMLParser):
    """The page's text and attribute values, as a browser decodes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(value for _, value in attrs if value)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def decoded_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    parser.close()
    return "\n".join(parser.parts)


SQL_ERROR_WORDS = re.compile(
    r"OperationalError|ProgrammingError|DataError|IntegrityError|sqlite3|psycopg|sqlalchemy"
    r"|syntax error|fts5|no such column|unterminated|Traceback|malformed MATCH",
    re.IGNORECASE,
)


def leaked_errors(text: str) -> list[str]:
    """Database or Python error words in a response (the payloads themselves hold none)."""
    return sorted({match.group() for match in SQL_ERROR_WORDS.finditer(text)})
