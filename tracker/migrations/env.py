"""Alembic environment: runs migrations on the engine the tracker hands over."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine, TypeDecorator
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers every table on the metadata)
from tracker.migrations import described_by_models

target_metadata = SQLModel.metadata


def render_item(type_: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as their plain SQL type, so migrations never import the app."""
    if type_ == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl_instance!r}"
    return False


def run_migrations_online() -> None:
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
            include_name=described_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `tracker db upgrade`")
run_migrations_online()
