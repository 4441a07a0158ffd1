"""Every stored payload in every text field of the main record kinds, through the services.

For each payload: a place, an organisation, a person (names and identity fields too), a
source, an incident citing the source with the person as victim and the organisation as
perpetrator, a case holding the incident with the person as client, a legal action, an
evidence item with a custody entry, a consent, a vocabulary term, an account's display name
and a deletion reason. A payload a service refuses (control characters, say) is counted as
refused; every other one is stored and must come out escaped wherever it is shown.
"""

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import ACTOR_ID, TODAY, make_incident
from tests.hostile import payloads
from tests.web.sample import Sample
from tracker.domain.errors import InvalidInput
from tracker.models import Source
from tracker.services.cases import add_client, add_incident_to_case, add_legal_action, create_case
from tracker.services.consents import record_consent
from tracker.services.evidence import add_custody_entry, add_evidence, sha256_of
from tracker.services.incidents import IncidentDraft, record_incident
from tracker.services.involvements import InvolvementDraft, add_involvement
from tracker.services.links import link_incidents
from tracker.services.organisations import add_organisation_alias, create_organisation
from tracker.services.people import add_person_name, create_person, update_person
from tracker.services.places import add_place_alias, create_place
from tracker.services.record_pages import delete_with_reason
from tracker.services.sources import cite, create_source
from tracker.services.users import create_user
from tracker.services.vocabularies import add_term

# (kind, fields) each payload is put into; every field holds the whole payload.
FIELDS: dict[str, tuple[str, ...]] = {
    "place": ("name", "platform", "alias"),
    "organisation": ("name", "description", "alias"),
    "person": (
        "real_name",
        "description",
        "name",
        "contact_info",
        "exact_address",
        "identity_notes",
    ),
    "source": ("title", "citation_text", "url"),
    "incident": (
        "title",
        "summary",
        "narrative",
        "reported_victims_text",
        "sector",
        "inferred_note",
    ),
    "involvement": ("injuries", "duration_text", "outcome", "notes"),
    "citation": ("locator", "claim"),
    "link": ("note",),
    "case": ("title", "summary"),
    "legal_action": ("forum", "outcome", "notes"),
    "evidence": ("title", "file_name", "description", "collected_by", "url"),
    "custody": ("holders", "note"),
    "consent": ("method", "note"),
    "term": ("label_en", "label_az", "label_ru", "description"),
    "account": ("display_name",),
    "deletion": ("reason",),
}


@dataclass
class StoredPayloads:
    """The records of each payload (a Sample, so the route examples give their pages), what
    was stored and what was refused."""

    samples: dict[str, Sample] = field(default_factory=dict)
    # The payloads the incident took whole (in its title, summary, narrative...).
    in_incidents: list[str] = field(default_factory=list)
    stored: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    case_ids: list[uuid.UUID] = field(default_factory=list)

    def field_count(self) -> int:
        return sum(len(names) for names in FIELDS.values())


class Storer:
    """Runs each creation in a savepoint; a refusal leaves the rest of the payload's records."""

    def __init__(self, session: Session, result: StoredPayloads) -> None:
        self.session = session
        self.result = result

    def attempt(self, kind: str, create: Callable[[], Any]) -> Any:
        savepoint = self.session.begin_nested()
        try:
            made = create()
        except InvalidInput:
            savepoint.rollback()
            self.result.refused[kind] += 1
            return None
        savepoint.commit()
        self.result.stored[kind] += 1
        return made


def store_payloads(engine: Engine, texts: tuple[str, ...] = payloads.STORED) -> StoredPayloads:
    result = StoredPayloads()
    with Session(engine, expire_on_commit=False) as session:
        anchor = make_incident(session, title="Anchor incident")
        for number, text in enumerate(texts):
            sample = store_one(Storer(session, result), text, number, anchor.id)
            if sample is not None:
                result.samples[text] = sample
        session.commit()
    return result


