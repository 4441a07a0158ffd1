"""A tracker instance in a temporary folder, driven as an operator drives one: `tracker`
commands in their own processes, on SQLite or on a fresh PostgreSQL database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from tests.conftest import POSTGRES_URL
from tracker.config import Settings, load_settings
from tracker.db import engine_from_settings
from tracker.services.records import update_record
from tracker.services.users import create_user, hash_password

BIN = Path(sys.executable).parent
TRACKER = BIN / "tracker"
PASSWORD = "correct horse battery staple 42"
COMMAND_TIMEOUT = 300


@dataclass
class Instance:
    """The folder, its settings as environment variables, and an engine to inspect it."""

    folder: Path
    environment: dict[str, str]
    engine_name: str

    @property
    def instance_path(self) -> Path:
        return self.folder / "instance"

    @property
    def evidence_path(self) -> Path:
        return Path(self.environment.get("TRACKER_EVIDENCE_PATH", self.instance_path / "evidence"))

    def settings(self) -> Settings:
        return load_settings(environ=self.environment, config_path=None)

    def process_environment(self) -> dict[str, str]:
        """This process's environment without any TRACKER_ variable, then the instance's."""
        inherited = {key: value for key, value in os.environ.items() if "TRACKER_" not in key}
        return {**inherited, **self.environment}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`tracker ARGS` to its end; with check, a failure fails the test with its output."""
        result = subprocess.run(
            [str(TRACKER), *args],
            cwd=self.folder,
            env=self.process_environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"tracker {' '.join(args)}:\n{result.stderr}"
        return result

    def start(self, *args: str, **options: Any) -> "subprocess.Popen[Any]":
        """`tracker ARGS` started in its own process, not waited for (output dropped unless
        OPTIONS say where it goes)."""
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        command = [str(TRACKER), *args]
        environment = self.process_environment()
        return subprocess.Popen(command, cwd=self.folder, env=environment, **quiet | options)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        engine = engine_from_settings(self.settings())
        try:
            yield engine
        finally:
            engine.dispose()


def make_instance(
    folder: Path, engine_name: str, database_url: str = "", **settings: str
) -> Instance:
    """An initialised instance: secret key, database key (SQLite) and database at head."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {
        "TRACKER_INSTANCE_PATH": str(folder / "instance"),
        "TRACKER_EXPORTS_PATH": str(folder / "exports"),
        "TRACKER_LOG_LEVEL": "WARNING",
    }
    if database_url:
        environment["TRACKER_DATABASE_URL"] = database_url
    environment.update({f"TRACKER_{key.upper()}": value for key, value in settings.items()})
    instance = Instance(folder, environment, engine_name)
    instance.run("init", "--admin-username", f"keeper-{folder.name}")
    return instance


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards (even if still in use)."""
    server = make_url(POSTGRES_URL)
    name = f"faults_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(statement.format(sql.Identifier(name)))


@contextmanager
def instance_on(engine_name: str, folder: Path, **settings: str) -> Iterator[Instance]:
    """An instance on SQLite (its file in the folder) or on a fresh PostgreSQL database."""
    if engine_name == "sqlite":
        yield make_instance(folder, engine_name, **settings)
        return
    with fresh_postgres_database() as url:
        yield make_instance(folder, engine_name, url, **settings)


def add_account(engine: Engine, username: str, role: str = "documenter") -> uuid.UUID:
    """An account that has set its password, without a second factor."""
    with Session(engine, expire_on_commit=False) as session:
        user, _ = create_user(
            session, username=username, display_name=username, roles=(role,), actor_id=None
        )
        changes = {"password_hash": hash_password(PASSWORD), "must_change_password": False}
        update_record(session, user, actor_id=None, expected_version=user.version, changes=changes)
        session.commit()
        return user.id


def wait_for(condition: Callable[[], Any], *, timeout: float = 60, every: float = 0.005) -> Any:
    """Poll until condition() gives something true, and return it; fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout} s waiting for {condition}")


def kill_hard(process: subprocess.Popen[Any]) -> None:
    """kill -9, after making sure the process had not finished on its own."""
    assert process.poll() is None, "the process ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
