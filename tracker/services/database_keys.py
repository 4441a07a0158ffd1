"""Where the embedded database's key comes from: a key file, or a passphrase (argon2id).

A key source is a callable giving the 32-byte key (see tracker.db.DatabaseKey). The key is
read or derived once per process and kept only in its memory; it never reaches a log, an error
message or the database.
"""

import json
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from tracker.config import PASSPHRASE_ENV, Settings
from tracker.db import (
    DATABASE_EMPTY,
    DATABASE_KEY_BYTES,
    DatabaseKey,
    DatabaseLocked,
    DatabaseUnavailable,
    database_file_kind,
)
from tracker.domain.errors import InvalidInput

log = logging.getLogger("tracker.security")

MIN_PASSPHRASE_LENGTH = 16
SALT_BYTES = 16
OWNER_ONLY = 0o600


@dataclass(frozen=True)
class KdfParameters:
    """Argon2id's salt and costs (RFC 9106's second recommended set by default)."""

    salt: str  # hexadecimal
    time_cost: int
    memory_cost_kib: int
    parallelism: int


# Tests swap in cheap costs; the parameters used are written to the KDF file either way.
DEFAULT_KDF_COSTS = {"time_cost": 3, "memory_cost_kib": 64 * 1024, "parallelism": 4}


# --- key files ---------------------------------------------------------------------------


def write_private_file(path: Path, text: str) -> None:
    """Create the file with mode 0600 (never replacing one) and write the text durably."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def generate_key_file(path: Path) -> bytes:
    """A new random key in a new file (64 hexadecimal digits, mode 0600)."""
    key = secrets.token_bytes(DATABASE_KEY_BYTES)
    try:
        write_private_file(path, key.hex() + "\n")
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; it was not replaced") from None
    return key


def check_key_file_permissions(path: Path, *, production: bool) -> None:
    """Warn when others than the owner may read or write the key file; refuse in production."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return
    message = (
        f"{path} can be read or changed by others than its owner (mode {mode:o}):"
        f" run `chmod 600 {path}`"
    )
    if production:
        raise DatabaseUnavailable(f"{message}; the tracker refuses to start (production = true)")
    log.warning(message)


def read_key_file(path: Path, *, production: bool) -> bytes:
    """The key in the file; raises DatabaseUnavailable when it is missing or malformed."""
    try:
        check_key_file_permissions(path, production=production)
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise DatabaseUnavailable(
            f"no database key file at {path}: the encrypted database cannot be opened without"
            " it. Put back the key file (kept on separate media), set database_key_file to where"
            " it is, or run `tracker init` for a new instance"
        ) from None
    except (UnicodeDecodeError, PermissionError) as error:
        raise DatabaseUnavailable(f"{path}: cannot read the database key ({error})") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != DATABASE_KEY_BYTES:
        raise DatabaseUnavailable(
            f"{path} is not a database key file ({2 * DATABASE_KEY_BYTES} hexadecimal digits)"
        )
    return key


def refuse_before_init(key_material: Path, database: Path | None) -> None:
    """No key material and no database yet: the instance was never set up."""
    if not key_material.exists() and (database is None or database_file_kind(database) == "new"):
        raise DatabaseUnavailable(DATABASE_EMPTY)


class KeyFileKey:
    """The key read from the key file at the first connection, then kept in memory (so the
    separate media may be removed once the app has started)."""

    def __init__(self, path: Path, *, production: bool, database: Path | None = None) -> None:
        self.path = path
        self.production = production
        self.database = database
        self._key: bytes | None = None

    def __call__(self) -> bytes:
        if self._key is None:
            refuse_before_init(self.path, self.database)
            self._key = read_key_file(self.path, production=self.production)
        return self._key


# --- passphrases ---------------------------------------------------------------------------


