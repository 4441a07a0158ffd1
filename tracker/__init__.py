"""tracker: incident documentation and human-rights violation tracking."""

from flask import Flask

from tracker.config import Settings, load_settings
from tracker.db import engine_from_settings
from tracker.services.database_keys import app_database_key
from tracker.services.master_keys import check_database_master_key, install_master_key

__version__ = "0.1.0"


def ensure_instance_folder(settings: Settings) -> None:
    """Create the instance folder, readable by its owner only: it holds the database and key."""
    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)


def create_app(settings: Settings | None = None, *, web: bool = True) -> Flask:
    """The application: settings loaded once, one engine, and the web layer (not for the CLI)."""
    settings = settings or load_settings()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path.resolve()),
        template_folder="../templates",
    )
    app.config["TRACKER_SETTINGS"] = settings
    ensure_instance_folder(settings)
    # One key source for the app's engines: read or derived once, kept only in memory.
    database_key = app_database_key(settings, interactive=not web)
    app.extensions["tracker_database_key"] = database_key
    app.extensions["tracker_engine"] = engine_from_settings(settings, database_key=database_key)
    # The master key sealing identity fields: read at first use by commands (so `tracker init`
    # can write it first), at once by the web app, which refuses to start without it.
    master_key = install_master_key(settings)
    app.extensions["tracker_master_key"] = master_key
    if web:
        from tracker.web import init_web

        master_key()
        init_web(app, settings)
        if not settings.starts_locked:
            check_database_master_key(
                app.extensions["tracker_engine"], master_key, settings.resolved_master_key_file
            )
    return app
