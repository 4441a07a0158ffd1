"""Files written before a column existed still import, in the same format version.

A field whose column has a fixed default (evidence.storage_key, custody_entry.origin...) may be
left out and stands for that default; audit entries without a sequence number (or with null,
as files written before the hash chain could hold) are numbered after the log's last entry and
chained. Every other field is still required.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel, col

from tests.interchange.dataset import (
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tracker.domain.errors import InvalidInput
from tracker.interchange.tables import FORMAT_VERSION, build_schema
from tracker.models import AuditEntry, CustodyEntry, Evidence
from tracker.services.audit_chain import verify_audit_log

# Columns added after files of format version 1 were first written.
ADDED_COLUMNS = {
    "evidence": ("storage_key", "derivation"),
    "custody_entry": ("origin",),
}


@pytest.fixture
def exported(engine: Engine, session: Session) -> dict[str, Any]:
    """The dataset's export with its audit log; the database is emptied again afterwards."""
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    document: dict[str, Any] = json.loads(export_bytes(session, with_audit=True))
    session.close()
    empty_database(engine, seed)
    return document


def as_written_before(document: dict[str, Any], *, sequence: str) -> bytes:
    """The document without the columns added since; audit sequences dropped or null."""
    for section, columns in ADDED_COLUMNS.items():
        for record in document[section]:
            for column in columns:
                del record[column]
    for entry in document["audit_entry"]:
        if sequence == "absent":
            del entry["sequence"]
        else:
            entry["sequence"] = None
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def test_the_format_version_is_still_1() -> None:
    assert FORMAT_VERSION == 1
    definitions = build_schema()["$defs"]
    for section, columns in ADDED_COLUMNS.items():
        assert not set(columns) & set(definitions[section]["required"])
    assert "sequence" not in definitions["audit_entry"]["required"]
    assert "kind" in definitions["evidence"]["required"]


@pytest.mark.parametrize("sequence", ["absent", "null"])
def test_a_file_written_before_the_new_columns_imports_with_their_defaults(
    exported: dict[str, Any], session: Session, tmp_path: Path, sequence: str
) -> None:
    entries = len(exported["audit_entry"])
    report = import_bytes(session, as_written_before(exported, sequence=sequence), tmp_path)
    assert report.created["evidence"] == 2
    evidence = session.execute(select(Evidence)).scalars().all()
    assert {(item.storage_key, item.derivation) for item in evidence} == {("", "")}
    assert session.execute(select(col(CustodyEntry.origin))).scalars().all() == [""]
    numbers = session.execute(select(col(AuditEntry.sequence)).order_by(col(AuditEntry.sequence)))
    assert list(numbers.scalars())[:entries] == list(range(1, entries + 1))
    assert verify_audit_log(session).intact


def test_left_out_fields_import_as_the_same_records(
    exported: dict[str, Any], engine: Engine, session: Session, tmp_path: Path
) -> None:
    """Defaults and all: what the older file gives matches what the full file gives."""
    full = json.dumps(exported, ensure_ascii=False).encode("utf-8")
    older = as_written_before(json.loads(full), sequence="absent")
    seed = capture_seed(engine)
    import_bytes(session, older, tmp_path)
    from_older = rows_of(session, "evidence", "custody_entry")
    session.rollback()
    empty_database(engine, seed)
    import_bytes(session, full, tmp_path)
    assert rows_of(session, "evidence", "custody_entry") == from_older


def rows_of(session: Session, *names: str) -> list[Any]:
    tables = [SQLModel.metadata.tables[name] for name in names]
    return [row for table in tables for row in session.execute(select(table).order_by(table.c.id))]


def test_a_field_without_a_default_is_still_required(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    del exported["evidence"][1]["kind"]
    with pytest.raises(InvalidInput, match=r"^\$\.evidence\[1\]: must contain \['kind'\]"):
        import_bytes(session, json.dumps(exported).encode("utf-8"), tmp_path)


def test_a_default_column_given_as_null_is_refused(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    exported["evidence"][0]["storage_key"] = None
    with pytest.raises(InvalidInput, match=r"^\$\.evidence\[0\]\.storage_key"):
        import_bytes(session, json.dumps(exported).encode("utf-8"), tmp_path)


def test_only_some_records_leaving_a_field_out_import_too(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    del exported["evidence"][0]["derivation"]
    exported["evidence"][1]["derivation"] = "metadata_removed"
    import_bytes(session, json.dumps(exported).encode("utf-8"), tmp_path)
    derivations = session.execute(select(col(Evidence.derivation)).order_by(col(Evidence.id)))
    assert sorted(derivations.scalars()) == ["", "metadata_removed"]
