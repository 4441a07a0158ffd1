"""Integrity checks behind `tracker check`: orphans, invalid dates, unknown codes, broken links,
and the audit log's hash chain."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Column, ForeignKey, RowMapping, Table, select
from sqlmodel import Session, SQLModel, col

from tracker.domain.audit_chain import ChainReport
from tracker.domain.dates import FuzzyDate
from tracker.domain.errors import InvalidDate
from tracker.models import Incident, IncidentLink, VocabularyTerm
from tracker.services.audit_chain import verify_audit_log
from tracker.services.spans import span_tree_problems

# Which vocabulary each coded column draws from; list-valued columns hold several codes.
VOCABULARY_COLUMNS: dict[tuple[str, str], str] = {
    ("incident", "type"): "incident_type",
    ("incident", "secondary_types"): "incident_type",
    ("incident", "verification_status"): "verification_status",
    ("incident", "violations"): "violation",
    ("involvement", "role"): "involvement_role",
    ("involvement", "perpetrator_type"): "perpetrator_type",
    ("involvement", "charges"): "charge",
    ("involvement", "witness_kind"): "witness_kind",
    ("place", "kind"): "place_kind",
    ("place_alias", "script"): "script",
    ("organisation", "kind"): "organisation_kind",
    ("organisation", "state_relation"): "state_relation",
    ("organisation", "perpetrator_type"): "perpetrator_type",
    ("organisation_alias", "script"): "script",
    ("person", "age_band"): "age_band",
    ("person_name", "kind"): "name_kind",
    ("person_name", "script"): "script",
    ("consent", "scope"): "consent_scope",
    ("consent", "status"): "consent_status",
    ("source", "kind"): "source_kind",
    ("evidence", "kind"): "evidence_kind",
    ("evidence", "stage"): "evidence_stage",
    ("custody_entry", "action"): "custody_action",
    ("legal_action", "kind"): "legal_action_kind",
    ("incident_link", "link_type"): "link_type",
    ("case_file", "status"): "case_status",
}
# Criminal-code charges are open-ended: any article of the Criminal Code.
CRIMINAL_CHARGE = re.compile(r"^AZ-CC-\d+(\.\d+)*$")


@dataclass(frozen=True)
class Problem:
    """One integrity problem, in words an operator can act on."""

    table: str
    record_id: object
    message: str

    def __str__(self) -> str:
        return f"{self.table} {self.record_id}: {self.message}"


@dataclass(frozen=True)
class IntegrityReport:
    """What `tracker check` found: the problems, and the audit chain's state."""

    problems: list[Problem]
    audit_chain: ChainReport


def check_integrity(session: Session, *, today: date | None = None) -> list[Problem]:
    """Every integrity problem in the database, orphans first, a broken audit chain last."""
    return integrity_report(session, today=today).problems


def integrity_report(session: Session, *, today: date | None = None) -> IntegrityReport:
    today = today or date.today()
    chain = verify_audit_log(session)
    problems = [
        *find_orphans(session),
        *find_unknown_codes(session),
        *find_invalid_incident_dates(session, today),
        *find_broken_links(session),
        *find_span_tree_problems(session),
        *audit_chain_problems(chain),
    ]
    return IntegrityReport(problems, chain)


def audit_chain_problems(chain: ChainReport) -> Iterator[Problem]:
    """The chain's first break: `tracker audit verify` says the same."""
    broken = chain.first_break
    if broken is None:
        return
    where = "" if broken.sequence is None else f" at entry {broken.sequence}"
    message = f"audit chain broken{where}: {broken.kind}: {broken.detail}"
    yield Problem("audit_entry", broken.entry_id or "-", message)


def find_span_tree_problems(session: Session) -> Iterator[Problem]:
    for message in span_tree_problems(session):
        yield Problem("incident_span", "-", message)


def foreign_keys() -> Iterator[tuple[Table, Column[object], ForeignKey]]:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            for key in column.foreign_keys:
                yield table, column, key


def find_orphans(session: Session) -> Iterator[Problem]:
    """Rows whose reference points at no row at all (foreign keys may have been off)."""
    for table, column, key in foreign_keys():
        referred = key.column.table.alias("referred")  # an alias: some tables refer to themselves
        target = referred.c[key.column.name]
        statement = (
            select(table.c.id, column)
            .outerjoin(referred, target == column)
            .where(column.is_not(None), target.is_(None))
        )
        for record_id, missing in session.execute(statement):
            yield Problem(
                table.name,
                record_id,
                f"{column.name} points at missing {key.column.table.name} {missing}",
            )


