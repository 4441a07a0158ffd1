"""SQLite's R*Tree of incident date ranges (migration 0005): checked, and rebuilt at will.

Its boxes are keyed by the incident's rowid, which VACUUM may renumber; each box also holds the
incident's id, so a box that no longer points at its incident can be found, and the whole tree
rebuilt from the incidents. On PostgreSQL there is no such tree and these do nothing.
"""

from sqlalchemy import Connection, text
from sqlmodel import Session

# The same expressions as the triggers of migration 0005: days as date.toordinal(), an open
# bound far out, undated incidents left out.
ORDINAL = "CAST(julianday({0}) - 1721424.5 AS INTEGER)"
LOW = f"coalesce({ORDINAL.format('start_earliest')}, -1)"
LATEST = "CASE WHEN end_text IS NOT NULL THEN end_latest ELSE start_latest END"
HIGH = f"coalesce({ORDINAL.format(LATEST)}, 99999999)"
DATED = (
    "(start_earliest IS NOT NULL OR start_latest IS NOT NULL"
    " OR end_earliest IS NOT NULL OR end_latest IS NOT NULL)"
)
FILL = text(
    "INSERT INTO incident_span (id, low, high, incident_id)"
    f" SELECT rowid, min({LOW}, {HIGH}), max({LOW}, {HIGH}), id FROM incident WHERE {DATED}"
)
STRAY_BOXES = text(
    "SELECT count(*) FROM incident_span AS span LEFT JOIN incident ON incident.rowid = span.id"
    " WHERE incident.id IS NULL OR incident.id != span.incident_id"
)
MISSING_BOXES = text(
    f"SELECT count(*) FROM incident WHERE {DATED} AND rowid NOT IN (SELECT id FROM incident_span)"
)


def has_span_tree(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def rebuild_incident_spans(session: Session) -> None:
    """Rebuild the tree from the incidents (after a VACUUM, say)."""
    connection = session.connection()
    if has_span_tree(connection):
        connection.execute(text("DELETE FROM incident_span"))
        connection.execute(FILL)


def span_tree_problems(session: Session) -> list[str]:
    """What is wrong with the tree, in words an operator can act on; empty when it is sound."""
    connection = session.connection()
    if not has_span_tree(connection):
        return []
    stray = int(connection.execute(STRAY_BOXES).scalar_one())
    missing = int(connection.execute(MISSING_BOXES).scalar_one())
    problems = []
    if stray:
        problems.append(f"{stray} date range box(es) no longer match their incident")
    if missing:
        problems.append(f"{missing} dated incident(s) have no date range box")
    if problems:
        problems.append("date filters may miss incidents; run `tracker search reindex`")
    return problems


# The triggers of migration 0005 that keep the tree, as SQLite stored them.
SPAN_TRIGGERS = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'incident'"
    " AND name LIKE 'incident\\_span\\_%' ESCAPE '\\' ORDER BY name"
)


def span_trigger_statements(connection: Connection) -> list[tuple[str, str]]:
    """(DROP, CREATE) of each trigger keeping the tree, for a bulk load that refills it once."""
    if not has_span_tree(connection):
        return []
    quote = connection.dialect.identifier_preparer.quote
    found = connection.execute(SPAN_TRIGGERS).tuples()
    return [(f"DROP TRIGGER {quote(name)}", sql) for name, sql in found]


def refill_incident_spans(connection: Connection) -> None:
    """Rebuild the tree in one statement, as rebuild_incident_spans does, on a connection.

    A bulk load into an empty incident table drops the triggers and calls this once after:
    one INSERT ... SELECT fills the tree faster than a trigger firing per row.
    """
    if has_span_tree(connection):
        connection.execute(text("DELETE FROM incident_span"))
        connection.execute(FILL)
