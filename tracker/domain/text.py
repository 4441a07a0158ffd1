"""Text helpers for names in Azerbaijani Latin, Cyrillic and transliteration."""

import re
import unicodedata
from collections.abc import Callable

# Folding for search only: stored names stay exactly as typed (DOMAIN.md §5, §6).
_FOLD_BEFORE = str.maketrans({"İ": "i", "I": "i", "ı": "i", "Ə": "e", "ə": "e"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PSEUDONYM_PATTERN = re.compile(r"^[VWPSL]-\d{4}-\d{3,}$")


class LazyTranslation(dict[int, str | None]):
    """str.translate's table for a function of one character, filled as characters are
    first met, so text is walked in C rather than a character at a time in Python; at most
    the 65,536 characters of the basic plane are kept."""

    def __init__(self, replacement: Callable[[str], str | None]) -> None:
        super().__init__()
        self.replacement = replacement

    def __missing__(self, code_point: int) -> str | None:
        replaced = self.replacement(chr(code_point))
        if code_point <= 0xFFFF:
            self[code_point] = replaced
        return replaced


def _unless_mark(character: str) -> str | None:
    return None if unicodedata.combining(character) else character


_WITHOUT_MARKS = LazyTranslation(_unless_mark)


def fold_for_search(text: str) -> str:
    """A search key: casefolded, ı and İ → i, ə → e, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_BEFORE).casefold())
    stripped = decomposed.translate(_WITHOUT_MARKS)
    # Stripping marks also folds Cyrillic й to и: lenient on purpose, search only.
    return " ".join(unicodedata.normalize("NFC", stripped).split())


def has_control_characters(text: str) -> bool:
    """True when the text holds NUL or other control characters (tabs and newlines allowed)."""
    return bool(_CONTROL.search(text))
