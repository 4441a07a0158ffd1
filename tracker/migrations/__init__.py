"""Alembic migrations, run through `tracker db upgrade|downgrade|current`."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from tracker.db import reading
from tracker.domain.errors import InvalidInput

MIGRATIONS_PATH = Path(__file__).parent
# What the models cannot describe: SQLite's FTS5 search table, its R*Tree of incident date
# ranges, and the shadow tables they keep. Autogenerate and the schema comparison in the tests
# must leave them alone.
NOT_IN_MODELS = ("search_entry_fts", "incident_span")


def described_by_models(name: str | None, type_: str, _parents: object) -> bool:
    """include_name for Alembic's comparison: False for tables the models do not describe."""
    return not (type_ == "table" and str(name).startswith(NOT_IN_MODELS))


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this engine (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Raises InvalidInput for an unknown revision."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as error:
        raise InvalidInput(f"revision: {error}") from error


def downgrade_database(engine: Engine, revision: str) -> None:
    """Raises InvalidInput for an unknown revision."""
    try:
        command.downgrade(alembic_config(engine), revision)
    except CommandError as error:
        raise InvalidInput(f"revision: {error}") from error


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database.

    Read without SQLite's write lock: every command asks at its start, and must neither wait
    for a running import nor hold up the app's writers."""
    with reading(engine).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision the code knows (the engine is not consulted)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    return ScriptDirectory.from_config(config).get_current_head()
