"""How records read on a page: people as codes unless the viewer may see names, honest dates."""

from datetime import date
from typing import Any

from flask import current_app, g, url_for
from flask_babel import format_date, get_locale
from werkzeug.routing import BuildError

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate, describe_fuzzy_date
from tracker.domain.vocabularies import SEED_VOCABULARIES
from tracker.services.incident_pages import vocabulary_choices
from tracker.web.i18n import _
from tracker.web.navigation import current_language

# Babel skeletons that show no finer unit than the date's precision.
SKELETONS = {
    DatePrecision.MONTH: "yMMMM",
    DatePrecision.SEASON: "yMMM",
    DatePrecision.YEAR: "y",
    DatePrecision.DECADE: "y",
}


def vocabulary(name: str) -> list[tuple[str, str]]:
    """A vocabulary's (code, label) pairs in the user's language, read once per request."""
    read: dict[tuple[str, str], list[tuple[str, str]]] = g.setdefault("vocabularies", {})
    key = (name, current_language())
    if key not in read:
        read[key] = vocabulary_choices(g.db, name, key[1])
    return read[key]


def term(name: str, code: str | None) -> str:
    """A code's label in the user's language (pages never show the stored code where a label
    exists); the code itself for a retired or unknown term."""
    if not code:
        return ""
    labels: dict[str, dict[str, str]] = g.setdefault("vocabulary_labels", {})
    if name not in labels:
        labels[name] = dict(vocabulary(name)) if name in SEED_VOCABULARIES else {}
    return labels[name].get(code, code)


def person_label(person: Any) -> str:
    """The pseudonym code, with the real name only for viewers allowed to see identities."""
    code = str(person.pseudonym_code)
    viewer = g.get("viewer")
    name = getattr(person, "real_name", "")
    if viewer is not None and viewer.sees_identity and name:
        return f"{name} ({code})"
    return code


def fuzzy_date(value: FuzzyDate | None) -> str:
    """The date as entered and, in brackets, its bounds at its own precision, in the language."""
    if value is None:
        return ""
    if str(get_locale() or "en") == "en":
        return describe_fuzzy_date(value)
    bounds = localized_bounds(value)
    original = value.original_text.strip()
    return f"{original} ({bounds})" if bounds and bounds != original else original or bounds


def localized_bounds(value: FuzzyDate) -> str:
    if value.precision is DatePrecision.UNKNOWN:
        return _("date unknown")
    earliest, latest = value.earliest, value.latest
    if value.qualifier is DateQualifier.BEFORE and latest is not None:
        return _("before %(date)s", date=day_text(latest, value.precision))
    if value.qualifier is DateQualifier.AFTER and earliest is not None:
        return _("after %(date)s", date=day_text(earliest, value.precision))
    if earliest is None or latest is None:
        return ""
    first, last = day_text(earliest, value.precision), day_text(latest, value.precision)
    span = first if first == last else f"{first} – {last}"
    return _("about %(date)s", date=span) if value.qualifier is DateQualifier.APPROXIMATE else span


def day_text(day: date, precision: DatePrecision) -> str:
    if precision is DatePrecision.DAY:
        return str(format_date(day, format="long"))
    return str(format_date(day, format=skeleton_format(SKELETONS.get(precision, "y"))))


def skeleton_format(skeleton: str) -> str:
    """The locale's pattern for a skeleton such as yMMMM (month and year, no day)."""
    locale = get_locale()
    pattern = locale.datetime_skeletons.get(skeleton) if locale is not None else None
    return str(pattern) if pattern is not None else "y"


def grade(reliability: str | None, credibility: int | None) -> str:
    """A source grade as analysts write it: reliability letter and credibility digit, e.g. B2."""
    return f"{reliability or '?'}{credibility or '?'}"


def optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to a page that may not exist in this build (a menu entry, a later blueprint)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
