"""Which role may do what: the one table every web route's access rule is checked against.

Identity fields (real names, contacts, exact addresses, identity notes) are read only by roles
that need them to work on a case. Documenters write them at intake but do not read them back:
their phones are the devices most likely to be seized with the user forced to log in.
"""

import enum

ROLE_CODES = ("admin", "documenter", "reviewer", "lawyer", "analyst")


class Permission(enum.StrEnum):
    """Something a signed-in user may be allowed to do."""

    VIEW_RECORDS = "records.view"
    EDIT_RECORDS = "records.edit"
    REVIEW_RECORDS = "records.review"
    VIEW_IDENTITY = "identity.view"
    MERGE_PERSONS = "persons.merge"
    EDIT_CASES = "cases.edit"
    EXPORT_RECORDS = "records.export"
    RESTORE_RECORDS = "records.restore"
    RESTRICT_RECORDS = "records.restrict"
    MANAGE_USERS = "users.manage"
    MANAGE_VOCABULARIES = "vocabularies.manage"
    VIEW_AUDIT_LOG = "audit.view"


ALL_ROLES = frozenset(ROLE_CODES)
ROLES_BY_PERMISSION: dict[Permission, frozenset[str]] = {
    Permission.VIEW_RECORDS: ALL_ROLES,
    Permission.EDIT_RECORDS: frozenset({"admin", "documenter", "reviewer", "lawyer"}),
    Permission.REVIEW_RECORDS: frozenset({"admin", "reviewer"}),
    Permission.VIEW_IDENTITY: frozenset({"admin", "reviewer", "lawyer"}),
    Permission.MERGE_PERSONS: frozenset({"admin", "reviewer"}),
    Permission.EDIT_CASES: frozenset({"admin", "lawyer"}),
    Permission.EXPORT_RECORDS: frozenset({"admin", "reviewer", "lawyer", "analyst"}),
    Permission.RESTORE_RECORDS: frozenset({"admin"}),
    Permission.RESTRICT_RECORDS: frozenset({"admin", "reviewer", "lawyer"}),
    Permission.MANAGE_USERS: frozenset({"admin"}),
    Permission.MANAGE_VOCABULARIES: frozenset({"admin"}),
    Permission.VIEW_AUDIT_LOG: frozenset({"admin"}),
}
# A second factor is always required of these roles, whatever the site-wide setting.
ROLES_NEEDING_SECOND_FACTOR = frozenset({"admin", "lawyer"})


def roles_allowed(permission: Permission) -> frozenset[str]:
    return ROLES_BY_PERMISSION[permission]


def has_permission(roles: frozenset[str], permission: Permission) -> bool:
    return bool(roles & ROLES_BY_PERMISSION[permission])


def needs_second_factor(roles: frozenset[str], *, required_for_all: bool) -> bool:
    return required_for_all or bool(roles & ROLES_NEEDING_SECOND_FACTOR)
