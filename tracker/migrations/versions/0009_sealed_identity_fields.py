"""sealed identity fields: names, contacts, addresses, identity notes, gender identity and
orientation sealed under the master key; names' blind index; no names in the search index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00.000000

Existing values are sealed in place (tracker.domain.sealing) with the master key of the
process running the upgrade (`tracker init` or `tracker db upgrade` load it from
master_key_file); person_name.folded, which held each name folded in the clear, becomes its
blind index, and person.name_index is added for the real name. The search index loses its
entries of names. Identity values in earlier audit entries are sealed too, and the chain is
hashed again from the first entry that changed (a head written down before the upgrade no
longer matches: write down the new one). PostgreSQL's VARCHAR(200) identity columns become
TEXT, since an envelope is longer than its name; SQLite never enforced the length.

Downgrade opens every value again (it needs the same master key) and puts the folded names
back; run `tracker search reindex` afterwards to index names again.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from tracker.domain.audit_chain import GENESIS_HASH, chain_entry, link_after
from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import (
    Keyring,
    MasterKeyUnavailable,
    blind_index,
    current_keyring,
    installed_keyring_source,
    is_blind_index,
    is_sealed,
    open_text,
    seal_text,
)
from tracker.domain.text import fold_for_search

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
PERSON_FIELDS = (
    "real_name",
    "contact_info",
    "exact_address",
    "identity_notes",
    "gender_identity",
    "sexual_orientation",
)
# Bounded columns on PostgreSQL before this revision.
BOUNDED = (
    ("person", "real_name"),
    ("person", "gender_identity"),
    ("person", "sexual_orientation"),
    ("person_name", "text"),
)
SEALED = {"person": PERSON_FIELDS, "person_name": ("text",)}

person = sa.table(
    "person",
    sa.column("id", sa.Uuid()),
    *(sa.column(name, sa.Text()) for name in PERSON_FIELDS),
    sa.column("name_index", sa.String()),
)
person_name = sa.table(
    "person_name",
    sa.column("id", sa.Uuid()),
    sa.column("text", sa.Text()),
    sa.column("folded", sa.String()),
)
search_entry = sa.table("search_entry", sa.column("field", sa.String()))
audit_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Uuid()),
    sa.column("sequence", sa.Integer()),
    sa.column("occurred_at", sa.DateTime()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("action", sa.String()),
    sa.column("table_name", sa.String()),
    sa.column("record_id", sa.Uuid()),
    sa.column("changes", sa.JSON()),
    sa.column("reason", sa.String()),
    sa.column("previous_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)
master_key_check = sa.table(
    "master_key_check",
    sa.column("id", sa.Integer()),
    sa.column("key_id", sa.String()),
    sa.column("blind_key_id", sa.String()),
)


class Keys:
    """The keyring, asked for only when a value needs it: an empty database upgrades
    without one."""

    def __init__(self) -> None:
        self._keyring: Keyring | None = context.config.attributes.get("keyring")

    def __call__(self) -> Keyring:
        if self._keyring is None:
            if installed_keyring_source() is None:
                raise MasterKeyUnavailable(
                    "this upgrade seals the identity fields already recorded, and needs the"
                    " master key: run it with `tracker db upgrade` (which loads master_key_file)"
                )
            self._keyring = current_keyring()
        return self._keyring

    def available(self) -> Keyring | None:
        if self._keyring is None and installed_keyring_source() is not None:
            self._keyring = current_keyring()
        return self._keyring


# --- upgrade -------------------------------------------------------------------------------


def upgrade() -> None:
    check_chain_intact(op.get_bind())  # before anything changes
    op.create_table(
        "master_key_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("blind_key_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_master_key_check")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_index", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_index(op.f("ix_person_name_index"), "person", ["name_index"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table_name, column_name in BOUNDED:
            op.alter_column(
                table_name, column_name, existing_type=sa.String(length=200), type_=sa.Text()
            )
    connection = op.get_bind()
    keys = Keys()
    seal_people(connection, keys)
    seal_names(connection, keys)
    connection.execute(sa.delete(search_entry).where(search_entry.c.field == "person_name.text"))
    if rewrite_audit(connection, lambda entry: sealed_audit_changes(entry, keys)):
        chain_again(connection)
    keyring = keys.available()
    if keyring is not None:
        connection.execute(
            master_key_check.insert().values(
                id=1, key_id=keyring.key_id, blind_key_id=keyring.blind_key_id
            )
        )


def seal_if_text(keys: Keys, value: Any, context_name: str) -> Any:
    if not isinstance(value, str) or value == "" or is_sealed(value):
        return value
    return seal_text(keys(), value, context_name)


def seal_people(connection: sa.Connection, keys: Keys) -> None:
    rows = connection.execute(sa.select(person.c.id, *(person.c[f] for f in PERSON_FIELDS))).all()
    changed = []
    for row in rows:
        values = dict(zip(PERSON_FIELDS, row[1:], strict=True))
        if not any(values.values()):
            continue
        new = {f"new_{f}": seal_if_text(keys, v, f"person.{f}") for f, v in values.items()}
        new["new_name_index"] = (
            blind_index(keys(), values["real_name"]) if values["real_name"] else ""
        )
        changed.append({"row_id": row[0], **new})
    statement = (
        sa.update(person)
        .where(person.c.id == sa.bindparam("row_id"))
        .values({f: sa.bindparam(f"new_{f}") for f in (*PERSON_FIELDS, "name_index")})
    )
    run_in_batches(connection, statement, changed)


def seal_names(connection: sa.Connection, keys: Keys) -> None:
    rows = connection.execute(sa.select(person_name.c.id, person_name.c.text)).all()
    changed = [
        {
            "row_id": row_id,
            "new_text": seal_if_text(keys, text, "person_name.text"),
            "new_folded": blind_index(keys(), text) if text else "",
        }
        for row_id, text in rows
        if text
    ]
    statement = (
        sa.update(person_name)
        .where(person_name.c.id == sa.bindparam("row_id"))
        .values(text=sa.bindparam("new_text"), folded=sa.bindparam("new_folded"))
    )
    run_in_batches(connection, statement, changed)


def sealed_audit_changes(entry: Any, keys: Keys) -> Any:
    """An entry's changes with identity values sealed and folded names made blind indexes."""
    changes = entry.changes
    fields = SEALED.get(entry.table_name)
    if not fields or not isinstance(changes, dict):
        return changes
    new = dict(changes)
    for field, values in changes.items():
        if not isinstance(values, list):
            continue
        if field in fields:
            new[field] = [seal_if_text(keys, v, f"{entry.table_name}.{field}") for v in values]
        elif entry.table_name == "person_name" and field == "folded":
            new[field] = [
                blind_index(keys(), v) if isinstance(v, str) and v and not is_blind_index(v) else v
                for v in values
            ]
    return new


