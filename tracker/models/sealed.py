"""Column types that seal identity values and keep names' blind index, and the master key's
check row (tracker.domain.sealing).

A sealed column's bind processor seals each non-empty value under the process's keyring and
its result processor opens it, so the ORM, Core statements and the interchange's bulk paths
(which use the columns' bind processors) read and write plain text while the database holds
envelopes. With no keyring installed both refuse (MasterKeyUnavailable): nothing is ever
written in the clear instead. Empty text stays empty, so "no address recorded" shows.
"""

from functools import cache
from typing import Any

from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from tracker.domain.sealing import (
    blind_index,
    current_keyring,
    is_blind_index,
    open_text,
    seal_text,
)

BLIND_INDEX_LENGTH = 200


class SealedText(TypeDecorator[str]):
    """Text sealed with AES-256-GCM; CONTEXT ("table.column") is bound into each envelope.

    LENGTH is the longest plain text accepted (the services check it); the column itself is
    TEXT on PostgreSQL, since an envelope is longer than its text. SQLite keeps the declared
    VARCHAR, which it never enforces.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str, length: int | None = None) -> None:
        super().__init__()
        self.context = context
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # The plain types, not the dialect's adaptations: psycopg adapts Text to a VARCHAR.
        if dialect.name == "sqlite" and self.length:
            return String(self.length)
        return Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return seal_text(current_keyring(), value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return open_text(current_keyring(), value, self.context)


class BlindIndex(TypeDecorator[str]):
    """A name's blind index (HMAC-SHA-256 of it folded). A name written or compared here is
    turned into its digest on the way in; a digest is kept as it is, so a digest read back
    compares equal."""

    impl = String
    cache_ok = True

    def __init__(self, length: int = BLIND_INDEX_LENGTH) -> None:
        super().__init__(length)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "" or is_blind_index(value):
            return value
        return blind_index(current_keyring(), value)


def sealed_field(context: str, *, max_length: int | None = None) -> Any:
    """An identity text column, sealed; MAX_LENGTH bounds the plain text."""
    return Field(
        default="",
        max_length=max_length,
        nullable=False,
        sa_type=SealedText(context, max_length),
    )


def blind_index_field(*, index: bool = True) -> Any:
    return Field(
        default="",
        max_length=BLIND_INDEX_LENGTH,
        index=index,
        nullable=False,
        sa_type=BlindIndex(),
    )


class MasterKeyCheck(SQLModel, table=True):
    """Which master key and blind-index key this database's values are sealed under (their
    ids, never the keys): a start with another key file is refused before anything is read
    or written. One row."""

    __tablename__ = "master_key_check"

    id: int = Field(default=1, primary_key=True)
    key_id: str = Field(max_length=40, nullable=False)
    blind_key_id: str = Field(max_length=40, nullable=False)


@cache
def sealed_columns() -> dict[str, tuple[str, ...]]:
    """Every sealed column, by table: what the audit log seals and `keys rotate` rewraps."""
    found: dict[str, list[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SealedText):
                found.setdefault(table.name, []).append(column.name)
    return {table: tuple(columns) for table, columns in found.items()}
