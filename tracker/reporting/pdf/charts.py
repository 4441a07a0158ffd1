"""Bar charts for the annual report, drawn with reportlab.graphics in the bundled font.

Hidden counts ("<3", "*") are drawn as bars of zero height with their mark above, so a
chart never shows more than the table beside it.
"""

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String

from tracker.reporting.annual_model import ChartBar
from tracker.reporting.pdf.base import FRAME_WIDTH
from tracker.reporting.pdf.fonts import SANS, register_fonts
from tracker.reporting.pdf.markup import printable_text
from tracker.reporting.pdf.styles import ACCENT, INK, MUTED

BAR_LABEL_SIZE = 7
AXIS_LABEL_SIZE = 7.5
# Category labels longer than this are shortened; the table beside the chart has them whole.
LONGEST_CATEGORY = 28


def chart_label(text: str, limit: int = LONGEST_CATEGORY) -> str:
    line = " ".join(printable_text(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def value_axis_maximum(bars: Sequence[ChartBar]) -> int:
    """A round top for the value axis, never 0 (an empty chart still draws its axes)."""
    highest = max((bar.value for bar in bars), default=0)
    step: int = 10 ** (len(str(highest)) - 1)
    return (highest // step + 1) * step


# At most about this many gridline steps on a value axis.
VALUE_AXIS_STEPS = 6


def value_axis_step(maximum: int) -> int:
    """A whole, round step (1, 2 or 5 times a power of ten) giving at most about
    VALUE_AXIS_STEPS steps up to maximum: counts are whole, so are their ticks (no 0.2)."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            if factor * power * VALUE_AXIS_STEPS >= maximum:
                return factor * power
        power *= 10


def style_axes(chart: VerticalBarChart | HorizontalBarChart, bars: Sequence[ChartBar]) -> None:
    chart.data = [[bar.value for bar in bars]]
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = value_axis_maximum(bars)
    chart.valueAxis.valueStep = value_axis_step(chart.valueAxis.valueMax)
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = AXIS_LABEL_SIZE
    chart.valueAxis.labels.fillColor = MUTED
    chart.categoryAxis.categoryNames = [chart_label(bar.label) for bar in bars]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = AXIS_LABEL_SIZE
    chart.categoryAxis.labels.fillColor = INK
    # The printed text of each bar (a count, "<3" or "*") as the bar's label.
    chart.barLabelFormat = "values"
    chart.barLabels.fontName = SANS
    chart.barLabels.fontSize = BAR_LABEL_SIZE
    chart.barLabelArray = [[printable_text(bar.shown) for bar in bars]]


def month_chart(bars: Sequence[ChartBar], title: str) -> Drawing:
    """Vertical bars, one per month (and the month-uncertain row)."""
    register_fonts()
    drawing = Drawing(FRAME_WIDTH, 190)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 45, FRAME_WIDTH - 40, 120
    style_axes(chart, bars)
    chart.categoryAxis.labels.angle = 35
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(0, 178, printable_text(title), fontName=SANS, fontSize=9, fillColor=MUTED))
    return drawing


def perpetrator_chart(bars: Sequence[ChartBar], title: str) -> Drawing:
    """Horizontal bars, one per perpetrator type, largest first from the top."""
    register_fonts()
    height = 40 + 18 * max(1, len(bars))
    drawing = Drawing(FRAME_WIDTH, height + 20)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 15, FRAME_WIDTH - 190, height - 20
    # HorizontalBarChart draws the first category at the bottom: reverse to read top-down.
    ordered = list(reversed(bars))
    style_axes(chart, ordered)
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 4
    drawing.add(chart)
    drawing.add(
        String(0, height + 6, printable_text(title), fontName=SANS, fontSize=9, fillColor=MUTED)
    )
    return drawing
