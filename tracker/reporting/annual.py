"""Build the annual report snapshot: count the year, suppress small cells, pick narratives.

The one place the annual report meets the database; renderers (pdf/annual.py, the CSV
tables) read only the AnnualReport it returns.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session

from tracker.domain.disclosure import (
    CLASSIFICATION_MARKINGS,
    DisclosureLevel,
    parse_level,
    require_level,
)
from tracker.domain.errors import DisclosureRefused, InvalidInput
from tracker.reporting.annual_model import (
    AnnualReport,
    ChartBar,
    NarrativeEntry,
    ReportTable,
    chart_bars,
)
from tracker.reporting.annual_narratives import (
    MAX_NARRATIVES,
    NarrativeSource,
    current_consents,
    load_candidates,
    may_publish,
    narrative_text,
    restricted_ids,
)
from tracker.reporting.annual_queries import (
    LoadedIncidents,
    PlaceNode,
    load_incident_rows,
    load_legal_action_rows,
    load_place_tree,
    resolve_scope,
    term_labels,
)
from tracker.reporting.annual_tables import (
    TableContext,
    annual_csv_tables,
    by_month_table,
    by_perpetrator_table,
    by_region_table,
    by_type_table,
    legal_actions_table,
    secondary_types_table,
    totals_table,
    year_on_year_table,
)
from tracker.reporting.counting import (
    IncidentRow,
    YearCounts,
    count_legal_actions,
    count_year,
    month_of,
)
from tracker.reporting.labels import LANGUAGES, label, month_name
from tracker.reporting.model import ReportHeader
from tracker.services.restrictions import Viewer

REPORT_LEVELS = (DisclosureLevel.PUBLIC, DisclosureLevel.PARTNER)
FIRST_YEAR, LAST_YEAR = 1901, 9999

__all__ = [
    "AnnualReport",
    "ChartBar",
    "NarrativeEntry",
    "ReportTable",
    "annual_csv_tables",
    "build_annual_report",
    "chart_bars",
]


def build_annual_report(
    session: Session,
    *,
    year: int,
    level: DisclosureLevel | str,
    viewer: Viewer,
    generated_at: datetime,
    generated_by: str,
    region_id: uuid.UUID | None = None,
    incident_type: str | None = None,
    language: str = "en",
    suppression_threshold: int = 3,
) -> AnnualReport:
    """The year's counts at the public or partner level, suppressed, with narratives.

    Raises DisclosureRefused for another level or one the viewer's roles may not use,
    InvalidInput for a bad year, language or threshold, an unknown type, or a year with no
    incidents; RecordNotFound for an unknown region.
    """
    report_level = check_level(level, viewer)
    check_request(year, language, suppression_threshold)
    tree = load_place_tree(session)
    scope = resolve_scope(session, tree, region_id=region_id, incident_type=incident_type)
    loaded = load_incident_rows(session, scope, tree, first_year=year - 1, last_year=year)
    current, previous = count_year(loaded.rows, year), count_year(loaded.rows, year - 1)
    if current.incidents == 0 and current.date_uncertain == 0:
        raise InvalidInput(f"year: no incidents recorded for {year}")
    labels = term_labels(session, language)
    threshold = suppression_threshold if report_level is DisclosureLevel.PUBLIC else 0
    context = TableContext(language, threshold, lambda vocabulary, code: labels.get(
        vocabulary, {}).get(code, code))  # fmt: skip
    legal = count_legal_actions(load_legal_action_rows(session, scope), year)
    narratives, narrative_person_ids = select_narratives(
        session, loaded, current, report_level, context
    )
    return AnnualReport(
        header=report_header(year, report_level, language, generated_at, generated_by),
        year=year,
        level=report_level,
        language=language,
        filters=describe_filters(tree, region_id, incident_type, context),
        suppression_threshold=threshold,
        methodology=methodology(year, threshold, language),
        totals=totals_table(current, context),
        by_type=by_type_table(current, context),
        by_month=by_month_table(current, context),
        by_region=by_region_table(current, context),
        by_perpetrator_type=by_perpetrator_table(current, context),
        secondary_types=secondary_types_table(current, context),
        year_on_year=year_on_year_table(current, previous, context),
        legal_actions=legal_actions_table(legal, context),
        narratives=narratives,
        narratives_title=label("narratives", language),
        no_narratives_text=label("no_narratives", language),
        narrative_person_ids=narrative_person_ids,
    )


def check_level(level: DisclosureLevel | str, viewer: Viewer) -> DisclosureLevel:
    """Only public and partner annual reports exist; the viewer's roles must allow the level."""
    parsed = level if isinstance(level, DisclosureLevel) else parse_level(level)
    if parsed not in REPORT_LEVELS:
        raise DisclosureRefused("level: an annual report is made at the public or partner level")
    require_level(viewer.roles, parsed)
    return parsed


