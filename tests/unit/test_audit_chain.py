"""The audit log's hash chain: hashes survive both engines; verify names each kind of tampering."""

import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, select
from sqlmodel import Session

from tests.audit_tampering import (
    DATABASE_TAMPERINGS,
    ENTRY_COUNT,
    Tampering,
    edit_reason,
    forged_values,
    populate,
    swap,
)
from tests.factories import make_incident, make_person
from tracker.domain.audit_chain import (
    GENESIS_HASH,
    BreakKind,
    ChainHead,
    ChainReport,
    chain_entry,
    link_after,
)
from tracker.domain.errors import InvalidInput
from tracker.models import AuditEntry
from tracker.services.audit import add_audit_entry, audit_chain_head
from tracker.services.audit_chain import audit_table, stored_entries, verify_audit_log

TAMPER_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def verify_tampered(engine: Engine, tamper: Any, expect_head: ChainHead | None = None) -> Any:
    """Tamper inside a transaction, verify in it, roll back: (expected, report)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            expected = tamper(connection)
            with Session(bind=connection) as session:
                report = verify_audit_log(session, expect_head=expect_head)
        finally:
            transaction.rollback()
    return expected, report


def assert_names(report: ChainReport, expected: tuple[BreakKind, str]) -> None:
    assert report.first_break is not None, report
    assert (report.first_break.kind, report.first_break.entry_id) == expected, report.summary()


# --- what is written verifies, on each engine --------------------------------------------------


def test_an_empty_log_is_intact(session: Session) -> None:
    report = verify_audit_log(session)
    assert report == ChainReport(0, None, None)
    assert report.summary() == "chain intact: 0 entries, head none (empty log)"


def test_entries_chain_from_the_genesis_hash_and_verify_when_read_back(session: Session) -> None:
    entries = populate(session)
    assert [entry.sequence for entry in entries] == list(range(1, ENTRY_COUNT + 1))
    assert entries[0].previous_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.previous_hash == before.entry_hash
    for entry in entries:
        assert entry.computed_hash() == entry.entry_hash
    report = verify_audit_log(session)
    assert report.intact and report.entries == ENTRY_COUNT
    assert report.head == ChainHead(ENTRY_COUNT, entries[-1].entry_hash)
    assert audit_chain_head(session) == report.head
    assert report.summary() == f"chain intact: {ENTRY_COUNT} entries, head {report.head}"


def test_records_changed_through_the_services_are_chained(session: Session) -> None:
    make_person(session, real_name="Əli Məlikov")
    make_incident(session, title="Raid")
    session.commit()
    report = verify_audit_log(session)
    assert report.intact and report.entries >= 2


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
)
json_keys = st.text(max_size=10).filter(lambda key: "\x00" not in key)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda key: "\x00" not in key), inner, max_size=4
        )
    ),
    max_leaves=12,
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=4)), timezone(-timedelta(hours=5))]),
)


@TAMPER_SETTINGS
@given(
    changes=st.dictionaries(
        st.text(max_size=10).filter(lambda key: "\x00" not in key), json_values
    ),
    occurred_at=moments,
    reason=st.text(max_size=40).filter(lambda text: "\x00" not in text),
)
def test_what_is_hashed_at_write_time_is_what_each_engine_gives_back(
    engine: Engine, changes: dict[str, Any], occurred_at: datetime, reason: str
) -> None:
    """Any JSON changes, any moment in any zone: the stored row hashes to its entry_hash."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            with Session(bind=connection) as session:
                entry = add_entry_at(session, occurred_at, changes=changes, reason=reason)
            table = audit_table()
            row = connection.execute(select(table).where(table.c.id == entry.id)).one()
        finally:
            transaction.rollback()
    stored = chain_entry(row._mapping)
    assert stored.computed_hash() == stored.entry_hash == entry.entry_hash
    assert stored.occurred_at == occurred_at.astimezone(UTC).isoformat(timespec="microseconds")


def add_entry_at(session: Session, occurred_at: datetime, **values: Any) -> AuditEntry:
    """add_audit_entry's chaining, with a chosen moment (add_audit_entry takes the clock's)."""
    head = audit_chain_head(session)
    entry = AuditEntry(
        sequence=1 if head is None else head.sequence + 1,
        occurred_at=occurred_at,
        action="update",
        table_name="person",
        record_id=uuid.uuid4(),
        **values,
    )
    previous = GENESIS_HASH if head is None else head.entry_hash
    entry.previous_hash, entry.entry_hash = link_after(entry.model_dump(), previous)
    session.add(entry)
    session.flush()
    return entry


def test_changes_are_stored_as_the_json_column_gives_them_back(session: Session) -> None:
    """Tuples and number keys would read back otherwise, and no longer match their hash."""
    entry = add_audit_entry(
        session,
        actor_id=None,
        action="update",
        table_name="person",
        record_id=uuid.uuid4(),
        changes={"codes": [("A", "B"), ["C"]], "by_number": {10: "ten", 9: "nine"}},  # type: ignore[dict-item]
    )
    session.commit()
    assert entry.changes == {"codes": [["A", "B"], ["C"]], "by_number": {"10": "ten", "9": "nine"}}
    assert verify_audit_log(session).intact


