"""The timeline PDF: names intact, events in the order given, hostile text printed literally."""

import dataclasses

import pytest

from tests.reporting import pdf_samples
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.pdf.timeline import render_timeline_pdf


def test_unicode_names_are_extracted_intact() -> None:
    text = pdf_samples.all_text(render_timeline_pdf(pdf_samples.timeline()))
    for name in pdf_samples.UNICODE_NAMES:
        assert name in text


def test_events_keep_the_builders_order_and_undated_come_last() -> None:
    text = pdf_samples.body_text(render_timeline_pdf(pdf_samples.timeline()))
    first = text.index("Detention of Əli Məlikov")
    second = text.index("Raid in İsmayıllı")
    undated_section = text.index("Undated events")
    assert first < second < undated_section < text.index("Threats by phone")


def test_each_event_shows_date_place_type_and_graded_sources() -> None:
    text = pdf_samples.body_text(render_timeline_pdf(pdf_samples.timeline()))
    assert "April 2023 (approximate)" in text
    assert "12 March 2023 (approximate)" not in text
    assert "Arbitrary detention" in text and "Ill-treatment" in text
    assert "[B2]" in text and "[C3]" in text
    assert "Victim: Əli Məlikov" in text


def test_every_page_has_the_marking_and_page_x_of_y() -> None:
    timeline = pdf_samples.timeline(
        DisclosureLevel.PARTNER,
        dated=tuple(pdf_samples.event(f"I-2023-{number:03}") for number in range(40)),
    )
    data = render_timeline_pdf(timeline)
    assert len(pdf_samples.page_texts(data)) > 3
    pdf_samples.assert_page_furniture(data, timeline.header.classification)


def test_outline_lists_sections_and_events() -> None:
    titles = pdf_samples.outline_titles(render_timeline_pdf(pdf_samples.timeline()))
    assert "Events" in titles and "Undated events" in titles
    assert "April 2023 (approximate): Raid in İsmayıllı" in titles


def test_an_empty_timeline_says_no_incidents() -> None:
    timeline = pdf_samples.timeline(dated=(), undated=())
    assert "No incidents." in pdf_samples.body_text(render_timeline_pdf(timeline))


def test_rendering_is_byte_identical_and_follows_generated_at() -> None:
    timeline = pdf_samples.timeline()
    data = render_timeline_pdf(timeline)
    assert render_timeline_pdf(pdf_samples.timeline()) == data
    later = dataclasses.replace(
        timeline.header, generated_at=timeline.header.generated_at.replace(hour=10)
    )
    assert render_timeline_pdf(dataclasses.replace(timeline, header=later)) != data


@pytest.mark.parametrize("hostile", pdf_samples.HOSTILE_TEXTS)
def test_hostile_text_in_every_field_prints_literally(hostile: str) -> None:
    timeline = pdf_samples.with_every_string(pdf_samples.timeline(), hostile)
    data = render_timeline_pdf(timeline)
    pdf_samples.assert_literal(data, hostile)


def test_a_60000_character_summary_and_title_render_completely() -> None:
    narrative = pdf_samples.long_narrative()
    event = pdf_samples.event(summary=narrative, title=narrative[-3000:])
    data = render_timeline_pdf(pdf_samples.timeline(dated=(event,), undated=()))
    assert pdf_samples.squashed(pdf_samples.body_text(data)).count("END-MARK") >= 2
