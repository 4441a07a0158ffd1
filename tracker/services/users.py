"""User accounts: created by an admin (or `tracker init`), passwords hashed with argon2id."""

import secrets
import uuid

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.permissions import ROLE_CODES
from tracker.domain.text import has_control_characters
from tracker.models import UserAccount, UserRole
from tracker.services.records import (
    check_version,
    create_record,
    get_record,
    restore_record,
    soft_delete_record,
    update_record,
    write_versioned,
)
from tracker.services.web_sessions import end_user_sessions

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def one_time_password() -> str:
    """A random password to hand over once; the user must change it at first login."""
    return secrets.token_urlsafe(18)


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    actor_id: uuid.UUID | None,
) -> tuple[UserAccount, str]:
    """Create an account with a one-time password, returned once and stored only hashed.

    Raises InvalidInput for an empty or taken username or an unknown role.
    """
    username = username.strip()
    check_new_username(session, username)
    unknown = sorted(set(roles) - set(ROLE_CODES))
    if unknown:
        raise InvalidInput(f"roles: unknown role {', '.join(unknown)}")
    password = one_time_password()
    user = create_record(
        session,
        UserAccount,
        actor_id=actor_id,
        values={
            "username": username,
            "display_name": display_name or username,
            "password_hash": hash_password(password),
            "must_change_password": True,
        },
    )
    for role in dict.fromkeys(roles):  # a role ticked twice is held once
        create_record(
            session, UserRole, actor_id=actor_id, values={"user_id": user.id, "role_code": role}
        )
    return user, password


def check_new_username(session: Session, username: str) -> None:
    """Raises InvalidInput when the username is empty, malformed or taken."""
    check_username_form(username)
    taken = session.execute(
        select(col(UserAccount.id)).where(col(UserAccount.username) == username)
    )
    if taken.first() is not None:
        raise InvalidInput(f"username: {username!r} is taken")


def check_username_form(username: str) -> None:
    """Raises InvalidInput when the username is empty or malformed."""
    if not username or len(username) > 100 or any(char.isspace() for char in username):
        raise InvalidInput("username: 1 to 100 characters without spaces")
    if has_control_characters(username):
        raise InvalidInput("username: no control characters (such as NUL)")


def admin_exists(session: Session) -> bool:
    statement = select(col(UserRole.id)).where(
        col(UserRole.role_code) == "admin", col(UserRole.deleted_at).is_(None)
    )
    return session.execute(statement).first() is not None


def create_first_admin(session: Session, *, username: str) -> str | None:
    """The first admin account and its one-time password; None when an admin exists."""
    if admin_exists(session):
        return None
    _user, password = create_user(
        session, username=username, display_name="Administrator", roles=("admin",), actor_id=None
    )
    return password


# --- administration ---------------------------------------------------------------------------


class LastAdminError(InvalidInput):
    """The change would leave no active admin."""


def get_user(session: Session, user_id: uuid.UUID) -> UserAccount:
    """Raises RecordNotFound for an unknown or deleted account."""
    return get_record(session, UserAccount, user_id)


def user_at_version(session: Session, user_id: uuid.UUID, expected_version: int) -> UserAccount:
    """The account, if still as the admin last saw it.

    Raises RecordNotFound, EditConflict.
    """
    user = get_user(session, user_id)
    check_version(user, expected_version)
    return user


def role_rows(session: Session, user_id: uuid.UUID) -> list[UserRole]:
    """Every role row of a user, removed ones included (they are restored, not duplicated)."""
    statement = select(UserRole).where(col(UserRole.user_id) == user_id)
    return list(session.execute(statement).scalars())


def active_admin_ids(session: Session) -> frozenset[uuid.UUID]:
    statement = (
        select(col(UserAccount.id))
        .join(UserRole, col(UserRole.user_id) == col(UserAccount.id))
        .where(
            col(UserRole.role_code) == "admin",
            col(UserRole.deleted_at).is_(None),
            col(UserAccount.deleted_at).is_(None),
            col(UserAccount.is_active).is_(True),
        )
    )
    return frozenset(session.execute(statement).scalars())


