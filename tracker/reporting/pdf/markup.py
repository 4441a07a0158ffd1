"""Turn user text into Paragraph markup: the one door user text goes through into a PDF.

Decisions, so a reader knows what a printed page promises:
- &, < and > are escaped, so "<b>" or "<font size=1000>" prints as those characters.
- NUL and the other C0/C1 control characters are dropped; newlines become line breaks and
  tabs stay whitespace. Carriage returns and Unicode line separators count as newlines.
- A character the bundled font cannot draw becomes U+FFFD (�), so the page shows that
  something was there instead of an empty box, and the text layer never claims a character
  the reader cannot see. Invisible format characters the font lacks are dropped. So are
  characters beyond U+FFFF (most emoji): ReportLab writes them into the font's ToUnicode map
  as invalid hex, so a reader could not copy them out; they print as U+FFFD.
- Right-to-left text is kept in its logical order; ReportLab does no bidi reordering or
  Arabic shaping, so it prints left to right, letter by letter, but copies out correctly.
- A word too long for the line (a 500-character hash or URL) is broken at the frame edge by
  the styles' splitLongWords; nothing is ever cut short: long text is split into one
  Paragraph per blank-line-separated block, and a Paragraph itself flows across pages.
"""

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from tracker.domain.text import LazyTranslation
from tracker.reporting.pdf.fonts import printable_code_points

REPLACEMENT_CHARACTER = "\ufffd"
_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def printable_text(text: str) -> str:
    """User text with controls dropped and undrawable characters replaced; not escaped.

    For places that take plain strings rather than markup: canvas strings, the outline,
    metadata. Paragraphs use paragraph_text.
    """
    if not _needs_cleaning().search(text):
        return text  # the common case, found by one scan in C
    return _NEWLINES.sub("\n", text).translate(_PRINTABLE)


@cache
def _needs_cleaning() -> re.Pattern[str]:
    """Any character printable_text would change: not drawable, a control (but newline and
    tab), or a line break it turns into a newline."""
    kept = sorted(
        code_point
        for code_point in printable_code_points() | {ord("\n"), ord("\t")}
        if _printable_character(chr(code_point)) == chr(code_point)
        and not _NEWLINES.fullmatch(chr(code_point))
    )
    return re.compile(f"[^{''.join(_class_ranges(kept))}]")


def _class_ranges(code_points: list[int]) -> Iterator[str]:
    """Sorted code points as the ranges of a regular-expression character class."""
    start = previous = code_points[0]
    for code_point in [*code_points[1:], -2]:
        if code_point != previous + 1:
            yield f"{re.escape(chr(start))}-{re.escape(chr(previous))}"
            start = code_point
        previous = code_point


def _printable_character(character: str) -> str:
    if character in "\n\t":
        return character
    category = unicodedata.category(character)
    if category == "Cc":
        return ""
    if ord(character) <= 0xFFFF and ord(character) in printable_code_points():
        return character
    if category == "Zs":
        return " "
    if category == "Cf":
        return ""
    return REPLACEMENT_CHARACTER


_PRINTABLE = LazyTranslation(_printable_character)


def paragraph_text(text: str) -> str:
    """Escape user text for Paragraph markup; the only way user text becomes markup."""
    return escape(printable_text(text)).replace("\n", "<br/>")


def paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """One Paragraph per blank-line-separated block of user text; none for empty text."""
    blocks = _BLANK_LINES.split(printable_text(text).strip())
    return [Paragraph(paragraph_text(block), style) for block in blocks if block.strip()]
