"""Server-side times of the main pages, through the app, against the raw SQL underneath.

    .venv/bin/python bench/web.py [--count 100000] [--requests 200] [--postgres URL]
        [--sqlite PATH] [--reuse] [--prepare-only]

Generating 100,000 incidents takes many minutes per engine: --sqlite keeps the SQLite file,
--reuse measures a database that already holds incidents as it is (no drop, no generation),
--prepare-only generates and indexes without measuring (run it once, then --reuse).

Targets (issue 4): p95 under 50 ms for incident lists and the incident page, under 100 ms for
search, on both engines; a page never loads all rows (its time does not grow with the table:
compare a run at --count 20000 with one at 100000).
"""

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_keys import BENCH_MASTER_KEY, install_bench_master_key
from run import fresh_database, generate, load_average, machine

from tracker import create_app
from tracker.config import Settings
from tracker.db import make_engine, unit_of_work
from tracker.models import Incident, Person, Place
from tracker.services.records import update_record
from tracker.services.users import create_user, hash_password

PASSWORD = "benchmark passphrase 2026"
TARGETS_MS = {"list": 50.0, "incident": 50.0, "search": 100.0, "dashboard": 50.0}


class Scenario(NamedTuple):
    name: str
    kind: str  # which target applies
    urls: list[str]
    raw: Callable[[Session], Any] | None


class Timing(NamedTuple):
    name: str
    kind: str
    p50: float
    p95: float
    worst: float
    raw_p50: float | None


