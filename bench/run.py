"""Benchmark generation, JSON import and export, and incident list queries (run on demand).

    .venv/bin/python bench/run.py [--count 100000] [--small 10000] [--postgres URL]
        [--queries-only | --import-only]

Targets (docs/performance.md): import >= 5,000 incidents/s; export in constant memory; ORM list
queries within 2x the same query in raw SQL.
"""

import argparse
import os
import platform
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy
from bench_keys import install_bench_master_key
from sqlalchemy import Engine, event, select, text
from sqlmodel import Session, col

from tracker.db import make_engine, unit_of_work
from tracker.demo.synthetic import generate_synthetic
from tracker.interchange.json_format import export_json, import_json
from tracker.migrations import upgrade_database
from tracker.models import CaseIncident, Incident, Place
from tracker.services.incident_queries import (
    LIST_COLUMNS,
    IncidentFilters,
    bound_values,
    filtered,
    list_incidents,
    list_statement,
    shape_of,
    sort_order,
)

EXPORTED_AT = datetime(2024, 1, 1, tzinfo=UTC)
REPEATS = 7
MAX_ROUNDS = 200
PAGE = 50
IMPORT_TARGET = 5_000
QUERY_RATIO_TARGET = 2.0
CONSTANT_MEMORY_SLACK = 1.5
PLAN_WORDS = ("SCAN", "SEARCH", "TEMP B-TREE", "SORT")


class QueryTiming(NamedTuple):
    """One list query: median seconds through the service and as hand-written SQL."""

    name: str
    limit: int | None
    rows: int
    orm: float  # list_incidents
    raw: float  # the same SQL through text(), values as the driver gives them
    typed: float  # the same, with the service's column types (UUID, dates, UTC timestamps)
    objects: float  # the service's query loading whole Incident objects, as the list did before

    @property
    def ratio(self) -> float:
        return self.orm / self.raw


@dataclass
class Figures:
    """What one engine's run measured, for the summary."""

    label: str
    small_peak: int = 0
    big_peak: int = 0
    import_rate: float | None = None
    queries: list[QueryTiming] = field(default_factory=list)


def machine() -> str:
    """CPU model, cores, memory and software versions, for the record."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor(),
    )
    cores = sum(1 for line in cpuinfo if line.startswith("processor"))
    memory_kib = int(
        next(
            line
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ).split()[1]
    )
    return (
        f"{date.today()} · {model} · {cores} CPUs · {memory_kib / 1024**2:.1f} GiB RAM ·"
        f" Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} ·"
        f" SQLAlchemy {sqlalchemy.__version__} · {load_average()}"
    )


def load_average() -> str:
    """Other work on the machine slows every figure; say how much there was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def fresh_database(url: str) -> Engine:
    """An engine on an empty database at head (PostgreSQL: its public schema is dropped)."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(engine)
    return engine


@contextmanager
def timer(results: dict[str, float], key: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    results[key] = time.perf_counter() - started


def generate(engine: Engine, count: int) -> float:
    results: dict[str, float] = {}
    with timer(results, "seconds"), unit_of_work(engine) as session:
        generate_synthetic(session, count=count, seed=1, progress=lambda _done: None)
    return results["seconds"]


def export(engine: Engine, path: Path, *, trace: bool) -> tuple[float, int]:
    """Seconds to export, and the peak of Python allocations (bytes) when traced."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with unit_of_work(engine) as session, path.open("wb") as handle:
        export_json(session, handle, with_audit=False, exported_at=EXPORTED_AT)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    return seconds, peak


