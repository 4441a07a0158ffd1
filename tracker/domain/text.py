"""Text helpers for names in Azerbaijani Latin, Cyrillic and transliteration."""

import re
import unicodedata

# Folding for search only: stored names stay exactly as typed (DOMAIN.md §5, §6).
_FOLD_BEFORE = str.maketrans({"İ": "i", "I": "i", "ı": "i", "Ə": "e", "ə": "e"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PSEUDONYM_PATTERN = re.compile(r"^[VWPSL]-\d{4}-\d{3,}$")


class _WithoutMarks(dict[int, str | None]):
    """str.translate's table dropping combining marks, filled as characters are first met,
    so the text is walked in C rather than a character at a time in Python."""

    def __missing__(self, code_point: int) -> str | None:
        kept = None if unicodedata.combining(chr(code_point)) else chr(code_point)
        if code_point <= 0xFFFF:
            self[code_point] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()


def fold_for_search(text: str) -> str:
    """A search key: casefolded, ı and İ → i, ə → e, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_BEFORE).casefold())
    stripped = decomposed.translate(_WITHOUT_MARKS)
    # Stripping marks also folds Cyrillic й to и: lenient on purpose, search only.
    return " ".join(unicodedata.normalize("NFC", stripped).split())


def has_control_characters(text: str) -> bool:
    """True when the text holds NUL or other control characters (tabs and newlines allowed)."""
    return bool(_CONTROL.search(text))
