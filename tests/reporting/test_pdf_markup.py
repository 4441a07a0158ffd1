"""User text reaches Paragraph markup only through paragraph_text, and prints literally."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.platypus import Paragraph

from tests.reporting import pdf_samples
from tracker.reporting.pdf.base import FRAME_WIDTH, render_document
from tracker.reporting.pdf.markup import (
    REPLACEMENT_CHARACTER,
    paragraph_text,
    paragraphs,
    printable_text,
)
from tracker.reporting.pdf.styles import stylesheet


def test_markup_characters_are_escaped() -> None:
    assert paragraph_text("<b>R&D</b>") == "&lt;b&gt;R&amp;D&lt;/b&gt;"
    assert paragraph_text("a lone < here") == "a lone &lt; here"


def test_newlines_become_line_breaks_and_controls_disappear() -> None:
    assert paragraph_text("one\r\ntwo\rthree\nfour") == "one<br/>two<br/>three<br/>four"
    assert paragraph_text("NUL\x00bell\x07esc\x1b c1\x9b tab\tend") == "NULbellesc c1 tab\tend"


def test_characters_the_font_lacks_become_the_replacement_character() -> None:
    assert printable_text("😀") == REPLACEMENT_CHARACTER
    assert printable_text("\U000f0000") == REPLACEMENT_CHARACTER  # private use
    assert printable_text("a\u200bb") == "a\u200bb"  # the font has the zero-width space


def test_right_to_left_text_is_kept_in_logical_order() -> None:
    assert printable_text("שלום مرحبا") == "שלום مرحبا"


def test_a_word_of_500_characters_wraps_inside_the_frame() -> None:
    paragraph = Paragraph(paragraph_text(pdf_samples.LONG_WORD), stylesheet()["body"])
    paragraph.wrap(FRAME_WIDTH, 10_000)
    line_widths = paragraph.getActualLineWidths0()
    assert len(line_widths) > 1
    assert max(line_widths) <= FRAME_WIDTH


def test_long_text_splits_into_paragraphs_at_blank_lines() -> None:
    blocks = paragraphs("first\nsecond\n\n\n  \nthird\n\n", stylesheet()["body"])
    assert [block.text for block in blocks] == ["first<br/>second", "third"]
    assert paragraphs(" \n\n ", stylesheet()["body"]) == []


def test_a_60000_character_narrative_renders_completely() -> None:
    narrative = pdf_samples.long_narrative()
    story = paragraphs(narrative, stylesheet()["body"])
    text = pdf_samples.body_text(render_document(pdf_samples.header(), story))
    assert "END-MARK" in text
    sentence = "Witnesses describe the detention in the courtyard."
    assert pdf_samples.squashed(text).count(pdf_samples.squashed(sentence)) == narrative.count(
        sentence
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_renders_and_its_visible_characters_are_extracted(text: str) -> None:
    story = [Paragraph(paragraph_text(text), stylesheet()["body"])]
    extracted = pdf_samples.all_text(render_document(pdf_samples.header(), story))
    # pypdf may reorder right-to-left runs and spacing; letters and digits must all be there.
    visible = [character for character in printable_text(text) if character.isascii()]
    for character in visible:
        if character.isalnum():
            assert character in extracted
