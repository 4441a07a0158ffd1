"""The parts of a case dossier besides its chronology, each whitelisted field by field."""

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from tracker.domain.dates import FuzzyDate, format_fuzzy_date
from tracker.domain.disclosure import DisclosureLevel
from tracker.models import (
    Case,
    CustodyEntry,
    Evidence,
    Involvement,
    LegalAction,
    Organisation,
)
from tracker.reporting.model import (
    CustodyLine,
    EvidenceEntry,
    LegalActionEntry,
    PerpetratorEntry,
    PersonEntry,
    SourceEntry,
)
from tracker.reporting.snapshot_context import SnapshotContext, consents_to
from tracker.reporting.snapshot_people import (
    PERPETRATOR_ROLE,
    organisation_label,
    person_entry,
    person_label,
    unit_path,
)
from tracker.reporting.snapshot_timeline import IncidentFacts, source_identified
from tracker.services.cases import legal_actions_of_case
from tracker.services.records import id_chunks, live

CLIENT_ROLE = "Client"
INTERNAL, LEGAL = DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL
PARTNER, PUBLIC = DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC


# --- the case itself ------------------------------------------------------------------------


def case_summary(
    context: SnapshotContext, case: Case, facts: IncidentFacts, clients: list[uuid.UUID]
) -> str:
    """The summary, redacted; in public only when every client consented to their narrative."""
    if context.level is PUBLIC:
        people = [facts.persons[person_id] for person_id in clients if person_id in facts.persons]
        if not all(consents_to(context, person, "narrative_public") for person in people):
            return ""
    return context.redact(case.summary)


# --- persons: clients first, then everyone in the incidents but alleged perpetrators ---------


def dossier_persons(
    context: SnapshotContext, facts: IncidentFacts, clients: list[uuid.UUID]
) -> tuple[PersonEntry, ...]:
    roles = person_roles(context, facts, clients)
    ordered = sorted(
        roles,
        key=lambda person_id: (person_id not in clients, facts.persons[person_id].pseudonym_code),
    )
    entries = (
        person_entry(context, facts.persons[person_id], roles[person_id]) for person_id in ordered
    )
    return tuple(entry for entry in entries if entry is not None)


def person_roles(
    context: SnapshotContext, facts: IncidentFacts, clients: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, ...]]:
    """Role labels per person; alleged perpetrators appear under perpetrators instead."""
    roles: dict[uuid.UUID, set[str]] = defaultdict(set)
    for person_id in clients:
        if person_id in facts.persons:
            roles[person_id].add(CLIENT_ROLE)
    for rows in facts.involvements.values():
        for row in rows:
            if (
                row.person_id in facts.persons
                and facts.perpetrator_types.get(row.person_id) is None
            ):
                roles[row.person_id].add(context.label("involvement_role", row.role))
    return {person_id: tuple(sorted(labels)) for person_id, labels in roles.items()}


# --- perpetrators: units with their chain of command, persons per level ----------------------


def dossier_perpetrators(
    context: SnapshotContext, facts: IncidentFacts
) -> tuple[PerpetratorEntry, ...]:
    by_party: dict[uuid.UUID, list[Involvement]] = defaultdict(list)
    codes: dict[uuid.UUID, set[str]] = defaultdict(set)
    for incident in facts.incidents:
        for row in facts.involvements.get(incident.id, []):
            if row.role == PERPETRATOR_ROLE:
                party = row.person_id or row.organisation_id
                assert party is not None  # the table's check constraint names exactly one
                by_party[party].append(row)
                codes[party].add(incident.code)
    entries = (
        perpetrator_entry(context, facts, rows, tuple(sorted(codes[party])))
        for party, rows in by_party.items()
    )
    return tuple(
        sorted(
            (entry for entry in entries if entry),
            key=lambda entry: (entry.label, entry.incident_codes),
        )
    )


def perpetrator_entry(
    context: SnapshotContext, facts: IncidentFacts, rows: list[Involvement], codes: tuple[str, ...]
) -> PerpetratorEntry | None:
    first = rows[0]
    session = context.session
    perpetrator_type = next((row.perpetrator_type for row in rows if row.perpetrator_type), None)
    if first.organisation_id is not None:
        organisation = session.get(Organisation, first.organisation_id)
        if organisation is None:
            return None
        label = organisation_label(context, organisation, perpetrator=True)
        path = unit_path(context, organisation)
        perpetrator_type = perpetrator_type or organisation.perpetrator_type
    else:
        person = facts.persons.get(first.person_id) if first.person_id else None
        if person is None:
            return None
        type_code = facts.perpetrator_types.get(person.id)
        label = person_label(context, person, type_code) or context.label(
            "perpetrator_type", perpetrator_type or "unknown"
        )
        unit = (
            session.get(Organisation, first.unit_organisation_id)
            if first.unit_organisation_id
            else None
        )
        path = unit_path(context, unit)
    return PerpetratorEntry(
        label=label,
        perpetrator_type=context.label("perpetrator_type", perpetrator_type or "unknown"),
        unit_path=path,
        identified=any(row.identified for row in rows),
        incident_codes=codes,
    )


# --- legal actions: in full at internal and legal; kind, year and outcome for partners -------


def legal_action_entries(context: SnapshotContext, case: Case) -> tuple[LegalActionEntry, ...]:
    allow_list = LEGAL_ACTION_ALLOW_LISTS.get(context.level)
    if allow_list is None:  # public: legal actions appear only in aggregates
        return ()
    actions = legal_actions_of_case(context.session, case.id)
    return tuple(allow_list(context, action) for action in actions)