def test_a_naive_database_timestamp_is_taken_as_utc() -> None:
    values = {
        "sequence": 1,
        "id": uuid.uuid4(),
        "occurred_at": datetime(2024, 5, 6, 7, 8, 9),
        "actor_id": None,
        "action": "create",
        "table_name": "person",
        "record_id": uuid.uuid4(),
        "changes": {},
        "reason": "",
        "previous_hash": GENESIS_HASH,
        "entry_hash": "",
    }
    aware = {
        **values,
        "occurred_at": datetime(2024, 5, 6, 11, 8, 9, tzinfo=timezone(timedelta(hours=4))),
    }
    assert chain_entry(values).occurred_at == "2024-05-06T07:08:09.000000+00:00"
    assert chain_entry(values).computed_hash() == chain_entry(aware).computed_hash()
    with_text_ids = {
        **values,
        "id": str(values["id"]).upper(),
        "record_id": str(values["record_id"]),
    }
    assert chain_entry(with_text_ids).computed_hash() == chain_entry(values).computed_hash()


def test_every_hashed_field_changes_the_hash() -> None:
    base = chain_entry({**forged_values(3), "previous_hash": GENESIS_HASH, "entry_hash": ""})
    altered = {
        "sequence": 4,
        "id": str(uuid.uuid4()),
        "occurred_at": "2024-01-01T00:00:00.000001+00:00",
        "actor_id": str(uuid.uuid4()),
        "action": "delete",
        "table_name": "incident",
        "record_id": str(uuid.uuid4()),
        "changes": {"alibi": [None, "was out"]},
        "reason": "x",
        "previous_hash": "1" * 64,
    }
    for field, value in altered.items():
        assert dataclasses.replace(base, **{field: value}).computed_hash() != base.computed_hash()


@pytest.mark.parametrize(
    "text", ["", "12", "12:", ":" + "a" * 64, "x:" + "a" * 64, "3:" + "a" * 63, "3:" + "g" * 64]
)
def test_a_head_must_be_sequence_colon_hash(text: str) -> None:
    with pytest.raises(InvalidInput, match="SEQUENCE:HASH"):
        ChainHead.parse(text)


def test_a_head_reads_back_as_written() -> None:
    head = ChainHead(42, "ab" * 32)
    assert ChainHead.parse(str(head)) == head
    assert ChainHead.parse(f" 42:{'AB' * 32} ") == head


# --- tampering in the database -----------------------------------------------------------------


@pytest.fixture
def entries(engine: Engine) -> list:
    with Session(engine, expire_on_commit=False) as session:
        return populate(session)


