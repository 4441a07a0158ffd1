"""Consent that follows the person: a withdrawal changes every later export at its levels, and
exports_including finds the earlier ones from the audit log."""

import uuid

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from tests.factories import ACTOR_ID, make_incident, make_involvement, make_person
from tests.reporting.recall_samples import (
    CASE_SUMMARY,
    GENDER,
    GENERATED_AT,
    NARRATIVE,
    REAL_NAME,
    SUMMARY,
    WITHDRAWN_ON,
    RecallSample,
    decide,
    export,
    make_recall_sample,
    pdf_text,
)
from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel
from tracker.domain.errors import RecordNotFound
from tracker.domain.vocabularies import CONSENT_SCOPES
from tracker.models import AuditEntry, Case
from tracker.reporting.annual import annual_csv_tables, build_annual_report
from tracker.reporting.exports import OPERATOR, ReportBundle, ReportRequest, produce_report
from tracker.reporting.pdf.annual import render_annual_pdf
from tracker.reporting.snapshots import TimelineSubject
from tracker.services.audit import add_audit_entry
from tracker.services.export_recall import (
    LEVELS_OF_SCOPE,
    exports_including,
    find_person,
    levels_affected_by,
)
from tracker.services.merges import merge_persons, undo_merge

INTERNAL, LEGAL = DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL
PARTNER, PUBLIC = DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC


@pytest.fixture
def sample(session: Session) -> RecallSample:
    return make_recall_sample(session)


def first_word(text: str) -> str:
    return text.split(":")[0]


# Each export kind and level where a consent changes what is printed, the scope, and what the
# PDF shows only while that consent holds.
WHERE_CONSENT_MATTERS = [
    ("dossier", LEGAL, "legal_filing", REAL_NAME),
    ("timeline", LEGAL, "legal_filing", REAL_NAME),
    ("dossier", PARTNER, "share_partner", GENDER),
    ("dossier", PUBLIC, "name_public", REAL_NAME),
    ("timeline", PUBLIC, "name_public", REAL_NAME),
    ("timeline", PUBLIC, "narrative_public", first_word(SUMMARY)),
    ("dossier", PUBLIC, "narrative_public", first_word(CASE_SUMMARY)),
    ("annual", PARTNER, "narrative_public", first_word(NARRATIVE)),
    ("annual", PUBLIC, "narrative_public", first_word(NARRATIVE)),
]


@pytest.mark.parametrize(("kind", "level", "scope", "marker"), WHERE_CONSENT_MATTERS)
def test_a_withdrawal_takes_effect_in_the_next_export_at_its_level(
    session: Session,
    sample: RecallSample,
    kind: str,
    level: DisclosureLevel,
    scope: str,
    marker: str,
) -> None:
    assert marker not in pdf_text(export(session, sample, kind, level).main.data)
    decide(session, sample.victim_id, scope, "granted")
    assert marker in pdf_text(export(session, sample, kind, level).main.data)
    decide(session, sample.victim_id, scope, "withdrawn", WITHDRAWN_ON)
    assert marker not in pdf_text(export(session, sample, kind, level).main.data)
    assert level in levels_affected_by(scope)


def test_the_export_made_while_consent_held_is_found_to_recall(
    session: Session, sample: RecallSample
) -> None:
    decide(session, sample.victim_id, "narrative_public", "granted")
    shown = export(session, sample, "annual", PUBLIC)
    decide(session, sample.victim_id, "narrative_public", "withdrawn", WITHDRAWN_ON)
    export(session, sample, "annual", PUBLIC)  # without the narrative: names nobody
    [found] = exports_including(session, sample.victim_id, PUBLIC)
    assert found.main_file.name == shown.main.name
    assert found.main_file.sha256 == shown.main.sha256


# --- annual reports record the persons of their narratives --------------------------------


def export_entries(session: Session) -> list[AuditEntry]:
    statement = select(AuditEntry).where(
        col(AuditEntry.action) == "export", col(AuditEntry.table_name) == "report"
    )
    return list(session.execute(statement.order_by(col(AuditEntry.sequence))).scalars())


def test_annual_export_lists_everyone_in_its_printed_narratives(
    session: Session, sample: RecallSample
) -> None:
    export(session, sample, "annual", PUBLIC)
    decide(session, sample.victim_id, "narrative_public", "granted")
    for level in (PARTNER, PUBLIC):
        export(session, sample, "annual", level)
    without, *with_narrative = export_entries(session)
    assert without.changes["person_ids"] == []
    expected = sorted(str(person_id) for person_id in (sample.victim_id, sample.witness_id))
    for entry in with_narrative:
        assert entry.changes["person_ids"] == expected


def test_annual_narrative_persons_are_bookkeeping_never_printed(
    session: Session, sample: RecallSample
) -> None:
    decide(session, sample.victim_id, "narrative_public", "granted")
    for level in (PARTNER, PUBLIC):
        report = build_annual_report(
            session,
            year=2023,
            level=level,
            viewer=OPERATOR,
            generated_at=GENERATED_AT,
            generated_by="exporter",
        )
        assert set(report.narrative_person_ids) == {sample.victim_id, sample.witness_id}
        printed = pdf_text(render_annual_pdf(report)) + "".join(
            data.decode("utf-8") for data in annual_csv_tables(report).values()
        )
        assert first_word(NARRATIVE) in printed
        for person_id in report.narrative_person_ids:
            assert str(person_id) not in printed and person_id.hex not in printed


