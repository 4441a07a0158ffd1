"""The backup key file: 32 random bytes, readable by its owner only, made on first use.

A backup is only as safe as its key: the key file belongs on separate media (a USB stick kept
apart from the backups), never beside them. A passphrase can seal a backup instead of, or as
well as, the key file; it is never stored.
"""

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from tracker.domain.backup_format import KEY_SIZE
from tracker.domain.errors import InvalidInput

KEY_FILE_MODE = 0o600
MIN_PASSPHRASE_LENGTH = 12


@dataclass(frozen=True)
class KeyFile:
    """A backup key read or made: its bytes, whether it was just made, and any warning."""

    path: Path
    key: bytes
    created: bool = False
    warning: str | None = None


def read_or_create_key_file(path: Path, *, production: bool = False) -> KeyFile:
    """The key in PATH, made first when there is none.

    Raises InvalidInput for a missing folder or a file that is not a backup key.
    """
    if path.exists():
        return read_key_file(path, production=production)
    if not path.parent.is_dir():
        raise InvalidInput(f"backup key: the folder {path.parent} does not exist")
    key = secrets.token_bytes(KEY_SIZE)
    write_private_file(path, key)
    return KeyFile(path, key, created=True)


def write_private_file(path: Path, data: bytes) -> None:
    """Create PATH (never over an existing file) readable by its owner only, on disk at once."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_key_file(path: Path, *, production: bool = False) -> KeyFile:
    """The key in PATH. Raises InvalidInput when it is missing or not a backup key, or (in
    production) others may read it; elsewhere that comes with a warning."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(
            f"no backup key at {path}: give --key-file with the copy kept on separate media,"
            " or --passphrase"
        ) from None
    except IsADirectoryError:
        raise InvalidInput(f"backup key: {path} is a folder") from None
    if len(key) != KEY_SIZE:
        raise InvalidInput(f"{path} is not a backup key (a backup key is {KEY_SIZE} bytes)")
    warning = loose_permissions_warning(path)
    if warning is not None and production:
        raise InvalidInput(f"{warning}; refused (production = true)")
    return KeyFile(path, key, warning=warning)


def loose_permissions_warning(path: Path) -> str | None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 == 0:
        return None
    return (
        f"{path} can be read or changed by other accounts (mode {mode:04o}): run `chmod 600 {path}`"
    )


def check_passphrase(passphrase: str) -> str:
    """Raises InvalidInput for a passphrase too short to resist guessing."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InvalidInput(
            f"passphrase: at least {MIN_PASSPHRASE_LENGTH} characters (several words are best)"
        )
    return passphrase