def store_one(storer: Storer, text: str, number: int, anchor_id: uuid.UUID) -> Sample | None:
    """The records of one payload; None when its incident could not be stored."""
    session = storer.session
    place = storer.attempt(
        "place",
        lambda: create_place(
            session,
            name=text,
            kind="first_level_unit",
            geo_precision=3,
            platform=text,
            actor_id=ACTOR_ID,
        ),
    ) or storer.attempt(
        "place",
        lambda: create_place(
            session,
            name=f"Place {number}",
            kind="first_level_unit",
            geo_precision=3,
            actor_id=ACTOR_ID,
        ),
    )
    if place is not None:
        storer.attempt(
            "place alias",
            lambda: add_place_alias(session, place_id=place.id, text=text, actor_id=ACTOR_ID),
        )
    organisation = storer.attempt(
        "organisation",
        lambda: create_organisation(
            session,
            name=text,
            kind="police_station",
            description=text,
            actor_id=ACTOR_ID,
        ),
    ) or create_organisation(
        session, name=f"Unit {number}", kind="police_station", actor_id=ACTOR_ID
    )
    storer.attempt(
        "organisation alias",
        lambda: add_organisation_alias(
            session, organisation_id=organisation.id, text=text, actor_id=ACTOR_ID
        ),
    )
    person = store_person(storer, text)
    source = (
        storer.attempt(
            "source",
            lambda: create_source(
                session,
                kind="ngo_report",
                title=text,
                citation_text=text,
                url=text,
                actor_id=ACTOR_ID,
                today=TODAY,
            ),
        )
        or storer.attempt(
            "source",
            lambda: create_source(
                session, kind="ngo_report", title=text, citation_text=text, actor_id=ACTOR_ID
            ),
        )
        or create_source(session, kind="ngo_report", title=f"Source {number}", actor_id=ACTOR_ID)
    )
    incident = store_incident(storer, text, place.id if place else None)
    if incident is None:
        return None
    involvement = store_involvements(storer, text, incident.id, person.id, organisation.id)
    citation = storer.attempt(
        "citation",
        lambda: cite(
            session,
            source_id=source.id,
            incident_id=incident.id,
            locator=text,
            claim=text,
            actor_id=ACTOR_ID,
        ),
    ) or cite(session, source_id=source.id, incident_id=incident.id, actor_id=ACTOR_ID)
    storer.attempt(
        "link",
        lambda: link_incidents(
            session,
            from_incident_id=incident.id,
            to_incident_id=anchor_id,
            link_type="precedes",
            note=text,
            actor_id=ACTOR_ID,
        ),
    )
    case = store_case(storer, text, number, incident.id, person.id)
    legal_action = store_legal_action(storer, text, case.id)
    evidence = store_evidence(storer, text, incident.id)
    store_extras(storer, text, number, person.id)
    storer.result.case_ids.append(case.id)
    return Sample(
        place_id=place.id if place else incident.place_id,
        organisation_id=organisation.id,
        person_id=person.id,
        source_id=source.id,
        incident_id=incident.id,
        case_id=case.id,
        evidence_id=evidence.id,
        legal_action_id=legal_action.id,
        involvement_id=involvement.id,
        citation_id=citation.id,
    )


def store_person(storer: Storer, text: str) -> Any:
    session = storer.session
    person = storer.attempt(
        "person",
        lambda: create_person(
            session, role_letter="V", real_name=text, description=text, actor_id=ACTOR_ID
        ),
    ) or create_person(session, role_letter="V", actor_id=ACTOR_ID)
    storer.attempt(
        "person name",
        lambda: add_person_name(session, person_id=person.id, text=text, actor_id=ACTOR_ID),
    )
    identity = {"contact_info": text, "exact_address": text, "identity_notes": text}
    storer.attempt(
        "person identity",
        lambda: update_person(
            session,
            person_id=person.id,
            expected_version=person.version,
            changes=identity,
            actor_id=ACTOR_ID,
        ),
    )
    return person


def store_incident(storer: Storer, text: str, place_id: uuid.UUID | None) -> Any:
    session = storer.session
    texts: dict[str, Any] = dict.fromkeys(FIELDS["incident"], text)
    made = storer.attempt(
        "incident",
        lambda: record_incident(
            session,
            draft=IncidentDraft(type="DET", start_text="8 March 2023", place_id=place_id, **texts),
            actor_id=ACTOR_ID,
            today=TODAY,
        ),
    )
    if made is not None:
        storer.result.in_incidents.append(text)
        return made
    title: dict[str, Any] = {"title": f"Incident refusing {text.encode('unicode_escape')[:60]!r}"}
    return storer.attempt(
        "incident",
        lambda: record_incident(
            session,
            draft=IncidentDraft(type="DET", start_text="8 March 2023", place_id=place_id, **title),
            actor_id=ACTOR_ID,
            today=TODAY,
        ),
    )