def check_request(year: int, language: str, suppression_threshold: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year: give a year between {FIRST_YEAR} and {LAST_YEAR}")
    if language not in LANGUAGES:
        raise InvalidInput(f"language: use one of {', '.join(LANGUAGES)}")
    if suppression_threshold < 1:
        raise InvalidInput("suppression_threshold: must be at least 1")


def report_header(
    year: int, level: DisclosureLevel, language: str, generated_at: datetime, generated_by: str
) -> ReportHeader:
    return ReportHeader(
        title=label("report_title", language),
        subject=str(year),
        level=level,
        classification=CLASSIFICATION_MARKINGS[level],
        generated_at=generated_at,
        generated_by=generated_by,
        language=language,
    )


def describe_filters(
    tree: Mapping[uuid.UUID, PlaceNode],
    region_id: uuid.UUID | None,
    incident_type: str | None,
    context: TableContext,
) -> tuple[tuple[str, str], ...]:
    filters: list[tuple[str, str]] = []
    if region_id is not None:
        filters.append((context.word("filter_region"), tree[region_id].name))
    if incident_type is not None:
        type_label = context.term_label("incident_type", incident_type)
        filters.append((context.word("filter_type"), type_label))
    return tuple(filters)


def methodology(year: int, threshold: int, language: str) -> tuple[str, ...]:
    suppression = (
        label("method_suppression", language).format(threshold=threshold)
        if threshold
        else label("method_no_suppression", language)
    )
    return (
        label("method_incident", language),
        label("method_victims", language),
        label("method_dates", language).format(year=year, previous=year - 1),
        suppression,
        label("method_narratives", language),
    )


# --- narratives --------------------------------------------------------------------------


def select_narratives(
    session: Session,
    loaded: LoadedIncidents,
    current: YearCounts,
    level: DisclosureLevel,
    context: TableContext,
) -> tuple[tuple[NarrativeEntry, ...], tuple[uuid.UUID, ...]]:
    """Consented narratives of incidents counted in the year, earliest first, names withheld;
    and everyone involved in them, sorted, for the export's audit entry."""
    rows = {row.incident_id: row for row in loaded.rows}
    wanted = loaded.publishable_ids & current.counted_ids
    sources = load_candidates(session, wanted)
    person_ids = {person.person_id for source in sources for person in source.persons}
    consents = current_consents(session, person_ids)
    restricted_persons = restricted_ids(session, "person", person_ids)
    cleared = [source for source in sources if may_publish(source, consents, restricted_persons)]
    cleared.sort(key=lambda source: (rows[source.incident_id].start.sort_key, source.incident_id))
    printed = cleared[:MAX_NARRATIVES]
    entries = tuple(
        narrative_entry(source, rows[source.incident_id], consents, level, context, current.year)
        for source in printed
    )
    return entries, persons_in(printed)


def persons_in(sources: Iterable[NarrativeSource]) -> tuple[uuid.UUID, ...]:
    """Everyone involved in the narratives, named or withheld: the text is about them all."""
    return tuple(sorted({person.person_id for source in sources for person in source.persons}))


def narrative_entry(
    source: NarrativeSource,
    row: IncidentRow,
    consents: Mapping[tuple[uuid.UUID, str], str],
    level: DisclosureLevel,
    context: TableContext,
    year: int,
) -> NarrativeEntry:
    text = narrative_text(source, consents, level, context.language)
    return NarrativeEntry(
        date_label=narrative_date(row, year, context.language),
        place_label=row.region or "",
        type_label=context.term_label("incident_type", row.incident_type),
        text=text,
    )


def narrative_date(row: IncidentRow, year: int, language: str) -> str:
    """Month precision at most (DOMAIN §7): the month when the date lies in one, else the year."""
    month = month_of(row, year)
    return str(year) if month is None else f"{month_name(month, language)} {year}"
