"""What the case, person, place, organisation and source views share: list parameters,
vocabulary choices, the edit-conflict view and the delete and restore steps."""

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from flask import g, request
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from tracker.domain.identity import WITHHELD, is_identity_field
from tracker.domain.permissions import Permission
from tracker.domain.text import has_control_characters
from tracker.models.base import TimestampedRecord
from tracker.services.records import table_name_of
from tracker.services.vocabularies import label_for, list_terms
from tracker.web.i18n import _
from tracker.web.navigation import current_language
from tracker.web.records import ConflictRow, conflict_rows

MAX_SEARCH_LENGTH = 200


def page_number() -> int:
    """The page asked for in the query string; anything odd is the first page."""
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


def search_text(name: str = "q") -> str:
    """A search or filter term from the query string, trimmed; odd input becomes no filter."""
    value = request.args.get(name, "").strip()
    if len(value) > MAX_SEARCH_LENGTH or has_control_characters(value):
        return ""
    return value


def show_deleted() -> bool:
    """Deleted records are listed only for those who may restore them."""
    return request.args.get("deleted") == "1" and g.viewer.may(Permission.RESTORE_RECORDS)


def known_filter(value: str, choices: Iterable[SelectChoice]) -> str:
    """A filter value only if it is one of the choices offered."""
    return value if value in {choice.value for choice in choices} else ""


def vocabulary_choices(vocabulary: str, *, blank: str | None = None) -> list[SelectChoice]:
    """A vocabulary's active terms in the user's language; `blank` adds an empty first choice."""
    language = current_language()
    choices = [
        SelectChoice(term.code, label_for(term, language)) for term in list_terms(g.db, vocabulary)
    ]
    return [SelectChoice("", blank), *choices] if blank is not None else choices


def record_choices(
    records: Iterable[Any], label: Callable[[Any], str], *, blank: str
) -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(str(r.id), label(r)) for r in records)]


def optional_uuid(value: str | None) -> uuid.UUID | None:
    """A chosen record id; the empty choice is none (choices were checked by the form)."""
    return uuid.UUID(value) if value else None


def parsed_uuid(value: str | None) -> uuid.UUID | None:
    """An id from a hidden field, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def today() -> date:
    return date.today()


def actor_id() -> uuid.UUID:
    user_id: uuid.UUID = g.viewer.user_id
    return user_id


def versioned_conflict(
    form: FlaskForm,
    record: TimestampedRecord,
    yours: Mapping[str, Any],
    labels: Mapping[str, str],
) -> list[ConflictRow]:
    """Both versions side by side; the form now names the saved version, so saving again is a
    deliberate overwrite. Identity values others saved stay withheld from those not allowed."""
    table = table_name_of(type(record))
    theirs = {field: saved_value(table, field, getattr(record, field, None)) for field in yours}
    form.version.data = record.version
    form.version.raw_data = [str(record.version)]
    return conflict_rows(
        {field: display(value) for field, value in yours.items()},
        {field: display(value) for field, value in theirs.items()},
        labels,
    )


def saved_value(table: str, field: str, value: Any) -> Any:
    hidden = is_identity_field(table, field) and not g.viewer.sees_identity
    return WITHHELD if hidden and value not in (None, "") else value


def display(value: Any) -> Any:
    """Values as the conflict table shows them: dates as entered, yes/no for flags."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    original = getattr(value, "original_text", None)
    return original if isinstance(original, str) else value


def field_labels(form: FlaskForm, names: Iterable[str]) -> dict[str, str]:
    return {name: str(form[name].label.text) for name in names if name in form._fields}