def check_admin_remains(session: Session, user: UserAccount, field: str) -> None:
    """Raises LastAdminError when taking this user away would leave no active admin.

    Nobody could then create accounts, reset a lost second factor or restore records.
    """
    if active_admin_ids(session) == {user.id}:
        raise LastAdminError(
            f"{field}: {user.username} is the last active admin; make another admin first"
        )


def set_roles(
    session: Session,
    *,
    user_id: uuid.UUID,
    roles: tuple[str, ...],
    expected_version: int,
    actor_id: uuid.UUID,
) -> UserAccount:
    """Give a user exactly these roles; each added or removed role is audited.

    Raises InvalidInput for an unknown role or the last admin losing the role, EditConflict,
    RecordNotFound.
    """
    user = user_at_version(session, user_id, expected_version)
    unknown = sorted(set(roles) - set(ROLE_CODES))
    if unknown:
        raise InvalidInput(f"roles: unknown role {', '.join(unknown)}")
    rows = {row.role_code: row for row in role_rows(session, user.id)}
    held = {code for code, row in rows.items() if not row.is_deleted}
    added, removed = set(roles) - held, held - set(roles)
    if "admin" in removed and user.is_active:
        check_admin_remains(session, user, "roles")
    if not added and not removed:
        return user
    # The account's version moves too, so two admins editing roles at once see a conflict.
    write_versioned(session, user, actor_id=actor_id, expected_version=expected_version, values={})
    for code in sorted(added):
        give_role(session, rows.get(code), user.id, code, actor_id)
    for code in sorted(removed):
        row = rows[code]
        soft_delete_record(session, row, actor_id=actor_id, expected_version=row.version)
    return user


def give_role(
    session: Session, row: UserRole | None, user_id: uuid.UUID, code: str, actor_id: uuid.UUID
) -> None:
    if row is None:
        values = {"user_id": user_id, "role_code": code}
        create_record(session, UserRole, actor_id=actor_id, values=values)
    else:
        restore_record(session, row, actor_id=actor_id, expected_version=row.version)


def deactivate_user(
    session: Session, *, user_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID
) -> UserAccount:
    """Stop an account from signing in and end every session it has.

    Raises InvalidInput for the last active admin or an inactive account, EditConflict,
    RecordNotFound.
    """
    user = user_at_version(session, user_id, expected_version)
    if not user.is_active:
        raise InvalidInput("is_active: this account is already deactivated")
    check_admin_remains(session, user, "is_active")
    update_record(
        session,
        user,
        actor_id=actor_id,
        expected_version=expected_version,
        changes={"is_active": False},
        reason="deactivated by an admin",
    )
    end_user_sessions(session, user_id=user.id)
    return user


def reactivate_user(
    session: Session, *, user_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID
) -> UserAccount:
    """Let a deactivated account sign in again.

    Raises InvalidInput when it is active, EditConflict, RecordNotFound.
    """
    user = user_at_version(session, user_id, expected_version)
    if user.is_active:
        raise InvalidInput("is_active: this account is already active")
    return update_record(
        session,
        user,
        actor_id=actor_id,
        expected_version=expected_version,
        changes={"is_active": True},
        reason="reactivated by an admin",
    )


def reset_password(
    session: Session, *, user_id: uuid.UUID, expected_version: int, actor_id: uuid.UUID
) -> str:
    """A new one-time password, returned once; the user must change it at next sign-in.

    Every session of the account ends: a reset often means the password is known to others.
    Raises EditConflict, RecordNotFound.
    """
    user = user_at_version(session, user_id, expected_version)
    password = one_time_password()
    update_record(
        session,
        user,
        actor_id=actor_id,
        expected_version=expected_version,
        changes={"password_hash": hash_password(password), "must_change_password": True},
        reason="password reset by an admin",
    )
    end_user_sessions(session, user_id=user.id)
    return password