# --- exports_including -------------------------------------------------------------------


def person_timeline(session: Session, person_id: uuid.UUID) -> ReportBundle:
    return produce_report(
        session,
        request=ReportRequest(
            kind="timeline", level=LEGAL, subject=TimelineSubject("person", person_id)
        ),
        viewer=OPERATOR,
        generated_at=GENERATED_AT,
        generated_by="",
        suppression_threshold=3,
    )


def other_person_timeline(session: Session) -> uuid.UUID:
    """Someone else's incident and timeline export, which must never be listed for the victim."""
    other = make_person(session, real_name="Someone Else")
    incident = make_incident(session, start_text="June 2022")
    make_involvement(session, incident_id=incident.id, person_id=other.id)
    person_timeline(session, other.id)
    return other.id


def test_exports_including_lists_exactly_the_exports_naming_the_person_newest_first(
    session: Session, sample: RecallSample
) -> None:
    dossier = export(session, sample, "dossier", LEGAL)
    other_id = other_person_timeline(session)
    timeline = export(session, sample, "timeline", PUBLIC)
    # An export entry that mentions the victim's id but does not list them, and another
    # action's entry that lists them: neither is an export of their data.
    add_audit_entry(
        session,
        actor_id=ACTOR_ID,
        action="export",
        table_name="report",
        record_id=sample.victim_id,
        changes={"kind": "timeline", "level": "legal", "scope": {"id": str(sample.victim_id)},
                 "files": [], "person_ids": []},
    )  # fmt: skip
    add_audit_entry(
        session,
        actor_id=ACTOR_ID,
        action="update",
        table_name="report",
        record_id=sample.victim_id,
        changes={"level": "legal", "person_ids": [str(sample.victim_id)]},
    )
    found = exports_including(session, sample.victim_id)
    assert [item.main_file.name for item in found] == [timeline.main.name, dossier.main.name]
    newest, oldest = found
    assert (newest.kind, newest.level, newest.scope_kind) == ("timeline", "public", "case")
    assert (oldest.kind, oldest.level, oldest.scope_kind) == ("dossier", "legal", "case")
    case = session.get(Case, sample.case_id)
    assert case is not None and oldest.scope_label == newest.scope_label == case.code
    assert [(file.name, file.sha256) for file in oldest.files] == [
        (file.name, file.sha256) for file in dossier.files
    ]
    assert oldest.actor == "" and oldest.listed_ids == (sample.victim_id,)
    assert newest.occurred_at >= oldest.occurred_at
    [theirs] = exports_including(session, other_id)
    assert theirs.scope_kind == "person" and theirs.kind == "timeline"


def test_exports_including_filters_by_level(session: Session, sample: RecallSample) -> None:
    for kind, level in (("dossier", LEGAL), ("dossier", PARTNER), ("timeline", PUBLIC)):
        export(session, sample, kind, level)
    assert [item.level for item in exports_including(session, sample.victim_id, LEGAL)] == ["legal"]
    both = exports_including(session, sample.victim_id, [PARTNER, PUBLIC])
    assert [item.level for item in both] == ["public", "partner"]
    assert exports_including(session, sample.victim_id, INTERNAL) == []


def test_exports_including_folds_in_merged_persons_until_the_merge_is_undone(
    session: Session, sample: RecallSample
) -> None:
    duplicate = make_person(session)
    incident = make_incident(session, start_text="May 2023")
    make_involvement(session, incident_id=incident.id, person_id=duplicate.id)
    person_timeline(session, duplicate.id)
    assert exports_including(session, sample.victim_id) == []
    merge = merge_persons(
        session,
        survivor_id=sample.victim_id,
        merged_id=duplicate.id,
        reason="same person",
        actor_id=ACTOR_ID,
    )
    [found] = exports_including(session, sample.victim_id)
    assert found.listed_ids == (duplicate.id,)
    undo_merge(session, merge_id=merge.id, actor_id=ACTOR_ID)
    assert exports_including(session, sample.victim_id) == []
    assert len(exports_including(session, duplicate.id)) == 1


def test_unknown_person_is_refused(session: Session, sample: RecallSample) -> None:
    with pytest.raises(RecordNotFound):
        exports_including(session, uuid.uuid4())
    with pytest.raises(RecordNotFound, match="V-2099-999"):
        find_person(session, "v-2099-999")
    with pytest.raises(RecordNotFound) as refused:
        find_person(session, "Nigar Recallova")
    assert "Nigar" not in str(refused.value)
    assert find_person(session, sample.victim_code.lower()).id == sample.victim_id
    assert find_person(session, str(sample.victim_id)).id == sample.victim_id


def test_every_consent_scope_names_the_levels_it_affects() -> None:
    assert set(LEVELS_OF_SCOPE) == {term.code for term in CONSENT_SCOPES}
    assert levels_affected_by("legal_filing") == (LEGAL,)
    assert levels_affected_by("a scope added later") == LEVEL_ORDER
