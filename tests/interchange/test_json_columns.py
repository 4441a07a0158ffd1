"""The column-at-a-time checks vouch only for what the record-by-record checks accept."""

import copy
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from tests.interchange.dataset import build_dataset, export_bytes
from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import SealBroken, current_keyring, is_sealed, open_text
from tracker.interchange.columns import NeedsRecordCheck, Reading
from tracker.interchange.tables import all_section_names
from tracker.interchange.validation import section_by_columns, section_by_records
from tracker.models.sealed import sealed_columns

Read = tuple[dict[str, list[Any]], list[tuple[Any, ...]]]
# Near misses of the exporter's forms, and values of the wrong kind altogether.
TRICKY = (
    None,
    "",
    "2023-02-30",
    "2023-02-29T10:00:00.000000+00:00",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00+00:00",
    "2024-01-01T00:00:00.000000+01:00",
    "2024-01-01 00:00:00.000000+00:00",
    "2999-01-01T00:00:00.000000+00:00",
    "2999-01-01",
    "2020-W01-1",
    "٢٠٢٠-01-01",
    "0D8C76FE-F91C-482F-88ED-DE1346C5A809",
    "0d8c76fef91c482f88edde1346c5a809",
    "0d8c76fe-f91c-482f-88ed-de1346c5a80\n",
    "x" * 301,
    "a\x00b",
    "tab\tand\nnewline",
    "THRT",
    0,
    -1,
    1.0,
    1.5,
    True,
    False,
    [],
    ["THRT"],
    ["THRT", 1],
    [["THRT"]],
    {"a": "\x01"},
    {
        "original_text": "1 May 2020",
        "earliest": "2020-05-01",
        "latest": "2020-05-01",
        "precision": "day",
        "qualifier": "exact",
        "reference_date": None,
    },
    {"original_text": "x", "earliest": "2020-05-02", "latest": "2020-05-01"},
)
CHARACTERS = st.sampled_from("09afAFgz-T:.+Z \n\t\x00\x7fƏ٣")


@pytest.fixture
def exported(session: Session) -> dict[str, Any]:
    build_dataset(session)
    session.flush()
    document: dict[str, Any] = json.loads(export_bytes(session, with_audit=True))
    return document


def by_columns(name: str, records: list[Any], engine: Engine) -> Read | None:
    reading = Reading.at(datetime.now(UTC))
    try:
        return comparable(section_by_columns(name, records, engine.dialect, reading))
    except NeedsRecordCheck:
        return None


def by_records(name: str, records: list[Any], engine: Engine) -> Read | None:
    reading = Reading.at(datetime.now(UTC))
    try:
        return comparable(section_by_records(name, records, engine.dialect, reading))
    except InvalidInput:
        return None


def comparable(read: tuple[dict[str, Sequence[Any]], list[tuple[Any, ...]]]) -> Read:
    """Driver values that compare: PostgreSQL's JSON wrappers hold their object in .obj, and
    sealed identity values (a fresh data key and nonce each time) are compared opened."""
    columns, rows = read
    unwrapped = [tuple(opened(getattr(value, "obj", value)) for value in row) for row in rows]
    return {name: list(values) for name, values in columns.items()}, unwrapped


def opened(value: Any) -> Any:
    if not is_sealed(value):
        return value
    for table_name, names in sealed_columns().items():
        for column_name in names:
            try:
                context = f"{table_name}.{column_name}"
                return ("opened", open_text(current_keyring(), value, context))
            except SealBroken:
                continue
    raise AssertionError("a sealed value that opens in no column")


def test_every_exported_section_reads_the_fast_way_as_record_by_record(
    exported: dict[str, Any], engine: Engine
) -> None:
    for name in all_section_names(with_audit=True):
        fast = by_columns(name, exported[name], engine)
        assert fast is not None, name
        assert fast == by_records(name, exported[name], engine), name


def mutated(original: Any) -> st.SearchStrategy[Any]:
    """Values close to ORIGINAL (a character changed, added or cut) or of another kind."""
    if not isinstance(original, str) or not original:
        return st.sampled_from(TRICKY)
    return st.one_of(
        st.sampled_from(TRICKY),
        st.tuples(st.integers(0, len(original) - 1), CHARACTERS).map(
            lambda change: original[: change[0]] + change[1] + original[change[0] + 1 :]
        ),
        CHARACTERS.map(lambda character: original + character),
        st.just(original[:-1]),
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_fast_way_never_accepts_what_the_record_checks_refuse(
    exported: dict[str, Any], engine: Engine, data: st.DataObject
) -> None:
    name = data.draw(
        st.sampled_from(
            [name for name in exported if isinstance(exported[name], list) and exported[name]]
        )
    )
    records = copy.deepcopy(exported[name])
    record = records[data.draw(st.integers(0, len(records) - 1))]
    field = data.draw(st.sampled_from([*sorted(record), "colour"]))
    if data.draw(st.booleans()) and field in record:
        del record[field]
    else:
        record[field] = data.draw(mutated(record.get(field)))
    fast, slow = by_columns(name, records, engine), by_records(name, records, engine)
    event(f"fast {'took' if fast else 'left'} it, record checks {'took' if slow else 'refused'} it")
    if fast is not None:
        assert fast == slow
