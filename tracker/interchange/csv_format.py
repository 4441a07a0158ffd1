"""Incidents as CSV for spreadsheets: an export without identities, an import through a mapping."""

import csv
import io
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlmodel import Session

from tracker.domain.dates import parse_fuzzy_date
from tracker.domain.errors import InvalidDate, InvalidInput
from tracker.domain.text import fold_for_search
from tracker.interchange.progress import Progress, ProgressCallback
from tracker.interchange.tables import section_table
from tracker.models import (
    Campaign,
    CampaignIncident,
    Case,
    CaseIncident,
    Incident,
    Place,
)
from tracker.services.incidents import DRAFT_FIELDS, IncidentDraft, record_incident
from tracker.services.places import create_place, find_places
from tracker.services.vocabularies import require_code, require_codes

# Never real names or identity fields: CSV files travel by e-mail and USB stick.
CSV_COLUMNS = (
    "id",
    "code",
    "title",
    "type",
    "secondary_types",
    "start_text",
    "start_earliest",
    "start_latest",
    "start_precision",
    "start_qualifier",
    "end_text",
    "end_earliest",
    "end_latest",
    "end_precision",
    "end_qualifier",
    "place_name",
    "place_path",
    "verification_status",
    "summary",
    "reported_victims_text",
    "reported_victims_min",
    "reported_victims_max",
    "victim_count",
    "perpetrator_types",
    "case_codes",
    "campaign_codes",
)
LIST_SEPARATOR = ";"
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLACE_FIELD = "place"
INTEGER_FIELDS = frozenset({"reported_victims_min", "reported_victims_max"})
IMPORT_FIELDS = (DRAFT_FIELDS - {"place_id"}) | {PLACE_FIELD}
MAX_CSV_BYTES = 64 * 2**20
EXPORT_BATCH = 1000
# Each row goes through record_incident (checks, audit), so fewer make a visible step.
IMPORT_BATCH = 100


# --- export --------------------------------------------------------------------------------


