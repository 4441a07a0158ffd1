"""`tracker users list|reset-password`: the way back in after a move between instances, or
for a last admin locked out, for whoever holds the instance's shell and keys."""

import re
from pathlib import Path

import pyotp
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tests.conftest import TrackerRunner, table_counts
from tests.interchange.dataset import capture_seed, empty_database
from tracker.models import AuditEntry, RecoveryCode, UserAccount, UserSession
from tracker.services.accounts import authenticate, issue_recovery_codes
from tracker.services.web_sessions import new_token, store_session

ONE_TIME = re.compile(r"One-time password \(shown once, change it at first login\): (\S+)")


def one_time_password(output: str) -> str:
    found = ONE_TIME.search(output)
    assert found is not None, output
    return found.group(1)


def exported_then_emptied(cli: TrackerRunner, engine: Engine, tmp_path: Path) -> Path:
    """An instance's export (its admin made by `tracker init`), and the database emptied to
    stand for a new instance at head: the file."""
    seed = capture_seed(engine)
    assert cli.invoke("init").exit_code == 0
    moved = tmp_path / "move.json"
    assert cli.invoke("export", "json", "-o", str(moved)).exit_code == 0
    empty_database(engine, seed)
    return moved


def test_an_admin_moved_through_a_json_export_signs_in_after_a_reset(
    cli: TrackerRunner, engine: Engine, tmp_path: Path
) -> None:
    moved = exported_then_emptied(cli, engine, tmp_path)
    imported = cli.invoke("import", "json", str(moved))
    assert imported.exit_code == 0, imported.stderr
    assert "user_account 1" in imported.stdout
    listed = cli.invoke("users", "list")
    assert listed.stdout == "admin  admin  no password (imported): tracker users reset-password\n"
    assert "An admin account exists already" in cli.invoke("init").stdout

    reset = cli.invoke("users", "reset-password", "admin")
    assert reset.exit_code == 0, reset.stderr
    password = one_time_password(reset.stdout)
    with Session(engine) as session:
        user = authenticate(session, username="admin", password=password)
        assert user.must_change_password
        entry = session.scalars(
            select(AuditEntry)
            .where(col(AuditEntry.record_id) == user.id)
            .order_by(col(AuditEntry.sequence).desc())
        ).first()
    assert entry is not None and entry.actor_id is None
    assert entry.reason == "sign-in reset from the command line"
    assert "password_hash" in entry.changes and password not in str(entry.changes)
    listed = cli.invoke("users", "list")
    assert listed.stdout == "admin  admin  must change password, no second factor yet\n"


def test_a_reset_clears_the_second_factor_and_ends_every_session(
    cli: TrackerRunner, engine: Engine
) -> None:
    assert cli.invoke("init").exit_code == 0
    with Session(engine) as session:
        user = session.scalars(select(UserAccount)).one()
        user.totp_secret = pyotp.random_base32()
        user.must_change_password = False
        session.add(user)
        issue_recovery_codes(session, user_id=user.id)
        store_session(session, token=new_token(), data={"user_id": str(user.id)}, user_agent="t")
        session.commit()
    assert "password set, second factor set" in cli.invoke("users", "list").stdout

    reset = cli.invoke("users", "reset-password", "admin")
    assert reset.exit_code == 0, reset.stderr
    with Session(engine) as session:
        user = session.scalars(select(UserAccount)).one()
        assert user.totp_secret is None and user.totp_last_step is None
        assert session.scalars(select(RecoveryCode)).all() == []
        assert session.scalars(select(UserSession)).all() == []
        authenticate(session, username="admin", password=one_time_password(reset.stdout))


def test_an_unknown_username_is_refused_and_changes_nothing(
    cli: TrackerRunner, engine: Engine
) -> None:
    assert cli.invoke("init").exit_code == 0
    before = table_counts(engine)
    result = cli.invoke("users", "reset-password", "nobody")
    assert result.exit_code == 1
    assert result.stderr == "Error: username: no account is named 'nobody'\n"
    assert table_counts(engine) == before


def test_an_instance_without_accounts_says_how_to_make_one(cli: TrackerRunner) -> None:
    result = cli.invoke("users", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "No accounts. `tracker init` creates the first admin.\n"


def test_importing_accounts_into_an_initialised_instance_says_how_to_move(
    cli: TrackerRunner, engine: Engine, tmp_path: Path
) -> None:
    moved = exported_then_emptied(cli, engine, tmp_path)
    assert cli.invoke("init").exit_code == 0  # another admin, under the same username
    before = table_counts(engine)
    result = cli.invoke("import", "json", str(moved))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: $.user_account[0].username: username already belongs")
    assert "import before `tracker init`, then `tracker users reset-password`" in result.stderr
    assert table_counts(engine) == before


def test_a_reset_of_a_deactivated_account_says_it_stays_deactivated(
    cli: TrackerRunner, engine: Engine
) -> None:
    assert cli.invoke("init").exit_code == 0
    assert "deactivated" not in cli.invoke("users", "reset-password", "admin").stdout
    with Session(engine) as session:
        user = session.scalars(select(UserAccount)).one()
        user.is_active = False
        session.add(user)
        session.commit()
    assert cli.invoke("users", "list").stdout == "admin  admin  deactivated\n"
    reset = cli.invoke("users", "reset-password", "admin")
    assert reset.exit_code == 0, reset.stderr
    assert "The account is deactivated: an admin reactivates it" in reset.stdout
