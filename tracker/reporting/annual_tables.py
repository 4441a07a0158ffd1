"""Turn a year's counts into the printed tables, suppression applied once, and into CSV.

A column shared by two tables (this year's types in "by type" and in "change from the
previous year") is suppressed once over the same cells and reused, so comparing the two
tables reveals nothing that either hides.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tracker.reporting.annual_model import AnnualReport, ReportTable
from tracker.reporting.counting import (
    LegalActionCount,
    YearCounts,
    is_hidden,
    ordered_counts,
    primary_mark,
    suppress_alone,
    suppress_group,
)
from tracker.reporting.labels import label, month_name

# Regions and estimates are typed by users; a spreadsheet runs a cell starting with these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SIGNED_NUMBER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class TableContext:
    """What every table needs besides the counts: language, threshold, vocabulary labels."""

    language: str
    threshold: int  # 0: nothing hidden
    term_label: Callable[[str, str], str]  # (vocabulary, code) -> label in the language

    def word(self, key: str) -> str:
        return label(key, self.language)


def column_cells(
    counts: Sequence[int], context: TableContext, *, has_total: bool = True
) -> tuple[str, ...]:
    return suppress_group(counts, context.threshold, has_total=has_total)


def counted_rows(
    items: Sequence[tuple[str, int]], context: TableContext, *, has_total: bool = True
) -> tuple[tuple[str, ...], ...]:
    """(label, count) pairs as printed rows, suppressed as one column group."""
    cells = column_cells([count for _, count in items], context, has_total=has_total)
    return tuple((name, cell) for (name, _), cell in zip(items, cells, strict=True))


def total_cell(value: int, context: TableContext) -> str:
    """A printed total: shown, unless it is itself a count below the threshold (a total of 1
    over cells that all read "<3" would tell them)."""
    return suppress_alone(value, context.threshold)


# A year may hold hundreds of aggregate-only events: the totals table lists the most frequent
# estimates and says how many others there are, instead of one cell running over pages.
SHOWN_ESTIMATES = 12


def estimates_cell(estimates: Sequence[str], others_word: str) -> str:
    """ "dozens (×4); 20–30; … and N other estimates": the most frequent first, then as said."""
    counted = Counter(estimates).most_common()
    shown = [f"{text} (\u00d7{count})" if count > 1 else text
             for text, count in counted[:SHOWN_ESTIMATES]]  # fmt: skip
    hidden = sum(count for _, count in counted[SHOWN_ESTIMATES:])
    if hidden:
        shown.append(others_word.format(count=hidden))
    return "; ".join(shown)


def totals_table(counts: YearCounts, context: TableContext) -> ReportTable:
    word = context.word
    # Totals are printed unless they are small counts themselves (DOMAIN §7); the
    # aggregate-only count is not hidden, as its estimates are listed one per event beside it.
    rows = (
        (word("incidents"), total_cell(counts.incidents, context)),
        (word("victim_involvements"), total_cell(counts.victim_involvements, context)),
        (word("unique_victims"), total_cell(counts.unique_victims, context)),
        (word("aggregate_only"), str(counts.aggregate_only)),
        (word("estimates"), estimates_cell(counts.estimates, word("other_estimates"))),
        (word("date_uncertain"), suppress_alone(counts.date_uncertain, context.threshold)),
    )
    return ReportTable("totals", word("totals"), (word("measure"), word("total")), rows)


def type_items(by_type: Mapping[str, int], context: TableContext) -> list[tuple[str, int]]:
    return [
        (context.term_label("incident_type", code), count)
        for code, count in ordered_counts(by_type)
    ]


def by_type_table(counts: YearCounts, context: TableContext) -> ReportTable:
    word = context.word
    return ReportTable(
        "by_type",
        word("by_type"),
        (word("incident_type"), word("incidents")),
        counted_rows(type_items(counts.by_type, context), context),
        total=(word("total"), total_cell(counts.incidents, context)),
    )


def by_month_table(counts: YearCounts, context: TableContext) -> ReportTable:
    word = context.word
    items = [(month_name(month, context.language), n) for month, n in counts.by_month.items()]
    items.append((word("month_uncertain"), counts.month_uncertain))
    return ReportTable(
        "by_month",
        word("by_month"),
        (word("month"), word("incidents")),
        counted_rows(items, context),
        total=(word("total"), total_cell(counts.incidents, context)),
    )


def by_region_table(counts: YearCounts, context: TableContext) -> ReportTable:
    word = context.word
    items = ordered_counts(counts.by_region)
    items.append((word("region_uncertain"), counts.region_uncertain))
    return ReportTable(
        "by_region",
        word("by_region"),
        (word("region"), word("incidents")),
        counted_rows(items, context),
        total=(word("total"), total_cell(counts.incidents, context)),
    )


def overlapping_table(
    name: str, vocabulary: str, column: str, counts: Mapping[str, int], context: TableContext
) -> ReportTable:
    """A table where an incident may sit in several rows: no total, so no secondary hiding."""
    word = context.word
    items = [(context.term_label(vocabulary, code), n) for code, n in ordered_counts(counts)]
    return ReportTable(
        name,
        word(name),
        (word(column), word("incidents")),
        counted_rows(items, context, has_total=False),
        note=word("may_exceed_total"),
    )


def by_perpetrator_table(counts: YearCounts, context: TableContext) -> ReportTable:
    return overlapping_table(
        "by_perpetrator_type",
        "perpetrator_type",
        "perpetrator_type",
        counts.by_perpetrator_type,
        context,
    )


def secondary_types_table(counts: YearCounts, context: TableContext) -> ReportTable:
    return overlapping_table(
        "secondary_types", "incident_type", "incident_type", counts.by_secondary_type, context
    )


def suppressed_type_column(counts: YearCounts, context: TableContext) -> dict[str, str]:
    """A year's types as printed in its own "by type" table; absent types hidden as zeros."""
    items = ordered_counts(counts.by_type)
    cells = column_cells([count for _, count in items], context)
    return {code: cell for (code, _), cell in zip(items, cells, strict=True)}