def store_involvements(
    storer: Storer,
    text: str,
    incident_id: uuid.UUID,
    person_id: uuid.UUID,
    organisation_id: uuid.UUID,
) -> Any:
    session = storer.session
    texts: dict[str, Any] = dict.fromkeys(FIELDS["involvement"], text)
    victim = storer.attempt(
        "involvement",
        lambda: add_involvement(
            session,
            incident_id=incident_id,
            draft=InvolvementDraft(role="victim", person_id=person_id, **texts),
            actor_id=ACTOR_ID,
        ),
    ) or add_involvement(
        session,
        incident_id=incident_id,
        draft=InvolvementDraft(role="victim", person_id=person_id),
        actor_id=ACTOR_ID,
    )
    storer.attempt(
        "involvement",
        lambda: add_involvement(
            session,
            incident_id=incident_id,
            draft=InvolvementDraft(
                role="alleged_perpetrator",
                organisation_id=organisation_id,
                perpetrator_type="state_agent",
                notes=text,
            ),
            actor_id=ACTOR_ID,
        ),
    )
    return victim


def store_case(
    storer: Storer, text: str, number: int, incident_id: uuid.UUID, person_id: uuid.UUID
) -> Any:
    session = storer.session
    case = storer.attempt(
        "case", lambda: create_case(session, title=text, summary=text, actor_id=ACTOR_ID)
    ) or create_case(session, title=f"Case {number}", actor_id=ACTOR_ID)
    add_incident_to_case(session, case_id=case.id, incident_id=incident_id, actor_id=ACTOR_ID)
    add_client(session, case_id=case.id, person_id=person_id, actor_id=ACTOR_ID)
    return case


def store_legal_action(storer: Storer, text: str, case_id: uuid.UUID) -> Any:
    session = storer.session
    texts = dict.fromkeys(FIELDS["legal_action"], text)
    return storer.attempt(
        "legal action",
        lambda: add_legal_action(
            session,
            case_id=case_id,
            kind="complaint",
            filed_on_text="8 March 2023",
            actor_id=ACTOR_ID,
            today=TODAY,
            **texts,
        ),
    ) or add_legal_action(
        session, case_id=case_id, kind="complaint", actor_id=ACTOR_ID, today=TODAY
    )


def store_evidence(storer: Storer, text: str, incident_id: uuid.UUID) -> Any:
    session = storer.session
    texts: dict[str, Any] = dict.fromkeys(FIELDS["evidence"], text)
    evidence = storer.attempt(
        "evidence",
        lambda: add_evidence(
            session,
            kind="photo",
            sha256=sha256_of(text.encode("utf-8", "replace")),
            incident_id=incident_id,
            actor_id=ACTOR_ID,
            **texts,
        ),
    ) or add_evidence(
        session,
        kind="photo",
        sha256=sha256_of(b"plain"),
        incident_id=incident_id,
        title="Plain",
        actor_id=ACTOR_ID,
    )
    storer.attempt(
        "custody",
        lambda: add_custody_entry(
            session,
            evidence_id=evidence.id,
            action="received",
            actor=text,
            holders=text,
            note=text,
            origin=text,
            occurred_at=datetime(2024, 1, 10, tzinfo=UTC),
            actor_id=ACTOR_ID,
        ),
    )
    return evidence


def store_extras(storer: Storer, text: str, number: int, person_id: uuid.UUID) -> None:
    """A consent, a vocabulary term, an account's display name, a deletion's reason."""
    session = storer.session
    storer.attempt(
        "consent",
        lambda: record_consent(
            session,
            person_id=person_id,
            scope="share_partner",
            status="granted",
            decided_on=date(2024, 1, 10),
            method=text,
            note=text,
            actor_id=ACTOR_ID,
        ),
    )
    storer.attempt(
        "term",
        lambda: add_term(
            session,
            vocabulary="incident_type",
            code=f"HSTL{number}",
            label_en=text,
            label_az=text,
            label_ru=text,
            description=text,
            actor_id=ACTOR_ID,
        ),
    )
    storer.attempt(
        "account",
        lambda: create_user(
            session,
            username=f"hostile{number}",
            display_name=text,
            roles=("analyst",),
            actor_id=ACTOR_ID,
        ),
    )
    doomed = create_source(session, kind="ngo_report", title=f"Doomed {number}", actor_id=ACTOR_ID)
    storer.attempt(
        "deletion",
        lambda: delete_with_reason(
            session,
            Source,
            record_id=doomed.id,
            expected_version=doomed.version,
            reason=text,
            actor_id=ACTOR_ID,
        ),
    )
