"""Controlled vocabularies as data: which codes are known, their labels, and adding terms."""

import re
import unicodedata
import uuid

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.domain.vocabularies import SEED_VOCABULARIES
from tracker.models import VocabularyTerm
from tracker.services.records import create_record, get_record, update_record

LANGUAGES = ("en", "az", "ru")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
# How many known codes an error message lists before it stops.
LISTED_CODES = 25


def describe_vocabulary(vocabulary: str) -> str:
    """`incident_type` → `incident type`, for messages."""
    return vocabulary.replace("_", " ")


def terms_statement(
    vocabulary: str, *, include_inactive: bool = False
) -> Select[tuple[VocabularyTerm]]:
    statement = select(VocabularyTerm).where(
        col(VocabularyTerm.vocabulary) == vocabulary,
        col(VocabularyTerm.deleted_at).is_(None),
    )
    if not include_inactive:
        statement = statement.where(col(VocabularyTerm.active).is_(True))
    return statement.order_by(col(VocabularyTerm.sort_order), col(VocabularyTerm.code))


def list_terms(
    session: Session, vocabulary: str, *, include_inactive: bool = False
) -> list[VocabularyTerm]:
    """The terms of one vocabulary in display order."""
    statement = terms_statement(vocabulary, include_inactive=include_inactive)
    return list(session.execute(statement).scalars())


def known_codes(session: Session, vocabulary: str) -> frozenset[str]:
    """The active codes of one vocabulary."""
    return frozenset(term.code for term in list_terms(session, vocabulary))


def unknown_code_message(field: str, vocabulary: str, code: object, known: list[str]) -> str:
    listed = ", ".join(known[:LISTED_CODES]) + (", ..." if len(known) > LISTED_CODES else "")
    return f"{field}: unknown {describe_vocabulary(vocabulary)} '{code}'; known: {listed}"


def require_code(session: Session, vocabulary: str, code: object, field: str) -> str:
    """The code, if the vocabulary knows it.

    Raises InvalidInput naming the field and listing the known codes.
    """
    terms = list_terms(session, vocabulary)
    known = [term.code for term in terms]
    if not isinstance(code, str) or code not in known:
        raise InvalidInput(unknown_code_message(field, vocabulary, code, known))
    return code


def require_codes(session: Session, vocabulary: str, codes: object, field: str) -> list[str]:
    """A list of known codes without repeats.

    Raises InvalidInput naming the field.
    """
    if not isinstance(codes, list | tuple):
        raise InvalidInput(f"{field}: expected a list of codes")
    for code in codes:
        require_code(session, vocabulary, code, field)
    if len(set(codes)) != len(codes):
        raise InvalidInput(f"{field}: a code is listed twice")
    return list(codes)


def vocabulary_exists(session: Session, vocabulary: str) -> bool:
    if vocabulary in SEED_VOCABULARIES:
        return True
    statement = select(func.count()).where(col(VocabularyTerm.vocabulary) == vocabulary)
    return bool(session.execute(statement).scalar())


def check_new_code(session: Session, vocabulary: str, code: str) -> None:
    """Raises InvalidInput for an unknown vocabulary, a malformed code or a code already used."""
    if not vocabulary_exists(session, vocabulary):
        raise InvalidInput(f"vocabulary: no vocabulary named '{vocabulary}'")
    if not CODE_PATTERN.match(code):
        raise InvalidInput(
            "code: use 1 to 40 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    statement = select(func.count()).where(
        col(VocabularyTerm.vocabulary) == vocabulary, col(VocabularyTerm.code) == code
    )
    if session.execute(statement).scalar():
        raise InvalidInput(f"code: '{code}' already exists in {describe_vocabulary(vocabulary)}")


def next_sort_order(session: Session, vocabulary: str) -> int:
    statement = select(func.max(VocabularyTerm.sort_order)).where(
        col(VocabularyTerm.vocabulary) == vocabulary
    )
    return int(session.execute(statement).scalar() or 0) + 1


def add_term(
    session: Session,
    *,
    vocabulary: str,
    code: str,
    label_en: str,
    label_az: str = "",
    label_ru: str = "",
    description: str = "",
    actor_id: uuid.UUID | None,
) -> VocabularyTerm:
    """An admin extends a vocabulary; codes are unique per vocabulary and never change.

    Missing az/ru labels fall back to English. Raises InvalidInput naming the field.
    """
    check_new_code(session, vocabulary, code)
    if not label_en.strip():
        raise InvalidInput("label_en: an English label is required")
    values = {
        "vocabulary": vocabulary,
        "code": code,
        "label_en": label_en,
        "label_az": label_az or label_en,
        "label_ru": label_ru or label_en,
        "description": description,
        "sort_order": next_sort_order(session, vocabulary),
    }
    return create_record(session, VocabularyTerm, actor_id=actor_id, values=values)


# What an admin may change on a term; the code and its vocabulary are fixed forever.
EDITABLE_TERM_FIELDS = frozenset(
    {"label_en", "label_az", "label_ru", "description", "sort_order", "active"}
)


def update_term(
    session: Session,
    *,
    term_id: uuid.UUID,
    expected_version: int,
    changes: dict[str, object],
    actor_id: uuid.UUID | None,
) -> VocabularyTerm:
    """Relabel, reorder or retire a term; records keep its code either way.

    Raises InvalidInput for the code or vocabulary or an empty English label, EditConflict,
    RecordNotFound.
    """
    fixed = sorted(set(changes) - EDITABLE_TERM_FIELDS)
    if fixed:
        raise InvalidInput(f"{', '.join(fixed)}: a term's code and vocabulary never change")
    if "label_en" in changes and not str(changes["label_en"]).strip():
        raise InvalidInput("label_en: an English label is required")
    term = get_record(session, VocabularyTerm, term_id)
    return update_record(
        session, term, actor_id=actor_id, expected_version=expected_version, changes=changes
    )


def label_for(term: VocabularyTerm, language: str) -> str:
    """The term's label in `language` (en, az, ru), falling back to English."""
    if language not in LANGUAGES:
        return term.label_en
    label = str(getattr(term, f"label_{language}"))
    return label or term.label_en


def name_values(session: Session, text: str, script: str | None, what: str) -> dict[str, str]:
    """A name or alias as typed (never re-cased), its script and its folded search key.

    Raises InvalidInput for an empty name or an unknown script.
    """
    if not text.strip():
        raise InvalidInput(f"text: {what} cannot be empty")
    chosen_script = script or detect_script(text)
    require_code(session, "script", chosen_script, "script")
    return {"text": text, "script": chosen_script, "folded": fold_for_search(text)}


def detect_script(text: str) -> str:
    """The `script` code of a name: the script most of its letters are written in."""
    counts = {"latn": 0, "cyrl": 0, "other": 0}
    for char in text:
        if char.isalpha():
            counts[script_of_letter(char)] += 1
    if not any(counts.values()):
        return "other"
    return max(("latn", "cyrl", "other"), key=lambda script: counts[script])


def script_of_letter(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith("LATIN"):
        return "latn"
    if name.startswith("CYRILLIC"):
        return "cyrl"
    return "other"
