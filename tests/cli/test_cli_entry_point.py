"""The installed `tracker` script: configuration errors stop it cleanly before anything runs."""

import os
import subprocess
import sys
from pathlib import Path

from tracker.migrations import head_revision

TRACKER = Path(sys.executable).with_name("tracker")


def run_tracker(*args: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACKER_")}
    env.update(environment)
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unknown_setting_in_environment_is_named(tmp_path: Path) -> None:
    result = run_tracker("db", "current", cwd=tmp_path, TRACKER_COLOUR="blue")
    assert result.returncode == 1
    assert result.stderr == "Error: TRACKER_COLOUR: unknown setting\n"


def test_placeholder_secret_in_config_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('secret_key = "changethis"\n', encoding="utf-8")
    result = run_tracker("db", "current", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: secret_key: a placeholder")
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_tracker("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "db", "demo", "export", "import", "check"):
        assert command in result.stdout


def test_init_then_current_in_a_fresh_folder(tmp_path: Path) -> None:
    init = run_tracker("init", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "instance" / "tracker.db").is_file()
    assert oct((tmp_path / "instance").stat().st_mode & 0o777) == "0o700"
    current = run_tracker("db", "current", cwd=tmp_path)
    assert f"current: {head_revision()}" in current.stdout


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    for args in (("check",), ("demo",), ("export", "json", "-o", "out.json")):
        result = run_tracker(*args, cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr == (
            "Error: the database is empty: run `tracker init` (or `tracker db upgrade`)\n"
        )
    assert not (tmp_path / "out.json").exists()


def test_db_upgrade_creates_a_private_instance_folder(tmp_path: Path) -> None:
    result = run_tracker("db", "upgrade", cwd=tmp_path, TRACKER_INSTANCE_PATH="new/inst")
    assert result.returncode == 0, result.stderr
    assert oct((tmp_path / "new" / "inst").stat().st_mode & 0o777) == "0o700"