def sign_in(client: FlaskClient, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code


def make_analyst(engine: Engine) -> str:
    with unit_of_work(engine) as session:
        user, _ = create_user(
            session, username="bench", display_name="", roles=("analyst",), actor_id=None
        )
        changes = {"password_hash": hash_password(PASSWORD), "must_change_password": False}
        update_record(session, user, actor_id=None, expected_version=1, changes=changes)
    return "bench"


def sample_ids(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        incidents = session.execute(select(col(Incident.id)).limit(2000)).scalars().all()
        baku = session.execute(
            select(col(Place.id)).where(col(Place.name).in_(("Bakı", "Baku")))
        ).scalar()
        codes = session.execute(select(col(Person.pseudonym_code)).limit(50)).scalars().all()
    return {"incidents": list(incidents), "baku": baku, "codes": list(codes)}


def scenarios(ids: dict[str, Any], dialect: str) -> list[Scenario]:
    incident_urls = [f"/incidents/{incident_id}" for incident_id in ids["incidents"][:200]]
    raw_list = text(
        "SELECT id, code, title, type, start_text FROM incident WHERE deleted_at IS NULL"
        " ORDER BY start_earliest, start_latest, code LIMIT 50"
    )
    raw_incident = text("SELECT * FROM incident WHERE id = :id")
    first_id = ids["incidents"][0]
    first_id_value = first_id.hex if dialect == "sqlite" else first_id
    search_raw = (
        text("SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH :q LIMIT 20")
        if dialect == "sqlite"
        else None
    )
    return [
        Scenario(
            "incident list, first page",
            "list",
            ["/incidents/"],
            lambda s: s.execute(raw_list).all(),
        ),
        Scenario("incident list, page 20", "list", ["/incidents/?page=20"], None),
        Scenario("incident list by type", "list", ["/incidents/?type=DET"], None),
        Scenario(
            "incident list, 2015 (overlap)",
            "list",
            ["/incidents/?date_from=2015&date_to=2015"],
            None,
        ),
        Scenario(
            "incident list, Baku and below", "list", [f"/incidents/?place={ids['baku']}"], None
        ),
        Scenario(
            "incident page",
            "incident",
            incident_urls,
            lambda s: s.execute(raw_incident, {"id": first_id_value}).all(),
        ),
        Scenario(
            "search, common word",
            "search",
            ["/search?q=police", "/search?q=baku", "/search?q=detention"],
            (lambda s: s.execute(search_raw, {"q": "police"}).all())
            if search_raw is not None
            else None,
        ),
        Scenario(
            "search, pseudonym code", "search", [f"/search?q={code}" for code in ids["codes"]], None
        ),
        Scenario("dashboard", "dashboard", ["/"], None),
    ]


def time_requests(client: FlaskClient, urls: list[str], count: int) -> list[float]:
    times = []
    for number in range(count):
        url = urls[number % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def time_raw(engine: Engine, query: Callable[[Session], Any], count: int) -> float:
    times = []
    with Session(engine) as session:
        for _ in range(count):
            started = time.perf_counter()
            query(session)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18]


def incident_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(text("SELECT count(*) FROM incident")).scalar_one())


def prepare(label: str, url: str, options: argparse.Namespace) -> Engine:
    """An engine on a database holding the synthetic incidents and the benchmark account."""
    if options.reuse:
        engine = make_engine(url)
        print(f"## {label}: reusing {incident_count(engine):,} incidents", flush=True)
        return engine
    engine = fresh_database(url)
    print(f"## {label}: generating {options.count:,} incidents...", flush=True)
    seconds = generate(engine, options.count)
    # Generation indexes the records for search as it ends (its audit entry asks for it).
    print(f"   generated and indexed in {seconds:.0f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    make_analyst(engine)
    return engine


def bench_engine(label: str, url: str, options: argparse.Namespace) -> list[Timing]:
    engine = prepare(label, url, options)
    if options.prepare_only:
        engine.dispose()
        return []
    username = "bench"
    ids = sample_ids(engine)
    instance = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    settings = Settings(
        instance_path=instance,
        database_url=url,
        secret_key=secrets.token_urlsafe(48),
        master_key_file=str(BENCH_MASTER_KEY),
    )
    app = create_app(settings)
    client = app.test_client()
    sign_in(client, username)
    timings = []
    for scenario in scenarios(ids, engine.dialect.name):
        time_requests(client, scenario.urls, 5)  # warm caches and statement caches
        times = time_requests(client, scenario.urls, options.requests)
        raw = time_raw(engine, scenario.raw, options.requests) if scenario.raw else None
        timing = Timing(
            scenario.name, scenario.kind, statistics.median(times), p95(times), max(times), raw
        )
        print(f"  {timing.name}: p50 {ms(timing.p50)}, p95 {ms(timing.p95)}", flush=True)
        timings.append(timing)
    engine.dispose()
    return timings


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def report(label: str, timings: list[Timing]) -> None:
    print(f"\n### {label}\n")
    print("| page | p50 | p95 | worst | raw SQL p50 | target p95 | met |")
    print("|---|---|---|---|---|---|---|")
    for timing in timings:
        target = TARGETS_MS[timing.kind]
        met = "yes" if timing.p95 * 1000 <= target else "**no**"
        print(
            f"| {timing.name} | {ms(timing.p50)} | {ms(timing.p95)} | {ms(timing.worst)}"
            f" | {ms(timing.raw_p50)} | {target:.0f} ms | {met} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", help="a scratch database; its public schema is DROPPED")
    parser.add_argument("--sqlite", type=Path, help="keep the SQLite database in this file")
    parser.add_argument("--reuse", action="store_true", help="measure the databases as they are")
    parser.add_argument("--prepare-only", action="store_true", help="generate, do not measure")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    options = parser.parse_args()
    install_bench_master_key()
    random.seed(1)
    print(machine())
    print(load_average())
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        path = options.sqlite or Path(folder) / "bench.db"
        if not options.skip_sqlite:
            runs.append(("SQLite", bench_engine("SQLite", f"sqlite:///{path}", options)))
    if options.postgres:
        runs.append(("PostgreSQL", bench_engine("PostgreSQL", options.postgres, options)))
    print(f"\n{load_average()}")
    for label, timings in runs:
        if timings:
            report(label, timings)


if __name__ == "__main__":
    main()
