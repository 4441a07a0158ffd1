"""Fixtures: a fresh database per test on SQLite always, and on PostgreSQL when configured.

Set TRACKER_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/tracker_test) to run
every database test on PostgreSQL too; `.ci/run` creates such a database when a server answers.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, delete, insert, select, text
from sqlmodel import Session, SQLModel

import tracker.models  # noqa: F401  (registers the tables)
from tracker.config import Settings
from tracker.db import DatabaseKey, make_engine
from tracker.domain.sealing import Keyring, MasterKey, install_keyring
from tracker.migrations import upgrade_database
from tracker.services.master_keys import key_file_text

POSTGRES_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
SEEDED_TABLES = ("vocabulary_term", "role", "master_key_check")
TEST_SECRET = "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
# Every SQLite test database is encrypted with SQLCipher under this key, as in production.
TEST_DATABASE_KEY = bytes.fromhex("5e" * 16 + "c7" * 16)


# Identity fields are sealed under this master key (and names indexed with this blind key) in
# every test, on both engines, as in production (tracker.domain.sealing).
TEST_KEYRING = Keyring(MasterKey(bytes.fromhex("a1" * 32)), bytes.fromhex("b2" * 32))


@pytest.fixture(autouse=True)
def test_keyring() -> Keyring:
    """The test master key, installed before each test (a test may install another)."""
    install_keyring(TEST_KEYRING)
    return TEST_KEYRING


@pytest.fixture(scope="session")
def master_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test master key in a key file (mode 0600), as `tracker init` writes one."""
    path = tmp_path_factory.mktemp("master") / "master.key"
    path.touch(mode=0o600)
    path.write_text(key_file_text(TEST_KEYRING), encoding="utf-8")
    return path


def fixed_test_key() -> bytes:
    return TEST_DATABASE_KEY


def database_key_of(url: str) -> DatabaseKey | None:
    """The key of a test database URL: SQLite files are encrypted, PostgreSQL is not."""
    return fixed_test_key if url.startswith("sqlite") else None


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    """Argon2id with the smallest cost: the same code path, without a second per hash.

    Production keeps the library's recommended parameters; the tests create hundreds of
    accounts and would spend most of their time hashing.
    """
    import tracker.services.accounts as accounts_module
    import tracker.services.users as users_module

    fast = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    saved = users_module._hasher, accounts_module._hasher
    users_module._hasher = accounts_module._hasher = fast
    yield
    users_module._hasher, accounts_module._hasher = saved


def pytest_report_header() -> str:
    return f"tracker database engines: {', '.join(ENGINES)}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An encrypted SQLite database migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "tracker.db"
    install_keyring(TEST_KEYRING)
    engine = make_engine(f"sqlite:///{path}", database_key=fixed_test_key)
    upgrade_database(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name("tracker.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_seed() -> dict[str, list[dict[str, Any]]]:
    """Migrate the PostgreSQL test database to head once and remember its seeded rows."""
    engine = make_engine(POSTGRES_URL)
    install_keyring(TEST_KEYRING)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(engine)
    with engine.connect() as connection:
        seed = {
            name: [
                dict(row._mapping)
                for row in connection.execute(select(SQLModel.metadata.tables[name]))
            ]
            for name in SEEDED_TABLES
        }
    engine.dispose()
    return seed


def reset_postgres(url: str, seed: dict[str, list[dict[str, Any]]]) -> None:
    """Empty every table, then put the seeded vocabularies back."""
    engine = make_engine(url)
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))
        for name, rows in seed.items():
            table = SQLModel.metadata.tables[name]
            connection.execute(delete(table))
            connection.execute(insert(table), rows)
    engine.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database at head with only the seeded vocabularies in it."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    seed = request.getfixturevalue("postgres_seed")
    reset_postgres(POSTGRES_URL, seed)
    yield POSTGRES_URL


@pytest.fixture(scope="session")
def database_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test key in a key file (mode 0600), as `tracker init` writes one."""
    path = tmp_path_factory.mktemp("keys") / "database.key"
    path.touch(mode=0o600)
    path.write_text(TEST_DATABASE_KEY.hex() + "\n", encoding="ascii")
    return path


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, database_key=database_key_of(database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database; tests commit only when they mean to."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, database_key_file: Path, master_key_file: Path
) -> Settings:
    return Settings(
        instance_path=tmp_path / "instance",
        database_url=database_url,
        exports_path=tmp_path / "exports",
        secret_key=TEST_SECRET,
        database_key_file=str(database_key_file),
        master_key_file=str(master_key_file),
    )


class TrackerRunner:
    """Runs `tracker` commands in-process against the test settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def invoke(self, *args: str, input: str | None = None) -> Result:
        from tracker.cli import build_cli

        return CliRunner().invoke(
            build_cli(self.settings), list(args), input=input, catch_exceptions=False
        )


@pytest.fixture
def cli(settings: Settings) -> TrackerRunner:
    return TrackerRunner(settings)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: tests compare these before and after a refused write."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
            for name in sorted(metadata.tables)
        }