def check_new_passphrase(passphrase: str) -> None:
    """Raises InvalidInput for a passphrase too short to resist guessing."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_LENGTH:
        raise InvalidInput(
            f"the passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters"
            " (several unrelated words)"
        )


def new_kdf_parameters() -> KdfParameters:
    return KdfParameters(salt=secrets.token_hex(SALT_BYTES), **DEFAULT_KDF_COSTS)


def write_kdf_parameters(path: Path, parameters: KdfParameters) -> None:
    try:
        write_private_file(path, json.dumps(asdict(parameters), indent=2) + "\n")
    except FileExistsError:
        raise InvalidInput(f"{path} exists already; it was not replaced") from None


def read_kdf_parameters(path: Path) -> KdfParameters:
    """Raises DatabaseUnavailable when the file is missing or not ours."""
    try:
        parameters = KdfParameters(**json.loads(path.read_text(encoding="utf-8")))
        check_kdf_parameters(parameters)
    except FileNotFoundError:
        raise DatabaseUnavailable(
            f"no {path}: it holds the salt the passphrase needs to open the database. Restore"
            " it from a backup of the instance folder, or run `tracker init` for a new instance"
        ) from None
    except (ValueError, TypeError):
        raise DatabaseUnavailable(f"{path} is not a passphrase parameters file") from None
    return parameters


def check_kdf_parameters(parameters: KdfParameters) -> None:
    """Raises ValueError unless the salt is hexadecimal and every cost a positive integer."""
    if len(bytes.fromhex(parameters.salt)) < 8:
        raise ValueError("salt")
    costs = (parameters.time_cost, parameters.memory_cost_kib, parameters.parallelism)
    if not all(isinstance(cost, int) and not isinstance(cost, bool) for cost in costs):
        raise ValueError("costs")
    if min(costs) < 1 or parameters.memory_cost_kib < 8 * parameters.parallelism:
        raise ValueError("costs")


def derive_key(passphrase: str, parameters: KdfParameters) -> bytes:
    """Argon2id of the passphrase: the 32-byte database key."""
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        bytes.fromhex(parameters.salt),
        time_cost=parameters.time_cost,
        memory_cost=parameters.memory_cost_kib,
        parallelism=parameters.parallelism,
        hash_len=DATABASE_KEY_BYTES,
        type=Type.ID,
    )


class PassphraseKey:
    """Locked mode's key: derived from a passphrase, then kept in this process's memory.

    With `ask` (the command line) the passphrase is asked for at the first connection; without
    (the web app) every connection raises DatabaseLocked until `unlock` succeeds.
    """

    def __init__(
        self, kdf_path: Path, ask: Callable[[], str] | None = None, database: Path | None = None
    ) -> None:
        self.kdf_path = kdf_path
        self.ask = ask
        self.database = database
        self._key: bytes | None = None
        # One derivation at a time: argon2id takes 64 MiB, and guesses must queue.
        self._deriving = threading.Lock()

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def __call__(self) -> bytes:
        if self._key is not None:
            return self._key
        refuse_before_init(self.kdf_path, self.database)
        if self.ask is None:
            raise DatabaseLocked(
                "the database is locked: an admin must type its passphrase on the unlock page"
            )
        self.unlock(self.ask())
        assert self._key is not None
        return self._key

    def keep(self, key: bytes) -> None:
        """Keep a key the caller has checked (it opened the database)."""
        self._key = key

    def candidate(self, passphrase: str) -> bytes:
        """The key this passphrase gives (not yet trusted)."""
        parameters = read_kdf_parameters(self.kdf_path)
        with self._deriving:
            return derive_key(passphrase, parameters)

    def unlock(self, passphrase: str, opens: Callable[[bytes], bool] | None = None) -> bool:
        """Keep the passphrase's key if `opens` accepts it (or without a check); True if kept."""
        key = self.candidate(passphrase)
        if opens is not None and not opens(key):
            return False
        self._key = key
        return True


def passphrase_from_environment() -> str | None:
    """TRACKER_DATABASE_PASSPHRASE, for scripted command-line use (never the web app's)."""
    return os.environ.get(PASSPHRASE_ENV) or None


def ask_on_terminal() -> str:
    """The passphrase from TRACKER_DATABASE_PASSPHRASE, else typed (not echoed) on the terminal."""
    import click

    return passphrase_from_environment() or str(
        click.prompt("Database passphrase", hide_input=True, err=True)
    )


def app_database_key(settings: Settings, *, interactive: bool) -> DatabaseKey | None:
    """The key source an app's engines share: None when the database is not encrypted; in
    passphrase mode the command line asks on the terminal, the web app waits to be unlocked."""
    if not settings.encrypts_database:
        return None
    return database_key_for(settings, ask=ask_on_terminal if interactive else None)


def database_key_for(settings: Settings, *, ask: Callable[[], str] | None = None) -> DatabaseKey:
    """The key source the settings name: the key file, or the passphrase (asked for with
    `ask`, or unlocked through the web page when there is none)."""
    database = settings.sqlite_database_path
    if settings.database_encryption == "passphrase":
        return PassphraseKey(settings.database_kdf_path, ask=ask, database=database)
    return KeyFileKey(
        settings.resolved_database_key_file, production=settings.production, database=database
    )
