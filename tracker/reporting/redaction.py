"""Redact free text for a disclosure level: known names, known contacts, phones, e-mails, days.

Names are matched word by word on folded text (tracker.domain.text.fold_for_search), so
"ZAURBEK canaryov", "Əli Məlikov" and "Ali Malikov" are the same words, and only whole words
match: "Alimov" is not "Ali". The text outside the matches is kept exactly as typed.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from tracker.domain.text import fold_for_search

NAME_WITHHELD = "[name withheld]"
CONTACT_WITHHELD = "[contact withheld]"
DATE_WITHHELD = "[date withheld]"
TIME_WITHHELD = "[time withheld]"

# A word: letters and digits with the combining marks a decomposed "й" or "ə" may carry.
_WORD = re.compile(r"(?:\w|[\u0300-\u036f\u0483-\u0489])+")
# A single name part shorter than this ("Ali" is kept as a part, "Al" is not) stays.
_SHORTEST_PART = 3
# A known address or contact line is withheld when it has at least this many words.
_SHORTEST_STRING = 2
_PARTS = re.compile(r"[\n,;]+")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, with the spaces, dots, dashes and brackets people type in numbers.
# Not inside a pseudonym code (V-2017-014 is a code the level may print, not a number).
_PHONE = re.compile(r"(?<![VWPSL]-)(?<!\d)\+?\(?\d(?:[\d\s().-]*\d)?")
_PHONE_DIGITS = 7
_MONTH_WORDS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
    "|yanvar|fevral|mart|aprel|iyun|iyul|avqust|sentyabr|oktyabr|noyabr|dekabr"
    "|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
    "|январь|февраль|март|апрель|май|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь"
)
_DAY_DATES = (
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_WORDS})\b", re.I),
    re.compile(rf"\b(?:{_MONTH_WORDS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.I),
)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b(?:\s*[ap]\.?m\.?)?", re.I)


@dataclass(frozen=True)
class WithheldMarkers:
    """What stands where something was withheld, in the report's language."""

    name: str = NAME_WITHHELD  # a name part two persons share, so neither code fits
    contact: str = CONTACT_WITHHELD
    date: str = DATE_WITHHELD
    time: str = TIME_WITHHELD


ENGLISH_MARKERS = WithheldMarkers()


@dataclass(frozen=True)
class NameRule:
    """The known names of one person and what replaces them at this level."""

    names: tuple[str, ...]
    replacement: str


@dataclass(frozen=True)
class Redactor:
    """Replaces known word sequences; optionally scrubs contacts and day-precise dates."""

    patterns: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    scrub_contacts: bool = False
    scrub_days: bool = False
    markers: WithheldMarkers = ENGLISH_MARKERS

    def redact(self, text: str) -> str:
        """The text with every known name and string replaced; empty stays empty."""
        if not text:
            return text
        if self.scrub_days:
            text = _scrub_days(text, self.markers)
        if self.scrub_contacts:
            text = _scrub_contacts(text, self.markers)
        return replace_words(text, self.patterns, self.longest) if self.patterns else text

    @cached_property
    def longest(self) -> int:
        """The most words any pattern has (worked out once, not for every text)."""
        return max((len(key) for key in self.patterns), default=0)


def build_redactor(
    rules: Iterable[NameRule],
    *,
    withheld_strings: Iterable[str] = (),
    scrub_contacts: bool = False,
    scrub_days: bool = False,
    markers: WithheldMarkers = ENGLISH_MARKERS,
) -> Redactor:
    """A redactor for these persons' names and these known strings (addresses, contacts)."""
    rules = tuple(rules)  # read twice: a generator would be empty the second time
    patterns = _part_patterns(rules, markers.name)
    for rule in rules:
        for name in rule.names:
            _add_pattern(patterns, name, rule.replacement)
    for text in withheld_strings:
        # A narrative may quote "12 Canary Street" from "12 Canary Street, flat 4": each
        # line and each comma-separated part is withheld on its own.
        for part in (text, *_PARTS.split(text)):
            # A lone "Baku" on an address's last line would withhold every mention of Baku.
            if len(folded_words(part)) >= _SHORTEST_STRING:
                _add_pattern(patterns, part, markers.contact)
    return Redactor(patterns, scrub_contacts, scrub_days, markers)


@lru_cache(maxsize=65_536)
def fold_word(word: str) -> str:
    """One word folded; narratives repeat their words, so each is folded once."""
    return fold_for_search(word)


def folded_words(text: str) -> tuple[str, ...]:
    """The text's words, folded for comparison."""
    return tuple(fold_word(word) for word in _WORD.findall(text))


def _add_pattern(patterns: dict[tuple[str, ...], str], text: str, replacement: str) -> None:
    words = folded_words(text)
    if words:
        patterns[words] = replacement


def _part_patterns(
    rules: Iterable[NameRule], ambiguous: str = NAME_WITHHELD
) -> dict[tuple[str, ...], str]:
    """Single parts of multi-word names ("Zaurbek" alone); a part two persons share is
    withheld without naming either's code."""
    parts: dict[tuple[str, ...], str] = {}
    for rule in rules:
        for name in rule.names:
            words = folded_words(name)
            for word in words if len(words) > 1 else ():
                if len(word) < _SHORTEST_PART or word.isdigit():
                    continue
                known = parts.setdefault((word,), rule.replacement)
                if known != rule.replacement:
                    parts[(word,)] = ambiguous
    return parts


def replace_words(
    text: str, patterns: Mapping[tuple[str, ...], str], longest: int | None = None
) -> str:
    """Replace every run of whole words whose folded form is a pattern, longest first;
    longest is the most words of any pattern, when the caller knows it."""
    words = list(_WORD.finditer(text))
    folded = [fold_word(word.group()) for word in words]
    if longest is None:
        longest = max((len(key) for key in patterns), default=0)
    pieces: list[str] = []
    kept_until = 0
    index = 0
    while index < len(words):
        length = _match_length(folded, index, patterns, longest)
        if length:
            first, last = words[index], words[index + length - 1]
            pieces += [
                text[kept_until : first.start()],
                patterns[tuple(folded[index : index + length])],
            ]
            kept_until = last.end()
            index += length
        else:
            index += 1
    return "".join(pieces) + text[kept_until:]


def _match_length(
    folded: list[str], index: int, patterns: Mapping[tuple[str, ...], str], longest: int
) -> int:
    for length in range(min(longest, len(folded) - index), 0, -1):
        if tuple(folded[index : index + length]) in patterns:
            return length
    return 0


def _scrub_contacts(text: str, markers: WithheldMarkers = ENGLISH_MARKERS) -> str:
    text = _EMAIL.sub(markers.contact, text)
    return _PHONE.sub(lambda match: _phone_replacement(match, markers.contact), text)


def _phone_replacement(match: re.Match[str], marker: str = CONTACT_WITHHELD) -> str:
    digits = sum(char.isdigit() for char in match.group())
    return marker if digits >= _PHONE_DIGITS else match.group()


def _scrub_days(text: str, markers: WithheldMarkers = ENGLISH_MARKERS) -> str:
    """Day-precise dates and clock times leave only as a marker: levels that widen dates to
    months must not print "14 March" or "14:00" inside a witness's words."""
    for pattern in _DAY_DATES:
        text = pattern.sub(markers.date, text)
    return _TIME.sub(markers.time, text)
