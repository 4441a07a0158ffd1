"""Server-side web sessions: stored by the hash of a random token, ended by time or on demand."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from tracker.models import UserSession
from tracker.models.base import utc_now

# Writing last-seen on every request would make every page view a write; a minute is precise
# enough for a 30-minute idle limit.
TOUCH_INTERVAL = timedelta(seconds=60)
USER_AGENT_LENGTH = 200


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta

    def expired(self, row: UserSession, now: datetime) -> bool:
        return now - row.last_seen_at > self.idle or now - row.created_at > self.absolute

    @staticmethod
    def needs_touch(row: UserSession, now: datetime) -> bool:
        return now - row.last_seen_at > TOUCH_INTERVAL


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_key(token: str) -> str:
    """What the database keeps: a stolen table does not give usable cookies."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def find_session(session: Session, *, token: str) -> UserSession | None:
    """The stored session of a cookie token, expired or not (reads only)."""
    return session.get(UserSession, token_key(token))


def store_session(
    session: Session,
    *,
    token: str,
    data: dict[str, Any],
    user_agent: str,
    now: datetime | None = None,
) -> None:
    """Create or update the session row of a token."""
    now = now or utc_now()
    row = session.get(UserSession, token_key(token))
    if row is None:
        row = UserSession(id=token_key(token), created_at=now, user_agent=user_agent[:200])
        session.add(row)
    row.data = dict(data)
    row.user_id = user_id_of(data)
    row.last_seen_at = now


def user_id_of(data: dict[str, Any]) -> uuid.UUID | None:
    value = data.get("user_id")
    return uuid.UUID(value) if isinstance(value, str) else None


def touch_session(session: Session, *, token: str, now: datetime | None = None) -> None:
    """Mark the session as used now, at most once a minute."""
    now = now or utc_now()
    session.execute(
        update(UserSession)
        .where(
            col(UserSession.id) == token_key(token),
            col(UserSession.last_seen_at) < now - TOUCH_INTERVAL,
        )
        .values(last_seen_at=now)
    )


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(UserSession).where(col(UserSession.id) == token_key(token)))


def end_user_sessions(session: Session, *, user_id: uuid.UUID) -> int:
    """Log a user out everywhere; returns how many sessions ended."""
    statement = delete(UserSession).where(col(UserSession.user_id) == user_id)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def user_sessions(session: Session, *, user_id: uuid.UUID) -> list[UserSession]:
    statement = (
        select(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .order_by(col(UserSession.last_seen_at).desc())
    )
    return list(session.execute(statement).scalars())


def prune_sessions(session: Session, *, limits: SessionLimits, now: datetime | None = None) -> int:
    """Delete every expired session (anonymous ones included)."""
    now = now or utc_now()
    statement = delete(UserSession).where(
        or_(
            col(UserSession.last_seen_at) < now - limits.idle,
            col(UserSession.created_at) < now - limits.absolute,
        )
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
