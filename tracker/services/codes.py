"""Allocate human-readable record codes (INC-000001, CASE-0001, V-2017-014) without collisions."""

from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session

from tracker.services.audit import AUDIT_LOCK_KEY

# One fixed number per code family: PostgreSQL writers allocating the same family queue on it.
CODE_LOCK_KEYS = {
    "incident": 518_204_001,
    "case": 518_204_002,
    "pseudonym": 518_204_003,
    "campaign": 518_204_004,
}


def serialise_allocation(session: Session, family: str) -> None:
    """Make concurrent allocators of one family wait their turn until this transaction ends.

    SQLite needs nothing: every write transaction starts with BEGIN IMMEDIATE, one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # The audit lock first, as every writer takes it: one lock order, so no deadlock.
    for key in (AUDIT_LOCK_KEY, CODE_LOCK_KEYS[family]):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def highest_number(session: Session, column: Any, prefix: str) -> int:
    """The largest number after `prefix` among stored codes, deleted records included.

    Codes are zero-padded to a minimum width, so the longest, then greatest, code is the largest.
    """
    statement = (
        select(column)
        .where(func.substr(column, 1, len(prefix)) == prefix)
        .order_by(func.length(column).desc(), column.desc())
        .limit(1)
    )
    code = session.execute(statement).scalar()
    suffix = str(code)[len(prefix) :] if code is not None else ""
    return int(suffix) if suffix.isdigit() else 0


def format_code(prefix: str, number: int, width: int) -> str:
    """`INC-` and 7 at width 6 → `INC-000007`; numbers past the width just grow longer."""
    return f"{prefix}{number:0{width}d}"


def allocate_code(session: Session, *, family: str, column: Any, prefix: str, width: int) -> str:
    """The next unused code after the highest ever given; codes are never reused."""
    serialise_allocation(session, family)
    return format_code(prefix, highest_number(session, column, prefix) + 1, width)
