"""A Flask session interface keeping sessions in the database, shared by every app server."""

from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import Engine
from werkzeug.datastructures import CallbackDict

from tracker.config import Settings
from tracker.db import unit_of_work
from tracker.models.base import utc_now
from tracker.services import web_sessions
from tracker.services.web_sessions import SessionLimits

COOKIE_NAME = "tracker_session"
MAX_TOKEN_LENGTH = 100


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data, the token naming it, and whether it must get a new token."""

    def __init__(self, data: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_session: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.modified = False
        self.rotate_requested = False
        self.ended = False

    def rotate(self) -> None:
        """Give the session a new token (after login): a token seen before stops working."""
        self.rotate_requested = True
        self.modified = True

    def end(self) -> None:
        """Forget everything and delete the stored session (logout, quick exit)."""
        self.clear()
        self.ended = True


class DatabaseSessionInterface(SessionInterface):
    """Reads on the read engine; writes (new, touched, ended sessions) in short transactions."""

    def __init__(self, reader: Engine, writer: Engine, settings: Settings) -> None:
        self.reader = reader
        self.writer = writer
        self.limits = SessionLimits(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME, "")
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return ServerSession()
        with unit_of_work(self.reader) as db:
            row = web_sessions.find_session(db, token=token)
            data = dict(row.data) if row is not None else None
            state = self.state_of(row)
        if state == "expired":
            self.end_stored(token)
        if data is None or state in ("missing", "expired"):
            return ServerSession()
        if state == "stale":
            with unit_of_work(self.writer) as db:
                web_sessions.touch_session(db, token=token)
        return ServerSession(data, token=token)

    def state_of(self, row: Any) -> str:
        now = utc_now()
        if row is None:
            return "missing"
        if self.limits.expired(row, now):
            return "expired"
        return "stale" if self.limits.needs_touch(row, now) else "fresh"

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.token and (session.ended or session.rotate_requested):
            self.end_stored(session.token)
            session.token = None
        if session.ended:
            response.delete_cookie(COOKIE_NAME, path="/")
            return
        if not session.modified or not session:
            return
        session.token = session.token or web_sessions.new_token()
        self.store(session)
        response.set_cookie(
            COOKIE_NAME, session.token, httponly=True, samesite="Strict", secure=request.is_secure
        )

    def end_stored(self, token: str) -> None:
        with unit_of_work(self.writer) as db:
            web_sessions.end_session(db, token=token)

    def store(self, session: ServerSession) -> None:
        assert session.token is not None
        user_agent = request.user_agent.string[: web_sessions.USER_AGENT_LENGTH]
        with unit_of_work(self.writer) as db:
            web_sessions.store_session(
                db, token=session.token, data=dict(session), user_agent=user_agent
            )
