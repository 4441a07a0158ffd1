"""Settings: defaults < TOML file < TRACKER_* environment variables, frozen once loaded."""

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from tracker.domain.errors import ConfigError

ENV_PREFIX = "TRACKER_"
CONFIG_ENV = "TRACKER_CONFIG"
SECRET_KEY_FILE = "secret_key"
# The embedded database's key (key_file mode) and the argon2id salt and costs (passphrase mode).
DATABASE_KEY_FILE = "database.key"
DATABASE_KDF_FILE = "database.kdf.json"
DATABASE_ENCRYPTION_MODES = ("key_file", "passphrase", "off")
# The master key sealing identity fields and evidence files, and the blind-index key.
MASTER_KEY_FILE = "master.key"
# Read by CLI commands in passphrase mode; not a setting, so the loader lets it pass.
PASSPHRASE_ENV = "TRACKER_DATABASE_PASSPHRASE"
# Read by `tracker backup --passphrase` and `tracker restore --passphrase`; not a setting either.
BACKUP_PASSPHRASE_ENV = "TRACKER_BACKUP_PASSPHRASE"
NOT_SETTINGS = frozenset({CONFIG_ENV, PASSPHRASE_ENV, BACKUP_PASSPHRASE_ENV})
# Values people paste from examples; a real secret is long and random.
PLACEHOLDER_SECRETS = frozenset(
    {
        "changethis",
        "change-me",
        "changeme",
        "secret",
        "dev",
        "development",
        "please-change",
        "replace-me",
        "xxx",
        "todo",
        "default",
        "password",
    }
)
MIN_SECRET_LENGTH = 32
# Files here are served to anyone who asks; evidence must never be stored below it.
STATIC_FOLDER = (Path(__file__).parent / "static").resolve()


