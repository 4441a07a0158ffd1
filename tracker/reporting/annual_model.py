"""What an annual report holds once counted and suppressed: frozen plain data for renderers.

Every cell is the text printed, suppression already applied: a renderer (PDF, CSV) never
sees a count the level may not show.
"""

import uuid
from dataclasses import dataclass

from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.model import ReportHeader


@dataclass(frozen=True)
class ReportTable:
    """One table of the report; `name` also names its CSV file."""

    name: str  # by_type, by_month ... ; the CSV is <name>.csv
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first cell labels the row
    total: tuple[str, ...] | None = None  # printed last, never suppressed
    note: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


@dataclass(frozen=True)
class ChartBar:
    """One bar: its label, its height (0 when the count is hidden) and the text above it."""

    label: str
    value: int
    shown: str


@dataclass(frozen=True)
class NarrativeEntry:
    """A consented, reviewed account: month or year, first-level unit, type, names withheld."""

    date_label: str
    place_label: str
    type_label: str
    text: str


@dataclass(frozen=True)
class AnnualReport:
    header: ReportHeader
    year: int
    level: DisclosureLevel
    language: str
    filters: tuple[tuple[str, str], ...]  # (label, value) as printed on the cover
    suppression_threshold: int  # 0 at the partner level: nothing hidden
    methodology: tuple[str, ...]  # paragraphs
    totals: ReportTable
    by_type: ReportTable
    by_month: ReportTable
    by_region: ReportTable
    by_perpetrator_type: ReportTable
    secondary_types: ReportTable
    year_on_year: ReportTable
    legal_actions: ReportTable
    narratives: tuple[NarrativeEntry, ...]
    narratives_title: str
    no_narratives_text: str
    # Bookkeeping for the export's audit entry, never printed: everyone involved in a printed
    # narrative, so a later withdrawal of consent finds this report (tracker.reporting.exports).
    narrative_person_ids: tuple[uuid.UUID, ...] = ()

    @property
    def tables(self) -> tuple[ReportTable, ...]:
        """Every table, in the order the PDF prints them."""
        return (
            self.totals,
            self.by_type,
            self.by_month,
            self.by_region,
            self.by_perpetrator_type,
            self.secondary_types,
            self.year_on_year,
            self.legal_actions,
        )


def chart_bars(table: ReportTable, column: int = 1) -> tuple[ChartBar, ...]:
    """Bars of one column: hidden cells ("<3", "*") drawn at zero height, labelled as printed."""
    return tuple(
        ChartBar(label=row[0], value=int(row[column]) if row[column].isdigit() else 0,
                 shown=row[column])
        for row in table.rows
    )  # fmt: skip