class PhaseClock:
    """Seconds spent in each phase of an import, from import_json's on_phase calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.current: str | None = None
        self.since = time.perf_counter()

    def __call__(self, name: str | None) -> None:
        now = time.perf_counter()
        if self.current is not None:
            self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.current, self.since = name, now


@dataclass
class ImportTiming:
    """One import: wall-clock seconds in all and by phase, and the CPU seconds it took here
    and, on a local PostgreSQL, in its server process (other work on the machine stretches
    the wall clock far more than these)."""

    seconds: float
    phases: dict[str, float]
    cpu: float
    server_cpu: float | None


def import_into(engine: Engine, path: Path) -> ImportTiming:
    """Import in one transaction, committed, timed by phase."""
    clock = PhaseClock()
    started, cpu = time.perf_counter(), time.process_time()
    with unit_of_work(engine) as session:
        server = server_process(session)
        server_before = process_cpu(server)
        import_json(session, path, on_phase=clock)
        clock("commit")
    clock(None)
    server_after = process_cpu(server)
    return ImportTiming(
        seconds=time.perf_counter() - started,
        phases=clock.seconds,
        cpu=time.process_time() - cpu,
        server_cpu=None
        if server_before is None or server_after is None
        else server_after - server_before,
    )


def server_process(session: Session) -> int | None:
    """The PostgreSQL server process serving this session, if the server runs here."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def process_cpu(pid: int | None) -> float | None:
    """User and system CPU seconds of a process so far (Linux /proc), None if unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- list queries: the service versus hand-written SQL ------------------------------------

# The columns of IncidentListItem, written out by hand.
RAW_BASE = (
    "SELECT incident.id, incident.code, incident.title, incident.type, incident.start_text,"
    " incident.start_earliest, incident.start_latest, incident.start_precision,"
    " incident.start_qualifier, incident.place_id,"
    " (SELECT place.name FROM place WHERE place.id = incident.place_id) AS place_name,"
    " incident.verification_status, incident.updated_at, incident.version, incident.deleted_at"
    " FROM incident WHERE incident.deleted_at IS NULL"
)
RAW_ORDER = (
    " ORDER BY COALESCE(incident.start_earliest, incident.start_latest) ASC NULLS LAST,"
    " COALESCE(incident.start_latest, incident.start_earliest) ASC NULLS LAST, incident.code"
)
RANGE_HIGH = (
    "(CASE WHEN incident.end_text IS NOT NULL THEN incident.end_latest"
    " ELSE incident.start_latest END)"
)
RAW_CONDITIONS = {
    "unfiltered": "",
    "type": " AND incident.type = :type",
    "date range overlap": (
        " AND NOT (incident.start_earliest IS NULL AND incident.start_latest IS NULL"
        " AND incident.end_earliest IS NULL AND incident.end_latest IS NULL)"
        " AND (incident.start_earliest IS NULL OR incident.start_earliest <= :date_to)"
        f" AND ({RANGE_HIGH} IS NULL OR {RANGE_HIGH} >= :date_from)"
    ),
    "place subtree": (
        " AND incident.place_id IN (WITH RECURSIVE tree(id) AS (SELECT id FROM place"
        " WHERE id = :place UNION ALL SELECT place.id FROM place JOIN tree"
        " ON place.parent_id = tree.id) SELECT id FROM tree)"
    ),
    "perpetrator type": (
        " AND incident.id IN (SELECT incident_id FROM involvement"
        " WHERE involvement.deleted_at IS NULL AND involvement.role = 'alleged_perpetrator'"
        " AND involvement.perpetrator_type = :perpetrator_type)"
    ),
    "case": (
        " AND incident.id IN (SELECT incident_id FROM case_incident"
        " WHERE case_incident.case_id = :case AND case_incident.deleted_at IS NULL)"
    ),
}


def query_cases(session: Session) -> dict[str, tuple[IncidentFilters, dict[str, Any]]]:
    """Each list query as the service takes it and as raw SQL parameters."""
    baku = session.execute(select(col(Place.id)).where(col(Place.name) == "Baku")).scalar_one()
    case_id = session.execute(select(col(CaseIncident.case_id)).limit(1)).scalar_one()
    first, last = date(2015, 1, 1), date(2015, 12, 31)
    return {
        "unfiltered": (IncidentFilters(), {}),
        "type": (IncidentFilters(type="DET"), {"type": "DET"}),
        "date range overlap": (
            IncidentFilters(date_from=first, date_to=last),
            {"date_from": first, "date_to": last},
        ),
        "place subtree": (IncidentFilters(place_id=baku), {"place": baku}),
        "perpetrator type": (
            IncidentFilters(perpetrator_type="state_agent"),
            {"perpetrator_type": "state_agent"},
        ),
        "case": (IncidentFilters(case_id=case_id), {"case": case_id}),
    }


def raw_parameters(session: Session, parameters: dict[str, Any]) -> dict[str, Any]:
    """SQLite keeps UUIDs as 32 hex digits; PostgreSQL has a uuid type."""
    if session.get_bind().dialect.name != "sqlite":
        return parameters
    return {
        key: value.hex if isinstance(value, uuid.UUID) else value
        for key, value in parameters.items()
    }


def best_seconds(*actions: Callable[[], int]) -> list[tuple[float, int]]:
    """Best run of each action (seconds, rows), the actions taken in turn so a busy moment hits
    all alike. The best, as timeit advises: slower runs measure the other processes.

    At least REPEATS rounds, more for quick queries (up to MAX_ROUNDS, about a second), so a
    sub-millisecond query is also timed after PostgreSQL's driver has prepared it.
    """
    started = time.perf_counter()
    for action in actions:
        action()  # warm the statement caches and the database's pages first
    warm_up = time.perf_counter() - started
    rounds = max(REPEATS, min(MAX_ROUNDS, int(1.0 / max(warm_up, 1e-6))))
    timings: list[list[float]] = [[] for _ in actions]
    rows = [0 for _ in actions]
    for _ in range(rounds):
        for index, action in enumerate(actions):
            started = time.perf_counter()
            rows[index] = action()
            timings[index].append(time.perf_counter() - started)
    return [(min(seconds), count) for seconds, count in zip(timings, rows, strict=True)]


def list_rows(session: Session, filters: IncidentFilters, limit: int | None) -> int:
    return len(list_incidents(session, filters=filters, limit=limit))


def object_rows(session: Session, filters: IncidentFilters, limit: int | None) -> int:
    """The list as it was: a whole Incident object per row (released after, as a request would)."""
    statement = filtered(select(Incident), shape_of(filters)).order_by(*sort_order("date"))
    parameters = bound_values(filters)
    count = len(session.execute(statement.limit(limit), parameters).scalars().all())
    session.expunge_all()
    return count


def raw_rows(session: Session, statement: Any, parameters: dict[str, Any]) -> int:
    return len(session.execute(statement, parameters).all())


def compare_queries(engine: Engine, *, limit: int | None) -> list[QueryTiming]:
    """The service, raw SQL (untyped, then typed alike) and whole Incident objects, timed alike."""
    results = []
    suffix = f" LIMIT {limit}" if limit else ""
    with Session(engine) as session:
        for name, (filters, parameters) in query_cases(session).items():
            raw = text(RAW_BASE + RAW_CONDITIONS[name] + RAW_ORDER + suffix)
            bound = raw_parameters(session, parameters)
            timings = best_seconds(
                partial(list_rows, session, filters, limit),
                partial(raw_rows, session, raw, bound),
                # SQLite hands back UUIDs, dates and timestamps as text; these are converted.
                partial(raw_rows, session, raw.columns(*LIST_COLUMNS), bound),
                partial(object_rows, session, filters, limit),
            )
            counts = {rows for _, rows in timings}
            if len(counts) != 1:
                raise SystemExit(f"{name}: the four ways found different rows: {timings}")
            seconds = [seconds for seconds, _ in timings]
            results.append(QueryTiming(name, limit, counts.pop(), *seconds))
    return results


def explain(engine: Engine, filters: IncidentFilters) -> list[str]:
    """The plan the database chose for the service's first page, one line per step."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (COSTS OFF) "
    statement = list_statement(shape_of(filters), "date", paged=True)
    captured: list[list[Any]] = []

    def add_prefix(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> tuple[str, Any]:
        return prefix + sql, params

    def keep_plan(_conn: Any, cursor: Any, *_: Any) -> None:
        captured.append(cursor.fetchall())

    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", add_prefix, retval=True)
        event.listen(connection, "after_cursor_execute", keep_plan)
        connection.execute(statement, {**bound_values(filters), "limit": PAGE, "offset": 0})
    return [str(row[-1]).strip() for row in captured[-1]]


def is_read_step(step: str) -> bool:
    return ":" not in step and any(word in step.upper() for word in PLAN_WORDS)


def plan_steps(plan: list[str]) -> str:
    """The steps that read a table or an index, or sort: where a missing index would show."""
    return " · ".join(filter(is_read_step, (line.removeprefix("->").strip() for line in plan)))


def report_plans(engine: Engine) -> None:
    print(f"\n| list query plan ({engine.dialect.name}, first page) | tables and indexes read |")
    print("|---|---|")
    with Session(engine) as session:
        for name, (filters, _) in query_cases(session).items():
            plan = explain(engine, filters)
            print(f"| {name} | {plan_steps(plan)} |")


# --- the run ------------------------------------------------------------------------------


def bench_engine(label: str, url_of: Callable[[str], str], options: argparse.Namespace) -> Figures:
    """Small export, the big one, queries, then the import: one PostgreSQL URL suffices."""
    print(f"\n## {label}\n")
    figures = Figures(label)
    small_path = options.workdir / f"{label}-{options.small}.json"
    export_path = options.export_file or options.workdir / f"{label}-{options.count}.json"
    if options.import_only and export_path.exists():
        print(f"- importing {export_path} as it is (--export-file)")
        report_import(url_of("import"), export_path, figures, options.count)
        return figures
    if not options.queries_only and not options.import_only:
        figures.small_peak = traced_small_export(url_of("small"), options.small, small_path)
    engine = fresh_database(url_of("big"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            print(f"- {connection.exec_driver_sql('SELECT version()').scalar_one()}")
    report_generation(engine, options.count)
    if not options.queries_only:
        report_export(engine, export_path, figures, options)
    if not options.import_only:
        figures.queries = report_queries(engine)
        report_plans(engine)
    engine.dispose()
    if not options.queries_only:
        report_import(url_of("import"), export_path, figures, options.count)
    return figures


def report_generation(engine: Engine, count: int) -> None:
    seconds = generate(engine, count)
    print(
        f"- generate {count:,} synthetic incidents: {seconds:.1f} s"
        f" ({count / seconds:,.0f} incidents/s)"
    )


def report_export(
    engine: Engine, path: Path, figures: Figures, options: argparse.Namespace
) -> None:
    seconds, _ = export(engine, path, trace=False)
    print(
        f"- JSON export of {options.count:,} incidents: {seconds:.1f} s"
        f" ({options.count / seconds:,.0f} incidents/s, {path.stat().st_size / 1024**2:.0f} MiB)"
    )
    if options.import_only:
        return
    _, figures.big_peak = export(engine, options.workdir / "traced.json", trace=True)
    print(
        f"- export peak Python memory (tracemalloc): {options.small:,} incidents"
        f" {mebibytes(figures.small_peak)}; {options.count:,} incidents"
        f" {mebibytes(figures.big_peak)}"
    )


def report_import(url: str, path: Path, figures: Figures, count: int) -> None:
    target = fresh_database(url)
    before = load_average()
    timing = import_into(target, path)
    target.dispose()
    figures.import_rate = count / timing.seconds
    server = "" if timing.server_cpu is None else f", server {timing.server_cpu:.1f} s"
    print(
        f"- JSON import of {count:,} incidents into an empty database: {timing.seconds:.1f} s"
        f" ({figures.import_rate:,.0f} incidents/s; target >= {IMPORT_TARGET:,});"
        f" CPU: this process {timing.cpu:.1f} s{server}; {before} before, {load_average()} after"
    )
    print("\n| import phase | seconds |\n|---|---:|")
    for name, spent in timing.phases.items():
        print(f"| {name} | {spent:.1f} |")
    print(f"| **total** | **{timing.seconds:.1f}** |")


def traced_small_export(url: str, small: int, path: Path) -> int:
    engine = fresh_database(url)
    generate(engine, small)
    _, peak = export(engine, path, trace=True)
    engine.dispose()
    return peak


def report_queries(engine: Engine) -> list[QueryTiming]:
    timings = []
    for limit in (PAGE, None):
        heading = f"first page ({limit} rows)" if limit else "all matching rows"
        print(
            f"\n| list query, {heading} | rows | list_incidents ms | raw SQL ms | ratio"
            " | raw SQL typed ms | ratio | Incident objects ms | ratio |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for timing in compare_queries(engine, limit=limit):
            print(
                f"| {timing.name} | {timing.rows:,} | {milliseconds(timing.orm)}"
                f" | {milliseconds(timing.raw)} | {timing.ratio:.2f}"
                f" | {milliseconds(timing.typed)} | {timing.orm / timing.typed:.2f}"
                f" | {milliseconds(timing.objects)} | {timing.objects / timing.raw:.2f} |"
            )
            timings.append(timing)
    return timings


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


# --- the summary ---------------------------------------------------------------------------


def mebibytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB"


def import_verdict(figures: Figures) -> str:
    if figures.import_rate is None:
        return "not run"
    met = "met" if figures.import_rate >= IMPORT_TARGET else "MISSED"
    return f"{figures.import_rate:,.0f}/s: {met}"


def memory_verdict(figures: Figures) -> str:
    if figures.small_peak == 0 or figures.big_peak == 0:
        return "not run"
    # Streaming: ten times the incidents may not cost even half as much memory again.
    met = "met" if figures.big_peak <= CONSTANT_MEMORY_SLACK * figures.small_peak else "MISSED"
    return f"{mebibytes(figures.small_peak)} vs {mebibytes(figures.big_peak)}: {met}"


def in_target(timing: QueryTiming, *, first_page: bool) -> bool:
    """The target's queries: every first page, and every filtered list in full.

    The whole unfiltered table in one list is printed for information: no screen asks for it.
    """
    if first_page:
        return timing.limit is not None
    return timing.limit is None and timing.name != "unfiltered"


def query_verdict(figures: Figures, *, first_page: bool, typed: bool = False) -> str:
    timings = [timing for timing in figures.queries if in_target(timing, first_page=first_page)]
    if not timings:
        return "not run"
    ratios = {
        timing.name: timing.orm / timing.typed if typed else timing.ratio for timing in timings
    }
    worst = max(ratios, key=ratios.__getitem__)
    met = "met" if ratios[worst] <= QUERY_RATIO_TARGET else "MISSED"
    return f"worst {ratios[worst]:.2f} ({worst}): {met}"


def print_summary(all_figures: list[Figures], options: argparse.Namespace) -> None:
    labels = [figures.label for figures in all_figures]
    ratio = f"list_incidents <= {QUERY_RATIO_TARGET:g}x raw SQL"
    rows: dict[str, Callable[[Figures], str]] = {
        f"JSON import >= {IMPORT_TARGET:,} incidents/s": import_verdict,
        f"export peak memory, {options.small:,} vs {options.count:,} incidents": memory_verdict,
        f"{ratio}, first pages": partial(query_verdict, first_page=True),
        f"{ratio}, filtered lists in full": partial(query_verdict, first_page=False),
        "(the same, raw SQL typed alike)": partial(query_verdict, first_page=False, typed=True),
    }
    print(f"\n## Summary ({load_average()} at the end)\n\n| target | {' | '.join(labels)} |")
    print("|---" * (len(labels) + 1) + "|")
    for target, verdict in rows.items():
        print(f"| {target} | {' | '.join(verdict(figures) for figures in all_figures)} |")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="also run on this PostgreSQL database (its data is dropped)",
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--queries-only",
        action="store_true",
        help="generate, then time and explain the list queries; no JSON export or import",
    )
    only.add_argument(
        "--import-only",
        action="store_true",
        help="generate, export, then time the import by phase; no memory trace or queries",
    )
    parser.add_argument(
        "--export-file",
        metavar="FILE",
        type=Path,
        default=None,
        help="keep the big export here; with --import-only, an existing one is imported as it"
        " is (it must hold --count incidents), without generating again",
    )
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    install_bench_master_key()
    # A lock held by someone else's session fails the run instead of hanging it.
    os.environ.setdefault("PGOPTIONS", "-c lock_timeout=60s")
    print(f"# tracker benchmark\n\n{machine()}")
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as directory:
        options.workdir = Path(directory)
        all_figures = [
            bench_engine("SQLite", lambda name: f"sqlite:///{options.workdir / name}.db", options)
        ]
        if options.postgres:
            all_figures.append(bench_engine("PostgreSQL", lambda _: options.postgres, options))
    print_summary(all_figures, options)


if __name__ == "__main__":
    main()