def guard_cell(value: Any) -> str:
    """The cell as text, quoted with a leading ' if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_incidents_csv(
    session: Session, handle: BinaryIO, *, progress: ProgressCallback | None = None
) -> int:
    """Write live incidents by code as UTF-8 CSV (with a BOM for spreadsheets); return the count.

    Calls progress(done, total) every EXPORT_BATCH rows, lastly with (count, count).
    """
    counter = Progress(progress, total=count_live_incidents(session), batch=EXPORT_BATCH)
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    context = ExportContext.load(session)
    for incident in live_incidents(session):
        writer.writerow([guard_cell(value) for value in context.row_of(incident)])
        counter.advance()
    text.flush()
    text.detach()
    counter.finish()
    return counter.done


def count_live_incidents(session: Session) -> int:
    statement = select(func.count()).where(Incident.deleted_at.is_(None))  # type: ignore[union-attr]
    return int(session.execute(statement.select_from(Incident)).scalar_one())


def live_incidents(session: Session) -> Iterator[Incident]:
    statement = (
        select(Incident)
        .where(Incident.deleted_at.is_(None))  # type: ignore[union-attr]
        .order_by(Incident.code)
        .execution_options(yield_per=1000)
    )
    yield from session.execute(statement).scalars()


@dataclass
class ExportContext:
    """What rows need besides the incident itself, loaded once."""

    places: dict[Any, Place]
    victims: dict[Any, int]
    perpetrators: dict[Any, set[str]]
    cases: dict[Any, set[str]]
    campaigns: dict[Any, set[str]]

    @classmethod
    def load(cls, session: Session) -> "ExportContext":
        places = {place.id: place for place in session.execute(select(Place)).scalars()}
        victims: dict[Any, int] = {}
        perpetrators: dict[Any, set[str]] = {}
        for incident_id, role, kind in session.execute(live_involvements()):
            if role == "victim":
                victims[incident_id] = victims.get(incident_id, 0) + 1
            elif kind:
                perpetrators.setdefault(incident_id, set()).add(kind)
        return cls(
            places,
            victims,
            perpetrators,
            codes_by_incident(session, Case, CaseIncident),
            codes_by_incident(session, Campaign, CampaignIncident),
        )

    def row_of(self, incident: Incident) -> list[Any]:
        place = self.places.get(incident.place_id)
        path = self.place_path(place)
        values = {name: getattr(incident, name, None) for name in CSV_COLUMNS}
        values.update(
            secondary_types=LIST_SEPARATOR.join(incident.secondary_types),
            place_name=path[-1] if path else "",
            place_path=" > ".join(path),
            victim_count=self.victims.get(incident.id, 0),
            perpetrator_types=joined(self.perpetrators.get(incident.id)),
            case_codes=joined(self.cases.get(incident.id)),
            campaign_codes=joined(self.campaigns.get(incident.id)),
        )
        return [values[name] for name in CSV_COLUMNS]

    def place_path(self, place: Place | None) -> list[str]:
        """Names from the country down; sensitive places (homes, shelters) are left out."""
        names: list[str] = []
        seen: set[Any] = set()
        while place is not None and place.id not in seen:
            seen.add(place.id)
            if not place.sensitive:
                names.insert(0, place.name)
            place = self.places.get(place.parent_id)
        return names


def live_involvements() -> Any:
    table = section_table("involvement")
    columns = table.c
    return select(columns.incident_id, columns.role, columns.perpetrator_type).where(
        columns.deleted_at.is_(None)
    )


def codes_by_incident(session: Session, parent: Any, membership: Any) -> dict[Any, set[str]]:
    key = membership.case_id if parent is Case else membership.campaign_id
    statement: Any = (
        select(membership.incident_id, parent.code)
        .join(parent, parent.id == key)
        .where(membership.deleted_at.is_(None), parent.deleted_at.is_(None))
    )
    found: dict[Any, set[str]] = {}
    for incident_id, code in session.execute(statement):
        found.setdefault(incident_id, set()).add(code)
    return found


def joined(values: set[str] | None) -> str:
    return LIST_SEPARATOR.join(sorted(values or ()))


# --- the mapping file ----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvMapping:
    """How a spreadsheet's columns become incident fields (see docs/interchange.md)."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    defaults: dict[str, Any]
    create_missing_places: bool = False
    new_place_kind: str = "town"
    reference_date: date | None = None