@dataclass(frozen=True)
class Settings:
    """Every setting of the tracker, typed; see config.example.toml for each one's meaning."""

    instance_path: Path = Path("instance")
    database_url: str = ""
    exports_path: Path = Path("exports")
    secret_key: str | None = field(default=None, repr=False)
    sqlite_busy_timeout_ms: int = 5000
    log_level: str = "INFO"
    default_language: str = "en"
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    public_suppression_threshold: int = 3
    # Where the login throttle keeps its counters: empty for the database, or a redis:// URL.
    rate_limit_storage_url: str = ""
    login_attempts_per_account: int = 5
    login_attempts_per_client: int = 20
    login_throttle_minutes: int = 15
    require_totp_for_all: bool = False
    min_password_length: int = 12
    # Where the quick-exit control sends the browser: an everyday site that raises no eyebrows.
    quick_exit_url: str = "https://www.wikipedia.org/"
    # How many reverse proxies sit in front of the app (their X-Forwarded-* headers are trusted).
    proxy_count: int = 0
    # Folder of stored evidence files; empty means <instance_path>/evidence.
    evidence_path: str = ""
    # The largest evidence file accepted, in bytes (100 MB).
    evidence_max_bytes: int = 100 * 1024 * 1024
    # How the embedded SQLite database is encrypted: key_file, passphrase or off (PostgreSQL
    # ignores it).
    database_encryption: str = "key_file"
    # The database key file; empty means <instance_path>/database.key.
    database_key_file: str = ""
    # The master key file (identity fields and evidence files are sealed under it, on both
    # engines); empty means <instance_path>/master.key. Keep it on separate media.
    master_key_file: str = ""
    # A server: refuse to start, rather than warn, when a key file is readable by others.
    production: bool = False

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.instance_path / 'tracker.db').resolve()}"

    @property
    def resolved_evidence_path(self) -> Path:
        """The evidence folder, defaulting to `evidence` in the instance folder."""
        if self.evidence_path:
            return Path(self.evidence_path)
        return self.instance_path / "evidence"

    @property
    def sqlite_database_path(self) -> Path | None:
        """The embedded database's file, or None for PostgreSQL or an in-memory database."""
        url = make_url(self.resolved_database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def encrypts_database(self) -> bool:
        """True when the database is an SQLite file SQLCipher must encrypt."""
        return self.database_encryption != "off" and self.sqlite_database_path is not None

    @property
    def starts_locked(self) -> bool:
        """Passphrase mode: the web app serves only its unlock page until the key is typed."""
        return self.encrypts_database and self.database_encryption == "passphrase"

    @property
    def resolved_database_key_file(self) -> Path:
        """The key file, defaulting to `database.key` in the instance folder."""
        if self.database_key_file:
            return Path(self.database_key_file)
        return self.instance_path / DATABASE_KEY_FILE

    @property
    def resolved_master_key_file(self) -> Path:
        """The master key file, defaulting to `master.key` in the instance folder."""
        if self.master_key_file:
            return Path(self.master_key_file)
        return self.instance_path / MASTER_KEY_FILE

    @property
    def database_kdf_path(self) -> Path:
        """Passphrase mode: the argon2id salt and costs (not secret, but needed to unlock)."""
        return self.instance_path / DATABASE_KDF_FILE

    @property
    def secret_key_path(self) -> Path:
        return self.instance_path / SECRET_KEY_FILE

    def read_secret_key(self) -> str:
        """The secret key: from settings, else the file `tracker init` wrote.

        Raises ConfigError when there is none.
        """
        if self.secret_key:
            return self.secret_key
        if self.secret_key_path.is_file():
            return self.secret_key_path.read_text(encoding="utf-8").strip()
        raise ConfigError(
            f"secret_key: none configured and no {self.secret_key_path}; run `tracker init`"
        )


LANGUAGES = ("en", "az", "ru")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def setting_type(declared: Any) -> type:
    """The plain type a setting holds (`str | None` holds a str)."""
    return str if declared == (str | None) else declared


SETTING_TYPES: dict[str, type] = {
    f.name: setting_type(f.type) for f in dataclasses.fields(Settings)
}


def load_settings(
    *, environ: Mapping[str, str] | None = None, config_path: Path | None = None
) -> Settings:
    """Load settings once: defaults, then the TOML file, then TRACKER_* variables.

    Raises ConfigError naming the key for an unknown key, a wrong type or a placeholder secret.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    toml_path = config_path or find_config_file(environ)
    if toml_path is not None:
        values.update(read_toml_settings(toml_path))
    values.update(read_environment_settings(environ))
    settings = Settings(**values)
    validate_settings(settings)
    return settings


def find_config_file(environ: Mapping[str, str]) -> Path | None:
    """The TOML file named by TRACKER_CONFIG, else ./config.toml if present."""
    named = environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}: no such file {path}")
        return path
    default = Path("config.toml")
    return default if default.is_file() else None


def read_toml_settings(path: Path) -> dict[str, Any]:
    """Typed values from a TOML file; raises ConfigError for unknown keys or wrong types."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error
    return {key: coerce_toml_value(key, value) for key, value in raw.items()}


def read_environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Typed values from TRACKER_* variables; raises ConfigError for unknown names."""
    values: dict[str, Any] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS or is_test_variable(name):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        values[key] = coerce_environment_value(key, text, name)
    return values


def is_test_variable(name: str) -> bool:
    """Variables the test suite reads, which are not settings."""
    return name.startswith("TRACKER_TEST_")


def expected_type(key: str, origin: str) -> type:
    """The type of a known setting; raises ConfigError naming an unknown one."""
    if key not in SETTING_TYPES:
        raise ConfigError(f"{origin}: unknown setting")
    return SETTING_TYPES[key]


def coerce_toml_value(key: str, value: Any) -> Any:
    """Check a TOML value against the setting's type."""
    wanted = expected_type(key, key)
    if wanted is Path and isinstance(value, str):
        return Path(value)
    if wanted is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if wanted is bool and isinstance(value, bool):
        return value
    if wanted is str and isinstance(value, str):
        return value
    raise ConfigError(f"{key}: expected {type_name(wanted)}, got {type(value).__name__}")


def coerce_environment_value(key: str, text: str, name: str) -> Any:
    """Convert a TRACKER_* variable's text to the setting's type."""
    wanted = expected_type(key, name)
    if wanted is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {text!r}") from None
    if wanted is bool:
        return parse_boolean(text, name)
    return Path(text) if wanted is Path else text


def parse_boolean(text: str, name: str) -> bool:
    """`true`/`false` (also 1/0, yes/no) from an environment variable."""
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {text!r}")


def type_name(wanted: type) -> str:
    names = {int: "an integer", str: "a string", Path: "a path string", bool: "true or false"}
    return names.get(wanted, str(wanted))


def validate_settings(settings: Settings) -> None:
    """Refuse unsafe or nonsensical values, naming the key."""
    if settings.secret_key is not None:
        check_secret(settings.secret_key)
    for key in (
        "sqlite_busy_timeout_ms",
        "session_idle_minutes",
        "session_absolute_hours",
        "proxy_count",
    ):
        if getattr(settings, key) < 0:
            raise ConfigError(f"{key}: must not be negative")
    for key in (
        "login_attempts_per_account",
        "login_attempts_per_client",
        "login_throttle_minutes",
        "min_password_length",
        "evidence_max_bytes",
        # A threshold of 0 would print every small count in a public report.
        "public_suppression_threshold",
    ):
        if getattr(settings, key) < 1:
            raise ConfigError(f"{key}: must be at least 1")
    if not settings.quick_exit_url.startswith(("https://", "http://")):
        raise ConfigError("quick_exit_url: must be an http:// or https:// address")
    check_evidence_path(settings)
    if settings.database_encryption not in DATABASE_ENCRYPTION_MODES:
        raise ConfigError(
            f"database_encryption: must be one of {', '.join(DATABASE_ENCRYPTION_MODES)}"
        )
    if settings.default_language not in LANGUAGES:
        raise ConfigError(f"default_language: must be one of {', '.join(LANGUAGES)}")
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"log_level: must be one of {', '.join(LOG_LEVELS)}")


def check_evidence_path(settings: Settings) -> None:
    """Evidence never sits where the web server serves files from (the static folder)."""
    evidence = settings.resolved_evidence_path.resolve()
    if evidence.is_relative_to(STATIC_FOLDER):
        raise ConfigError("evidence_path: must not be inside the web app's static folder")


def check_secret(secret: str) -> None:
    """Raise ConfigError for a placeholder or short secret key."""
    if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"secret_key: a placeholder or a value shorter than {MIN_SECRET_LENGTH} characters;"
            " remove it to use the key `tracker init` generated"
        )
