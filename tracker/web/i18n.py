"""Languages: English, Azerbaijani and Russian through Flask-Babel, chosen per user."""

from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, gettext

from tracker.config import LANGUAGES, Settings

TRANSLATIONS_PATH = Path(__file__).resolve().parent.parent / "translations"
LANGUAGE_NAMES = {"en": "English", "az": "Azərbaycanca", "ru": "Русский"}


def _(text: str, **variables: Any) -> str:
    """Translate a UI string (typed wrapper over Flask-Babel's gettext; extracted as `_`)."""
    return str(gettext(text, **variables))


def select_language() -> str:
    """The user's choice, else this browser session's, else the browser's, else the default."""
    user = g.get("user")
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    settings: Settings = current_app.config["TRACKER_SETTINGS"]
    return request.accept_languages.best_match(LANGUAGES) or settings.default_language


def init_languages(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_PATH)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Baku"
    Babel(app, locale_selector=select_language)
