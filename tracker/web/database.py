"""One database session per request: committed when the response succeeds, else rolled back."""

from flask import Flask, current_app, g, request
from sqlalchemy import Engine
from sqlmodel import Session
from werkzeug.wrappers import Response

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_engine(app: Flask) -> Engine:
    """Pages that only read use the reading engine (on SQLite: no write lock at BEGIN)."""
    if request.method in READ_METHODS:
        engine: Engine = app.extensions["tracker_read_engine"]
        return engine
    writer: Engine = app.extensions["tracker_engine"]
    return writer


def open_request_session() -> None:
    g.db = Session(request_engine(current_app), expire_on_commit=False)


def finish_request_session(response: Response) -> Response:
    """after_request: commit a successful response's changes; anything else writes nothing."""
    db: Session | None = g.pop("db", None)
    if db is None:
        return response
    try:
        if response.status_code < 400:
            db.commit()
        else:
            db.rollback()
    finally:
        db.close()
    return response


def discard_request_session(_error: BaseException | None) -> None:
    """teardown: a request that raised leaves nothing behind."""
    db: Session | None = g.pop("db", None)
    if db is not None:
        db.rollback()
        db.close()
