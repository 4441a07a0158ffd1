"""Records for the hostile tests: the route sample, plus what makes every form appear.

Remove buttons need a name or alias to remove, restore buttons a deleted record, the undo
button a merge; the admin's account buttons act on another account (a documenter's), so the
admin's own session survives the attack.
"""

import io
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from tests.evidence_samples import phone_photo
from tests.factories import (
    ACTOR_ID,
    make_case,
    make_incident,
    make_organisation,
    make_person,
    make_place,
    make_source,
)
from tests.web.sample import Sample, make_sample
from tracker.config import Settings
from tracker.models import Case, Organisation, Person, Place, Source
from tracker.models.base import TimestampedRecord
from tracker.services.cases import add_client, add_incident_to_case
from tracker.services.evidence_files import FileUpload, Handler, add_evidence_file
from tracker.services.evidence_store import EvidenceStore
from tracker.services.incidents import delete_incident
from tracker.services.merges import merge_persons
from tracker.services.organisations import add_organisation_alias
from tracker.services.people import add_person_name
from tracker.services.places import add_place_alias
from tracker.services.record_pages import delete_with_reason
from tracker.services.users import create_user, deactivate_user


@dataclass(frozen=True)
class Deleted:
    """One soft-deleted record of each kind, for the restore forms."""

    incident_id: uuid.UUID
    person_id: uuid.UUID
    place_id: uuid.UUID
    organisation_id: uuid.UUID
    source_id: uuid.UUID
    case_id: uuid.UUID


@dataclass(frozen=True)
class World:
    sample: Sample
    deleted: Deleted
    other_incident_code: str
    duplicate_code: str
    target_user_id: uuid.UUID
    retired_user_id: uuid.UUID
    stored_evidence_id: uuid.UUID


def make_world(engine: Engine, settings: Settings, target_user_id: uuid.UUID) -> World:
    sample = make_sample(engine)
    with Session(engine, expire_on_commit=False) as session:
        retired = make_retired_user(session)
        stored = store_photo(session, settings, sample.incident_id)
        add_person_name(session, person_id=sample.person_id, text="Əli Məlikov", actor_id=ACTOR_ID)
        add_place_alias(session, place_id=sample.place_id, text="Bakı", actor_id=ACTOR_ID)
        add_organisation_alias(
            session, organisation_id=sample.organisation_id, text="Nasimi RPD", actor_id=ACTOR_ID
        )
        add_client(session, case_id=sample.case_id, person_id=sample.person_id, actor_id=ACTOR_ID)
        add_incident_to_case(
            session, case_id=sample.case_id, incident_id=sample.incident_id, actor_id=ACTOR_ID
        )
        merged = make_person(session, real_name="Ali Malikov")
        merge_persons(
            session,
            survivor_id=sample.person_id,
            merged_id=merged.id,
            reason="same birth date and address",
            actor_id=ACTOR_ID,
        )
        other = make_incident(session, title="Another incident")
        duplicate = make_person(session, role_letter="W")
        deleted = make_deleted(session)
        session.commit()
        return World(
            sample,
            deleted,
            other.code,
            duplicate.pseudonym_code,
            target_user_id,
            retired,
            stored,
        )


def make_retired_user(session: Session) -> uuid.UUID:
    user, _ = create_user(
        session, username="retired", display_name="Retired", roles=("analyst",), actor_id=None
    )
    deactivate_user(session, user_id=user.id, expected_version=user.version, actor_id=ACTOR_ID)
    return user.id


def store_photo(session: Session, settings: Settings, incident_id: uuid.UUID) -> uuid.UUID:
    """A photo with its file in the store, so the view and download buttons appear."""
    store = EvidenceStore(settings.resolved_evidence_path, max_bytes=settings.evidence_max_bytes)
    with io.BytesIO(phone_photo()) as stream:
        added = add_evidence_file(
            session,
            store,
            incident_id=incident_id,
            upload=FileUpload(stream, "photo.jpg", title="Door"),
            handler=Handler(name="tests", user_id=None, origin="tests"),
        )
    return added.original.id


def make_deleted(session: Session) -> Deleted:
    incident = make_incident(session, title="Deleted incident")
    delete_incident(
        session, incident_id=incident.id, expected_version=incident.version, actor_id=ACTOR_ID
    )
    records: dict[type[TimestampedRecord], TimestampedRecord] = {
        Person: make_person(session),
        Place: make_place(session, name="Sumqayit"),
        Organisation: make_organisation(session, name="Deleted unit"),
        Source: make_source(session, title="Deleted source"),
        Case: make_case(session, title="Deleted case"),
    }
    for model, record in records.items():
        delete_with_reason(
            session,
            model,
            record_id=record.id,
            expected_version=record.version,
            reason="test",
            actor_id=ACTOR_ID,
        )
    return Deleted(
        incident.id,
        records[Person].id,
        records[Place].id,
        records[Organisation].id,
        records[Source].id,
        records[Case].id,
    )
