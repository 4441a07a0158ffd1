"""A hand-built dataset with at least one record in every table that travels."""

import io
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlmodel import Session, SQLModel

from tracker.domain.dates import parse_fuzzy_date
from tracker.interchange.json_format import ImportReport, export_json, import_json
from tracker.interchange.progress import ProgressCallback
from tracker.models import (
    Campaign,
    CampaignIncident,
    Case,
    CaseClient,
    CaseIncident,
    Citation,
    Consent,
    CustodyEntry,
    Evidence,
    Incident,
    IncidentLink,
    Involvement,
    LegalAction,
    Organisation,
    OrganisationAlias,
    Person,
    PersonMerge,
    PersonName,
    Place,
    PlaceAlias,
    RecordRestriction,
    Role,
    Source,
    UserAccount,
    UserRole,
    VocabularyTerm,
)
from tracker.models.base import TimestampedRecord
from tracker.services.incidents import end_columns, start_columns
from tracker.services.records import create_record, soft_delete_record, update_record

ACTOR = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
TODAY = date(2024, 6, 1)
EXPORTED_AT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
SEEDED_TABLES = ("vocabulary_term", "role")


def add(
    session: Session, model: type[TimestampedRecord], record_id: str | None = None, **values: Any
) -> Any:
    identifier = uuid.UUID(record_id) if record_id else None
    return create_record(session, model, actor_id=ACTOR, values=values, record_id=identifier)


def fuzzy(text: str) -> Any:
    return parse_fuzzy_date(text, today=TODAY, reference_date=TODAY)


def incident_values(code: str, start: str, end: str | None = None, **values: Any) -> Any:
    return {
        "code": code,
        "type": "DET",
        **start_columns(fuzzy(start)),
        **end_columns(fuzzy(end) if end else None),
        **values,
    }


