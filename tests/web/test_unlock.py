"""Locked mode: the app answers nothing but its unlock page until the passphrase is typed;
and with a key file, a missing or wrong key (or, in production, a loose key file) stops the
start."""

import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_SECRET, TrackerRunner
from tracker import create_app
from tracker.config import Settings
from tracker.db import DatabaseUnavailable
from tracker.services import database_keys
from tracker.web.unlock import MAX_FAILURES

PASSPHRASE = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOCKED_PATHS = ["/", "/login", "/incidents/", "/persons/", "/search?q=x", "/admin/users", "/x/y"]


@pytest.fixture
def locked_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An instance in passphrase mode, set up by `tracker init` (cheap argon2id costs)."""
    for name, value in {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}.items():
        monkeypatch.setitem(database_keys.DEFAULT_KDF_COSTS, name, value)
    settings = Settings(
        instance_path=tmp_path / "instance",
        secret_key=TEST_SECRET,
        database_encryption="passphrase",
    )
    result = TrackerRunner(settings).invoke("init", input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.stderr
    return settings


@pytest.fixture
def locked_app(locked_settings: Settings) -> Iterator[Flask]:
    app = create_app(locked_settings)
    app.config["TESTING"] = True
    yield app
    for key in ("tracker_engine", "tracker_read_engine"):
        app.extensions[key].dispose()


@pytest.fixture
def client(locked_app: Flask) -> FlaskClient:
    return locked_app.test_client()


def unlock_token(client: FlaskClient) -> str:
    page = client.get("/unlock")
    assert page.status_code == 200
    match = TOKEN.search(page.get_data(as_text=True))
    assert match is not None
    return match.group(1)


def try_passphrase(client: FlaskClient, passphrase: str) -> int:
    response = client.post(
        "/unlock", data={"passphrase": passphrase, "csrf_token": unlock_token(client)}
    )
    return response.status_code


@pytest.mark.parametrize("path", LOCKED_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
def test_every_route_answers_only_the_unlock_page(
    client: FlaskClient, path: str, method: str
) -> None:
    response = client.open(path, method=method, data={"username": "admin", "password": "x"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Unlock the database" in page
    assert 'action="/unlock"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_unlock_form_needs_its_csrf_token(client: FlaskClient, locked_app: Flask) -> None:
    response = client.post("/unlock", data={"passphrase": PASSPHRASE})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 503


def test_a_wrong_passphrase_keeps_the_app_locked(client: FlaskClient) -> None:
    assert try_passphrase(client, PASSPHRASE + "!") == 400
    page = client.get("/unlock").get_data(as_text=True)
    assert "Unlock the database" in page
    assert client.get("/login").status_code == 503


def test_the_right_passphrase_opens_the_app(client: FlaskClient) -> None:
    response = client.post(
        "/unlock", data={"passphrase": PASSPHRASE, "csrf_token": unlock_token(client)}
    )
    assert response.status_code == 303
    assert response.location == "/"
    login = client.get("/login")
    assert login.status_code == 200
    assert 'name="username"' in login.get_data(as_text=True)
    assert client.get("/unlock").status_code == 404  # the unlock page is gone


def test_guesses_are_limited_per_client(client: FlaskClient) -> None:
    for _attempt in range(MAX_FAILURES):
        assert try_passphrase(client, "not the passphrase at all") == 400
    assert try_passphrase(client, PASSPHRASE) == 429
    assert client.get("/login").status_code == 503
    other = client.post(
        "/unlock",
        data={"passphrase": PASSPHRASE, "csrf_token": unlock_token(client)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other.status_code == 303


def test_a_database_behind_the_code_stays_locked_with_a_message(
    locked_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_PASSPHRASE", PASSPHRASE)
    assert TrackerRunner(locked_settings).invoke("db", "downgrade", "--", "-1").exit_code == 0
    app = create_app(locked_settings)
    client = app.test_client()
    response = client.post(
        "/unlock", data={"passphrase": PASSPHRASE, "csrf_token": unlock_token(client)}
    )
    assert response.status_code == 503
    assert "tracker db upgrade" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 503
    app.extensions["tracker_engine"].dispose()


def test_locked_mode_refuses_to_start_without_its_parameters_file(
    locked_settings: Settings,
) -> None:
    locked_settings.database_kdf_path.unlink()
    with pytest.raises(DatabaseUnavailable, match="salt the passphrase needs"):
        create_app(locked_settings)


# --- key file mode: the start itself is refused ----------------------------------------------


@pytest.fixture
def key_file_settings(tmp_path: Path) -> Settings:
    settings = Settings(instance_path=tmp_path / "instance", secret_key=TEST_SECRET)
    assert TrackerRunner(settings).invoke("init").exit_code == 0
    return settings


def test_the_app_refuses_to_start_without_its_key_file(key_file_settings: Settings) -> None:
    (key_file_settings.instance_path / "database.key").unlink()
    with pytest.raises(DatabaseUnavailable, match="no database key file"):
        create_app(key_file_settings)


def test_the_app_refuses_to_start_with_a_wrong_key(key_file_settings: Settings) -> None:
    (key_file_settings.instance_path / "database.key").write_text("ab" * 32)
    with pytest.raises(DatabaseUnavailable, match="database key does not open"):
        create_app(key_file_settings)


def test_a_loose_key_file_stops_the_start_only_in_production(
    key_file_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    key_path = key_file_settings.instance_path / "database.key"
    key_path.chmod(0o640)
    with pytest.raises(DatabaseUnavailable, match="production = true"):
        create_app(dataclasses.replace(key_file_settings, production=True))
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        app = create_app(key_file_settings)
    assert f"chmod 600 {key_path}" in caplog.text
    assert app.test_client().get("/login").status_code == 200
    app.extensions["tracker_engine"].dispose()
    app.extensions["tracker_read_engine"].dispose()
