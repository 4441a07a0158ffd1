"""Exports and imports report progress as (done, total), ending with a full bar."""

import io
import json
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from tests.interchange.dataset import (
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tests.interchange.test_csv import MAPPING, SAMPLE, add_baku
from tracker.interchange.csv_format import export_incidents_csv, import_incidents_csv
from tracker.interchange.progress import ProgressCallback

Calls = list[tuple[int, int]]


def record(calls: Calls) -> ProgressCallback:
    return lambda done, total: calls.append((done, total))


def assert_ends_full(calls: Calls, total: int) -> None:
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(0 <= done <= count for done, count in calls)


def test_json_export_and_import_report_progress(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    exported: Calls = []
    data = export_bytes(session, with_audit=True, progress=record(exported))
    session.commit()
    sections = [value for value in json.loads(data).values() if isinstance(value, list)]
    assert_ends_full(exported, sum(map(len, sections)))
    empty_database(engine, seed)
    imported: Calls = []
    report = import_bytes(session, data, tmp_path, progress=record(imported))
    assert_ends_full(imported, sum(report.created.values()) + sum(report.updated.values()))
    assert imported[-1][0] > 0


def test_an_import_with_nothing_to_write_reports_zero_of_zero(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    build_dataset(session)
    session.commit()
    data = export_bytes(session)
    calls: Calls = []
    report = import_bytes(session, data, tmp_path, progress=record(calls))
    assert sum(report.created.values()) == 0
    assert calls == [(0, 0)]


def test_csv_export_reports_progress(session: Session) -> None:
    build_dataset(session)
    calls: Calls = []
    count = export_incidents_csv(session, io.BytesIO(), progress=record(calls))
    assert count > 0
    assert_ends_full(calls, count)


def test_csv_import_reports_progress(session: Session) -> None:
    add_baku(session)
    calls: Calls = []
    report = import_incidents_csv(
        session, SAMPLE, mapping_path=MAPPING, dry_run=False, progress=record(calls)
    )
    assert len(report.created) == 3
    assert_ends_full(calls, 3)
