"""Date words people type in three languages, and their text cleaned and folded to match."""

import re
import unicodedata
from collections.abc import Iterable, Mapping

from tracker.domain.errors import InvalidDate

MAX_TEXT_LENGTH = 200


# --- words people type, folded the same way as the text ------------------------------------


def _fold(text: str) -> str:
    """Fold case and accents alike for typed text and for the word tables."""
    # Python lowercases "İ" to "i" plus a combining dot, which would never match "iyun".
    decomposed = unicodedata.normalize("NFKD", text.replace("İ", "i").casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _word_table(spellings: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {_fold(word): meaning for meaning, words in spellings.items() for word in words}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_WORDS = _word_table({
    "1": ("january", "jan", "yanvar", "январь", "января", "январе"),
    "2": ("february", "feb", "fevral", "февраль", "февраля", "феврале"),
    "3": ("march", "mar", "mart", "март", "марта", "марте"),
    "4": ("april", "apr", "aprel", "апрель", "апреля", "апреле"),
    "5": ("may", "май", "мая", "мае"),
    "6": ("june", "jun", "iyun", "июнь", "июня", "июне"),
    "7": ("july", "jul", "iyul", "июль", "июля", "июле"),
    "8": ("august", "aug", "avqust", "август", "августа", "августе"),
    "9": ("september", "sep", "sept", "sentyabr", "сентябрь", "сентября", "сентябре"),
    "10": ("october", "oct", "oktyabr", "октябрь", "октября", "октябре"),
    "11": ("november", "nov", "noyabr", "ноябрь", "ноября", "ноябре"),
    "12": ("december", "dec", "dekabr", "декабрь", "декабря", "декабре"),
})  # fmt: skip
_SEASON_WORDS = _word_table({
    "spring": ("spring", "yaz", "yazı", "весна", "весной", "весны"),
    "summer": ("summer", "yay", "yayı", "лето", "летом", "лета"),
    "autumn": ("autumn", "fall", "payız", "payiz", "payızı", "осень", "осенью", "осени"),
    "winter": ("winter", "qış", "qis", "qışı", "зима", "зимой", "зимы"),
})  # fmt: skip
_THIRD_WORDS = _word_table({
    "early": ("early", "beginning", "start", "начало", "начале", "начала", "əvvəli",
              "əvvəlində"),
    "mid": ("mid", "middle", "середина", "середине", "середины", "ortası", "ortasında"),
    "late": ("late", "end", "конец", "конце", "конца", "sonu", "sonunda"),
})  # fmt: skip
_UNIT_WORDS = _word_table({
    "year": ("year", "years", "yr", "yrs", "il", "год", "года", "лет"),
    "month": ("month", "months", "ay", "месяц", "месяца", "месяцев"),
    "day": ("day", "days", "gün", "день", "дня", "дней"),
})  # fmt: skip
_ONE_WORDS = {_fold(word) for word in ("a", "an", "one", "bir", "один", "одна")}
_UNKNOWN_WORDS = {_fold(word) for word in (
    "unknown", "not known", "?", "??", "???", "naməlum", "bilinmir",
    "неизвестно", "неизвестна", "неизвестен",
)}  # fmt: skip
_APPROXIMATE = _alternation(_fold(word) for word in (
    "about", "around", "circa", "ca", "c", "approx", "approximately", "roughly", "~",
    "təxminən", "около", "примерно", "приблизительно",
))  # fmt: skip
_BEFORE = _alternation(("before", "prior to", "earlier than", "до"))
_AFTER = _alternation(("after", "later than", "после", "позже", "позднее"))


# --- the text as typed, cleaned and folded -------------------------------------------------

_REWRITES = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    ("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "-"),  # every dash a keyboard can make
    ("[\u2018\u2019\u02bc]", "'"),
    (",", " "),
    ("~", " ~ "),
    (r"(?<=[^\W\d_])\.", " "),  # abbreviation dots: c., approx., sept., г.
    (r"(?<=\d)\.(?=\s|$)", ""),  # a full stop after a number: "2023." or "26. September"
    (r"(?<=\d)(?:st|nd|rd|th|-го)\b", ""),  # ordinals: 14th, 8-го
    (r"\b(\d{4})-(?:ci|cı|cu)\b", r"\1"),  # Azerbaijani ordinal years: 2021-ci, 2023-cü
    (r"\b(\d{4}) (?:ilin|ili|ildə|il)\b", r"\1"),
    (r"\b(\d{4}) ?(?:года|году|год|г)\b", r"\1"),
    (r"\b(?:the|of|in|on|в|во)\b", " "),
))  # fmt: skip


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidDate("A date must be given as text.")
    stripped = text.strip()
    if len(stripped) > MAX_TEXT_LENGTH:
        raise InvalidDate(f"A date can be at most {MAX_TEXT_LENGTH} characters long.")
    if any(unicodedata.category(char).startswith("C") for char in stripped):
        raise InvalidDate("The date contains control or invisible characters: retype it.")
    if not stripped:
        raise InvalidDate("No date given: type the date, or 'unknown' if it is not known.")
    return stripped


def _normalise(text: str) -> str:
    folded = _fold(text)
    for pattern, replacement in _REWRITES:
        folded = pattern.sub(replacement, folded)
    return " ".join(folded.split())
