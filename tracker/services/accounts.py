"""Signing in: passwords, the TOTP second factor, recovery codes, and password policy.

Failures say the same thing whether or not the account exists, so the login page cannot be
used to find out who has an account.
"""

import base64
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, Update, delete, or_, select, update
from sqlmodel import Session, col
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tracker.domain.errors import AccessDenied, InvalidInput, RecordNotFound
from tracker.domain.text import has_control_characters
from tracker.models import RecoveryCode, UserAccount, UserRole
from tracker.models.base import utc_now
from tracker.services.records import update_record
from tracker.services.users import hash_password, one_time_password
from tracker.services.web_sessions import end_user_sessions

LOGIN_REFUSED = "Unknown username or wrong password."
CODE_REFUSED = "That code is not valid. Codes can be used only once."
TOTP_ISSUER = "tracker"
RECOVERY_CODE_COUNT = 10
MAX_PASSWORD_LENGTH = 1000
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both paths take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def find_active_user(session: Session, username: str) -> UserAccount | None:
    return find_account(session, username, active_only=True)


def find_account(session: Session, username: str, *, active_only: bool) -> UserAccount | None:
    """The account with this username (deleted ones never); None for a username no account
    can have (control characters: PostgreSQL would refuse to even compare a NUL), as for one
    nobody has."""
    if has_control_characters(username):
        return None
    statement = select(UserAccount).where(
        col(UserAccount.username) == username, col(UserAccount.deleted_at).is_(None)
    )
    if active_only:
        statement = statement.where(col(UserAccount.is_active).is_(True))
    return session.execute(statement).scalars().first()


def authenticate(session: Session, *, username: str, password: str) -> UserAccount:
    """The active account with this username and password.

    Raises AccessDenied with the same message for an unknown user and a wrong password.
    """
    user = find_active_user(session, username.strip()) if username else None
    stored_hash = user.password_hash if user and user.password_hash else _DUMMY_HASH
    if not password_matches(stored_hash, password[:MAX_PASSWORD_LENGTH]) or user is None:
        raise AccessDenied(LOGIN_REFUSED)
    return user


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def roles_of(session: Session, user_id: uuid.UUID) -> frozenset[str]:
    statement = select(col(UserRole.role_code)).where(
        col(UserRole.user_id) == user_id, col(UserRole.deleted_at).is_(None)
    )
    return frozenset(session.execute(statement).scalars())


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *, username: str, min_length: int) -> None:
    """Raises InvalidInput when the password is too short, too long, common or the username."""
    if len(password) < min_length:
        raise InvalidInput(f"password: use at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password: use at most {MAX_PASSWORD_LENGTH} characters")
    folded = password.casefold()
    if folded in common_passwords() or folded == username.casefold():
        raise InvalidInput("password: this password is too common; choose another")


