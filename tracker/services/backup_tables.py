"""What a database snapshot holds, as a backup's manifest records it: the Alembic revision,
every table's row count and digest, and the evidence files its rows name.

A table's digest is the sum, modulo 2**256, of the SHA-256 of each row's values: the same rows
give the same digest in any order, so no table is sorted, and a restore that lost, added or
changed one row shows in its table's digest.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, String, column, func, inspect, select, table, text

from tracker.domain.backup_manifest import TableDigest
from tracker.migrations import described_by_models

DIGEST_MODULUS = 2**256
# Rows the migrations themselves write (and the master key's check row, written with the
# schema): an instance holding only these holds no records.
SEEDED_TABLES = frozenset({"alembic_version", "vocabulary_term", "role", "master_key_check"})
EVIDENCE_TABLE, STORAGE_KEY = "evidence", "storage_key"


@dataclass(frozen=True)
class SnapshotFacts:
    """What a snapshot holds, read inside the snapshot itself."""

    revision: str | None
    tables: dict[str, TableDigest]
    storage_keys: list[str]


def snapshot_facts(connection: Connection) -> SnapshotFacts:
    return SnapshotFacts(
        revision=alembic_revision(connection),
        tables=table_digests(connection),
        storage_keys=storage_keys(connection),
    )


def alembic_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def table_names(connection: Connection) -> list[str]:
    return sorted(inspect(connection).get_table_names())


def table_digests(connection: Connection) -> dict[str, TableDigest]:
    return {name: table_digest(connection, name) for name in table_names(connection)}


def table_digest(connection: Connection, name: str) -> TableDigest:
    total, rows = 0, 0
    # Raw values as the driver gives them: the same on both sides of a backup and restore.
    result = connection.execute(select(text("*")).select_from(table(name)))
    for row in result:
        total = (total + row_hash(tuple(row))) % DIGEST_MODULUS
        rows += 1
    return TableDigest(rows, f"{total:064x}")


def row_hash(values: tuple[Any, ...]) -> int:
    canonical = json.dumps(
        [plain_value(value) for value in values], sort_keys=True, ensure_ascii=False, default=str
    )
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest(), "big")


def plain_value(value: Any) -> Any:
    """Bytes as hex (str() of a memoryview names its address, which differs every run)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": bytes(value).hex()}
    return value


def storage_keys(connection: Connection) -> list[str]:
    """The stored file of every evidence row (deleted items' too: their files are kept)."""
    if not has_column(connection, EVIDENCE_TABLE, STORAGE_KEY):
        return []  # a database from before evidence files were stored
    key = column(STORAGE_KEY, String)
    statement = select(key).select_from(table(EVIDENCE_TABLE)).where(key != "").distinct()
    return sorted(connection.execute(statement).scalars())


def has_column(connection: Connection, table_name: str, column_name: str) -> bool:
    inspector = inspect(connection)
    if not inspector.has_table(table_name):
        return False
    return any(found["name"] == column_name for found in inspector.get_columns(table_name))


def records_held(connection: Connection) -> dict[str, int]:
    """Rows per table of records (not the seeded vocabularies, not derived search indexes),
    for the tables that hold any: empty for an empty instance."""
    held = {}
    for name in table_names(connection):
        if name in SEEDED_TABLES or not described_by_models(name, "table", None):
            continue
        count = connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        if count:
            held[name] = int(count)
    return held