def build_dataset(session: Session) -> dict[str, Any]:
    """Every table, self-references with the child's UUID sorting before its parent's."""
    term = session.execute(select(VocabularyTerm).where(VocabularyTerm.code == "RAID")).scalar_one()
    update_record(
        session,
        term,
        actor_id=ACTOR,
        expected_version=1,
        changes={"description": "Round-up of a venue or of many people"},
    )
    add(
        session,
        VocabularyTerm,
        vocabulary="incident_type",
        code="XTST",
        label_en="Test type",
        label_az="Sınaq növü",
        label_ru="Тестовый тип",
        sort_order=99,
    )
    add(session, Role, code="observer", label="Observer")
    user = add(
        session,
        UserAccount,
        username="lawyer1",
        display_name="Əli Məlikov",
        password_hash="$argon2id$secret",
        must_change_password=False,
    )
    add(session, UserRole, user_id=user.id, role_code="lawyer")
    country = add(
        session,
        Place,
        "f0000000-0000-4000-8000-000000000001",
        name="Azərbaycan",
        kind="country",
        geo_precision=4,
    )
    baku = add(
        session,
        Place,
        "10000000-0000-4000-8000-000000000001",
        name="Bakı",
        kind="first_level_unit",
        geo_precision=3,
        parent_id=country.id,
        latitude=40.4093,
        longitude=49.8671,
    )
    add(session, PlaceAlias, place_id=baku.id, text="Баку", script="cyrl", folded="баку")
    ministry = add(
        session,
        Organisation,
        "f0000000-0000-4000-8000-000000000002",
        name="Ministry of Internal Affairs",
        kind="ministry",
        state_relation="state",
        perpetrator_type="state_agent",
    )
    station = add(
        session,
        Organisation,
        "10000000-0000-4000-8000-000000000002",
        name="Nasimi police station 🚓",
        kind="police_station",
        parent_id=ministry.id,
        place_id=baku.id,
        state_relation="state",
        perpetrator_type="state_agent",
    )
    add(
        session,
        OrganisationAlias,
        organisation_id=station.id,
        text="Насиминское РОП",
        script="cyrl",
        folded="насиминское роп",
    )
    survivor = add(
        session,
        Person,
        "f0000000-0000-4000-8000-000000000003",
        pseudonym_code="V-2017-001",
        real_name="Əli Məlikov",
        age_band="25_34",
        gender_identity="гей-мужчина",
        description="İyun, ğ ş ç ö ü 🏳️‍🌈",
    )
    duplicate = add(
        session,
        Person,
        "10000000-0000-4000-8000-000000000003",
        pseudonym_code="V-2017-002",
        real_name="Ali Malikov",
        merged_into_id=survivor.id,
    )
    soft_delete_record(session, duplicate, actor_id=ACTOR, expected_version=1, reason="merged")
    source = add(
        session,
        Source,
        kind="media_article",
        title="Bianet interview",
        url="https://example.org/a",
        contact_person_id=survivor.id,
        published_on=fuzzy("spring 2019"),
        accessed_on=date(2023, 4, 1),
        reliability="C",
    )
    first = add(
        session,
        Incident,
        **incident_values(
            "INC-000001",
            "8 March 2023",
            "9 March 2023",
            title="Detention after the march",
            secondary_types=["THRT", "XTST"],
            place_id=baku.id,
            summary="Задержание на 8 марта",
            reported_victims_text="nearly 100",
            reported_victims_min=90,
            reported_victims_max=100,
            verification_status="corroborated",
            publishable=True,
        ),
    )
    second = add(session, Incident, **incident_values("INC-000002", "before 2019", type="TORT"))
    third = add(session, Incident, **incident_values("INC-000003", "unknown", type="HATE"))
    add(session, Incident, **incident_values("INC-000004", "late 2021"))
    add(session, Incident, **incident_values("INC-000005", "about 2 years ago"))
    add(session, Incident, **incident_values("INC-000006", "between 26 and 30 September 2017"))
    add(session, Incident, **incident_values("INC-000007", "1990s"))
    add(session, Incident, **incident_values("INC-000008", "March 2023"))
    citation = add(
        session,
        Citation,
        source_id=source.id,
        incident_id=first.id,
        locator="para. 4",
        claim="Police detained him",
        credibility=3,
    )
    add(
        session,
        PersonName,
        person_id=survivor.id,
        text="Əli Məlikov",
        kind="legal",
        citation_id=citation.id,
        folded="eli melikov",
    )
    add(
        session,
        Consent,
        person_id=survivor.id,
        scope="legal_filing",
        status="granted",
        decided_on=date(2023, 5, 1),
        recorded_by=user.id,
        method="in person",
    )
    add(
        session,
        PersonMerge,
        survivor_id=survivor.id,
        merged_id=duplicate.id,
        reason="same man",
        snapshot={"names": ["Ali Malikov"], "involvements": [], "z": {"b": 1, "a": None}},
    )
    add(
        session,
        Involvement,
        incident_id=first.id,
        person_id=survivor.id,
        role="victim",
        duration_text="10 days",
        duration_days_min=10,
        duration_days_max=10,
        charges=["AZ-CAO-510", "AZ-CC-126.1"],
    )
    add(
        session,
        Involvement,
        incident_id=first.id,
        organisation_id=station.id,
        role="alleged_perpetrator",
        perpetrator_type="state_agent",
        identified=True,
        unit_organisation_id=station.id,
    )
    add(
        session,
        IncidentLink,
        from_incident_id=second.id,
        to_incident_id=first.id,
        link_type="precedes",
    )
    case = add(
        session, Case, code="CASE-0001", title="Məlikov v. Azerbaijan", lead_lawyer_id=user.id
    )
    add(session, CaseIncident, case_id=case.id, incident_id=first.id)
    add(session, CaseClient, case_id=case.id, person_id=survivor.id)
    campaign = add(session, Campaign, code="CAMP-01", name="2017 crackdown")
    add(session, CampaignIncident, campaign_id=campaign.id, incident_id=third.id)
    add(
        session,
        LegalAction,
        case_id=case.id,
        kind="complaint",
        forum="Nasimi court",
        filed_on=fuzzy("10.03.2023"),
        decided_on=fuzzy("March 2023"),
        deadline_on=date(2099, 7, 1),
        deadline_needs_confirmation=True,
        sentence_months=None,
    )
    original = add(
        session,
        Evidence,
        "f0000000-0000-4000-8000-000000000004",
        title="Photo",
        kind="photo",
        sha256="a" * 64,
        size_bytes=1024,
        incident_id=first.id,
        captured_at=datetime(2023, 3, 8, 12, 0, 0, 123456, tzinfo=UTC),
    )
    add(
        session,
        Evidence,
        "10000000-0000-4000-8000-000000000004",
        title="Redacted photo",
        kind="photo",
        sha256="b" * 64,
        derived_from_id=original.id,
        stage="preservation",
    )
    add(
        session,
        CustodyEntry,
        evidence_id=original.id,
        actor="documenter",
        action="received",
        occurred_at=datetime(2023, 3, 9, 8, 30, tzinfo=UTC),
    )
    restriction = {"table_name": "incident", "record_id": first.id, "user_id": user.id}
    create_record(session, RecordRestriction, actor_id=ACTOR, values=restriction)
    session.flush()
    return {"incident": first, "person": survivor, "user": user}


def export_bytes(
    session: Session,
    *,
    with_audit: bool = False,
    exported_at: datetime = EXPORTED_AT,
    progress: ProgressCallback | None = None,
) -> bytes:
    buffer = io.BytesIO()
    export_json(session, buffer, with_audit=with_audit, exported_at=exported_at, progress=progress)
    return buffer.getvalue()


def import_bytes(
    session: Session, data: bytes, tmp_path: Path, *, progress: ProgressCallback | None = None
) -> ImportReport:
    path = tmp_path / f"import-{uuid.uuid4().hex}.json"
    path.write_bytes(data)
    return import_json(session, path, progress=progress)


def capture_seed(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            name: [
                dict(row._mapping)
                for row in connection.execute(select(SQLModel.metadata.tables[name]))
            ]
            for name in SEEDED_TABLES
        }


def empty_database(engine: Engine, seed: dict[str, list[dict[str, Any]]]) -> None:
    """Back to a freshly migrated database: nothing but the seeded vocabularies and roles."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(delete(table))
        for name, rows in seed.items():
            connection.execute(insert(SQLModel.metadata.tables[name]), rows)