def load_mapping(path: Path) -> CsvMapping:
    """Raises InvalidInput naming what in the mapping file is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path.name}: not a valid TOML mapping ({error})") from None
    except RecursionError:
        raise InvalidInput(f"{path.name}: the TOML is nested too deeply to be a mapping") from None
    unknown = sorted(set(data) - MAPPING_KEYS)
    if unknown:
        raise InvalidInput(f"{path.name}: unknown key {unknown[0]!r}")
    columns = string_table(data, "columns", path)
    bad = sorted(set(columns.values()) - IMPORT_FIELDS)
    if bad:
        raise InvalidInput(
            f"{path.name}: [columns] maps to unknown field {bad[0]!r}; "
            f"fields: {', '.join(sorted(IMPORT_FIELDS))}"
        )
    return CsvMapping(
        columns=columns,
        values={
            name: {
                fold_for_search(key): value
                for key, value in string_table(data.get("values", {}), name, path).items()
            }
            for name in data.get("values", {})
        },
        defaults=dict(data.get("defaults", {})),
        create_missing_places=bool(data.get("create_missing_places", False)),
        new_place_kind=str(data.get("new_place_kind", "town")),
        reference_date=data.get("reference_date"),
    )


MAPPING_KEYS = frozenset(
    {"columns", "values", "defaults", "create_missing_places", "new_place_kind", "reference_date"}
)


def string_table(data: Mapping[str, Any], key: str, path: Path) -> dict[str, str]:
    table = data.get(key)
    if not isinstance(table, dict) or not all(isinstance(value, str) for value in table.values()):
        raise InvalidInput(f"{path.name}: [{key}] must be a table of text values")
    return dict(table)


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass
class CsvImportReport:
    """What a CSV import created (or, in a dry run, would create) and every row's problems."""

    dry_run: bool
    created: list[str] = field(default_factory=list)
    places_created: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would be created" if self.dry_run else "created"
        lines = [
            f"{len(self.created)} incidents {verb}"
            + (f", {len(self.places_created)} places {verb}" if self.places_created else "")
            + f"; {len(self.problems)} problems."
        ]
        lines += [f"  {line}" for line in self.created]
        lines += [f"  new place: {name}" for name in self.places_created]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def import_incidents_csv(
    session: Session,
    path: Path,
    *,
    mapping_path: Path,
    dry_run: bool,
    progress: ProgressCallback | None = None,
) -> CsvImportReport:
    """Create one incident per row through record_incident, so each is checked and audited.

    A dry run reports what would be created and every row's problems, and writes nothing.
    Calls progress(rows done, rows) every IMPORT_BATCH rows, lastly with (rows, rows).
    Raises InvalidInput listing the problems (nothing written) when any row has one.
    """
    mapping = load_mapping(mapping_path)
    header, rows = read_csv(path)
    missing = sorted(set(mapping.columns) - set(header))
    if missing:
        raise InvalidInput(f"{path.name}: no column {missing[0]!r} (the mapping names it)")
    report = CsvImportReport(dry_run=dry_run)
    counter = Progress(progress, total=len(rows), batch=IMPORT_BATCH)
    savepoint = session.begin_nested()
    for number, row in rows:
        import_row(session, mapping, dict(zip(header, row, strict=False)), number, report)
        counter.advance()
    counter.finish()
    if dry_run or report.problems:
        savepoint.rollback()
    else:
        savepoint.commit()
    if report.problems and not dry_run:
        listed = "; ".join(str(problem) for problem in report.problems[:20])
        raise InvalidInput(f"{len(report.problems)} problems, nothing imported: {listed}")
    return report


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows; BOM, `;` or `,` delimiters handled.

    Raises InvalidInput for invalid UTF-8 (naming the line) or an empty file.
    """
    raw = path.read_bytes()
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"{path.name}: larger than {MAX_CSV_BYTES // 2**20} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise InvalidInput(f"{path.name}: not valid UTF-8 (line {line})") from None
    reader = csv.reader(io.StringIO(text, newline=""), dialect=sniff_dialect(text))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise InvalidInput(f"{path.name}: the file is empty")
    return [cell.strip() for cell in rows[0][1]], rows[1:]


def sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=";,\t")
    except csv.Error:
        return csv.excel


def import_row(
    session: Session,
    mapping: CsvMapping,
    cells: dict[str, str],
    number: int,
    report: CsvImportReport,
) -> None:
    """Record one row's incident in its own savepoint; a refusal becomes a row problem."""
    fields_to_columns = {target: column for column, target in mapping.columns.items()}
    values, problems = row_values(mapping, cells, number)
    problems += [
        problem_of(number, message, fields_to_columns)
        for message in field_problems(session, mapping, values)
    ]
    if problems:
        report.problems.extend(problems)
        return
    savepoint = session.begin_nested()
    try:
        place_name = values.pop(PLACE_FIELD, "")
        place = resolve_place(session, mapping, place_name, report)
        values["place_id"] = None if place is None else place.id
        incident = record_incident(
            session,
            draft=IncidentDraft(**values),
            actor_id=None,
            reference_date=mapping.reference_date,
        )
    except InvalidInput as error:
        savepoint.rollback()
        report.problems.append(problem_of(number, str(error), fields_to_columns))
        return
    savepoint.commit()
    report.created.append(
        f"row {number}: {incident.code} {incident.type} {incident.start_text}"
        + place_shown(place, place_name)
    )


def place_shown(place: Place | None, typed: str) -> str:
    """The place a row's name was matched to, and the name as typed when it differs (an
    alias or another script): what a dry run lets the user check."""
    if place is None:
        return ""
    return f", {place.name}" + ("" if typed == place.name else f" (as {typed!r})")


