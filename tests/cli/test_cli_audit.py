"""`tracker audit verify|export`, `tracker check` on the chain: exit codes, messages, and an
exported log verified offline, tampered line by line."""

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from tests.audit_tampering import (
    FILE_TAMPERINGS,
    Expected,
    Lines,
    edit_reason,
    file_swap,
    populate,
)
from tests.conftest import TrackerRunner
from tracker.config import Settings
from tracker.domain.audit_chain import BreakKind, ChainEntry
from tracker.services.audit_chain import verify_audit_file


@pytest.fixture
def entries(engine: Engine) -> list[ChainEntry]:
    with Session(engine, expire_on_commit=False) as session:
        return populate(session)


@pytest.fixture
def exported(cli: TrackerRunner, entries: list[ChainEntry], tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    result = cli.invoke("audit", "export", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def assert_refused(result: Any, message: str) -> None:
    """Exit 1, one line on stderr holding the message, no traceback."""
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- the database -------------------------------------------------------------------------------


def test_verify_an_empty_log(cli: TrackerRunner) -> None:
    result = cli.invoke("audit", "verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "chain intact: 0 entries, head none (empty log)\n"


def test_verify_prints_the_count_and_the_head(
    cli: TrackerRunner, entries: list[ChainEntry]
) -> None:
    result = cli.invoke("audit", "verify")
    assert result.exit_code == 0, result.stderr
    head = f"{entries[-1].sequence}:{entries[-1].entry_hash}"
    assert result.stdout == f"chain intact: {len(entries)} entries, head {head}\n"


def test_verify_names_the_first_broken_entry(
    cli: TrackerRunner, engine: Engine, entries: list[ChainEntry]
) -> None:
    with engine.begin() as connection:
        edit_reason(connection, entries, 2)
    result = cli.invoke("audit", "verify")
    assert_refused(result, f"chain broken at entry 3 ({entries[2].id}): edited content:")


def test_verify_against_the_head_written_down(
    cli: TrackerRunner, engine: Engine, entries: list[ChainEntry]
) -> None:
    head = f"{entries[-1].sequence}:{entries[-1].entry_hash}"
    assert cli.invoke("audit", "verify", "--expect-head", head).exit_code == 0
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM audit_entry WHERE sequence = {len(entries)}")
    assert cli.invoke("audit", "verify").exit_code == 0  # a cut tail leaves no trace in the chain
    result = cli.invoke("audit", "verify", "--expect-head", head)
    assert_refused(result, f"chain broken at entry {len(entries) - 1} ")
    assert "truncated log" in result.stderr


@pytest.mark.parametrize("head", ["12", "x:y", "3:" + "a" * 10])
def test_a_malformed_head_is_refused(cli: TrackerRunner, head: str) -> None:
    assert_refused(cli.invoke("audit", "verify", "--expect-head", head), "head:")


def test_check_reports_the_chain(
    cli: TrackerRunner, engine: Engine, entries: list[ChainEntry]
) -> None:
    result = cli.invoke("check")
    assert result.exit_code == 0, result.stderr
    assert f"Audit chain intact: {len(entries)} entries, head {len(entries)}:" in result.stdout
    with engine.begin() as connection:
        edit_reason(connection, entries, 0)
    result = cli.invoke("check")
    assert result.exit_code == 1
    assert f"audit_entry {entries[0].id}: audit chain broken at entry 1: edited content" in (
        result.stdout
    )


# --- export -----------------------------------------------------------------------------------


def test_export_writes_json_lines_that_verify_offline(
    cli: TrackerRunner, engine: Engine, entries: list[ChainEntry], exported: Path
) -> None:
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(entries) + 2
    assert json.loads(lines[0])["format"] == "tracker-audit-log"
    assert [json.loads(line)["id"] for line in lines[1:-1]] == [entry.id for entry in entries]
    assert "Əli Məlikov" in lines[1]  # as typed, not \\u-escaped
    head = f"{entries[-1].sequence}:{entries[-1].entry_hash}"
    assert json.loads(lines[-1]) == {"end_of_log": True, "entries": len(entries), "head": head}
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    result = cli.invoke("audit", "verify", "--file", str(exported))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"chain intact: {len(entries)} entries, head {head}\n"
    # The export is itself recorded, after the head the file ends with.
    database = cli.invoke("audit", "verify")
    assert f"{len(entries) + 1} entries" in database.stdout
    assert not list(exported.parent.glob(".*.partial"))


def test_export_refuses_a_missing_folder(cli: TrackerRunner, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "audit.jsonl"
    assert_refused(cli.invoke("audit", "export", "-o", str(target)), "output: the folder")
    assert not target.parent.exists()


def test_a_folder_is_no_file_name(cli: TrackerRunner, tmp_path: Path) -> None:
    for args in (("export", "-o", str(tmp_path)), ("verify", "--file", str(tmp_path))):
        result = cli.invoke("audit", *args)
        assert result.exit_code == 2  # click's usage error
        assert "is a directory" in result.stderr and "Traceback" not in result.stderr


def test_an_exported_file_verifies_without_any_database(exported: Path, tmp_path: Path) -> None:
    from tests.conftest import TrackerRunner as Runner

    nowhere = Settings(
        instance_path=tmp_path / "elsewhere",
        database_url="postgresql://nobody@127.0.0.1:9/no_such_database",
        exports_path=tmp_path / "exports",
        secret_key="test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    )
    offline = Runner(nowhere)
    assert offline.invoke("audit", "verify").exit_code == 1  # no database there
    result = offline.invoke("audit", "verify", "--file", str(exported))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("chain intact: ")


# --- bad files --------------------------------------------------------------------------------


def rewrite_line(path: Path, index: int, change: Callable[[dict[str, Any]], Any]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[index])
    change(record)
    lines[index] = json.dumps(record, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def replace_line(path: Path, index: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[index] = text + "\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda path: path.unlink(), "cannot read"),
        (lambda path: path.write_bytes(b""), "is empty"),
        (lambda path: path.write_text("{not json\n"), "line 1: malformed JSON"),
        (lambda path: path.write_text('{"format": "other"}\n'), "line 1: not an exported audit"),
        (lambda path: path.write_text("[1, 2]\n"), "line 1: each line must be a JSON object"),
        (
            lambda path: path.write_bytes(path.read_bytes().replace(b"\xc6\x8f", b"\xff", 1)),
            "line 2: not valid UTF-8",
        ),
        (
            lambda path: rewrite_line(path, 2, lambda record: record.update(sequence="2")),
            "line 3: sequence must be a whole number",
        ),
        (
            lambda path: rewrite_line(path, 1, lambda record: record.update(id=12)),
            "line 2: id must be a UUID",
        ),
        (
            lambda path: rewrite_line(path, 1, lambda record: record.update(changes=[])),
            "line 2: changes must be a JSON object",
        ),
        (
            lambda path: rewrite_line(
                path, 1, lambda record: record.update(occurred_at="2024-01-01T00:00:00")
            ),
            "line 2: occurred_at must be an ISO 8601 timestamp with a UTC offset",
        ),
        (
            lambda path: rewrite_line(path, 1, lambda record: record.update(entry_hash="x")),
            "line 2: entry_hash must be 64 lower-case hexadecimal digits",
        ),
        (
            lambda path: rewrite_line(path, 1, lambda record: record.pop("reason")),
            "line 2: missing field 'reason'",
        ),
        (
            lambda path: rewrite_line(path, 1, lambda record: record.update(extra=1)),
            "line 2: unknown field 'extra'",
        ),
        (
            lambda path: path.write_text(
                "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1])
            ),
            "the file ends at line 9 without its closing line",
        ),
        (
            lambda path: path.write_text(path.read_text(encoding="utf-8") + "{}\n"),
            "line 11: text after the closing line",
        ),
        (
            lambda path: replace_line(path, 2, "[" * 100_000),
            "line 3: the JSON is nested too deeply",
        ),
        (lambda path: replace_line(path, 2, ""), "line 3: malformed JSON"),
    ],
)
def test_a_bad_file_is_refused_with_the_line_and_no_traceback(
    cli: TrackerRunner, exported: Path, spoil: Callable[[Path], Any], message: str
) -> None:
    spoil(exported)
    assert_refused(cli.invoke("audit", "verify", "--file", str(exported)), message)


# --- tampering with an exported file ----------------------------------------------------------

FILE_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def tampered_copy(exported: Path, tmp_path: Path, tamper: Callable[[Lines], Expected]) -> Any:
    lines = exported.read_text(encoding="utf-8").splitlines(keepends=True)
    expected = tamper(lines)
    copy = tmp_path / "tampered.jsonl"
    copy.write_text("".join(lines), encoding="utf-8")
    return expected, verify_audit_file(copy)


@FILE_SETTINGS
@given(data=st.data())
def test_any_tampering_with_a_file_is_named_offline(
    exported: Path, entries: list[ChainEntry], tmp_path: Path, data: Any
) -> None:
    name, tamper, last_allowed = data.draw(st.sampled_from(FILE_TAMPERINGS), label="tampering")
    k = data.draw(st.integers(0, len(entries) - 1 - last_allowed), label="position")
    expected, report = tampered_copy(exported, tmp_path, lambda lines: tamper(lines, k))
    assert report.first_break is not None, (name, k)
    assert (report.first_break.kind, report.first_break.entry_id) == expected, (name, k)


@FILE_SETTINGS
@given(data=st.data())
def test_two_swapped_lines_are_named_as_reordered(
    exported: Path, entries: list[ChainEntry], tmp_path: Path, data: Any
) -> None:
    a = data.draw(st.integers(0, len(entries) - 2), label="first")
    b = data.draw(st.integers(a + 1, len(entries) - 1), label="second")
    expected, report = tampered_copy(exported, tmp_path, lambda lines: file_swap(lines, a, b))
    assert report.first_break is not None
    assert (report.first_break.kind, report.first_break.entry_id) == expected


def test_a_file_cut_short_with_its_closing_line_kept_is_truncated(
    exported: Path, entries: list[ChainEntry], tmp_path: Path
) -> None:
    def drop_last_entry(lines: Lines) -> Expected:
        del lines[-2]
        return BreakKind.TRUNCATED, ""

    _, report = tampered_copy(exported, tmp_path, drop_last_entry)
    assert report.first_break is not None
    assert report.first_break.kind == BreakKind.TRUNCATED
    assert report.first_break.sequence == entries[-2].sequence


def test_a_tampered_file_fails_the_command(
    cli: TrackerRunner, exported: Path, entries: list[ChainEntry]
) -> None:
    rewrite_line(exported, 4, lambda record: record.update(reason="never happened"))
    result = cli.invoke("audit", "verify", "--file", str(exported))
    assert_refused(result, f"chain broken at entry 4 ({entries[3].id}): edited content")