def full_legal_action(context: SnapshotContext, action: LegalAction) -> LegalActionEntry:
    return LegalActionEntry(
        kind=context.label("legal_action_kind", action.kind),
        forum=context.redact(action.forum),
        filed_on=fuzzy_label(action.filed_on),
        decided_on=fuzzy_label(action.decided_on),
        served_on=fuzzy_label(action.served_on),
        outcome=context.redact(action.outcome),
        sentence_months=action.sentence_months,
        is_final_domestic=action.is_final_domestic,
        deadline_on=action.deadline_on,
        deadline_needs_confirmation=action.deadline_needs_confirmation,
    )


def partner_legal_action(context: SnapshotContext, action: LegalAction) -> LegalActionEntry:
    return LegalActionEntry(
        kind=context.label("legal_action_kind", action.kind),
        forum="",
        filed_on="",
        decided_on=decision_year(action.decided_on),
        served_on="",
        outcome=context.redact(action.outcome),
        sentence_months=None,
        is_final_domestic=False,
        deadline_on=None,
        deadline_needs_confirmation=False,
    )


def fuzzy_label(fuzzy: FuzzyDate | None) -> str:
    return "" if fuzzy is None else format_fuzzy_date(fuzzy)


def decision_year(fuzzy: FuzzyDate | None) -> str:
    """The year of the decision when the whole date lies in one year, else ""."""
    if fuzzy is None or fuzzy.earliest is None or fuzzy.latest is None:
        return ""
    return str(fuzzy.earliest.year) if fuzzy.earliest.year == fuzzy.latest.year else ""


LEGAL_ACTION_ALLOW_LISTS: dict[
    DisclosureLevel, Callable[[SnapshotContext, LegalAction], LegalActionEntry]
] = {
    INTERNAL: full_legal_action,
    LEGAL: full_legal_action,
    PARTNER: partner_legal_action,
}


def upcoming_deadlines(
    entries: tuple[LegalActionEntry, ...], today: date
) -> tuple[LegalActionEntry, ...]:
    """Deadlines from today on, and every deadline a lawyer has still to confirm, soonest first."""
    due = [
        entry
        for entry in entries
        if entry.deadline_on is not None
        and (entry.deadline_on >= today or entry.deadline_needs_confirmation)
    ]
    return tuple(sorted(due, key=lambda entry: (entry.deadline_on or date.max, entry.kind)))


# --- sources and evidence ---------------------------------------------------------------------


def dossier_sources(context: SnapshotContext, facts: IncidentFacts) -> tuple[SourceEntry, ...]:
    cited_in: dict[uuid.UUID, set[str]] = defaultdict(set)
    for incident in facts.incidents:
        for citation in facts.citations.get(incident.id, []):
            cited_in[citation.source_id].add(incident.code)
    entries = []
    for source_id, codes in cited_in.items():
        source = facts.sources[source_id]
        identified = source_identified(context, source)
        entries.append(
            SourceEntry(
                title=context.redact(source.title) if identified else "",
                kind=context.label("source_kind", source.kind),
                reliability=source.reliability,
                url=source.url if identified else "",
                accessed_on=source.accessed_on if identified else None,
                cited_in=tuple(sorted(codes)),
            )
        )
    return tuple(sorted(entries, key=lambda entry: (entry.cited_in, entry.kind, entry.title)))


def dossier_evidence(context: SnapshotContext, facts: IncidentFacts) -> tuple[EvidenceEntry, ...]:
    """Evidence with hashes and custody, internal and legal only: partners get none."""
    if context.level not in (INTERNAL, LEGAL):
        return ()
    codes = {incident.id: incident.code for incident in facts.incidents}
    statement = live(select(Evidence), Evidence).where(col(Evidence.incident_id).in_(list(codes)))
    items = list(context.session.execute(statement).scalars())
    custody = custody_logs(context, [item.id for item in items])
    entries = [evidence_entry(context, item, codes, custody.get(item.id, [])) for item in items]
    return tuple(
        sorted(entries, key=lambda entry: (entry.incident_code, entry.title, entry.sha256))
    )


def custody_logs(
    context: SnapshotContext, evidence_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CustodyEntry]]:
    """Each item's chain of custody in time order, read for all items at once."""
    logs: dict[uuid.UUID, list[CustodyEntry]] = defaultdict(list)
    for chunk in id_chunks(evidence_ids):
        statement = select(CustodyEntry).where(col(CustodyEntry.evidence_id).in_(chunk))
        ordered = statement.order_by(col(CustodyEntry.occurred_at), col(CustodyEntry.created_at))
        for entry in context.session.execute(ordered).scalars():
            logs[entry.evidence_id].append(entry)
    return logs


def evidence_entry(
    context: SnapshotContext,
    item: Evidence,
    codes: dict[uuid.UUID, str],
    custody_log: list[CustodyEntry],
) -> EvidenceEntry:
    custody = tuple(
        CustodyLine(
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            action=context.label("custody_action", entry.action),
            holders=entry.holders,
            sha256_seen=entry.sha256_seen,
        )
        for entry in custody_log
    )
    return EvidenceEntry(
        title=context.redact(item.title),
        file_name=item.file_name,
        kind=context.label("evidence_kind", item.kind),
        media_type=item.media_type,
        size_bytes=item.size_bytes,
        sha256=item.sha256,
        collected_by=item.collected_by,
        collected_at=item.collected_at,
        incident_code=codes.get(item.incident_id, "") if item.incident_id else "",
        custody=custody,
    )
