"""date lookups: SQLite's R*Tree of incident ranges; PostgreSQL's newest-first list index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:20:00.000000

The honest overlap rule (an incident matches a period when its range meets it; an open bound
runs forever) needs both ends of the range at once: a B-tree on either end reads every incident
on one side of the period. An R*Tree holds each incident's range as a 1-D box, kept by triggers.
Days are proleptic ordinals (date.toordinal()); an open bound is stored as far past or future.
Incidents with no date at all have no box and match no period.

A box's id is the incident's rowid: looking incidents up by rowid is several times faster than
by their UUID. VACUUM may renumber rowids of a table without an INTEGER PRIMARY KEY, so the
incident's id rides along too: `tracker check` finds boxes that no longer match their incident,
and `tracker search reindex` rebuilds them (tracker.services.spans).

PostgreSQL gets an index for the list's default order, newest first with undated incidents
last: it reads an ascending index backwards as DESC NULLS FIRST only. A later SQLite batch
migration that copies `incident` must create the triggers again (create_span_triggers).
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDINAL = "CAST(julianday({0}) - 1721424.5 AS INTEGER)"
OPEN_LOW = -1
OPEN_HIGH = 99_999_999


def low(row: str) -> str:
    return f"coalesce({ORDINAL.format(f'{row}.start_earliest')}, {OPEN_LOW})"


def high(row: str) -> str:
    latest = f"CASE WHEN {row}.end_text IS NOT NULL THEN {row}.end_latest ELSE {row}.start_latest END"
    return f"coalesce({ORDINAL.format(latest)}, {OPEN_HIGH})"


def dated(row: str) -> str:
    columns = ("start_earliest", "start_latest", "end_earliest", "end_latest")
    return "(" + " OR ".join(f"{row}.{column} IS NOT NULL" for column in columns) + ")"


def insert_span(row: str, rowid: str) -> str:
    # min/max: a box must not be inverted, even if a bad row slipped past the checks.
    return (
        "INSERT INTO incident_span (id, low, high, incident_id)"
        f" SELECT {rowid}, min({low(row)}, {high(row)}), max({low(row)}, {high(row)}), {row}.id"
        f" WHERE {dated(row)}"
    )


FILL_SPANS = insert_span('incident', 'incident.rowid').replace(" WHERE ", " FROM incident WHERE ", 1)
SPAN_TRIGGERS = (
    "CREATE TRIGGER incident_span_insert AFTER INSERT ON incident BEGIN"
    f" {insert_span('new', 'new.rowid')}; END",
    "CREATE TRIGGER incident_span_update AFTER UPDATE OF"
    " start_earliest, start_latest, end_earliest, end_latest, end_text, id ON incident BEGIN"
    " DELETE FROM incident_span WHERE id = old.rowid;"
    f" {insert_span('new', 'new.rowid')}; END",
    "CREATE TRIGGER incident_span_delete AFTER DELETE ON incident BEGIN"
    " DELETE FROM incident_span WHERE id = old.rowid; END",
)


def create_span_triggers() -> None:
    for trigger in SPAN_TRIGGERS:
        op.execute(trigger)


DESCENDING_ORDER = (
    "CREATE INDEX ix_incident_date_order_desc ON incident"
    " (coalesce(start_earliest, start_latest) DESC NULLS LAST,"
    " coalesce(start_latest, start_earliest) DESC NULLS LAST, code DESC)"
    " WHERE deleted_at IS NULL"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.execute(DESCENDING_ORDER)
        return
    op.execute("CREATE VIRTUAL TABLE incident_span USING rtree_i32(id, low, high, +incident_id)")
    fill_spans()
    create_span_triggers()


def fill_spans() -> None:
    op.execute(FILL_SPANS)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.execute('DROP INDEX IF EXISTS ix_incident_date_order_desc')
        return
    for name in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS incident_span_{name}')
    op.execute('DROP TABLE IF EXISTS incident_span')
