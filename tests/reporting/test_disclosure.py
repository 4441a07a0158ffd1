"""Pure disclosure rules: dates widened to months, places cut at a level, text redacted."""

import contextlib
import re
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tracker.domain.dates import (
    UNKNOWN_DATE,
    DatePrecision,
    DateQualifier,
    FuzzyDate,
    format_fuzzy_date,
    parse_fuzzy_date,
)
from tracker.domain.disclosure import (
    DisclosureLevel,
    PlaceStep,
    require_level,
    visible_place_names,
    widen_date,
)
from tracker.domain.errors import DisclosureRefused, InvalidDate
from tracker.reporting.redaction import (
    CONTACT_WITHHELD,
    NAME_WITHHELD,
    NameRule,
    build_redactor,
)

PSEUDONYMISED = (DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC)
AT_LEAST_MONTH = {
    DatePrecision.MONTH,
    DatePrecision.SEASON,
    DatePrecision.YEAR,
    DatePrecision.DECADE,
    DatePrecision.UNKNOWN,
}
TODAY = date(2024, 6, 1)
# How format_fuzzy_date writes a day: "14 March 2023".
DAY_LABEL = re.compile(
    r"\b\d{1,2} (January|February|March|April|May|June|July|August"
    r"|September|October|November|December)\b"
)

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def fuzzy_dates(draw: st.DrawFn) -> FuzzyDate:
    """Any valid FuzzyDate, including odd bounds only from_dict could make."""
    qualifier = draw(st.sampled_from(DateQualifier))
    precision = draw(st.sampled_from(DatePrecision))
    first, second = sorted((draw(days), draw(days)))
    earliest = None if qualifier is DateQualifier.BEFORE else first
    latest = None if qualifier is DateQualifier.AFTER else second
    text = draw(st.text(max_size=30))
    candidate = None
    with contextlib.suppress(InvalidDate):
        candidate = FuzzyDate(text, earliest, latest, precision, qualifier)
    assume(candidate is not None)
    assert candidate is not None
    return candidate


@given(fuzzy_dates(), st.sampled_from(PSEUDONYMISED))
def test_widened_dates_contain_the_recorded_ones_at_month_precision_or_coarser(
    fuzzy: FuzzyDate, level: DisclosureLevel
) -> None:
    widened = widen_date(fuzzy, level)
    assert widened.precision in AT_LEAST_MONTH
    if fuzzy.precision is DatePrecision.UNKNOWN:
        assert widened == UNKNOWN_DATE
        return
    assert (widened.earliest is None) == (fuzzy.earliest is None)
    assert (widened.latest is None) == (fuzzy.latest is None)
    if fuzzy.earliest is not None and widened.earliest is not None:
        assert widened.earliest <= fuzzy.earliest and widened.earliest.day == 1
    if fuzzy.latest is not None and widened.latest is not None:
        assert widened.latest >= fuzzy.latest
    assert widened.reference_date is None


@given(fuzzy_dates(), st.sampled_from(PSEUDONYMISED))
def test_widened_dates_print_no_day_and_none_of_the_original_words(
    fuzzy: FuzzyDate, level: DisclosureLevel
) -> None:
    widened = widen_date(fuzzy, level)
    label = format_fuzzy_date(widened)
    assert widened.original_text == label
    assert not DAY_LABEL.search(label), label


@given(fuzzy_dates(), st.sampled_from((DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL)))
def test_internal_and_legal_dates_are_as_recorded(fuzzy: FuzzyDate, level: DisclosureLevel) -> None:
    assert widen_date(fuzzy, level) == fuzzy


@pytest.mark.parametrize(
    ("typed", "printed", "qualifier"),
    [
        ("14.03.2023", "March 2023", DateQualifier.EXACT),
        ("between 26 September and 3 October 2017", "between September 2017 and October 2017",
         DateQualifier.BETWEEN),
        ("before 8 March 2019", "before April 2019", DateQualifier.BEFORE),
        ("after 8 March 2019", "after February 2019", DateQualifier.AFTER),
        ("about 8 March 2023", "about March 2023", DateQualifier.APPROXIMATE),
        ("spring 2019", "spring 2019", DateQualifier.EXACT),
        ("2017", "2017", DateQualifier.EXACT),
        ("unknown", "unknown", DateQualifier.EXACT),
    ],
)  # fmt: skip
def test_partner_dates_widen_to_their_months_and_keep_their_meaning(
    typed: str, printed: str, qualifier: DateQualifier
) -> None:
    widened = widen_date(parse_fuzzy_date(typed, today=TODAY), DisclosureLevel.PARTNER)
    assert format_fuzzy_date(widened) == printed
    assert widened.qualifier is qualifier


