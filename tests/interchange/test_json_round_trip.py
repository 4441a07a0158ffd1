"""Export, import into an empty database, export again: the same bytes."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.interchange.dataset import (
    EXPORTED_AT,
    build_dataset,
    capture_seed,
    empty_database,
    export_bytes,
    import_bytes,
)
from tracker.interchange.tables import SECTION_NAMES


def round_trip(
    engine: Engine,
    first: bytes,
    tmp_path: Path,
    seed: dict,
    *,
    with_audit: bool,
) -> bytes:
    empty_database(engine, seed)
    with Session(engine, expire_on_commit=False) as session:
        import_bytes(session, first, tmp_path)
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        return export_bytes(session, with_audit=with_audit)


@pytest.mark.parametrize("with_audit", [False, True])
def test_round_trip_is_byte_for_byte(
    engine: Engine, session: Session, tmp_path: Path, with_audit: bool
) -> None:
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    first = export_bytes(session, with_audit=with_audit)
    session.commit()
    second = round_trip(engine, first, tmp_path, seed, with_audit=with_audit)
    assert second == first


def test_export_differs_only_in_the_exported_at_line(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    first = export_bytes(session, with_audit=True)
    session.commit()
    empty_database(engine, seed)
    with Session(engine, expire_on_commit=False) as fresh:
        import_bytes(fresh, first, tmp_path)
        later = EXPORTED_AT.replace(year=2026)
        second = export_bytes(fresh, with_audit=True, exported_at=later)
    differing = [
        pair
        for pair in zip(first.splitlines(), second.splitlines(), strict=True)
        if pair[0] != pair[1]
    ]
    assert differing == [
        (
            b'  "exported_at": "2025-01-02T03:04:05.678901+00:00",',
            b'  "exported_at": "2026-01-02T03:04:05.678901+00:00",',
        )
    ]


def test_export_carries_every_section_and_withholds_credentials(session: Session) -> None:
    build_dataset(session)
    data = export_bytes(session, with_audit=True)
    document = json.loads(data)
    assert data.endswith(b"]\n}\n")
    assert list(document)[:3] == ["format", "format_version", "exported_at"]
    assert [name for name in SECTION_NAMES if not document[name]] == []
    assert b"password_hash" not in data and b"argon2" not in data
    assert "must_change_password" not in document["user_account"][0]
    # Export events stay on the instance, so a second export has no new entries.
    export_bytes(session, with_audit=True)
    assert (
        json.loads(export_bytes(session, with_audit=True))["audit_entry"] == document["audit_entry"]
    )
    assert "Əli Məlikov".encode() in data


def test_rows_are_ordered_by_uuid(session: Session) -> None:
    build_dataset(session)
    document = json.loads(export_bytes(session))
    for name in SECTION_NAMES:
        ids = [record["id"] for record in document[name]]
        assert ids == sorted(ids), name