def change_password(
    session: Session,
    *,
    user: UserAccount,
    current_password: str,
    new_password: str,
    min_length: int,
) -> None:
    """Set a new password after checking the current one.

    Raises AccessDenied for a wrong current password, InvalidInput for a weak new one.
    """
    if not password_matches(user.password_hash or _DUMMY_HASH, current_password):
        raise AccessDenied("password: the current password is wrong")
    check_password_policy(new_password, username=user.username, min_length=min_length)
    if password_matches(user.password_hash, new_password):
        raise InvalidInput("password: choose a password different from the current one")
    update_record(
        session,
        user,
        actor_id=user.id,
        expected_version=user.version,
        changes={"password_hash": hash_password(new_password), "must_change_password": False},
        reason="password changed by the user",
    )


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(secret: str, username: str) -> str:
    """What an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def matching_time_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The 30-second step (now, one before or one after) whose code this is, if any."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time_of(now))
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def time_of(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC)


def rows_changed(session: Session, statement: Update) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def claim_time_step(session: Session, *, user_id: uuid.UUID, step: int) -> bool:
    """Record the step as used; False when it (or a later one) was used already.

    One conditional UPDATE, so two app servers racing on the same code cannot both accept it.
    """
    statement = (
        update(UserAccount)
        .where(
            col(UserAccount.id) == user_id,
            or_(col(UserAccount.totp_last_step).is_(None), col(UserAccount.totp_last_step) < step),
        )
        .values(totp_last_step=step)
    )
    claimed = rows_changed(session, statement) == 1
    session.expire_all()
    return claimed


def verify_second_factor(
    session: Session, *, user: UserAccount, code: str, now: float | None = None
) -> None:
    """Accept a TOTP code once, or a recovery code once.

    Raises AccessDenied for a wrong, reused or expired code.
    """
    if user.totp_secret:
        step = matching_time_step(user.totp_secret, code, now=now)
        if step is not None and claim_time_step(session, user_id=user.id, step=step):
            return
    if use_recovery_code(session, user_id=user.id, code=code):
        return
    raise AccessDenied(CODE_REFUSED)


def enable_totp(
    session: Session, *, user: UserAccount, secret: str, code: str, now: float | None = None
) -> None:
    """Turn the second factor on once the user proves their app shows the right code.

    Raises InvalidInput when the code does not match the secret.
    """
    step = matching_time_step(secret, code, now=now)
    if step is None:
        raise InvalidInput("code: the code does not match; check the time on your phone")
    update_record(
        session,
        user,
        actor_id=user.id,
        expected_version=user.version,
        changes={"totp_secret": secret, "totp_last_step": step},
        reason="second factor enabled",
    )


def reset_second_factor(session: Session, *, user: UserAccount, actor_id: uuid.UUID) -> None:
    """An admin clears a lost second factor; the user enrols again at next sign-in."""
    update_record(
        session,
        user,
        actor_id=actor_id,
        expected_version=user.version,
        changes={"totp_secret": None, "totp_last_step": None},
        reason="second factor reset by an admin",
    )
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))


def reset_sign_in(session: Session, *, username: str) -> tuple[UserAccount, str]:
    """A new one-time password for the account, its second factor and recovery codes cleared
    and its sessions ended; the account, and the password, returned once.

    The way back in for whoever holds the instance's shell and keys (`tracker users
    reset-password`): after a move between instances (imported accounts carry no password) or
    when the last admin lost both password and second factor. Audited, with no actor.
    Raises RecordNotFound for a username no account has.
    """
    user = account_named(session, username)
    password = one_time_password()
    update_record(
        session,
        user,
        actor_id=None,
        expected_version=user.version,
        changes={
            "password_hash": hash_password(password),
            "must_change_password": True,
            "totp_secret": None,
            "totp_last_step": None,
        },
        reason="sign-in reset from the command line",
    )
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    end_user_sessions(session, user_id=user.id)
    return user, password


def account_named(session: Session, username: str) -> UserAccount:
    """The account (active or not) with this username. Raises RecordNotFound."""
    user = find_account(session, username, active_only=False)
    if user is None:
        raise RecordNotFound(f"username: no account is named {username!r}")
    return user


def recovery_code_hash(code: str) -> str:
    # Codes carry 80 random bits, so a fast hash is enough; the throttle stops online guessing.
    normalised = code.strip().replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def issue_recovery_codes(session: Session, *, user_id: uuid.UUID) -> list[str]:
    """Ten new one-use codes, shown once; any earlier codes stop working."""
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = [format_recovery_code(secrets.token_bytes(10)) for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=recovery_code_hash(c)) for c in codes)
    session.flush()
    return codes


def format_recovery_code(random_bytes: bytes) -> str:
    text = base64.b32encode(random_bytes).decode("ascii")
    return "-".join(text[index : index + 4] for index in range(0, 16, 4))


def use_recovery_code(session: Session, *, user_id: uuid.UUID, code: str) -> bool:
    """Spend a recovery code; False when it is unknown or spent."""
    statement = (
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.code_hash) == recovery_code_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utc_now())
    )
    return rows_changed(session, statement) == 1


def remaining_recovery_codes(session: Session, *, user_id: uuid.UUID) -> int:
    statement = select(col(RecoveryCode.id)).where(
        col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None)
    )
    return len(session.execute(statement).all())