def test_a_witness_s_words_never_survive_widening() -> None:
    said = FuzzyDate(
        "8 March at 14:00 near his flat",
        date(2023, 3, 8),
        date(2023, 3, 8),
        DatePrecision.DAY,
        DateQualifier.EXACT,
    )
    widened = widen_date(said, DisclosureLevel.PUBLIC)
    assert widened.original_text == "March 2023"
    assert "14:00" not in repr(widened) and "flat" not in repr(widened)


CHAIN = (
    PlaceStep("Canary Safehouse", 1, True),
    PlaceStep("Nasimi", 2, False),
    PlaceStep("Baku", 3, False),
    PlaceStep("Azerbaijan", 4, False),
)


@pytest.mark.parametrize(
    ("level", "names"),
    [
        (DisclosureLevel.INTERNAL, ("Canary Safehouse", "Nasimi", "Baku", "Azerbaijan")),
        (DisclosureLevel.LEGAL, ("Nasimi", "Baku", "Azerbaijan")),
        (DisclosureLevel.PARTNER, ("Baku", "Azerbaijan")),
        (DisclosureLevel.PUBLIC, ("Baku", "Azerbaijan")),
    ],
)
def test_places_are_cut_at_the_level_and_sensitive_sites_stay_internal(
    level: DisclosureLevel, names: tuple[str, ...]
) -> None:
    assert visible_place_names(CHAIN, level) == names


def test_a_site_that_is_not_sensitive_is_shown_at_legal_level() -> None:
    chain = (PlaceStep("Police station No. 9", 1, False), *CHAIN[1:])
    assert visible_place_names(chain, DisclosureLevel.LEGAL)[0] == "Police station No. 9"


def test_an_analyst_may_not_take_the_legal_level() -> None:
    with pytest.raises(DisclosureRefused):
        require_level(frozenset({"analyst"}), DisclosureLevel.LEGAL)


# --- redaction --------------------------------------------------------------------------------

RULES = [
    NameRule(("Zaurbek Canaryov", "Заурбек Канарыов"), "V-2023-001"),
    NameRule(("Əli Məlikov", "Ali Malikov"), NAME_WITHHELD),
]
separators = st.sampled_from([" ", ", ", ". ", "\n", " (", "'s "])
filler = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Zs", "Po")), max_size=20)


def case_variant(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(
        char.swapcase() if flip and char not in "İıIi" else char
        for char, flip in zip(name, flips, strict=True)
    )


@st.composite
def texts_with_a_name(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(["Zaurbek Canaryov", "Заурбек Канарыов", "Əli Məlikov"]))
    before, after = draw(filler), draw(filler)
    text = before + draw(separators) + case_variant(draw, name) + draw(separators) + after
    return text, name


@given(texts_with_a_name())
def test_known_names_never_survive_in_any_case_or_script(text_and_name: tuple[str, str]) -> None:
    text, name = text_and_name
    redacted = build_redactor(RULES).redact(text)
    for part in name.split():
        assert part.casefold() not in redacted.casefold().replace("[name withheld]", "")


def test_names_become_codes_and_the_rest_stays_as_typed() -> None:
    redactor = build_redactor(RULES)
    text = "ZAURBEK canaryov met Əli Məlikov; Zaurbek's friend Alimov stayed."
    assert redactor.redact(text) == (
        "V-2023-001 met [name withheld]; V-2023-001's friend Alimov stayed."
    )


def test_contacts_and_days_are_scrubbed_when_asked() -> None:
    redactor = build_redactor(
        [],
        withheld_strings=["12 Canary Street, flat 4\nBaku"],
        scrub_contacts=True,
        scrub_days=True,
    )
    text = (
        "Call +994 55 123 45 67 or z@canary.example; he lives at 12 Canary Street, flat 4 "
        "in Baku; taken 14.03.2023 at 14:00 (14 March), about 30 people, in 2023."
    )
    redacted = redactor.redact(text)
    for secret in ("123 45 67", "z@canary", "12 Canary Street", "14.03.2023", "14:00", "14 March"):
        assert secret not in redacted
    assert CONTACT_WITHHELD in redacted
    assert "in Baku" in redacted and "about 30 people, in 2023" in redacted


def test_a_long_narrative_is_redacted_whole() -> None:
    text = ("word " * 12000) + "Zaurbek Canaryov"
    assert build_redactor(RULES).redact(text).endswith("V-2023-001")