def change_cell(previous: str, current: str) -> str:
    """The difference, unless either count is hidden (it would reveal it)."""
    if is_hidden(previous) or is_hidden(current):
        return ""
    return f"{int(current) - int(previous):+d}"


def year_on_year_table(
    current: YearCounts, previous: YearCounts, context: TableContext
) -> ReportTable:
    word = context.word
    now, before = (suppressed_type_column(counts, context) for counts in (current, previous))
    # Zero for this context: a type absent from a year prints as its threshold mark.
    absent = primary_mark(context.threshold) if context.threshold else "0"
    codes = sorted(set(now) | set(before), key=lambda code: (-current.by_type.get(code, 0), code))
    rows = tuple(
        (
            context.term_label("incident_type", code),
            before.get(code, absent),
            now.get(code, absent),
            change_cell(before.get(code, absent), now.get(code, absent)),
        )
        for code in codes
    )
    before_total = total_cell(previous.incidents, context)
    now_total = total_cell(current.incidents, context)
    total = (word("all_incidents"), before_total, now_total, change_cell(before_total, now_total))
    columns = (word("incident_type"), str(previous.year), str(current.year), word("change"))
    return ReportTable("year_on_year", word("year_on_year"), columns, rows, total=total)


def legal_actions_table(
    counts: Mapping[str, LegalActionCount], context: TableContext
) -> ReportTable:
    word = context.word
    kinds = sorted(counts, key=lambda kind: (-counts[kind].filed - counts[kind].decided, kind))
    # Each column is its own group with the total printed beneath it.
    columns = [
        [getattr(counts[kind], measure) for kind in kinds]
        for measure in ("filed", "decided", "final_domestic")
    ]
    cells = [column_cells(values, context) for values in columns]
    rows = tuple(
        (context.term_label("legal_action_kind", kind), *(column[index] for column in cells))
        for index, kind in enumerate(kinds)
    )
    total = (word("total"), *(total_cell(sum(values), context) for values in columns))
    headers = (word("kind"), word("filed"), word("decided"), word("final_domestic"))
    return ReportTable(
        "legal_actions", word("legal_actions"), headers, rows, total=total, note=word("legal_note")
    )


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: user text starting with = + - @ gets a
    leading apostrophe; signed numbers ("+4") stay as they are."""
    if cell[:1] in FORMULA_STARTS and not SIGNED_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def table_csv(table: ReportTable) -> bytes:
    """One table as UTF-8 CSV with a header row, the cells as the PDF prints them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    lines = [table.columns, *table.rows, *([table.total] if table.total else [])]
    writer.writerows([[spreadsheet_safe(cell) for cell in line] for line in lines])
    return buffer.getvalue().encode("utf-8")


def annual_csv_tables(report: AnnualReport) -> dict[str, bytes]:
    """Every table of the report as CSV, by file name ("by_type.csv" ...)."""
    return {table.file_name: table_csv(table) for table in report.tables}
