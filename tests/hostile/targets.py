"""Every form-handling route of the web app: who may post it, and which page holds its form.

`TARGETS` must name every endpoint that takes a POST; the form fuzzer fails for one it lacks,
so a new form cannot escape the attack. URL arguments come from `tests.web.examples` unless a
target names its own (restore buttons act on deleted records, account buttons on another
account than the admin's own).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.world import World
from tests.web.examples import all_examples

Arguments = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Target:
    """role: the role posting (None: nobody signed in). page: the endpoint of the page holding
    the form, with page_query added to its URL. args: the URL arguments of the POST route (and
    of the page, unless page_args). own_account: the attack may end its own session or change
    its password, so it signs in with an account of its own, without a second factor.
    writes_on_page: a success answers 200 with a page or a download rather than a redirect.
    hints: values that may pass a free-text field (codes of other records), so the generated
    data reaches past the first check now and then."""

    role: str | None
    page: str
    args: Arguments | None = None
    page_args: Arguments | None = None
    page_query: Callable[[World], dict[str, str]] | None = None
    own_account: bool = False
    writes_on_page: bool = False
    second_step: bool = False
    hints: dict[str, Callable[[World], list[str]]] = field(default_factory=dict)


def sample_args(name: str) -> Arguments:
    """The URL arguments the route test uses for this endpoint."""
    return lambda world: all_examples()[name](world.sample)


def deleted(kind: str, argument: str) -> Arguments:
    return lambda world: {argument: getattr(world.deleted, kind)}


def user(attribute: str) -> Arguments:
    return lambda world: {"user_id": getattr(world, attribute)}


def user_query(attribute: str) -> Callable[[World], dict[str, str]]:
    return lambda world: {"user": str(getattr(world, attribute))}


def stored_evidence(world: World) -> dict[str, Any]:
    return {"evidence_id": world.stored_evidence_id}


def incident_codes(world: World) -> list[str]:
    return [world.other_incident_code, "INC-000001", "INC-999999"]


def person_codes(world: World) -> list[str]:
    return [world.duplicate_code, "V-2024-001", "W-1900-000"]


RECORD_KINDS = {
    "persons": ("person_id", "person_id"),
    "places": ("place_id", "place_id"),
    "organisations": ("organisation_id", "organisation_id"),
    "sources": ("source_id", "source_id"),
    "cases": ("case_id", "case_id"),
    "incidents": ("incident_id", "incident_id"),
}
# The role editing each kind of record: documenters for what they record (they cannot read
# identity fields back, a path of its own), lawyers for cases.
EDITOR = {
    "persons": "documenter",
    "places": "documenter",
    "organisations": "documenter",
    "sources": "documenter",
    "cases": "lawyer",
    "incidents": "documenter",
}


def record_targets() -> dict[str, Target]:
    """create, edit, delete and restore of the six record kinds."""
    targets: dict[str, Target] = {}
    for kind, (attribute, argument) in RECORD_KINDS.items():
        editor = EDITOR[kind]
        targets[f"{kind}.create"] = Target(editor, f"{kind}.create")
        targets[f"{kind}.edit"] = Target(editor, f"{kind}.edit", sample_args(f"{kind}.edit"))
        targets[f"{kind}.delete"] = Target(
            editor, f"{kind}.show", sample_args(f"{kind}.delete"), hints={"version": versions}
        )
        targets[f"{kind}.restore"] = Target(
            "admin", f"{kind}.show", deleted(attribute, argument), hints={"version": versions}
        )
    return targets


def versions(world: World) -> list[str]:
    return ["1", "2", "0", "-1", "2147483648"]


TARGETS: dict[str, Target] = {
    **record_targets(),
    # --- signing in and one's own account
    "auth.login": Target(None, "auth.login", hints={"username": lambda w: ["documenter", "admin"]}),
    "auth.second_factor": Target(None, "auth.second_factor", second_step=True),
    "auth.logout": Target("documenter", "dashboard.index", own_account=True),
    "account.change_password": Target("documenter", "account.change_password", own_account=True),
    "account.choose_language": Target("documenter", "account.overview", own_account=True),
    "account.end_all_sessions": Target("documenter", "account.overview", own_account=True),
    "account.recovery_codes": Target("reviewer", "account.overview", writes_on_page=True),
    "account.setup_second_factor": Target(
        "documenter", "account.setup_second_factor", own_account=True, writes_on_page=True
    ),
    # --- administration
    "admin.create_user": Target("admin", "admin.create_user", writes_on_page=True),
    "admin.set_roles": Target(
        "admin", "admin.users_page", user("target_user_id"), page_query=user_query("target_user_id")
    ),
    "admin.deactivate_user": Target(
        "admin", "admin.users_page", user("target_user_id"), page_query=user_query("target_user_id")
    ),
    "admin.reactivate_user": Target(
        "admin",
        "admin.users_page",
        user("retired_user_id"),
        page_query=user_query("retired_user_id"),
    ),
    "admin.reset_password": Target(
        "admin",
        "admin.users_page",
        user("target_user_id"),
        page_query=user_query("target_user_id"),
        writes_on_page=True,
    ),
    "admin.reset_second_factor": Target(
        "admin", "admin.users_page", user("target_user_id"), page_query=user_query("target_user_id")
    ),
    "admin.end_sessions": Target(
        "admin", "admin.users_page", user("target_user_id"), page_query=user_query("target_user_id")
    ),
    "admin.add_term": Target(
        "admin", "admin.vocabulary", sample_args("admin.add_term"), sample_args("admin.vocabulary")
    ),
    "admin.edit_term": Target("admin", "admin.edit_term", sample_args("admin.edit_term")),
    "admin.restore": Target(
        "admin",
        "admin.deleted",
        lambda world: {"table_name": "incident", "record_id": world.deleted.incident_id},
        page_args=lambda world: {},
    ),
    "restrictions.edit": Target("reviewer", "restrictions.edit", sample_args("restrictions.edit")),
    # --- what the record pages add
    "incidents.quick_entry": Target(
        "documenter", "incidents.quick_entry", hints={"victim_code": person_codes}
    ),
    "incidents.add_involvement": Target(
        "documenter",
        "incidents.show",
        sample_args("incidents.add_involvement"),
        hints={"person_code": person_codes},
    ),
    "incidents.add_citation": Target(
        "documenter", "incidents.show", sample_args("incidents.add_citation")
    ),
    "incidents.add_link": Target(
        "documenter",
        "incidents.show",
        sample_args("incidents.add_link"),
        hints={"other_code": incident_codes},
    ),
    "persons.add_name": Target("reviewer", "persons.show", sample_args("persons.add_name")),
    "persons.remove_name": Target("reviewer", "persons.show", sample_args("persons.remove_name")),
    "persons.record_consent": Target(
        "documenter",
        "persons.show",
        sample_args("persons.record_consent"),
        hints={"decided_on": lambda w: ["2024-01-10", "2999-01-01", "1899-12-31"]},
    ),
    "persons.merge": Target(
        "reviewer",
        "persons.show",
        sample_args("persons.merge"),
        hints={"merged_code": person_codes},
    ),
    "persons.undo_merge": Target("admin", "persons.show", sample_args("persons.undo_merge")),
    "places.add_alias": Target("documenter", "places.show", sample_args("places.add_alias")),
    "places.remove_alias": Target("documenter", "places.show", sample_args("places.remove_alias")),
    "organisations.add_alias": Target(
        "documenter", "organisations.show", sample_args("organisations.add_alias")
    ),
    "organisations.remove_alias": Target(
        "documenter", "organisations.show", sample_args("organisations.remove_alias")
    ),
    "cases.add_incident": Target(
        "lawyer",
        "cases.show",
        sample_args("cases.add_incident"),
        hints={"incident_code": incident_codes},
    ),
    "cases.remove_incident": Target(
        "lawyer",
        "cases.show",
        sample_args("cases.remove_incident"),
        hints={"incident_code": incident_codes},
    ),
    "cases.add_client": Target(
        "lawyer",
        "cases.show",
        sample_args("cases.add_client"),
        hints={"pseudonym_code": person_codes},
    ),
    "cases.remove_client": Target(
        "lawyer",
        "cases.show",
        sample_args("cases.remove_client"),
        hints={"pseudonym_code": person_codes},
    ),
    "cases.add_legal_action": Target("lawyer", "cases.show", sample_args("cases.add_legal_action")),
    "cases.edit_legal_action": Target(
        "lawyer", "cases.edit_legal_action", sample_args("cases.edit_legal_action")
    ),
    "cases.delete_legal_action": Target(
        "lawyer",
        "cases.show",
        sample_args("cases.delete_legal_action"),
        page_args=sample_args("cases.show"),
    ),
    # --- evidence files
    "evidence.upload": Target("documenter", "evidence.upload", sample_args("evidence.upload")),
    "evidence.view": Target("lawyer", "evidence.show", stored_evidence, writes_on_page=True),
    "evidence.download": Target("lawyer", "evidence.show", stored_evidence, writes_on_page=True),
    # --- reports and search
    "reports.annual": Target(
        "analyst", "reports.index", writes_on_page=True, hints={"year": lambda w: ["2023"]}
    ),
    "reports.dossier": Target(
        "lawyer", "reports.dossier", sample_args("reports.dossier"), writes_on_page=True
    ),
    "reports.timeline_pdf": Target(
        "analyst",
        "reports.timeline",
        page_query=lambda world: {"case": str(world.sample.case_id)},
        writes_on_page=True,
    ),
    "search.index": Target("documenter", "search.index"),
}
