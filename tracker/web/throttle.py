"""The login throttle: Flask-Limiter with its counters in the database or in Redis.

Counters must be shared: with several app servers, a per-process counter would give an
attacker one allowance per worker.
"""

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, Response, abort, g, make_response, request, session
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import RateLimiter
from sqlalchemy import Engine, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from tracker.config import Settings
from tracker.db import reading, unit_of_work
from tracker.domain.text import fold_for_search
from tracker.models import RateLimitCounter

DATABASE_SCHEME = "tracker+database"
# Where a login attempt's counters wait (in flask.g) to be given back after the request.
ATTEMPT_TAKEN = "login_attempt_taken"
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
        """Add to the key's counter in one statement; a finished window starts again. A
        negative amount gives back attempts within the current window only, never below 0."""
        now = time.time()
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        if amount < 0:
            return self.give_back(key, -amount, now)
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

    def give_back(self, key: str, amount: int, now: float) -> int:
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(table.c.key == key, table.c.expires_at > now)
            .values(count=case((table.c.count > amount, table.c.count - amount), else_=0))
        )
        with unit_of_work(self.engine) as db:
            db.execute(statement)
        return self.get(key)

    def get(self, key: str) -> int:
        row = self.live_row(key)
        return 0 if row is None else row.count

    def get_expiry(self, key: str) -> float:
        row = self.live_row(key)
        return time.time() if row is None else row.expires_at

    def live_row(self, key: str) -> RateLimitCounter | None:
        # Checked before every login attempt: a read must not queue behind SQLite's write lock.
        with unit_of_work(reading(self.engine)) as db:
            row = db.get(RateLimitCounter, key)
            return row if row is not None and row.expires_at > time.time() else None

    def check(self) -> bool:
        try:
            with unit_of_work(reading(self.engine)) as db:
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
    # Registered before the request's database session hook, so it runs after it.
    app.after_request(give_back_attempt)
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


@dataclass(frozen=True)
class LoginCounter:
    """One limit on refused sign-in attempts, and whose attempts it counts."""

    limit: RateLimitItem
    scope: str
    key: Callable[[], str]


def throttled_login(limiter: Limiter, settings: Settings) -> Callable[[Any], Any]:
    """Decorator: limit refused attempts per account and per client, on POST only."""
    window = f"per {settings.login_throttle_minutes} minutes"
    counters = (
        LoginCounter(
            parse(f"{settings.login_attempts_per_account} {window}"), "login-account", account_key
        ),
        LoginCounter(
            parse(f"{settings.login_attempts_per_client} {window}"), "login-client", client_key
        ),
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            return run_counted(limiter.limiter, counters, lambda: view(*args, **kwargs))

        return counted

    return decorate


def run_counted(
    strategy: RateLimiter, counters: tuple[LoginCounter, ...], view: Callable[[], Any]
) -> Any:
    """Count the attempt first, one atomic step per counter, and give it back unless it was
    refused (401). Checking first and counting after a refusal let a burst of simultaneous
    guesses all pass the check (tests/faults found 8 guesses where 5 were allowed)."""
    taken = [(counter, counter.key()) for counter in counters]
    g.setdefault(ATTEMPT_TAKEN, (strategy, taken))
    if not all([strategy.hit(counter.limit, counter.scope, key) for counter, key in taken]):
        abort(429)
    response = make_response(view())
    if response.status_code == 401:
        g.pop(ATTEMPT_TAKEN, None)  # refused: it counts
    return response


def give_back_attempt(response: Response) -> Response:
    """after_request, running after the request's own transaction has ended (on SQLite it may
    hold the write lock until then): give back an attempt that was not refused."""
    taken = g.pop(ATTEMPT_TAKEN, None)
    if taken is not None:
        strategy, counted = taken
        for counter, key in counted:
            give_back(strategy, counter, key)
    return response


def give_back(strategy: RateLimiter, counter: LoginCounter, key: str) -> None:
    """Take back one attempt that was not refused (or was answered 429)."""
    limit = counter.limit
    strategy.storage.incr(limit.key_for(counter.scope, key), limit.get_expiry(), amount=-1)
