"""Settings: defaults < TOML < environment; unknown keys, wrong types and placeholders refused."""

import dataclasses
from pathlib import Path

import pytest

from tracker.config import Settings, load_settings
from tracker.domain.errors import ConfigError

GOOD_SECRET = "x" * 48


def write_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_use_sqlite_in_the_instance_folder() -> None:
    settings = load_settings(environ={}, config_path=None)
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("instance/tracker.db")
    assert settings.secret_key is None


def test_toml_overrides_defaults_and_environment_overrides_toml(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'session_idle_minutes = 10\nlog_level = "DEBUG"\n')
    settings = load_settings(environ={"TRACKER_SESSION_IDLE_MINUTES": "20"}, config_path=path)
    assert settings.session_idle_minutes == 20
    assert settings.log_level == "DEBUG"


def test_tracker_config_variable_names_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'database_url = "postgresql://db/x"\n')
    settings = load_settings(environ={"TRACKER_CONFIG": str(path)})
    assert settings.database_url == "postgresql://db/x"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


@pytest.mark.parametrize(
    "body, key",
    [
        ("colour = 'blue'\n", "colour"),
        ("session_idle_minutes = 'ten'\n", "session_idle_minutes"),
        ("session_idle_minutes = true\n", "session_idle_minutes"),
        ("instance_path = 3\n", "instance_path"),
        ("secret_key = 'changethis'\n", "secret_key"),
        (f"secret_key = '{'short'}'\n", "secret_key"),
        ("default_language = 'fr'\n", "default_language"),
        ("session_idle_minutes = -1\n", "session_idle_minutes"),
        ("public_suppression_threshold = 0\n", "public_suppression_threshold"),
    ],
)
def test_bad_toml_values_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(environ={}, config_path=write_toml(tmp_path, body))


@pytest.mark.parametrize(
    "name, value",
    [
        ("TRACKER_COLOUR", "blue"),
        ("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "soon"),
        ("TRACKER_SECRET_KEY", "change-me"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"(?i){name.removeprefix('TRACKER_')}"):
        load_settings(environ={name: value}, config_path=None)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={}, config_path=write_toml(tmp_path, "this is = = not toml"))


def test_missing_config_file_named_by_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TRACKER_CONFIG"):
        load_settings(environ={"TRACKER_CONFIG": str(tmp_path / "absent.toml")})


def test_secret_key_comes_from_the_instance_file(tmp_path: Path) -> None:
    settings = Settings(instance_path=tmp_path)
    with pytest.raises(ConfigError, match="tracker init"):
        settings.read_secret_key()
    (tmp_path / "secret_key").write_text(GOOD_SECRET, encoding="utf-8")
    assert settings.read_secret_key() == GOOD_SECRET


def test_example_config_lists_every_setting_and_loads() -> None:
    example = Path(__file__).parents[2] / "config.example.toml"
    settings = load_settings(environ={}, config_path=example)
    text = example.read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        assert f"{field.name} =" in text or f"# {field.name} =" in text, field.name
    assert settings.secret_key is None
