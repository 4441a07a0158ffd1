"""The `tracker` command: init, migrations, exit codes and messages."""

import stat
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.conftest import TrackerRunner
from tracker.config import Settings
from tracker.domain.errors import InvalidInput
from tracker.migrations import head_revision
from tracker.models import UserAccount, UserRole


def test_init_writes_a_private_secret_and_prints_the_admin_password_once(
    cli: TrackerRunner, settings: Settings, engine: Engine
) -> None:
    first = cli.invoke("init")
    assert first.exit_code == 0, first.stderr
    mode = stat.S_IMODE(settings.secret_key_path.stat().st_mode)
    assert mode == 0o600
    assert len(settings.secret_key_path.read_text()) >= 32
    assert "One-time password" in first.stdout
    second = cli.invoke("init")
    assert second.exit_code == 0
    assert "One-time password" not in second.stdout
    with Session(engine) as session:
        users = session.execute(select(UserAccount)).scalars().all()
        roles = session.execute(select(UserRole.role_code)).scalars().all()
    assert [user.username for user in users] == ["admin"]
    assert roles == ["admin"]
    password = first.stdout.split("login): ")[1].strip()
    assert password not in users[0].password_hash
    assert users[0].password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("username", ["", "two words", "nul\x01byte", "x" * 101])
def test_init_with_a_malformed_admin_username_writes_nothing(
    cli: TrackerRunner, settings: Settings, username: str
) -> None:
    result = cli.invoke("init", "--admin-username", username)
    assert result.exit_code == 1
    assert "username:" in result.stderr
    assert not settings.secret_key_path.exists()


def test_db_current_reports_head(cli: TrackerRunner) -> None:
    result = cli.invoke("db", "current")
    assert result.exit_code == 0
    assert f"current: {head_revision()}" in result.stdout


def test_db_downgrade_and_upgrade(cli: TrackerRunner) -> None:
    assert cli.invoke("db", "downgrade", "base").exit_code == 0
    assert "base (empty)" in cli.invoke("db", "current").stdout
    result = cli.invoke("db", "upgrade")
    assert result.exit_code == 0
    assert str(head_revision()) in result.stdout


def test_usage_error_exits_2(cli: TrackerRunner) -> None:
    assert cli.invoke("db", "downgrade").exit_code == 2
    assert cli.invoke("no-such-command").exit_code == 2
    assert cli.invoke("demo", "--synthetic", "0").exit_code == 2


def test_user_error_exits_1_with_one_line_and_no_traceback(
    cli: TrackerRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = cli.invoke("import", "json", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_revision_is_a_clean_error(cli: TrackerRunner) -> None:
    result = cli.invoke("db", "upgrade", "nonexistent")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr


def test_check_passes_on_a_clean_database(cli: TrackerRunner) -> None:
    result = cli.invoke("check")
    assert result.exit_code == 0, result.stderr
    assert "No integrity problems" in result.stdout


def test_export_to_a_missing_folder_is_a_clean_error(cli: TrackerRunner, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "out.json"
    result = cli.invoke("export", "json", "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write")
    assert not target.exists()


def test_import_of_a_folder_or_missing_file_is_a_usage_error(
    cli: TrackerRunner, tmp_path: Path
) -> None:
    assert cli.invoke("import", "json", str(tmp_path)).exit_code == 2
    assert cli.invoke("import", "json", str(tmp_path / "absent.json")).exit_code == 2


def test_failed_export_leaves_no_partial_file(
    cli: TrackerRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_halfway(session: object, handle: BinaryIO, **options: object) -> int:
        handle.write(b'{"format": "tracker-interchange", ')
        raise InvalidInput("export failed halfway")

    monkeypatch.setattr("tracker.interchange.json_format.export_json", fail_halfway)
    target = tmp_path / "out.json"
    result = cli.invoke("export", "json", "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr == "Error: export failed halfway\n"
    assert not target.exists()
    assert not list(tmp_path.glob(".out.json*"))


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_exports_are_readable_by_their_owner_only(
    cli: TrackerRunner, tmp_path: Path, kind: str
) -> None:
    """An interchange file holds names in the clear: like the database, only its owner reads it,
    also when it replaces a file others could read."""
    target = tmp_path / f"everything.{kind}"
    target.write_text("an older export")
    target.chmod(0o644)
    result = cli.invoke("export", kind, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8") != "an older export"
    assert not list(tmp_path.glob(f".everything.{kind}*"))