class RowValueError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def row_values(
    mapping: CsvMapping, cells: dict[str, str], number: int
) -> tuple[dict[str, Any], list[RowProblem]]:
    """Draft values from the row's cells, value maps and defaults, and the cells refused."""
    values: dict[str, Any] = dict(mapping.defaults)
    problems: list[RowProblem] = []
    for column, target in mapping.columns.items():
        cell = unguard(cells.get(column, "").strip())
        if not cell:
            continue
        try:
            values[target] = cell_value(mapping, target, cell, column)
        except RowValueError as error:
            problems.append(RowProblem(number, error.column, str(error)))
    return values, problems


def field_problems(session: Session, mapping: CsvMapping, values: dict[str, Any]) -> list[str]:
    """Every field that would be refused on its own, so a dry run lists all of a row's problems.

    Checks that span fields (an end before the start, DISC without a sector) come later, when
    the incident is recorded.
    """
    checks = (
        lambda: require_code(session, "incident_type", values.get("type", ""), "type"),
        lambda: require_codes(
            session, "incident_type", list(values.get("secondary_types", ())), "secondary_types"
        ),
        lambda: check_date_text(values.get("start_text", ""), "start", mapping.reference_date),
        lambda: check_date_text(values.get("end_text", ""), "end", mapping.reference_date),
    )
    messages = []
    for check in checks:
        try:
            check()
        except InvalidInput as error:
            messages.append(str(error))
    return messages


def check_date_text(text: str, field_name: str, reference_date: date | None) -> None:
    """Raises InvalidDate naming the field when a date as typed cannot be understood."""
    if not text.strip():
        return
    try:
        parse_fuzzy_date(text, reference_date=reference_date)
    except InvalidDate as error:
        raise InvalidDate(f"{field_name}: {error}") from None


def cell_value(mapping: CsvMapping, target: str, cell: str, column: str) -> Any:
    value_map = mapping.values.get(target, {})
    if target == "secondary_types":
        items = [item.strip() for item in cell.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR)]
        return tuple(value_map.get(fold_for_search(item), item) for item in items if item)
    if target in INTEGER_FIELDS:
        if not cell.isdigit():
            raise RowValueError(column, f"{cell!r} is not a whole number")
        return int(cell)
    if target == "publishable":
        return fold_for_search(cell) in {"yes", "true", "1", "bəli", "да"}
    return value_map.get(fold_for_search(cell), cell)


def unguard(cell: str) -> str:
    """Undo the export's formula guard, so exported files import as they were."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def resolve_place(
    session: Session, mapping: CsvMapping, name: str, report: CsvImportReport
) -> Place | None:
    """The place whose name or alias folds to NAME; created only if the mapping allows.

    Raises InvalidInput with a `place:` prefix when there is none or several.
    """
    if not name:
        return None
    found = find_places(session, name)
    if len(found) > 1:
        raise InvalidInput(f"{PLACE_FIELD}: {name!r} matches {len(found)} places; add a parent")
    if found:
        return found[0]
    if not mapping.create_missing_places:
        raise InvalidInput(
            f"{PLACE_FIELD}: no place named {name!r} (set "
            "create_missing_places = true in the mapping to create it)"
        )
    place = create_place(session, name=name, kind=mapping.new_place_kind, actor_id=None)
    report.places_created.append(name)
    return place


def problem_of(number: int, message: str, fields_to_columns: dict[str, str]) -> RowProblem:
    """A row problem naming the spreadsheet column the failing field came from."""
    field_name, _, detail = message.partition(": ")
    field_name = {"place_id": PLACE_FIELD}.get(field_name, field_name)
    column = fields_to_columns.get(field_name)
    if column is None and field_name in {"start", "end"}:
        column = fields_to_columns.get(f"{field_name}_text")
    if column is None:
        return RowProblem(number, field_name if detail else "", detail or message)
    return RowProblem(number, column, detail)
