"""The WSGI entry point for production servers: `gunicorn 'tracker.wsgi:application'`."""

from tracker import create_app

application = create_app()
