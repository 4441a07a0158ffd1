"""Index what an import wrote, in its transaction: a search right after the import finds it.

A target table (incident, person, place...) whose records and indexed rows were all absent
before the import now holds only the file's records: its entries are built in bulk from the
file's own values, with no reading back (tracker.models.search_bulk). Any other target table
the import wrote to is synced record by record: the targets of every record the file holds
for it, and those the updated records pointed to before (an alias moved to another person).

Working out the bulk entries is pure Python over the file's values (folding, hashing keys,
sorting); the import starts it in a thread once its rows are written, while the database
builds the indexes it dropped for the load: the database's work releases Python's lock, so
a second core does the folding meanwhile. Started no earlier: a thread busy in Python while
rows are inserted one statement at a time would hold every statement up.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, delete, exists, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session, SQLModel

from tracker.interchange.planning import SectionPlan
from tracker.models.search import (
    INDEXED_TEXTS,
    TARGET_TABLES,
    IndexedText,
    reindex_records,
    search_entry_table,
    texts_leading_to,
)
from tracker.models.search_bulk import (
    PreparedEntries,
    TextColumns,
    prepare_entries,
    write_entries,
)

Plans = dict[str, SectionPlan]


@dataclass
class ImportIndexing:
    """What an import does to the search index: target tables built in bulk, and records
    synced one by one, by target table. A context: leaving it waits for the thread."""

    dialect: Dialect
    first_builds: list[str] = field(default_factory=list)
    synced: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    texts: list[TextColumns] = field(default_factory=list)
    executor: ThreadPoolExecutor | None = None
    pending: "Future[PreparedEntries] | None" = None

    def start(self) -> None:
        """Work the bulk entries out in a thread from now on (once)."""
        if self.pending is None and self.texts:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index")
            self.pending = self.executor.submit(prepare_entries, self.texts, self.dialect)

    def prepared(self) -> PreparedEntries:
        if self.pending is None:
            return prepare_entries(self.texts, self.dialect)
        return self.pending.result()

    def write(self, session: Session, *, meanwhile: Callable[[], None] | None = None) -> None:
        """Write the entries: the bulk ones (waiting for the thread), then the synced ones.

        MEANWHILE is called once, as the database starts on the bulk entries' indexes (or at
        the end, if there are none); the file's values are no longer needed from then on.
        """
        connection = session.connection()
        if self.first_builds:
            prepared = self.prepared()
            self.texts = []
            clear_entries(connection, self.first_builds)
            write_entries(connection, prepared, meanwhile=meanwhile)
        elif meanwhile is not None:
            meanwhile()
        for target_table, target_ids in self.synced.items():
            reindex_records(connection, target_table, target_ids)

    def __enter__(self) -> "ImportIndexing":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)


def plan_indexing(session: Session, plans: Sequence[SectionPlan]) -> ImportIndexing:
    """Decide per target table: a first build in bulk, or records synced (none written: no
    work). Looks up only whether tables absent from the file hold rows."""
    connection = session.connection()
    by_name = {plan.name: plan for plan in plans}
    indexing = ImportIndexing(dialect=connection.dialect)
    for target_table in TARGET_TABLES:
        if not wrote_to(target_table, by_name):
            continue
        if all(was_empty(connection, name, by_name) for name in feeding_tables(target_table)):
            indexing.first_builds.append(target_table)
        else:
            indexing.synced[target_table] = touched_targets(target_table, by_name)
    indexing.texts = list(file_texts(indexing.first_builds, by_name))
    return indexing


def feeding_tables(target_table: str) -> set[str]:
    """The target table and the tables whose text leads to it (citations to incidents)."""
    return {target_table, *(indexed.table.name for indexed in texts_leading_to(target_table))}


def wrote_to(target_table: str, by_name: Plans) -> bool:
    plans = (by_name.get(name) for name in feeding_tables(target_table))
    return any(plan.new_rows or plan.updated_rows for plan in plans if plan is not None)


def was_empty(connection: Connection, name: str, by_name: Plans) -> bool:
    """Whether the table held no rows before the import (one absent from the file is as it
    was)."""
    plan = by_name.get(name)
    if plan is not None:
        return plan.was_empty
    table = SQLModel.metadata.tables[name]
    return not connection.execute(select(exists().select_from(table))).scalar()


def clear_entries(connection: Connection, target_tables: Sequence[str]) -> None:
    """Entries left for targets that no longer exist (none, normally) would block the keys."""
    entries = search_entry_table()
    connection.execute(delete(entries).where(entries.c.target_table.in_(target_tables)))


def touched_targets(target_table: str, by_name: Plans) -> list[uuid.UUID]:
    """The targets of every record the file holds for this target table, and those updated
    records pointed to before."""
    found: set[str | None] = set()
    for indexed in texts_leading_to(target_table):
        plan = by_name.get(indexed.table.name)
        if plan is None:
            continue
        found.update(plan.columns[indexed.link])
        found.update(str(row[indexed.link]) for row in plan.replaced_rows if row[indexed.link])
    return [uuid.UUID(value) for value in sorted(filter(None, found))]


def file_texts(target_tables: Sequence[str], by_name: Plans) -> Iterator[TextColumns]:
    """The live rows, leading to live targets, of the file's sections for these targets."""
    for indexed in INDEXED_TEXTS:
        plan = by_name.get(indexed.table.name)
        if indexed.target_table in target_tables and plan is not None:
            yield section_texts(indexed, plan, live_targets(indexed, by_name))


def live_targets(indexed: IndexedText, by_name: Plans) -> set[str] | None:
    """The ids of live targets; None when the rows are their own targets."""
    if indexed.link == "id":
        return None
    plan = by_name.get(indexed.target_table)
    return set() if plan is None else set(live_ids(plan.columns))


def live_ids(columns: dict[str, Sequence[Any]]) -> Iterable[str]:
    return (
        record_id
        for record_id, deleted_at in zip(columns["id"], columns["deleted_at"], strict=True)
        if deleted_at is None
    )


def section_texts(indexed: IndexedText, plan: SectionPlan, targets: set[str] | None) -> TextColumns:
    columns = plan.columns
    links = columns[indexed.link]
    kept = [
        number
        for number, (deleted_at, link) in enumerate(zip(columns["deleted_at"], links, strict=True))
        if deleted_at is None and (targets is None or link in targets)
    ]
    wanted = ["id", indexed.link, *indexed.fields]
    if len(kept) == len(links):
        values = [columns[name] for name in wanted]
    else:
        pick = itemgetter(*kept) if kept else None
        values = [picked(columns[name], pick, len(kept)) for name in wanted]
    return TextColumns(
        indexed=indexed,
        origin_ids=values[0],
        target_ids=values[1],
        texts=dict(zip(indexed.fields, values[2:], strict=True)),
    )


def picked(values: Sequence[Any], pick: Any, count: int) -> Sequence[Any]:
    """The values at the kept positions (itemgetter gives a bare value for one position)."""
    if count == 0:
        return ()
    if count == 1:
        return (pick(values),)
    return pick(values)  # type: ignore[no-any-return]
