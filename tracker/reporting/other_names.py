"""Names of people outside a snapshot, withheld wherever a text of it mentions them.

A narrative or a source title may name someone who is in no incident of the snapshot (the
interviewee of another report, say). Their consent is not read: below the internal level their
names are always withheld, by pseudonym code where the level prints codes. Every person's names
are indexed by their folded words; a text is checked only against the few people whose words
it holds. The index is kept between builds while no person or name has changed.
"""

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.models import Person, PersonName
from tracker.reporting.redaction import NAME_WITHHELD, NameRule, build_redactor, fold_word

# A name word this short or a number ("Ə.", "2") identifies no one on its own.
SHORTEST_WORD = 3
WORD_SEPARATORS = str.maketrans({character: " " for character in ".,;:()[]{}\"'«»“”‘’!?/\\|-–—"})


def name_words(text: str) -> set[str]:
    return {
        folded
        for word in text.translate(WORD_SEPARATORS).split()
        if len(folded := fold_word(word)) >= SHORTEST_WORD and not folded.isdigit()
    }


@dataclass(frozen=True)
class NameIndex:
    """Every live person's names, and which persons each folded word belongs to."""

    codes: tuple[str, ...] = ()
    names: tuple[tuple[str, ...], ...] = ()
    by_word: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class OtherNames:
    """Withholds the names of everyone but the snapshot's own people (known_codes)."""

    index: NameIndex = field(default_factory=NameIndex)
    known_codes: frozenset[str] = frozenset()
    by_code: bool = True

    def redact(self, text: str) -> str:
        if not text or not self.index.by_word:
            return text
        found = {number for word in name_words(text) for number in self.index.by_word.get(word, ())}
        rules = [self.rule(number) for number in sorted(found)]
        mentioned = [rule for rule in rules if rule is not None]
        return build_redactor(mentioned).redact(text) if mentioned else text

    def rule(self, number: int) -> NameRule | None:
        code = self.index.codes[number]
        if code in self.known_codes:
            return None
        return NameRule(self.index.names[number], code if self.by_code else NAME_WITHHELD)


def other_names(session: Session, *, known_codes: set[str], by_code: bool) -> OtherNames:
    """Everyone's names but those of known_codes, replaced by code or withheld."""
    return OtherNames(name_index(session), frozenset(known_codes), by_code)


_cache: dict[tuple[Any, ...], NameIndex] = {}
_cache_lock = threading.Lock()


def name_index(session: Session) -> NameIndex:
    """The index for the people as they are now; rebuilt when a person or name changed."""
    key = (str(session.get_bind().engine.url), *people_fingerprint(session))
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    built = build_index(session)
    with _cache_lock:
        _cache.clear()
        _cache[key] = built
    return built


def people_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever a person or a name is added, edited, deleted or restored."""
    fingerprint: list[Any] = []
    for model in (Person, PersonName):
        statement = select(func.count(), func.max(col(model.updated_at)))
        fingerprint.extend(session.execute(statement.select_from(model)).one())
    return tuple(fingerprint)


def build_index(session: Session) -> NameIndex:
    names = names_by_code(session)
    codes = tuple(names)
    texts = tuple(tuple(names[code]) for code in codes)
    by_word: dict[str, list[int]] = defaultdict(list)
    for number, person_names in enumerate(texts):
        for word in {word for name in person_names for word in name_words(name)}:
            by_word[word].append(number)
    return replace(
        NameIndex(), codes=codes, names=texts, by_word={w: tuple(n) for w, n in by_word.items()}
    )


def names_by_code(session: Session) -> dict[str, list[str]]:
    """Every name of every person ever recorded: a deleted record's names are still a
    real person's."""
    names: dict[str, list[str]] = defaultdict(list)
    people = select(col(Person.pseudonym_code), col(Person.real_name))
    aliases = select(col(Person.pseudonym_code), col(PersonName.text)).join(
        Person, col(Person.id) == col(PersonName.person_id)
    )
    for statement in (people, aliases):
        for code, text in session.execute(statement).tuples():
            if text and text.strip():
                names[code].append(text)
    return names
