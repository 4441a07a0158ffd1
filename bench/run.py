"""Benchmark generation, JSON import and export, and incident list queries (run on demand).

    .venv/bin/python bench/run.py [--count 100000] [--small 10000] [--postgres URL]

Targets (docs/performance.md): import >= 5,000 incidents/s; export in constant memory; ORM list
queries within 2x the same query in raw SQL.
"""

import argparse
import platform
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from tracker.db import make_engine, unit_of_work
from tracker.demo.synthetic import generate_synthetic
from tracker.interchange.json_format import export_json, import_json
from tracker.migrations import upgrade_database
from tracker.models import CaseIncident, Place
from tracker.services.incidents import IncidentFilters, list_incidents

EXPORTED_AT = datetime(2024, 1, 1, tzinfo=UTC)
REPEATS = 5
PAGE = 50


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
        f" Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}"
    )


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


def import_into(engine: Engine, path: Path) -> float:
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        import_json(session, path)
    return time.perf_counter() - started


# --- list queries: the service versus hand-written SQL ------------------------------------

RAW_BASE = "SELECT * FROM incident WHERE deleted_at IS NULL"
RAW_ORDER = (
    " ORDER BY COALESCE(start_earliest, start_latest) ASC NULLS LAST,"
    " COALESCE(start_latest, start_earliest) ASC NULLS LAST, code"
)
RAW_CONDITIONS = {
    "type": " AND type = :type",
    "date range overlap": (
        " AND NOT (start_earliest IS NULL AND start_latest IS NULL AND end_earliest IS NULL"
        " AND end_latest IS NULL) AND (start_earliest IS NULL OR start_earliest <= :date_to)"
        " AND ((CASE WHEN end_text IS NOT NULL THEN end_latest ELSE start_latest END) IS NULL"
        " OR (CASE WHEN end_text IS NOT NULL THEN end_latest ELSE start_latest END)"
        " >= :date_from)"
    ),
    "place subtree": (
        " AND place_id IN (WITH RECURSIVE tree(id) AS (SELECT id FROM place WHERE id = :place"
        " UNION ALL SELECT place.id FROM place JOIN tree ON place.parent_id = tree.id)"
        " SELECT id FROM tree)"
    ),
    "perpetrator type": (
        " AND EXISTS (SELECT 1 FROM involvement WHERE involvement.incident_id = incident.id"
        " AND involvement.deleted_at IS NULL AND involvement.role = 'alleged_perpetrator'"
        " AND involvement.perpetrator_type = :perpetrator_type)"
    ),
    "case": (
        " AND EXISTS (SELECT 1 FROM case_incident WHERE case_incident.incident_id = incident.id"
        " AND case_incident.case_id = :case AND case_incident.deleted_at IS NULL)"
    ),
}


def query_cases(session: Session) -> dict[str, tuple[IncidentFilters, dict[str, Any]]]:
    """Each filter as the service takes it and as raw SQL parameters."""
    baku = session.execute(select(col(Place.id)).where(col(Place.name) == "Baku")).scalar_one()
    case_id = session.execute(select(col(CaseIncident.case_id)).limit(1)).scalar_one()
    first, last = date(2015, 1, 1), date(2015, 12, 31)
    return {
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


def median_seconds(action: Callable[[], int]) -> tuple[float, int]:
    timings, rows = [], 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        rows = action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), rows


def orm_rows(session: Session, filters: IncidentFilters, limit: int | None) -> int:
    return len(list_incidents(session, filters=filters, limit=limit))


def raw_rows(session: Session, statement: Any, parameters: dict[str, Any]) -> int:
    return len(session.execute(statement, parameters).all())


def compare_queries(engine: Engine, *, limit: int | None) -> list[tuple[str, int, float, float]]:
    """(filter, rows, ORM seconds, raw seconds) for each list query."""
    results = []
    suffix = f" LIMIT {limit}" if limit else ""
    with Session(engine) as session:
        for name, (filters, parameters) in query_cases(session).items():
            statement = text(RAW_BASE + RAW_CONDITIONS[name] + RAW_ORDER + suffix)
            bound = raw_parameters(session, parameters)
            orm, rows = median_seconds(partial(orm_rows, session, filters, limit))
            raw, _ = median_seconds(partial(raw_rows, session, statement, bound))
            session.expunge_all()
            results.append((name, rows, orm, raw))
    return results


# --- the run ------------------------------------------------------------------------------


def bench_engine(
    label: str, url_of: Callable[[str], str], count: int, small: int, workdir: Path
) -> None:
    """Small export first, then the big one, then the import: one PostgreSQL URL suffices."""
    print(f"\n## {label}\n")
    small_peak = traced_small_export(url_of("small"), small, workdir / f"{label}-{small}.json")
    engine = fresh_database(url_of("big"))
    seconds = generate(engine, count)
    print(
        f"- generate {count:,} synthetic incidents: {seconds:.1f} s"
        f" ({count / seconds:,.0f} incidents/s)"
    )
    export_path = workdir / f"{label}-{count}.json"
    export_seconds, _ = export(engine, export_path, trace=False)
    print(
        f"- JSON export of {count:,} incidents: {export_seconds:.1f} s"
        f" ({count / export_seconds:,.0f} incidents/s,"
        f" {export_path.stat().st_size / 1024**2:.0f} MiB)"
    )
    _, big_peak = export(engine, workdir / f"{label}-traced.json", trace=True)
    print(
        f"- export peak Python memory (tracemalloc): {small:,} incidents"
        f" {small_peak / 1024**2:.1f} MiB; {count:,} incidents {big_peak / 1024**2:.1f} MiB"
    )
    report_queries(engine)
    engine.dispose()
    target = fresh_database(url_of("import"))
    import_seconds = import_into(target, export_path)
    print(
        f"- JSON import of {count:,} incidents into an empty database: {import_seconds:.1f} s"
        f" ({count / import_seconds:,.0f} incidents/s; target >= 5,000)"
    )
    target.dispose()


def traced_small_export(url: str, small: int, path: Path) -> int:
    engine = fresh_database(url)
    generate(engine, small)
    _, peak = export(engine, path, trace=True)
    engine.dispose()
    return peak


def report_queries(engine: Engine) -> None:
    for limit in (PAGE, None):
        heading = f"first page ({limit} rows)" if limit else "all matching rows"
        print(f"\n| list query, {heading} | rows | ORM service ms | raw SQL ms | ratio |")
        print("|---|---:|---:|---:|---:|")
        for name, rows, orm, raw in compare_queries(engine, limit=limit):
            print(f"| {name} | {rows:,} | {orm * 1000:.1f} | {raw * 1000:.1f} | {orm / raw:.2f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="also run on this PostgreSQL database (its data is dropped)",
    )
    arguments = parser.parse_args()
    print(f"# tracker benchmark\n\n{machine()}")
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as directory:
        workdir = Path(directory)
        bench_engine(
            "SQLite",
            lambda name: f"sqlite:///{workdir / name}.db",
            arguments.count,
            arguments.small,
            workdir,
        )
        if arguments.postgres:
            bench_engine(
                "PostgreSQL",
                lambda _name: arguments.postgres,
                arguments.count,
                arguments.small,
                workdir,
            )


if __name__ == "__main__":
    main()
