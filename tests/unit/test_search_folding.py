"""The search index's words: the fast folding gives what the plain definition gives.

folded_words folds a character at a time through a table and skips the regular expression for
plain words; the reference below is the definition it must match, word for word: the
text folded by fold_for_search, its words (runs of letters and digits), then each piece typed
between spaces that holds 2-5 words and a digit joined into one word, with its tails.
"""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from tracker.domain.text import fold_for_search
from tracker.models.search import Document, code_tails, entry_id, folded_words
from tracker.models.search_bulk import EntryKeys, Folder

WORD = re.compile(r"[^\W_]+")
DIGIT = re.compile(r"\d")

# Azerbaijani and Turkish letters, Cyrillic, combining marks, compatibility forms (ﬁ, ², ①),
# Hangul syllables and loose jamo, spaces of several kinds, punctuation, digits of two scripts.
ALPHABET = st.sampled_from(
    list("aAzZ09İIıiƏəĞğŞşÇçÖöÜüЁёЙйЖжΣσς")
    + ["\u0301", "\u0307", "\u0327", "ﬁ", "²", "①", "한", "\u1112", "\u1161", "\u11ab"]
    + [" ", "\u00a0", "\u2003", "\t", "\n", "-", ".", "/", "_", ",", "'", "٣", "🏳", "\u200d"]
)


def reference_words(value: str) -> str:
    folded = fold_for_search(value)
    words = WORD.findall(folded)
    codes: list[str] = []
    for piece in folded.split():
        piece_words = WORD.findall(piece)
        if 1 < len(piece_words) <= 5 and any(DIGIT.search(word) for word in piece_words):
            codes.extend("".join(piece_words[start:]) for start in range(len(piece_words) - 1))
    return " ".join([*words, *codes])


@given(st.text(ALPHABET, max_size=40))
@example("V-2017-014, 08.03.2023 and İsmayıllı")
@example("ﬁrst Ə\u0301li a\u00a0b")
@example("\u1112\u1161\u11ab")
@example("(V-2017-014)")
@example("a_b-1")
def test_folded_words_match_the_definition(value: str) -> None:
    assert folded_words(value) == reference_words(value)


@given(st.text(max_size=30))
def test_folded_words_match_the_definition_for_any_text(value: str) -> None:
    assert folded_words(value) == reference_words(value)


def test_codes_give_their_joined_tails() -> None:
    assert code_tails(["v", "2017", "014"]) == ["v2017014", "2017014"]
    assert code_tails(["baku", "police"]) == []
    assert code_tails(["1", "2", "3", "4", "5", "6"]) == []


def test_the_bulk_folder_and_keys_agree_with_the_one_by_one_ones() -> None:
    folder = Folder()
    assert folder.words("Əli V-2017-014") == folded_words("Əli V-2017-014")
    assert folder.words("Əli V-2017-014") is folder.words("Əli V-2017-014")
    target = "0d8c76fe-f91c-482f-88ed-de1346c5a809"
    origin = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    document = Document("incident", target, origin, "citation.claim", "", False)  # type: ignore[arg-type]
    for chunk in (0, 3):
        assert EntryKeys("incident").key(target, origin, "citation.claim", chunk) == entry_id(
            document, chunk
        )