@pytest.mark.parametrize("tampering", DATABASE_TAMPERINGS, ids=lambda tampering: tampering.name)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_verify_names_the_tampered_entry_and_the_kind(
    engine: Engine, entries: list, tampering: Tampering, where: str
) -> None:
    last = len(entries) - 1 - tampering.last_allowed
    k = {"first": 0, "middle": len(entries) // 2, "last": last}[where]
    expected, report = verify_tampered(
        engine, lambda connection: tampering.apply(connection, entries, k)
    )
    assert_names(report, expected)


@TAMPER_SETTINGS
@given(data=st.data())
def test_any_tampering_anywhere_is_named(engine: Engine, entries: list, data: Any) -> None:
    tampering = data.draw(st.sampled_from(DATABASE_TAMPERINGS), label="tampering")
    k = data.draw(st.integers(0, len(entries) - 1 - tampering.last_allowed), label="position")
    expected, report = verify_tampered(
        engine, lambda connection: tampering.apply(connection, entries, k)
    )
    assert_names(report, expected)
    assert report.entries == len(entries) + (1 if tampering.name == "insert" else 0) - (
        1 if tampering.name == "delete" else 0
    )


@TAMPER_SETTINGS
@given(data=st.data())
def test_two_swapped_entries_are_named_as_reordered(
    engine: Engine, entries: list, data: Any
) -> None:
    a = data.draw(st.integers(0, len(entries) - 2), label="first")
    b = data.draw(st.integers(a + 1, len(entries) - 1), label="second")
    expected, report = verify_tampered(engine, lambda connection: swap(connection, entries, a, b))
    assert_names(report, expected)
    assert report.first_break is not None and report.first_break.sequence == entries[a].sequence


def test_the_report_still_counts_every_entry_and_gives_the_head_after_a_break(
    engine: Engine, entries: list
) -> None:
    _, report = verify_tampered(engine, lambda connection: edit_reason(connection, entries, 1))
    assert report.entries == len(entries)
    assert report.head == ChainHead(entries[-1].sequence, entries[-1].entry_hash)
    assert report.summary().startswith(f"chain broken at entry 2 ({entries[1].id}): edited content")


def delete_last(connection: Connection, entries: list) -> None:
    table = audit_table()
    connection.execute(delete(table).where(table.c.sequence == entries[-1].sequence))


def test_a_cut_tail_is_found_only_against_the_head_written_down(
    engine: Engine, entries: list
) -> None:
    head = ChainHead(entries[-1].sequence, entries[-1].entry_hash)
    _, unaware = verify_tampered(engine, lambda connection: delete_last(connection, entries))
    assert unaware.intact and unaware.entries == len(entries) - 1
    _, report = verify_tampered(engine, lambda connection: delete_last(connection, entries), head)
    assert report.first_break is not None
    assert report.first_break.kind == BreakKind.TRUNCATED
    assert report.first_break.entry_id == entries[-2].id
    assert verify_audit_log_with(engine, head).intact


def verify_audit_log_with(engine: Engine, head: ChainHead) -> ChainReport:
    with Session(engine) as session:
        return verify_audit_log(session, expect_head=head)


def test_a_head_written_down_earlier_still_verifies_after_more_entries(
    engine: Engine, entries: list
) -> None:
    head = ChainHead(entries[3].sequence, entries[3].entry_hash)
    assert verify_audit_log_with(engine, head).intact


def rewrite_whole_chain(connection: Connection, entries: list) -> None:
    """What someone with write access and this code can do: edit, then rehash everything."""
    table = audit_table()
    previous = GENESIS_HASH
    with Session(bind=connection) as session:
        current = list(stored_entries(session))
    for entry in current:
        fields = {**entry.hashed_fields(), "occurred_at": datetime.fromisoformat(entry.occurred_at)}
        if entry.sequence == 2:
            fields["reason"] = "rewritten"
        link, own = link_after(fields, previous)
        connection.execute(
            table.update()
            .where(table.c.sequence == entry.sequence)
            .values(reason=fields["reason"], previous_hash=link, entry_hash=own)
        )
        previous = own


def test_a_recomputed_chain_is_found_only_against_the_head_written_down(
    engine: Engine, entries: list
) -> None:
    head = ChainHead(entries[-1].sequence, entries[-1].entry_hash)

    def rewrite(connection: Connection) -> None:
        rewrite_whole_chain(connection, entries)

    _, unaware = verify_tampered(engine, rewrite)
    assert unaware.intact
    _, report = verify_tampered(engine, rewrite, head)
    assert report.first_break is not None
    assert report.first_break.kind == BreakKind.REWRITTEN
    assert report.first_break.sequence == head.sequence


def test_a_renumbered_head_is_reported_as_missing(engine: Engine, entries: list) -> None:
    beyond = ChainHead(entries[2].sequence, entries[2].entry_hash)

    def remove_third(connection: Connection) -> None:
        table = audit_table()
        connection.execute(delete(table).where(table.c.sequence == beyond.sequence))

    _, report = verify_tampered(engine, remove_third, beyond)
    assert report.first_break is not None
    # The gap is found first: the next entry links to the removed one.
    assert report.first_break.kind == BreakKind.DELETED


# --- the interchange import chains what it writes ---------------------------------------------


@pytest.fixture
def exported(engine: Engine, session: Session, tmp_path: Any) -> Iterator[bytes]:
    from tests.interchange.dataset import build_dataset, capture_seed, empty_database, export_bytes

    seed = capture_seed(engine)
    build_dataset(session)
    session.commit()
    data = export_bytes(session, with_audit=True)
    session.commit()
    empty_database(engine, seed)
    yield data


def test_an_import_into_an_empty_log_keeps_numbers_and_verifies(
    engine: Engine, exported: bytes, tmp_path: Any
) -> None:
    from tests.interchange.dataset import import_bytes

    with Session(engine, expire_on_commit=False) as session:
        import_bytes(session, exported, tmp_path)
        session.commit()
        report = verify_audit_log(session)
    assert report.intact, report.summary()
    assert report.entries > 2


def test_an_import_after_existing_entries_is_chained_after_them(
    engine: Engine, exported: bytes, tmp_path: Any
) -> None:
    from tests.interchange.dataset import import_bytes

    with Session(engine, expire_on_commit=False) as session:
        before = populate(session, count=30)  # numbers the file's entries would clash with
        import_bytes(session, exported, tmp_path)
        session.commit()
        after = list(stored_entries(session))
        report = verify_audit_log(session)
    assert report.intact, report.summary()
    assert after[: len(before)] == before
    assert [entry.sequence for entry in after] == list(range(1, len(after) + 1))


def test_imported_numbers_beyond_the_last_are_kept_and_the_gap_verifies(
    engine: Engine, exported: bytes, tmp_path: Any
) -> None:
    from tests.interchange.dataset import import_bytes

    document = json.loads(exported)
    for entry in document["audit_entry"]:
        entry["sequence"] += 1000
    with Session(engine, expire_on_commit=False) as session:
        populate(session, count=2)
        import_bytes(session, json.dumps(document).encode(), tmp_path)
        session.commit()
        sequences = [entry.sequence for entry in stored_entries(session)]
        report = verify_audit_log(session)
    assert report.intact, report.summary()
    assert sequences[:3] == [1, 2, document["audit_entry"][0]["sequence"]]
