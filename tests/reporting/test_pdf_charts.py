"""The annual report's charts: counts on whole-number axes, hidden counts drawn as marks."""

from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics.shapes import Drawing, String, UserNode

from tracker.reporting.annual_model import ChartBar
from tracker.reporting.pdf.charts import (
    VALUE_AXIS_STEPS,
    month_chart,
    perpetrator_chart,
    value_axis_maximum,
    value_axis_step,
)


def strings_of(drawing: Drawing) -> list[str]:
    """Every text the drawing prints, axis labels included."""
    found: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, UserNode):  # a chart, an axis, a label: drawn as shapes
            node = node.provideNode()
        if isinstance(node, String):
            found.append(node.text)
        for child in getattr(node, "contents", ()):
            visit(child)

    visit(drawing)
    return found


def bars(values: list[int], shown: list[str] | None = None) -> list[ChartBar]:
    marks = shown or [str(value) for value in values]
    return [
        ChartBar(label=f"bar {index}", value=value, shown=mark)
        for index, (value, mark) in enumerate(zip(values, marks, strict=True))
    ]


@given(st.integers(min_value=0, max_value=10**9))
def test_axis_steps_are_whole_round_and_few(highest: int) -> None:
    maximum = value_axis_maximum(bars([highest]))
    step = value_axis_step(maximum)
    assert step >= 1
    assert str(step).strip("0") in ("1", "2", "5")
    assert maximum / step <= VALUE_AXIS_STEPS


def test_a_chart_of_hidden_counts_has_no_fractional_ticks() -> None:
    hidden = bars([0] * 13, ["<3"] * 13)
    for drawing in (month_chart(hidden, "By month"), perpetrator_chart(hidden[:2], "By type")):
        texts = strings_of(drawing)
        assert "<3" in texts
        numbers = [text for text in texts if text.replace(".", "").isdigit()]
        assert numbers == [text for text in numbers if "." not in text], numbers


def test_ticks_count_up_in_whole_steps() -> None:
    texts = strings_of(month_chart(bars([7, 12, 3]), "By month"))
    assert {"0", "5", "10", "15", "20"} <= set(texts)
