"""`tracker export/import json|csv`: exit 0 when done, 1 with a one-line reason."""

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import TrackerRunner, table_counts
from tests.interchange.dataset import build_dataset


def assert_refused(result: object, engine: Engine, before: dict[str, int]) -> None:
    assert result.exit_code == 1  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    assert table_counts(engine) == before


def test_export_then_import_json(
    cli: TrackerRunner, session: Session, engine: Engine, tmp_path: Path
) -> None:
    build_dataset(session)
    session.commit()
    output = tmp_path / "all.json"
    exported = cli.invoke("export", "json", "-o", str(output), "--with-audit")
    assert exported.exit_code == 0, exported.stderr
    assert "Exported" in exported.stdout and output.exists()
    imported = cli.invoke("import", "json", str(output))
    assert imported.exit_code == 0, imported.stderr
    assert "Imported 0 new records" in imported.stdout


def test_a_bad_json_file_exits_1(cli: TrackerRunner, engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text('{"format": "tracker-interchange", "format_version": 9}', encoding="utf-8")
    before = table_counts(engine)
    assert_refused(cli.invoke("import", "json", str(source)), engine, before)
