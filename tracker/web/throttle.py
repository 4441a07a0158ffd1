"""The login throttle: Flask-Limiter with its counters in the database or in Redis.

Counters must be shared: with several app servers, a per-process counter would give an
attacker one allowance per worker.
"""

import re
import time
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, request, session
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from tracker.config import Settings
from tracker.db import unit_of_work
from tracker.domain.text import fold_for_search
from tracker.models import RateLimitCounter

DATABASE_SCHEME = "tracker+database"
# Never part of a counter's key: PostgreSQL refuses NUL in text, and none belongs in a name.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class DatabaseStorage(Storage):
    """Fixed-window counters in the rate_limit_counter table (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = [DATABASE_SCHEME]

    def __init__(self, uri: str | None = None, *, engine: Engine, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=False)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to the key's counter in one statement; a finished window starts again."""
        now = time.time()
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        insert_into = sqlite_insert if self.engine.dialect.name == "sqlite" else postgres_insert
        insert = insert_into(table).values(key=key, count=amount, expires_at=now + expiry)
        window_over = table.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((window_over, amount), else_=table.c.count + amount),
                "expires_at": case((window_over, now + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with unit_of_work(self.engine) as db:
            return int(db.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        row = self.live_row(key)
        return 0 if row is None else row.count

    def get_expiry(self, key: str) -> float:
        row = self.live_row(key)
        return time.time() if row is None else row.expires_at

    def live_row(self, key: str) -> RateLimitCounter | None:
        with unit_of_work(self.engine) as db:
            row = db.get(RateLimitCounter, key)
            return row if row is not None and row.expires_at > time.time() else None

    def check(self) -> bool:
        try:
            with unit_of_work(self.engine) as db:
                db.execute(select(col(RateLimitCounter.key)).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with unit_of_work(self.engine) as db:
            return int(db.execute(delete(RateLimitCounter)).rowcount)  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with unit_of_work(self.engine) as db:
            db.execute(delete(RateLimitCounter).where(col(RateLimitCounter.key) == key))


def storage_settings(settings: Settings, engine: Engine) -> tuple[str, dict[str, Any]]:
    """The limiter's storage URI and options: Redis when configured, else the database."""
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url, {}
    return f"{DATABASE_SCHEME}://", {"engine": engine}


def make_limiter(app: Flask, settings: Settings, engine: Engine) -> Limiter:
    uri, options = storage_settings(settings, engine)
    limiter = Limiter(
        key_func=client_key,
        app=app,
        storage_uri=uri,
        storage_options=cast(dict[str, str | int], options),
        strategy="fixed-window",
        headers_enabled=False,
        default_limits=[],
    )
    return limiter


def client_key() -> str:
    """The client's address (behind a proxy, the one the proxy reports; see proxy_count)."""
    return f"client:{request.remote_addr or 'unknown'}"


def account_key() -> str:
    """The account named on the login form, or the one halfway through its second step."""
    pending = session.get("pending_user_id")
    if isinstance(pending, str):
        return f"account-id:{pending}"
    typed = CONTROL_CHARACTERS.sub("", request.form.get("username", "")[:100])
    return f"account:{fold_for_search(typed)}"


def refused(response: Any) -> bool:
    """Only refused attempts count towards the limit."""
    return bool(response.status_code == 401)


def throttled_login(limiter: Limiter, settings: Settings) -> Callable[[Any], Any]:
    """Decorator: limit refused attempts per account and per client, on POST only."""
    window = f"per {settings.login_throttle_minutes} minutes"
    per_account = limiter.limit(
        f"{settings.login_attempts_per_account} {window}",
        key_func=account_key,
        methods=["POST"],
        deduct_when=refused,
        scope="login-account",
    )
    per_client = limiter.limit(
        f"{settings.login_attempts_per_client} {window}",
        key_func=client_key,
        methods=["POST"],
        deduct_when=refused,
        scope="login-client",
    )
    return lambda view: per_client(per_account(view))
