"""Who a snapshot may name, field by field: persons, organisations, involvements (DOMAIN §7).

Every output value is built here from an explicit allow-list per level, so a column added to
Person or Involvement later never leaves the organisation by default.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping

from tracker.domain.disclosure import DisclosureLevel, is_pseudonymised
from tracker.models import Involvement, Organisation, Person
from tracker.reporting.model import InvolvementLine, PersonEntry
from tracker.reporting.redaction import NAME_WITHHELD, NameRule
from tracker.reporting.snapshot_context import (
    SnapshotContext,
    consents_to,
    known_names,
    viewer_may_see,
)

PERPETRATOR_ROLE = "alleged_perpetrator"
STATE_PERPETRATOR_TYPES = frozenset({"state_agent", "state_affiliated"})
STATE_RELATIONS = frozenset({"state", "state_affiliated"})
INTERNAL, LEGAL = DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL
PARTNER, PUBLIC = DisclosureLevel.PARTNER, DisclosureLevel.PUBLIC


# --- persons: name, code or type ------------------------------------------------------------


def name_shown(context: SnapshotContext, person: Person, *, perpetrator: bool) -> bool:
    """Whether the level and the person's consent let the real name be printed."""
    if not person.real_name or not viewer_may_see(context, person):
        return False
    if context.level is INTERNAL:
        return True
    if context.level is LEGAL:
        # A lawyer files against the alleged perpetrator by name; victims need legal_filing.
        return perpetrator or consents_to(context, person, "legal_filing")
    if context.level is PUBLIC:
        return not perpetrator and consents_to(context, person, "name_public")
    return False


def shown_as_type(level: DisclosureLevel, perpetrator_type: str | None) -> bool:
    """Private perpetrators go by their type below legal; officers too at the public level."""
    if level is PUBLIC:
        return True
    return level is PARTNER and perpetrator_type not in STATE_PERPETRATOR_TYPES


def person_label(context: SnapshotContext, person: Person, perpetrator_type: str | None) -> str:
    """Real name, pseudonym code or perpetrator type; "" at the public level for the unnamed.

    `perpetrator_type` is None for a person who is not (only) an alleged perpetrator.
    """
    perpetrator = perpetrator_type is not None
    if name_shown(context, person, perpetrator=perpetrator):
        return person.real_name
    if perpetrator and shown_as_type(context.level, perpetrator_type):
        return context.label("perpetrator_type", perpetrator_type or "unknown")
    return "" if context.level is PUBLIC else person.pseudonym_code


def name_rule(
    context: SnapshotContext, person: Person, perpetrator_type: str | None
) -> NameRule | None:
    """What replaces the person's known names in free text; None when they may stand."""
    if name_shown(context, person, perpetrator=perpetrator_type is not None):
        return None
    replacement = person_label(context, person, perpetrator_type)
    if perpetrator_type is not None and replacement and replacement != person.pseudonym_code:
        replacement = f"[{replacement}]"
    names = (person.real_name, *known_names(context, person.id))
    known = tuple(name for name in names if name.strip())
    return NameRule(known, replacement or NAME_WITHHELD) if known else None


def only_perpetrator_type(involvements: Iterable[Involvement]) -> str | None:
    """The perpetrator type when every role of the person is alleged perpetrator, else None."""
    roles = list(involvements)
    if not roles or any(role.role != PERPETRATOR_ROLE for role in roles):
        return None
    return next((role.perpetrator_type for role in roles if role.perpetrator_type), "unknown")


# --- organisations: state units at every level, private bodies by type ------------------------


def is_state(organisation: Organisation) -> bool:
    return organisation.state_relation in STATE_RELATIONS


def organisation_shown(context: SnapshotContext, organisation: Organisation) -> bool:
    if not viewer_may_see(context, organisation):
        return False
    return not is_pseudonymised(context.level) or is_state(organisation)


def organisation_label(
    context: SnapshotContext, organisation: Organisation, *, perpetrator: bool
) -> str:
    """The name; a private perpetrator body goes by its type below legal."""
    hidden = not viewer_may_see(context, organisation)
    if perpetrator and (hidden or not organisation_shown(context, organisation)):
        return context.label("perpetrator_type", organisation.perpetrator_type)
    if hidden:
        return context.label("organisation_kind", organisation.kind)
    return organisation.name


def unit_path(context: SnapshotContext, organisation: Organisation | None) -> tuple[str, ...]:
    """The unit and its chain of command, station first; () when the level withholds it."""
    chain: list[str] = []
    seen: set[object] = set()
    while organisation is not None and organisation.id not in seen:
        if not organisation_shown(context, organisation):
            break
        chain.append(organisation.name)
        seen.add(organisation.id)
        parent_id = organisation.parent_id
        organisation = None if parent_id is None else context.session.get(Organisation, parent_id)
    return tuple(chain)


# --- involvements ---------------------------------------------------------------------------


def involvement_line(
    context: SnapshotContext,
    involvement: Involvement,
    perpetrator_types: Mapping[uuid.UUID, str | None],
) -> InvolvementLine:
    """One person or organisation in an incident, as the level may show them."""
    role = context.label("involvement_role", involvement.role)
    label = party_label(context, involvement, perpetrator_types) or role
    return InvolvementLine(
        role=role, label=label, details=involvement_details(context, involvement)
    )


