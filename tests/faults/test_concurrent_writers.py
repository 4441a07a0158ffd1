"""Eight people saving at once through gunicorn: every accepted save kept and audited, every
refused one a clear conflict, never an error page or a locked database."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session, col

from tests.factories import make_incident
from tests.faults.browser import Answer, Browser
from tests.faults.instance import Instance, add_account
from tests.faults.server import Server, running_server
from tracker.models import AuditEntry, Incident

WRITERS = 8
SHARED_ATTEMPTS = 5
OWN_EDITS = 2
NEW_INCIDENTS = 2
FORBIDDEN_WORDS = ("database is locked", "Traceback", "OperationalError", "deadlock")


@dataclass
class Tally:
    """What one writer saw."""

    accepted_summaries: list[str] = field(default_factory=list)
    conflicts: int = 0
    requests: int = 0
    own_summaries: list[str] = field(default_factory=list)
    created_titles: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


class Writer:
    """One signed-in person editing the shared incident, their own, and creating new ones."""

    def __init__(self, server: Server, number: int, shared: uuid.UUID, own: uuid.UUID) -> None:
        self.number, self.shared, self.own = number, shared, own
        self.browser = Browser(server)
        self.tally = Tally()

    def seen(self, answer: Answer, *expected: int) -> Answer:
        self.tally.requests += 1
        if answer.status not in expected or any(w in answer.body for w in FORBIDDEN_WORDS):
            self.tally.unexpected.append(f"{answer.status}: {answer.body[:300]}")
        return answer

    def run(self) -> None:
        self.seen(self.browser.login(f"writer{self.number}"), 302)
        for attempt in range(SHARED_ATTEMPTS):
            self.append_to_shared(attempt)
        for edit in range(OWN_EDITS):
            self.append_to_own(edit)
        for made in range(NEW_INCIDENTS):
            self.create_incident(made)

    def append_to_shared(self, attempt: int) -> None:
        """Add a word to the summary as this writer last saw it; a 409 means someone was first."""
        path = f"/incidents/{self.shared}/edit"
        answer, summary = self.edit(path, f"w{self.number}a{attempt}")
        if answer.status == 302:
            self.tally.accepted_summaries.append(summary)
        elif answer.status == 409:
            self.tally.conflicts += 1

    def append_to_own(self, edit: int) -> None:
        answer, summary = self.edit(f"/incidents/{self.own}/edit", f"own{self.number}e{edit}")
        if answer.status == 302:
            self.tally.own_summaries.append(summary)

    def edit(self, path: str, word: str) -> tuple[Answer, str]:
        from tests.faults.browser import fill, form_fields

        page = self.seen(self.browser.get(path), 200)
        fields = form_fields(page.body, path)
        summary = " ".join([*dict(fields).get("summary", "").split(), word])
        answer = self.browser.post(path, fill(fields, {"summary": summary, "submit": "Save"}))
        return self.seen(answer, 302, 409), summary

    def create_incident(self, made: int) -> None:
        title = f"Raid reported by writer {self.number}, number {made}"
        changes = {"title": title, "type": "DET", "start_text": "May 2024", "submit": "Save"}
        page = self.seen(self.browser.get("/incidents/new"), 200)
        from tests.faults.browser import fill, form_fields

        answer = self.browser.post("/incidents/new", fill(form_fields(page.body, ""), changes))
        if self.seen(answer, 302).status == 302:
            self.tally.created_titles.append(title)


def run_together(jobs: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
        assert not thread.is_alive()


def prepare(instance: Instance) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The shared incident and one incident per writer, and the writers' accounts."""
    with instance.engine() as engine:
        for number in range(WRITERS):
            add_account(engine, f"writer{number}")
        with Session(engine, expire_on_commit=False) as session:
            shared = make_incident(session, title="Shared", summary="start")
            own = [make_incident(session, title=f"Own {n}", summary="") for n in range(WRITERS)]
            session.commit()
    return shared.id, [incident.id for incident in own]


def updates_of(session: Session, incident_id: uuid.UUID) -> list[AuditEntry]:
    statement = (
        select(AuditEntry)
        .where(col(AuditEntry.record_id) == incident_id, col(AuditEntry.action) == "update")
        .order_by(col(AuditEntry.sequence))
    )
    return list(session.execute(statement).scalars())


def test_eight_writers_lose_nothing_and_every_save_is_audited(instance: Instance) -> None:
    shared, own = prepare(instance)
    with running_server(instance) as server:
        writers = [Writer(server, number, shared, own[number]) for number in range(WRITERS)]
        run_together([writer.run for writer in writers])
        log = server.log_text()
    tallies = [writer.tally for writer in writers]
    assert [t.unexpected for t in tallies] == [[]] * WRITERS
    assert "database is locked" not in log and "Traceback" not in log
    accepted = [summary for t in tallies for summary in t.accepted_summaries]
    assert accepted, "no save of the shared incident was accepted"
    with instance.engine() as engine, Session(engine) as session:
        check_shared_incident(session, shared, accepted)
        for number, incident_id in enumerate(own):
            check_own_incident(session, incident_id, tallies[number].own_summaries)
        check_created_incidents(session, [title for t in tallies for title in t.created_titles])
    instance.run("audit", "verify")
    instance.run("check")
    record_figures(instance, tallies)


def check_shared_incident(session: Session, shared: uuid.UUID, accepted: list[str]) -> None:
    """Each accepted save is one audit entry, in a chain where each save starts from the one
    before it (nobody overwrote a save they had not seen), and the last is what is stored."""
    entries = updates_of(session, shared)
    assert sorted(entry.changes["summary"][1] for entry in entries) == sorted(accepted)
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.changes["summary"][0] == before.changes["summary"][1]
    incident = session.get(Incident, shared)
    assert incident is not None
    assert incident.summary == entries[-1].changes["summary"][1]
    assert incident.version == 1 + len(accepted)
    words = incident.summary.split()
    assert words[0] == "start" and len(words) == 1 + len(accepted)


def check_own_incident(session: Session, incident_id: uuid.UUID, summaries: list[str]) -> None:
    """Nobody else touched it: every save accepted, each audited, the last one stored."""
    assert len(summaries) == OWN_EDITS
    entries = updates_of(session, incident_id)
    assert [entry.changes["summary"][1] for entry in entries] == summaries
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.summary == summaries[-1]


def check_created_incidents(session: Session, titles: list[str]) -> None:
    """Every incident created at the same time exists once, with its own code and an entry."""
    assert len(titles) == WRITERS * NEW_INCIDENTS
    rows = session.execute(
        select(col(Incident.id), col(Incident.code)).where(col(Incident.title).in_(titles))
    ).all()
    assert len(rows) == len(titles) and len({code for _, code in rows}) == len(titles)
    created = select(func.count()).where(
        col(AuditEntry.action) == "create", col(AuditEntry.record_id).in_([id_ for id_, _ in rows])
    )
    assert session.execute(created).scalar_one() == len(titles)


def record_figures(instance: Instance, tallies: list[Tally]) -> None:
    """Printed with -s, for docs/security.md."""
    requests = sum(t.requests for t in tallies)
    conflicts = sum(t.conflicts for t in tallies)
    accepted = sum(len(t.accepted_summaries) for t in tallies)
    print(
        f"\n[faults] {instance.engine_name}: {WRITERS} writers, {requests} requests,"
        f" {accepted} shared saves accepted, {conflicts} conflicts answered 409"
    )
