"""The WSGI entry point for production servers: `gunicorn 'tracker.wsgi:application'`.

A worker refuses to start on a database that is empty or behind the code, so a forgotten
`tracker db upgrade` is a clear message in the server's log, not errors on every page.
"""

from tracker import create_app
from tracker.cli import require_current_schema

application = create_app()
if not application.config["TRACKER_SETTINGS"].starts_locked:  # else checked once unlocked
    with application.app_context():  # the master key check reads the app's key source
        require_current_schema(application.extensions["tracker_engine"])
