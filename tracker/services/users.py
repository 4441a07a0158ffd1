"""User accounts: created by an admin (or `tracker init`), passwords hashed with argon2id."""

import secrets
import uuid

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.errors import InvalidInput
from tracker.domain.permissions import ROLE_CODES
from tracker.models import UserAccount, UserRole
from tracker.services.records import create_record

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
    for role in roles:
        create_record(
            session, UserRole, actor_id=actor_id, values={"user_id": user.id, "role_code": role}
        )
    return user, password


def check_new_username(session: Session, username: str) -> None:
    """Raises InvalidInput when the username is empty, malformed or taken."""
    if not username or len(username) > 100 or any(char.isspace() for char in username):
        raise InvalidInput("username: 1 to 100 characters without spaces")
    taken = session.execute(
        select(col(UserAccount.id)).where(col(UserAccount.username) == username)
    )
    if taken.first() is not None:
        raise InvalidInput(f"username: {username!r} is taken")


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
