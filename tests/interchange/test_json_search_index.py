"""An import indexes what it wrote for search, in its own transaction.

Into an empty database the entries are built in bulk from the file; into a filled one the
records it wrote are synced one by one. Either way a search right after the import finds the
imported records, and the rows are those the record-by-record upkeep would write.
"""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from tests.factories import make_incident
from tests.interchange.dataset import (
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tracker.domain.errors import InvalidInput
from tracker.models import Person, Place
from tracker.models.search import TARGET_TABLES, reindex_records
from tracker.services.restrictions import Viewer
from tracker.services.search import search_records

ADMIN = Viewer(user_id=uuid.uuid4(), roles=frozenset({"admin"}))
ANALYST = Viewer(user_id=uuid.uuid4(), roles=frozenset({"analyst"}))
LAWYER = Viewer(user_id=uuid.uuid4(), roles=frozenset({"lawyer"}))


@pytest.fixture
def exported(engine: Engine, session: Session) -> dict[str, Any]:
    """The dataset's export; the database is emptied again afterwards."""
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    document: dict[str, Any] = json.loads(export_bytes(session))
    session.close()
    empty_database(engine, seed)
    return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def found(session: Session, query: str, viewer: Viewer = ADMIN) -> set[str]:
    hits = search_records(session, viewer, query=query).hits
    return {f"{hit.kind}:{hit.record.id}" for hit in hits}


def entries(session: Session) -> list[Any]:
    table = SQLModel.metadata.tables["search_entry"]
    return list(session.execute(select(table).order_by(table.c.id)).all())


def make_room(session: Session, document: dict[str, Any]) -> uuid.UUID:
    """An incident of this database's own, the file's incident codes moved out of its way."""
    here = make_incident(session, title="Raid on the café")
    session.commit()
    for record in document["incident"]:
        record["code"] = record["code"].replace("INC-0", "INC-9")
    return here.id


def record_id(document: dict[str, Any], section: str, **values: Any) -> str:
    return str(
        next(
            record["id"]
            for record in document[section]
            if all(record[key] == value for key, value in values.items())
        )
    )


def test_a_search_right_after_an_import_finds_the_imported_records(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(exported), tmp_path)
    first = record_id(exported, "incident", code="INC-000001")
    survivor = record_id(exported, "person", pseudonym_code="V-2017-001")
    baku = record_id(exported, "place", name="Bakı")
    assert found(session, "detention after") == {f"incident:{first}"}
    assert found(session, "police detained") == {f"incident:{first}"}  # its citation
    assert found(session, "V-2017-001") == {f"person:{survivor}"}
    assert found(session, "баку") == {f"place:{baku}"}  # an alias of Bakı
    assert found(session, "bianet") == {f"source:{record_id(exported, 'source')}"}
    assert found(session, "v. azerbaijan") == {f"case_file:{record_id(exported, 'case_file')}"}


def test_imported_deleted_records_and_identities_follow_the_same_rules(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(exported), tmp_path)
    survivor = record_id(exported, "person", pseudonym_code="V-2017-001")
    assert found(session, "V-2017-002") == set()  # the merged duplicate is deleted
    # A whole name (through its blind index), to who may see it.
    assert found(session, "eli melikov", LAWYER) == {f"person:{survivor}"}
    assert found(session, "eli melikov", ANALYST) == set()
    assert found(session, "detention after", ANALYST) == set()  # restricted to its lawyer


def test_the_bulk_build_writes_the_rows_the_record_by_record_upkeep_would(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(exported), tmp_path)
    built = entries(session)
    assert built
    connection = session.connection()
    connection.execute(SQLModel.metadata.tables["search_entry"].delete())
    for target_table in TARGET_TABLES:
        target = SQLModel.metadata.tables[target_table]
        reindex_records(connection, target_table, connection.execute(select(target.c.id)).scalars())
    assert entries(session) == built


def test_an_import_into_a_filled_database_indexes_what_it_wrote(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    here = make_room(session, exported)
    import_bytes(session, encode(exported), tmp_path)
    first = record_id(exported, "incident", code="INC-900001")
    assert found(session, "detention after") == {f"incident:{first}"}
    assert found(session, "police detained") == {f"incident:{first}"}
    assert found(session, "raid on") == {f"incident:{here}"}
    assert found(session, "INC-900001") == {f"incident:{first}"}


def test_a_newer_version_in_a_second_import_replaces_the_words(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(exported), tmp_path)
    session.commit()
    alias = next(record for record in exported["place_alias"] if record["text"] == "Баку")
    other = record_id(exported, "place", name="Azərbaycan")
    alias.update(text="Бакы", place_id=other, version=alias["version"] + 1)
    import_bytes(session, encode(exported), tmp_path)
    assert found(session, "баку") == set()
    assert found(session, "бакы") == {f"place:{other}"}  # the alias moved with the new words


def test_a_refused_import_leaves_the_index_as_it_was(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    make_room(session, exported)
    before = entries(session)
    exported["incident"][-1]["start_earliest"] = "2023-02-30"
    with pytest.raises(InvalidInput):
        import_bytes(session, encode(exported), tmp_path)
    session.rollback()
    assert entries(session) == before
    assert found(session, "detention after") == set()


def test_an_import_adds_nothing_to_the_index_twice(
    exported: dict[str, Any], session: Session, tmp_path: Path
) -> None:
    import_bytes(session, encode(exported), tmp_path)
    session.commit()
    before = entries(session)
    report = import_bytes(session, encode(exported), tmp_path)
    assert sum(report.created.values()) == 0
    assert entries(session) == before
    assert session.execute(select(func.count()).select_from(Person)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(Place)).scalar_one() == 2
