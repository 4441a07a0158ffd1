"""Bad interchange files are refused whole, with the JSON path of the first problem."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import Session

from tests.conftest import table_counts
from tests.interchange.dataset import (
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tracker.domain.errors import InvalidInput
from tracker.interchange import json_format
from tracker.models import UserAccount


@pytest.fixture
def document(engine: Engine, session: Session) -> dict[str, Any]:
    """A valid export of the dataset; the database is emptied again afterwards."""
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    exported: dict[str, Any] = json.loads(export_bytes(session))
    session.close()
    empty_database(engine, seed)
    return exported


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def refused(session: Session, engine: Engine, data: bytes, tmp_path: Path) -> str:
    """Import DATA, expect InvalidInput, check nothing changed, and return the message."""
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as caught:
        import_bytes(session, data, tmp_path)
    session.commit()
    assert table_counts(engine) == before
    return str(caught.value)


def test_a_bad_record_in_the_middle_writes_nothing(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    document["incident"][3]["start_earliest"] = "2023-02-30"
    message = refused(session, engine, encode(document), tmp_path)
    assert message.startswith("$.incident[3].start_earliest: ")


def test_the_valid_document_imports(
    document: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    report = import_bytes(session, encode(document), tmp_path)
    assert report.created["incident"] == len(document["incident"])
    assert "Imported" in str(report)


@pytest.mark.parametrize(
    ("section", "index", "field", "value", "expected"),
    [
        ("incident", 1, "type", "NOPE", "$.incident[1].type: unknown incident type code 'NOPE'"),
        ("incident", 0, "secondary_types", ["THRT", "NOPE"], "$.incident[0].secondary_types"),
        ("involvement", 0, "charges", ["AZ-XX-1"], "$.involvement[0].charges: unknown charge"),
        ("user_role", 0, "role_code", "emperor", "$.user_role[0].role_code: unknown role"),
        ("incident", 2, "start_earliest", "2023-13-01", "$.incident[2].start_earliest"),
        ("incident", 0, "start_earliest", "2999-01-01", "$.incident[0].start_earliest: is in"),
        ("incident", 0, "start_latest", "2023-03-01", "$.incident[0].start_earliest"),
        ("incident", 0, "start_precision", "fortnight", "$.incident[0].start_precision: unknown"),
        (
            "incident",
            0,
            "end_*",
            {"end_earliest": "2020-01-01", "end_latest": "2020-01-01"},
            "$.incident[0].end_latest: The end",
        ),
        (
            "incident",
            0,
            "created_at",
            "2999-01-01T00:00:00.000000+00:00",
            "$.incident[0].created_at: is in the future",
        ),
        ("source", 0, "published_on", {"original_text": "x"}, "$.source[0].published_on"),
        (
            "involvement",
            0,
            "incident_id",
            str(uuid.uuid4()),
            "$.involvement[0].incident_id: refers to incident",
        ),
        ("place", 1, "parent_id", str(uuid.uuid4()), "$.place[1].parent_id: refers to place"),
        ("incident", 1, "summary", "before\u0000after", "$.incident[1].summary: contains control"),
        ("incident", 1, "summary", "x" * 1_000_000, "$.incident[1].summary"),
        ("incident", 1, "title", "x" * 301, "$.incident[1].title"),
        ("incident", 1, "code", "INC-000001", "].code: code repeats $.incident["),
        ("incident", 1, "publishable", "yes", "$.incident[1].publishable"),
        ("incident", 1, "id", "not-a-uuid", "$.incident[1].id"),
        ("incident", 1, "colour", "red", "$.incident[1]"),
    ],
)
def test_bad_values_are_refused_with_their_path(
    document: dict[str, Any],
    session: Session,
    engine: Engine,
    tmp_path: Path,
    section: str,
    index: int,
    field: str,
    value: Any,
    expected: str,
) -> None:
    ordered = sorted(document[section], key=lambda record: record.get("code") or "")
    position = document[section].index(ordered[index]) if section == "incident" else index
    if field.endswith("*"):
        document[section][position].update(value)
    else:
        document[section][position][field] = value
    message = refused(session, engine, encode(document), tmp_path)
    assert expected.replace(f"[{index}]", f"[{position}]", 1) in message


def test_duplicated_uuids_are_refused(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    copy = {**document["incident"][0], "code": "INC-999999"}
    document["incident"].append(copy)
    message = refused(session, engine, encode(document), tmp_path)
    last = len(document["incident"]) - 1
    assert message.startswith(f"$.incident[{last}].id: duplicated UUID {copy['id']}")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"format": "tracker-interchange", ', "malformed JSON at line 1"),
        (b"[1, 2]", "not a tracker interchange file"),
        (b'{"format": "tracker-interchange", "format_version": 2}', "$.format_version: 2 is not"),
        (
            b'{"format": "tracker-interchange", "format_version": 1, "exported_at": NaN}',
            "NaN is not a JSON number",
        ),
        (b'{"format": "tracker-interchange", "format_version": 1}', "$: must contain"),
        (
            b'{"format": "tracker-interchange",\n"format_version": 1,\n"x": "\xff"}',
            "not valid UTF-8 (line 3)",
        ),
        (
            b'{"format": "tracker-interchange", "format_version": 1, "x": '
            + b"[" * 200_000
            + b"]" * 200_000
            + b"}",
            "nested too deeply",
        ),
    ],
)
def test_unreadable_files_are_refused(
    session: Session, engine: Engine, tmp_path: Path, data: bytes, expected: str
) -> None:
    assert expected in refused(session, engine, data, tmp_path)


def test_huge_files_are_refused_before_reading(
    document: dict[str, Any],
    session: Session,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json_format, "MAX_IMPORT_BYTES", 1000)
    assert "may be at most" in refused(session, engine, encode(document), tmp_path)


def test_importing_twice_creates_no_duplicates(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    import_bytes(session, encode(document), tmp_path)
    session.commit()
    before = table_counts(engine)
    report = import_bytes(session, encode(document), tmp_path)
    session.commit()
    after = table_counts(engine)
    assert sum(report.created.values()) == 0
    assert after == {**before, "audit_entry": before["audit_entry"] + 1}


def test_a_present_uuid_with_other_content_is_refused(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    import_bytes(session, encode(document), tmp_path)
    session.commit()
    document["incident"][0]["title"] = "Changed without a new version"
    message = refused(session, engine, encode(document), tmp_path)
    assert f"incident {document['incident'][0]['id']} already exists" in message


def test_a_newer_version_replaces_the_present_one(
    document: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(document), tmp_path)
    first = document["incident"][0]
    first.update(title="Corrected", version=first["version"] + 1)
    report = import_bytes(session, encode(document), tmp_path)
    assert report.updated["incident"] == 1


def test_seeded_terms_are_not_duplicated(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    before = table_counts(engine)["vocabulary_term"]
    report = import_bytes(session, encode(document), tmp_path)
    session.commit()
    assert report.created["vocabulary_term"] == 1
    assert table_counts(engine)["vocabulary_term"] == before + 1


def test_imported_users_must_set_a_password(
    document: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(document), tmp_path)
    user = session.execute(select(UserAccount)).scalar_one()
    assert (user.password_hash, user.must_change_password) == ("", True)


def sqlite_indexes(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        statement = text("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        return [(name, sql) for name, sql in connection.execute(statement)]


def test_a_row_the_database_refuses_writes_nothing(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    # Neither a person nor an organisation: only the database's check constraint says no.
    document["involvement"][0].update(person_id=None, organisation_id=None)
    indexes = sqlite_indexes(engine) if engine.dialect.name == "sqlite" else []
    structure = index_names(engine), foreign_keys(engine)
    message = refused(session, engine, encode(document), tmp_path)
    assert message.startswith("the database refused the file: ")
    assert (index_names(engine), foreign_keys(engine)) == structure
    if indexes:
        assert sqlite_indexes(engine) == indexes


def test_an_import_into_empty_tables_keeps_their_indexes_and_counts_them(
    document: dict[str, Any], session: Session, engine: Engine, tmp_path: Path
) -> None:
    indexes, keys = index_names(engine), foreign_keys(engine)
    import_bytes(session, encode(document), tmp_path)
    session.commit()
    assert index_names(engine) == indexes
    # PostgreSQL also drops the foreign keys around the load and adds them back.
    assert foreign_keys(engine) == keys
    if engine.dialect.name != "sqlite":
        return  # SQLite alone drops and rebuilds indexes and needs its statistics refreshed
    with engine.connect() as connection:
        analysed = connection.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
        assert {"incident", "involvement"} <= set(analysed)


def index_names(engine: Engine) -> dict[str, list[str]]:
    """Every table's index names, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: sorted(str(index["name"]) for index in inspector.get_indexes(table))
        for table in inspector.get_table_names()
    }


def foreign_keys(engine: Engine) -> dict[str, list[tuple[str, tuple[str, ...], str]]]:
    """Every table's foreign keys (name, columns, referred table), as the database reports them."""
    inspector = inspect(engine)
    return {
        table: sorted(
            (str(key["name"]), tuple(key["constrained_columns"]), key["referred_table"])
            for key in inspector.get_foreign_keys(table)
        )
        for table in inspector.get_table_names()
    }