def vocabulary_codes(session: Session) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = {}
    for vocabulary, code in session.execute(
        select(col(VocabularyTerm.vocabulary), col(VocabularyTerm.code))
    ):
        codes.setdefault(vocabulary, set()).add(code)
    return codes


def is_known_code(vocabulary: str, code: str, known: dict[str, set[str]]) -> bool:
    if vocabulary == "charge" and CRIMINAL_CHARGE.match(code):
        return True
    return code in known.get(vocabulary, set())


def find_unknown_codes(session: Session) -> Iterator[Problem]:
    """Coded columns holding a code their vocabulary does not have."""
    known = vocabulary_codes(session)
    for (table_name, column_name), vocabulary in VOCABULARY_COLUMNS.items():
        table = SQLModel.metadata.tables[table_name]
        statement = select(table.c.id, table.c[column_name]).where(
            table.c[column_name].is_not(None)
        )
        for record_id, value in session.execute(statement):
            for code in value if isinstance(value, list) else [value]:
                if not is_known_code(vocabulary, code, known):
                    yield Problem(
                        table_name, record_id, f"{column_name}: unknown {vocabulary} code {code!r}"
                    )


def stored_date(prefix: str, row: Incident) -> FuzzyDate | None:
    """Rebuild a stored start or end date; raises InvalidDate when its parts disagree."""
    text = getattr(row, f"{prefix}_text")
    if text is None:
        return None
    try:
        return FuzzyDate.from_dict(
            {
                "original_text": text,
                "earliest": iso_or_none(getattr(row, f"{prefix}_earliest")),
                "latest": iso_or_none(getattr(row, f"{prefix}_latest")),
                "precision": getattr(row, f"{prefix}_precision"),
                "qualifier": getattr(row, f"{prefix}_qualifier"),
            }
        )
    except (ValueError, KeyError) as error:
        raise InvalidDate(f"{prefix}: {error}") from error


def iso_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def date_problems(incident: Incident, today: date) -> Iterator[str]:
    """What is wrong with an incident's dates, if anything."""
    try:
        start, end = stored_date("start", incident), stored_date("end", incident)
    except InvalidDate as error:
        yield f"invalid date: {error}"
        return
    for prefix, value in (("start", start), ("end", end)):
        if value is not None and value.earliest is not None and value.earliest > today:
            yield f"{prefix}: {value.earliest} is in the future"
    if start and end and start.earliest and end.latest and end.latest < start.earliest:
        yield "end: wholly before the start"


def find_invalid_incident_dates(session: Session, today: date) -> Iterator[Problem]:
    for incident in session.execute(select(Incident)).scalars():
        for message in date_problems(incident, today):
            yield Problem("incident", incident.id, message)


def find_broken_links(session: Session) -> Iterator[Problem]:
    """Live links to deleted incidents, self-links, and reprisals that precede their cause."""
    source = Incident.__table__.alias("link_from")  # type: ignore[attr-defined]
    target = Incident.__table__.alias("link_to")  # type: ignore[attr-defined]
    links = IncidentLink.__table__  # type: ignore[attr-defined]
    statement = (
        select(
            links.c.id,
            links.c.link_type,
            links.c.from_incident_id,
            links.c.to_incident_id,
            source.c.deleted_at.label("from_deleted"),
            target.c.deleted_at.label("to_deleted"),
            source.c.start_latest.label("reprisal_latest"),
            target.c.start_earliest.label("answered_earliest"),
        )
        .join(source, source.c.id == links.c.from_incident_id)
        .join(target, target.c.id == links.c.to_incident_id)
        .where(links.c.deleted_at.is_(None))
    )
    for row in session.execute(statement).mappings():
        yield from link_problems(row)


def link_problems(row: RowMapping) -> Iterator[Problem]:
    """What is wrong with one live incident link, if anything."""
    link_id = row["id"]
    if row["from_incident_id"] == row["to_incident_id"]:
        yield Problem("incident_link", link_id, "links an incident to itself")
    if (row["from_deleted"] or row["to_deleted"]) and row["link_type"] != "duplicate_of":
        yield Problem("incident_link", link_id, "links to a deleted incident")
    reprisal_latest, answered_earliest = row["reprisal_latest"], row["answered_earliest"]
    if (
        row["link_type"] == "retaliation_for"
        and reprisal_latest
        and answered_earliest
        and answered_earliest > reprisal_latest
    ):
        yield Problem(
            "incident_link",
            link_id,
            "retaliation_for: the act answered starts after the reprisal ends",
        )
