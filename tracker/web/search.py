"""Full-text search: one box, one page of hits with the words found marked.

The form posts, so what was searched for (perhaps a name) stays out of addresses, browser
history and server logs; `?q=` links work too.
"""

import re
from typing import NamedTuple

from flask import Blueprint, g, render_template, request

from tracker.domain.permissions import Permission
from tracker.models.search import WORD
from tracker.services.search import (
    MAX_QUERY_LENGTH,
    NO_RESULTS,
    PER_PAGE,
    SearchHit,
    search_records,
    word_matches,
)
from tracker.web.access import requires
from tracker.web.display import optional_url

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The page that opens each kind of record, and the name of its id in the URL.
RECORD_PAGES = {
    "incident": ("incidents.show", "incident_id"),
    "person": ("persons.show", "person_id"),
    "source": ("sources.show", "source_id"),
    "place": ("places.show", "place_id"),
    "organisation": ("organisations.show", "organisation_id"),
    "case_file": ("cases.show", "case_id"),
}


class Piece(NamedTuple):
    """A stretch of a snippet, marked when it is a word the query found."""

    text: str
    found: bool


def query_text() -> str:
    """The words asked for, from the form or the query string; control characters dropped."""
    return CONTROL.sub(" ", request.values.get("q", "")[:MAX_QUERY_LENGTH]).strip()


def page_asked() -> int:
    value = request.values.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


def record_url(hit: SearchHit) -> str | None:
    endpoint, argument = RECORD_PAGES[hit.kind]
    return optional_url(endpoint, **{argument: hit.record.id})


def marked(snippet: str, terms: tuple[str, ...]) -> list[Piece]:
    """The snippet cut into plain and found pieces (the template escapes each)."""
    pieces: list[Piece] = []
    position = 0
    for match in WORD.finditer(snippet):
        if word_matches(match.group(), terms):
            pieces += [Piece(snippet[position : match.start()], False), Piece(match.group(), True)]
            position = match.end()
    return [*pieces, Piece(snippet[position:], False)]


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("search", __name__)

    @blueprint.route("/search", methods=["GET", "POST"])
    @requires(Permission.VIEW_RECORDS)
    def index() -> str:
        query = query_text()
        results = (
            search_records(g.db, g.viewer, query=query, page=page_asked()) if query else NO_RESULTS
        )
        return render_template(
            "search/index.html",
            query=query,
            results=results,
            per_page=PER_PAGE,
            record_url=record_url,
            marked=marked,
        )

    return blueprint
