"""Text helpers for names in Azerbaijani Latin, Cyrillic and transliteration."""

import re
import unicodedata

# Folding for search only: stored names stay exactly as typed (DOMAIN.md §5, §6).
_FOLD_BEFORE = str.maketrans({"İ": "i", "I": "i", "ı": "i", "Ə": "e", "ə": "e"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PSEUDONYM_PATTERN = re.compile(r"^[VWPSL]-\d{4}-\d{3,}$")


def fold_for_search(text: str) -> str:
    """A search key: casefolded, ı and İ → i, ə → e, no diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_BEFORE).casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Stripping marks also folds Cyrillic й to и: lenient on purpose, search only.
    return " ".join(unicodedata.normalize("NFC", stripped).split())


def has_control_characters(text: str) -> bool:
    """True when the text holds NUL or other control characters (tabs and newlines allowed)."""
    return bool(_CONTROL.search(text))