# --- shared --------------------------------------------------------------------------------


def run_in_batches(connection: sa.Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


def rewrite_audit(connection: sa.Connection, rewrite: Callable[[Any], Any]) -> bool:
    """Apply REWRITE to the changes of the persons' and names' audit entries; whether any
    entry changed."""
    entries = connection.execute(
        sa.select(audit_entry.c.id, audit_entry.c.table_name, audit_entry.c.changes).where(
            audit_entry.c.table_name.in_(list(SEALED))
        )
    ).all()
    changed = []
    for entry in entries:
        new = rewrite(entry)
        if new != entry.changes:
            changed.append({"entry_id": entry.id, "new_changes": new})
    statement = (
        sa.update(audit_entry)
        .where(audit_entry.c.id == sa.bindparam("entry_id"))
        .values(changes=sa.bindparam("new_changes"))
    )
    run_in_batches(connection, statement, changed)
    return bool(changed)


def entries_in_order(connection: sa.Connection) -> Iterator[dict[str, Any]]:
    """Every audit entry's column values, in sequence order, a batch at a time."""
    last_sequence = None
    while True:
        statement = sa.select(audit_entry).order_by(audit_entry.c.sequence).limit(BATCH)
        if last_sequence is not None:
            statement = statement.where(audit_entry.c.sequence > last_sequence)
        batch = [dict(row._mapping) for row in connection.execute(statement)]
        if not batch:
            return
        yield from batch
        last_sequence = batch[-1]["sequence"]


def check_chain_intact(connection: sa.Connection) -> None:
    """Raises InvalidInput naming the first entry whose links or hash do not hold: hashing
    the chain again would hide an edit made before the upgrade."""
    previous_hash = GENESIS_HASH
    for values in entries_in_order(connection):
        entry = chain_entry(values)
        if entry.previous_hash != previous_hash or entry.entry_hash != entry.computed_hash():
            raise InvalidInput(
                f"the audit log's hash chain is broken at entry {entry.sequence}: run"
                " `tracker audit verify` and resolve it before upgrading (the upgrade hashes"
                " the chain again and would hide the break)"
            )
        previous_hash = entry.entry_hash


def chain_again(connection: sa.Connection) -> None:
    """Hash every entry again in sequence order (as migration 0006 did)."""
    update = (
        sa.update(audit_entry)
        .where(audit_entry.c.id == sa.bindparam("entry_id"))
        .values(previous_hash=sa.bindparam("link"), entry_hash=sa.bindparam("own_hash"))
    )
    previous_hash = GENESIS_HASH
    rows = []
    for values in entries_in_order(connection):
        link, previous_hash = link_after(values, previous_hash)
        rows.append({"entry_id": values["id"], "link": link, "own_hash": previous_hash})
    run_in_batches(connection, update, rows)


# --- downgrade -----------------------------------------------------------------------------


def open_if_sealed(keys: Keys, value: Any, context_name: str) -> Any:
    return open_text(keys(), value, context_name) if is_sealed(value) else value


def open_people(connection: sa.Connection, keys: Keys) -> None:
    rows = connection.execute(sa.select(person.c.id, *(person.c[f] for f in PERSON_FIELDS))).all()
    changed = [
        {
            "row_id": row[0],
            **{
                f"new_{f}": open_if_sealed(keys, v, f"person.{f}")
                for f, v in zip(PERSON_FIELDS, row[1:], strict=True)
            },
        }
        for row in rows
        if any(is_sealed(v) for v in row[1:])
    ]
    statement = (
        sa.update(person)
        .where(person.c.id == sa.bindparam("row_id"))
        .values({f: sa.bindparam(f"new_{f}") for f in PERSON_FIELDS})
    )
    run_in_batches(connection, statement, changed)


def open_names(connection: sa.Connection, keys: Keys) -> None:
    rows = connection.execute(sa.select(person_name.c.id, person_name.c.text)).all()
    changed = []
    for row_id, text in rows:
        plain = open_if_sealed(keys, text, "person_name.text")
        changed.append(
            {"row_id": row_id, "new_text": plain, "new_folded": fold_for_search(plain or "")}
        )
    statement = (
        sa.update(person_name)
        .where(person_name.c.id == sa.bindparam("row_id"))
        .values(text=sa.bindparam("new_text"), folded=sa.bindparam("new_folded"))
    )
    run_in_batches(connection, statement, changed)


def opened_audit_changes(entry: Any, keys: Keys) -> Any:
    changes = entry.changes
    fields = SEALED.get(entry.table_name)
    if not fields or not isinstance(changes, dict):
        return changes
    new = dict(changes)
    for field, values in changes.items():
        if field in fields and isinstance(values, list):
            new[field] = [open_if_sealed(keys, v, f"{entry.table_name}.{field}") for v in values]
    texts = new.get("text")
    folded = new.get("folded")
    if entry.table_name == "person_name" and isinstance(texts, list) and isinstance(folded, list):
        new["folded"] = [fold_for_search(t) if isinstance(t, str) else t for t in texts]
    new.pop("name_index", None)
    return new


def downgrade() -> None:
    connection = op.get_bind()
    keys = Keys()
    open_people(connection, keys)
    open_names(connection, keys)
    if rewrite_audit(connection, lambda entry: opened_audit_changes(entry, keys)):
        chain_again(connection)
    if connection.dialect.name == "postgresql":
        for table_name, column_name in BOUNDED:
            op.alter_column(
                table_name, column_name, existing_type=sa.Text(), type_=sa.String(length=200)
            )
    op.drop_index(op.f("ix_person_name_index"), table_name="person")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0007: batch mode would copy and
    # drop the person table, which other tables refer to.
    op.drop_column("person", "name_index")
    op.drop_table("master_key_check")