def party_label(
    context: SnapshotContext,
    involvement: Involvement,
    perpetrator_types: Mapping[uuid.UUID, str | None],
) -> str:
    session = context.session
    perpetrator = involvement.role == PERPETRATOR_ROLE
    if involvement.organisation_id is not None:
        organisation = session.get(Organisation, involvement.organisation_id)
        if organisation is None:
            return ""
        return organisation_label(context, organisation, perpetrator=perpetrator)
    person = session.get(Person, involvement.person_id)
    if person is None:
        return ""
    label = person_label(context, person, perpetrator_types.get(person.id))
    return with_unit(context, label, involvement)


def with_unit(context: SnapshotContext, label: str, involvement: Involvement) -> str:
    """ "State agent, Nasimi district police": the unit an officer came from, where shown."""
    if involvement.unit_organisation_id is None:
        return label
    unit = context.session.get(Organisation, involvement.unit_organisation_id)
    path = unit_path(context, unit)
    return ", ".join(part for part in (label, path[0] if path else "") if part)


def involvement_details(context: SnapshotContext, involvement: Involvement) -> str:
    """Injuries, detention, charges, outcome; internal notes only internally; none in public."""
    if context.level is PUBLIC:
        return ""
    charges = ", ".join(context.label("charge", code) for code in involvement.charges)
    parts = [
        ("Injuries", context.redact(involvement.injuries)),
        ("Detention", context.redact(involvement.duration_text)),
        ("Charges", charges),
        ("Outcome", context.redact(involvement.outcome)),
    ]
    if context.level is INTERNAL:
        parts.append(("Notes", involvement.notes))
    return "; ".join(f"{name}: {value}" for name, value in parts if value.strip())


# --- persons in a dossier: one allow-list per level -------------------------------------------


def person_entry(
    context: SnapshotContext, person: Person, roles: tuple[str, ...]
) -> PersonEntry | None:
    """The person as the level allows; None when the level shows no one (public, unnamed)."""
    return PERSON_ALLOW_LISTS[context.level](context, person, roles)


def sensitive_fields(context: SnapshotContext, person: Person, *, shown: bool) -> tuple[str, str]:
    """Gender identity and orientation, where the level shows them and the person's
    record_sensitive consent still holds: a withdrawal blanks them in every later export."""
    if shown and consents_to(context, person, "record_sensitive"):
        return person.gender_identity, person.sexual_orientation
    return "", ""


def internal_person(
    context: SnapshotContext, person: Person, roles: tuple[str, ...]
) -> PersonEntry:
    gender, orientation = sensitive_fields(context, person, shown=True)
    return PersonEntry(
        label=person.real_name or person.pseudonym_code,
        pseudonym_code=person.pseudonym_code,
        roles=roles,
        age_band=context.label("age_band", person.age_band),
        deceased=person.deceased,
        gender_identity=gender,
        sexual_orientation=orientation,
        other_names=other_names(context, person),
        contact_info=person.contact_info,
        exact_address=person.exact_address,
        identity_notes=person.identity_notes,
    )


def legal_person(context: SnapshotContext, person: Person, roles: tuple[str, ...]) -> PersonEntry:
    consented = viewer_may_see(context, person) and consents_to(context, person, "legal_filing")
    gender, orientation = sensitive_fields(context, person, shown=consented)
    return PersonEntry(
        label=person.real_name if consented and person.real_name else person.pseudonym_code,
        pseudonym_code=person.pseudonym_code,
        roles=roles,
        age_band=context.label("age_band", person.age_band),
        deceased=person.deceased,
        gender_identity=gender,
        sexual_orientation=orientation,
        other_names=other_names(context, person) if consented else (),
    )


def partner_person(context: SnapshotContext, person: Person, roles: tuple[str, ...]) -> PersonEntry:
    shared = viewer_may_see(context, person) and consents_to(context, person, "share_partner")
    gender, orientation = sensitive_fields(context, person, shown=shared)
    return PersonEntry(
        label=person.pseudonym_code,
        pseudonym_code=person.pseudonym_code,
        roles=roles,
        age_band=context.label("age_band", person.age_band),
        deceased=person.deceased,
        gender_identity=gender,
        sexual_orientation=orientation,
    )


def public_person(
    context: SnapshotContext, person: Person, roles: tuple[str, ...]
) -> PersonEntry | None:
    # Public reports show people only in aggregates, unless they asked to be named.
    if not name_shown(context, person, perpetrator=False):
        return None
    return PersonEntry(
        label=person.real_name,
        pseudonym_code="",
        roles=roles,
        age_band="",
        deceased=person.deceased,
    )


def other_names(context: SnapshotContext, person: Person) -> tuple[str, ...]:
    names = known_names(context, person.id)
    return tuple(name for name in names if name and name != person.real_name)


PERSON_ALLOW_LISTS: dict[
    DisclosureLevel, Callable[[SnapshotContext, Person, tuple[str, ...]], PersonEntry | None]
] = {
    INTERNAL: internal_person,
    LEGAL: legal_person,
    PARTNER: partner_person,
    PUBLIC: public_person,
}
