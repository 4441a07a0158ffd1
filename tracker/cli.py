"""The `tracker` command: set-up, migrations, demo data, interchange, integrity, reports.

Exit codes: 0 done; 1 refused with a one-line reason on stderr and nothing changed; 2 wrong usage.
"""

import logging
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import Engine
from sqlmodel import Session

from tracker import create_app
from tracker.config import Settings, load_settings
from tracker.db import DATABASE_EMPTY, unit_of_work
from tracker.domain.errors import InvalidInput, TrackerError

if TYPE_CHECKING:
    from tracker.services.admin_pages import UserSummary

log = logging.getLogger("tracker.cli")
T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """Print a one-line reason on stderr and exit 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def settings_of_app() -> Settings:
    settings: Settings = current_app.config["TRACKER_SETTINGS"]
    return settings


def engine_of_app() -> Engine:
    engine: Engine = current_app.extensions["tracker_engine"]
    return engine


@contextmanager
def cli_transaction() -> Iterator[Session]:
    """One transaction for the command: all of it is written, or none of it."""
    require_current_schema(engine_of_app())
    with unit_of_work(engine_of_app()) as session:
        yield session


def require_current_schema(engine: Engine) -> None:
    """Raises InvalidInput when the database is missing tables or behind the code."""
    from tracker.migrations import current_revision, head_revision

    current, head = current_revision(engine), head_revision(engine)
    if current is None:
        raise InvalidInput(DATABASE_EMPTY)
    if current != head:
        raise InvalidInput(
            f"the database is at revision {current}, the code needs {head}:"
            " run `tracker db upgrade` (after a backup)"
        )
    require_master_key(engine)


def require_master_key(engine: Engine) -> None:
    """Raises MasterKeyUnavailable or WrongMasterKey unless the master key file is there and
    is the one the database is sealed under (nothing is read or written otherwise)."""
    from tracker.services.master_keys import check_database_master_key

    source = current_app.extensions["tracker_master_key"]
    check_database_master_key(engine, source, settings_of_app().resolved_master_key_file)


def show_progress(total: int, label: str) -> Any:
    """A progress bar on a terminal, nothing when output is piped or logged."""
    return click.progressbar(
        length=total, label=label, file=sys.stderr, hidden=not sys.stderr.isatty()
    )


# What an import does in each phase (tracker.interchange.json_format.import_json's on_phase),
# said on a terminal while no bar moves: checking a large file takes a while before anything
# is written, and the search index after it.
PHASE_WORDS = {
    "read": "reading the file",
    "parse": "parsing",
    "check and plan": "checking every record",
    "search index": "indexing for search",
    "audit entry": "recording in the audit log",
}
BAR_PHASE = "write"


class ProgressReporter:
    """A `progress(done, total)` callback drawing a bar on a terminal once the total is known,
    and an `on_phase(name)` callback saying, there, what happens before and after the bar."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0
        self.finished = False

    def __call__(self, done: int, total: int) -> None:
        if self.finished:
            return
        if self.bar is None:
            self.bar = show_progress(total, self.label).__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def phase(self, name: str) -> None:
        if name == BAR_PHASE or not sys.stderr.isatty():
            return
        self.finish_bar()
        click.echo(f"{self.label}: {PHASE_WORDS.get(name, name)}...", err=True)

    def finish_bar(self, *exc_info: object) -> None:
        if self.bar is not None and not self.finished:
            self.bar.__exit__(*(exc_info or (None, None, None)))
        self.finished = self.bar is not None

    def __enter__(self) -> "ProgressReporter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish_bar(*exc_info)


def run_guarded(action: Callable[[], T]) -> T:
    """Map the project's errors to exit 1 with the message; anything else to a logged failure."""
    try:
        return action()
    except TrackerError as error:
        fail(str(error))
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
        raise
    except Exception:
        log_path = settings_of_app().instance_path / "tracker.log"
        configure_error_log(log_path).exception("internal error")
        fail(f"internal error; details were written to {log_path}")


def configure_error_log(path: Path) -> logging.Logger:
    """Write unexpected errors to the instance log, never to the terminal (it may be watched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    return log


def guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command body under `run_guarded`, inside the app context."""

    @with_appcontext
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_guarded(lambda: function(*args, **kwargs))

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


# --- init and database -------------------------------------------------------------------


def write_secret_key(settings: Settings) -> bool:
    """Generate the instance's secret key file (mode 0600) unless it exists."""
    path = settings.secret_key_path
    if path.exists():
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    path.chmod(0o600)
    return True


@click.command("init")
@click.option(
    "--admin-username",
    default="admin",
    show_default=True,
    help="Username of the first admin account.",
)
@guarded
def init_command(admin_username: str) -> None:
    """Create the instance folder, the database at head, a secret key and the first admin.

    The embedded database is created encrypted (a new key file, or in passphrase mode a new
    passphrase); an existing unencrypted one is encrypted in place.
    """
    from tracker.migrations import upgrade_database
    from tracker.services.users import check_username_form, create_first_admin

    settings = settings_of_app()
    check_username_form(admin_username)
    if write_secret_key(settings):
        click.echo(f"Secret key written to {settings.secret_key_path} (mode 0600).")
    if settings.encrypts_database:
        set_up_database_encryption(settings)
    set_up_master_key(settings)
    upgrade_database(engine_of_app())
    seal_stored_evidence()
    with cli_transaction() as session:
        created = create_first_admin(session, username=admin_username)
    if created is None:
        click.echo("An admin account exists already; no new account was created.")
        return
    click.echo(f"Admin account: {admin_username}")
    click.echo(f"One-time password (shown once, change it at first login): {created}")


def set_up_database_encryption(settings: Settings, *, keep_plaintext: bool = False) -> None:
    """Key material for a new database; an unencrypted existing one is encrypted in place."""
    from tracker.db import database_file_kind
    from tracker.services.database_encryption import (
        encrypt_plaintext_database,
        prepare_database_key,
    )

    database_key = current_app.extensions["tracker_database_key"]
    for line in prepare_database_key(settings, database_key, ask_new_passphrase).lines:
        click.echo(line)
    assert settings.sqlite_database_path is not None
    if database_file_kind(settings.sqlite_database_path) == "plaintext":
        click.echo(f"{settings.sqlite_database_path} is not encrypted: encrypting it now.")
        report = encrypt_plaintext_database(settings, database_key, keep_plaintext=keep_plaintext)
        for line in report.lines:
            click.echo(line)


def set_up_master_key(settings: Settings) -> None:
    """A new master key file, unless there is one; never for a database sealed already."""
    from tracker.services.master_keys import prepare_master_key

    for line in prepare_master_key(engine_of_app(), settings):
        click.echo(line)


def seal_stored_evidence() -> None:
    """Seal in place the evidence files stored before files were sealed (after an upgrade)."""
    from tracker.services.evidence_sealing import seal_plain_files

    for line in seal_plain_files(engine_of_app(), evidence_store()).lines():
        click.echo(line)


def ask_new_passphrase() -> str:
    """A new database passphrase: TRACKER_DATABASE_PASSPHRASE, else typed twice."""
    from tracker.services.database_keys import MIN_PASSPHRASE_LENGTH, passphrase_from_environment

    return passphrase_from_environment() or str(
        click.prompt(
            f"New database passphrase (at least {MIN_PASSPHRASE_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
    )


@click.group("db")
def db_group() -> None:
    """Database migrations and encryption."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@guarded
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    from tracker.db import database_file_kind
    from tracker.migrations import current_revision, upgrade_database

    settings = settings_of_app()
    path = settings.sqlite_database_path
    if settings.encrypts_database and path is not None and database_file_kind(path) == "new":
        set_up_database_encryption(settings)  # a new database is created encrypted, as by init
    set_up_master_key(settings)
    upgrade_database(engine_of_app(), revision)
    seal_stored_evidence()
    click.echo(f"Database at revision {current_revision(engine_of_app()) or 'base'}.")


@db_group.command("downgrade")
@click.argument("revision")
@guarded
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (`base` removes every table)."""
    from tracker.migrations import current_revision, downgrade_database

    downgrade_database(engine_of_app(), revision)
    click.echo(f"Database at revision {current_revision(engine_of_app()) or 'base'}.")


@db_group.command("current")
@guarded
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    from tracker.migrations import current_revision, head_revision

    engine = engine_of_app()
    click.echo(f"current: {current_revision(engine) or 'base (empty)'}")
    click.echo(f"head:    {head_revision(engine)}")


@db_group.command("encrypt")
@click.option(
    "--keep-plaintext",
    is_flag=True,
    help="Keep the unencrypted original as tracker.db.plaintext (it holds every record).",
)
@guarded
def db_encrypt(keep_plaintext: bool) -> None:
    """Encrypt an existing unencrypted SQLite database in place (stop the web app first)."""
    from tracker.db import database_file_kind
    from tracker.services.database_encryption import database_path_of

    settings = settings_of_app()
    path = database_path_of(settings)
    kind = database_file_kind(path)
    if kind != "plaintext":
        state = "is encrypted already" if kind == "encrypted" else "does not exist (see init)"
        click.echo(f"{path} {state}; nothing was changed.")
        return
    set_up_database_encryption(settings, keep_plaintext=keep_plaintext)


# --- the master key --------------------------------------------------------------------------


@click.group("keys")
def keys_group() -> None:
    """The master key sealing identity fields and evidence files (docs/security.md)."""


@keys_group.command("rotate")
@guarded
def keys_rotate() -> None:
    """Seal every value's data key under a new master key (no value is decrypted); the old
    key file is kept as master.key.old."""
    from tracker.services.master_keys import rotate_master_key

    require_current_schema(engine_of_app())
    report = rotate_master_key(
        engine_of_app(),
        settings_of_app(),
        current_app.extensions["tracker_master_key"],
        extras=master_key_extras(),
    )
    for line in report.lines():
        click.echo(line)


def master_key_extras() -> tuple[Any, ...]:
    """What else `keys rotate` rewraps in its transaction: evidence files' data keys."""
    from tracker.services.evidence_sealing import rewrap_evidence_keys

    return (rewrap_evidence_keys,)


# --- demo data -----------------------------------------------------------------------------


@click.command("demo")
@click.option(
    "--synthetic",
    "synthetic_count",
    type=click.IntRange(min=1),
    default=None,
    help="Generate N realistic fake incidents instead of the hand-built demo set.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed for --synthetic; the same seed gives the same records.",
)
@guarded
def demo_command(synthetic_count: int | None, seed: int) -> None:
    """Load the demo dataset (from the 2023 Nafas articles) or synthetic records."""
    if synthetic_count is None:
        from tracker.demo import load_demo

        with cli_transaction() as session:
            click.echo(str(load_demo(session)))
        return
    from tracker.demo.synthetic import generate_synthetic

    with cli_transaction() as session, show_progress(synthetic_count, "Generating") as bar:
        summary = generate_synthetic(session, count=synthetic_count, seed=seed, progress=bar.update)
    click.echo(str(summary))


# --- interchange ---------------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """Export records to files."""


@export_group.command("json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--with-audit", is_flag=True, help="Include the audit log, so history travels.")
@guarded
def export_json_command(output: Path, with_audit: bool) -> None:
    """Export every record as versioned JSON (see docs/interchange.md)."""
    from tracker.interchange.json_format import export_json

    with cli_transaction() as session, ProgressReporter("Exporting") as progress:
        count = write_atomically(
            output,
            lambda handle: export_json(
                session,
                handle,
                with_audit=with_audit,
                exported_at=datetime.now(UTC),
                progress=progress,
            ),
        )
    click.echo(f"Exported {count} records to {output}.")


@export_group.command("csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@guarded
def export_csv_command(output: Path) -> None:
    """Export incidents as CSV (columns in docs/interchange.md)."""
    from tracker.interchange.csv_format import export_incidents_csv

    with cli_transaction() as session, ProgressReporter("Exporting") as progress:
        count = write_atomically(
            output, lambda handle: export_incidents_csv(session, handle, progress=progress)
        )
    click.echo(f"Exported {count} incidents to {output}.")


def write_atomically(path: Path, write: Callable[[Any], int]) -> int:
    """Write through a temporary file beside PATH, renamed when complete, so a failure leaves
    no half file; readable by its owner only (an interchange file holds names in the clear)."""
    from tracker.services.private_files import write_privately

    if not path.name:
        raise TrackerError(f"cannot write {str(path)!r}: give a file name")
    try:
        return write_privately(path, write)
    except OSError as error:
        raise TrackerError(f"cannot write {path}: {error.strerror}") from error


@click.group("import")
def import_group() -> None:
    """Import records from files; all or nothing."""


@import_group.command("json")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@guarded
def import_json_command(source: Path) -> None:
    """Import a JSON interchange file: validated whole first, then written in one transaction."""
    from tracker.interchange.json_format import import_json

    with cli_transaction() as session, ProgressReporter("Importing") as progress:
        report = import_json(session, source, progress=progress, on_phase=progress.phase)
    click.echo(str(report))


@import_group.command("csv")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="TOML file mapping spreadsheet columns to incident fields.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be created; write nothing.")
@guarded
def import_csv_command(source: Path, mapping: Path, dry_run: bool) -> None:
    """Import incidents from a spreadsheet's CSV through a column mapping."""
    from tracker.interchange.csv_format import import_incidents_csv

    with cli_transaction() as session, ProgressReporter("Importing") as progress:
        report = import_incidents_csv(
            session, source, mapping_path=mapping, dry_run=dry_run, progress=progress
        )
        click.echo(str(report))
        if dry_run:
            session.rollback()


# --- integrity -----------------------------------------------------------------------------


@click.command("check")
@guarded
def check_command() -> None:
    """Check integrity: orphans, invalid dates, unknown codes, broken links, the audit chain."""
    from tracker.services.integrity import integrity_report

    with cli_transaction() as session:
        report = integrity_report(session)
    problems = report.problems
    for problem in problems:
        click.echo(str(problem))
    if problems:
        fail(f"{len(problems)} integrity problem(s) found")
    click.echo("No integrity problems found.")
    click.echo(f"Audit {report.audit_chain.summary()}.")


# --- the audit log's hash chain ------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """Verify and export the tamper-evident audit log (docs/security.md)."""


@audit_group.command("verify")
@click.option(
    "--file",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Verify an exported audit log instead, without the database.",
)
@click.option(
    "--expect-head",
    metavar="SEQUENCE:HASH",
    help="The head written down earlier: also finds entries cut from the end.",
)
@guarded
def audit_verify_command(source: Path | None, expect_head: str | None) -> None:
    """Verify the audit log's hash chain; exit 1 naming the first broken entry."""
    from tracker.domain.audit_chain import ChainHead
    from tracker.services.audit_chain import verify_audit_file, verify_audit_log

    expected = None if expect_head is None else ChainHead.parse(expect_head)
    if source is not None:
        report = verify_audit_file(source, expect_head=expected)
    else:
        with cli_reading() as session:
            report = verify_audit_log(session, expect_head=expected)
    if not report.intact:
        fail(report.summary())
    click.echo(report.summary())


@audit_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@guarded
def audit_export_command(output: Path) -> None:
    """Export the audit log as JSON Lines, to keep elsewhere and verify offline."""
    from tracker.services.audit_chain import export_audit_log_to

    with cli_transaction() as session:
        summary = export_audit_log_to(session, output, exported_at=datetime.now(UTC))
    click.echo(f"Exported {summary.entries} audit entries to {output}; head {summary.head}.")


@contextmanager
def cli_reading() -> Iterator[Session]:
    """A session that only reads: on SQLite it takes no write lock, so the app keeps writing."""
    from tracker.db import engine_from_settings

    require_current_schema(engine_of_app())
    database_key = current_app.extensions["tracker_database_key"]
    engine = engine_from_settings(settings_of_app(), for_writing=False, database_key=database_key)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@click.group("search")
def search_group() -> None:
    """The full-text search index."""


@search_group.command("reindex")
@guarded
def search_reindex_command() -> None:
    """Rebuild the search index and the date-range index from the records (after a restore
    from backup or a VACUUM, say)."""
    from tracker.services.search import rebuild_search_index, search_entry_count
    from tracker.services.spans import rebuild_incident_spans

    with cli_transaction() as session:
        rebuild_search_index(session)
        rebuild_incident_spans(session)
        entries = search_entry_count(session)
    click.echo(f"Search index rebuilt: {entries:,} entries.")


# --- reports -------------------------------------------------------------------------------

DOSSIER_LEVELS = ("legal", "partner", "public")


@click.group("report")
def report_group() -> None:
    """Timelines, case dossiers and annual reports as PDF (files in the exports folder)."""


def report_time() -> datetime:
    """When a report is made, to the second: the time printed on it and in its file name."""
    return datetime.now(UTC).replace(microsecond=0)


def output_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        default=None,
        help="File to write, inside the exports folder (default: a dated name there).",
    )(function)


def make_report(request: Any, output: Path | None, *, with_progress: bool = False) -> None:
    """Produce, record and write one report in one transaction, then list what was written."""
    from tracker.reporting.exports import OPERATOR, produce_report, write_bundle
    from tracker.reporting.exports_files import check_output, exports_root

    settings = settings_of_app()
    if output is not None:  # refuse a bad path before minutes of work
        check_output(output, exports_root(settings.exports_path))
    with cli_transaction() as session, ProgressReporter("Reporting") as progress:
        bundle = produce_report(
            session,
            request=request,
            viewer=OPERATOR,
            generated_at=report_time(),
            generated_by="",
            suppression_threshold=settings.public_suppression_threshold,
            progress=progress if with_progress else None,
        )
        paths = write_bundle(bundle, output=output, exports_path=settings.exports_path)
    for path in paths:
        click.echo(f"Wrote {path}")
    click.echo(f"SHA-256 of {paths[0].name}: {bundle.main.sha256}")


@report_group.command("timeline")
@click.option("--case", "case", metavar="CODE_OR_ID", help="A case's code (C-2023-004) or id.")
@click.option("--person", metavar="CODE_OR_ID", help="A person's pseudonym code or id.")
@click.option("--place", metavar="ID_OR_NAME", help="A place's id or name.")
@click.option("--organisation", metavar="ID_OR_NAME", help="An organisation's id or name.")
@click.option("--type", "incident_type", metavar="CODE", help="Filter: incidents of this type.")
@click.option(
    "--from", "date_from", metavar="DATE", help="Filter: from this date, e.g. 2017, March 2019."
)
@click.option("--to", "date_to", metavar="DATE", help="Filter: to this date, e.g. 2017.")
@click.option(
    "--level", default="legal", show_default=True, help="internal, legal, partner or public."
)
@output_option
@guarded
def report_timeline_command(
    case: str | None,
    person: str | None,
    place: str | None,
    organisation: str | None,
    incident_type: str | None,
    date_from: str | None,
    date_to: str | None,
    level: str,
    output: Path | None,
) -> None:
    """A timeline of one case's, person's, place's or organisation's incidents; or, with
    --type, --from or --to, of the incidents those filters find (narrowed by any of --case,
    --person, --place and --organisation given with them)."""
    from tracker.domain.disclosure import parse_level
    from tracker.reporting.exports import ReportRequest
    from tracker.reporting.exports_scope import CommandLineFilters

    typed = CommandLineFilters(incident_type, date_from, date_to)
    given = {"case": case, "person": person, "place": place, "organisation": organisation}
    named = {kind: text for kind, text in given.items() if text is not None}
    if not typed.given() and len(named) != 1:
        raise click.UsageError(
            "give exactly one of --case, --person, --place, --organisation,"
            " or filters (--type, --from, --to)"
        )
    request = ReportRequest(
        kind="timeline", level=parse_level(level), subject=timeline_subject(typed, named)
    )
    make_report(request, output)


def timeline_subject(typed: Any, named: dict[str, str]) -> Any:
    """The one record named, or the filters typed (narrowed by the records named)."""
    from tracker.reporting.exports_scope import SUBJECT_FINDERS, command_line_filters
    from tracker.reporting.snapshots import TimelineSubject

    with cli_transaction() as session:
        record_ids = {kind: SUBJECT_FINDERS[kind](session, text) for kind, text in named.items()}
        if typed.given():
            filters = command_line_filters(session, typed, record_ids)
            return TimelineSubject(kind="filter", filters=filters)
    [(kind, record_id)] = record_ids.items()
    return TimelineSubject(kind=kind, record_id=record_id)


@report_group.command("dossier")
@click.argument("case", metavar="CASE")
@click.option("--level", default="legal", show_default=True, help="legal, partner or public.")
@click.option(
    "--password",
    "encrypt",
    is_flag=True,
    help="Encrypt the PDF (AES-256); the password is asked twice, hidden.",
)
@output_option
@guarded
def report_dossier_command(case: str, level: str, encrypt: bool, output: Path | None) -> None:
    """A court-ready dossier of CASE (its code or id), with a manifest JSON beside it."""
    from tracker.domain.disclosure import parse_level
    from tracker.reporting.exports import ReportRequest
    from tracker.reporting.exports_scope import find_case_id

    parsed = parse_level(level)
    if parsed.value not in DOSSIER_LEVELS:
        raise InvalidInput("level: a dossier is made at the legal, partner or public level")
    password = ask_password() if encrypt else None
    with cli_transaction() as session:
        case_id = find_case_id(session, case)
    request = ReportRequest(kind="dossier", level=parsed, case_id=case_id, password=password)
    make_report(request, output)


def ask_password() -> str:
    """The password, typed twice and hidden; empty is refused (exit 1), never defaulted."""
    password: str = click.prompt(
        "Password", default="", show_default=False, hide_input=True, confirmation_prompt=True
    )
    if not password:
        raise InvalidInput("password: an encrypted export needs a password")
    return password


@report_group.command("annual")
@click.option("--year", type=int, required=True, help="The year reported on.")
@click.option("--level", default="public", show_default=True, help="public or partner.")
@click.option("--lang", "language", default="en", show_default=True, help="en, az or ru.")
@click.option("--region", metavar="ID_OR_NAME", help="Only incidents in this region.")
@click.option("--type", "incident_type", metavar="CODE", help="Only incidents of this type.")
@output_option
@guarded
def report_annual_command(
    year: int,
    level: str,
    language: str,
    region: str | None,
    incident_type: str | None,
    output: Path | None,
) -> None:
    """An annual report of YEAR's counts, with each table as CSV beside the PDF."""
    from tracker.domain.disclosure import parse_level
    from tracker.reporting.exports import ReportRequest
    from tracker.reporting.exports_scope import find_place_id

    region_id = None
    if region is not None:
        with cli_transaction() as session:
            region_id = find_place_id(session, region)
    request = ReportRequest(
        kind="annual",
        level=parse_level(level),
        year=year,
        region_id=region_id,
        incident_type=incident_type.strip().upper() if incident_type else None,
        language=language.strip().lower(),
    )
    make_report(request, output, with_progress=True)


# --- evidence files -----------------------------------------------------------------------


@click.group("evidence")
def evidence_group() -> None:
    """Evidence files: add them with their SHA-256, list them, check them, export one."""


def evidence_store() -> Any:
    from tracker.services.evidence_store import EvidenceStore

    settings = settings_of_app()
    return EvidenceStore(settings.resolved_evidence_path, max_bytes=settings.evidence_max_bytes)


def command_line_handler() -> Any:
    """Custody's who and from where at the command line: the system user, cli@<host>."""
    import getpass
    import socket

    from tracker.services.evidence_files import Handler

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "operator"
    return Handler(name=user, user_id=None, origin=f"cli@{socket.gethostname()}")


@evidence_group.command("add")
@click.argument("incident", metavar="INCIDENT")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default="", help="What the file shows.")
@click.option("--kind", default="", help="photo, video, audio... (default: from the file's type).")
@click.option("--description", default="", help="Where it came from, what it shows.")
@guarded
def evidence_add_command(
    incident: str, file: Path, title: str, kind: str, description: str
) -> None:
    """Store FILE as evidence of INCIDENT (its code or id): type read from the content,
    SHA-256, custody entry, and for images a copy without metadata."""
    from tracker.services.evidence_files import FileUpload, add_evidence_file, find_incident_id

    with cli_transaction() as session, file.open("rb") as stream:
        upload = FileUpload(stream, file.name, title=title, kind=kind, description=description)
        added = add_evidence_file(
            session,
            evidence_store(),
            incident_id=find_incident_id(session, incident),
            upload=upload,
            handler=command_line_handler(),
        )
    original, copy = added.original, added.clean_copy
    click.echo(f"Stored {original.file_name} as evidence {original.id} ({original.media_type}).")
    click.echo(f"SHA-256 {original.sha256}")
    if copy is not None:
        click.echo(f"Copy without metadata {copy.id}: SHA-256 {copy.sha256}")


@evidence_group.command("list")
@click.argument("incident", metavar="INCIDENT")
@guarded
def evidence_list_command(incident: str) -> None:
    """The evidence of INCIDENT (its code or id): id, kind, type, size, SHA-256, file name."""
    from tracker.services.evidence import list_evidence
    from tracker.services.evidence_files import find_incident_id

    with cli_transaction() as session:
        items = list_evidence(session, incident_id=find_incident_id(session, incident))
    for item in items:
        copy = "  (copy without metadata)" if item.derivation else ""
        size = "-" if item.size_bytes is None else str(item.size_bytes)
        fields = (str(item.id), item.kind, item.media_type or "-", size, item.sha256)
        click.echo(f"{'  '.join(fields)}  {item.file_name or '(no file)'}{copy}")


@evidence_group.command("verify")
@guarded
def evidence_verify_command() -> None:
    """Hash every stored evidence file again and compare it with the SHA-256 taken at intake.

    Each file is reported as OK, CHANGED or MISSING; failures go into the item's custody log.
    Exit 1 when any file is changed or missing.
    """
    from tracker.services.evidence_checks import check_line, record_failed_check, verify_store

    with cli_transaction() as session:
        report = verify_store(session, evidence_store())
        for check in report.problems:
            record_failed_check(session, check, command_line_handler(), during="evidence verify")
    for check in report.checks:
        click.echo(check_line(report, check))
    for name in report.stray_files:
        click.echo(f"STRAY    {name}  (a stored file no item names: an interrupted upload?)")
    for name in report.partial_files:
        click.echo(f"PARTIAL  {name}  (left by an interrupted write; safe to delete)")
    if report.problems:
        fail(f"{len(report.problems)} of {len(report.checks)} stored files changed or missing")
    click.echo(f"All {len(report.checks)} stored files match their SHA-256.")


@evidence_group.command("export")
@click.argument("evidence_id", metavar="EVIDENCE", type=click.UUID)
@click.option(
    "--level", default="legal", show_default=True, help="internal, legal, partner or public."
)
@output_option
@guarded
def evidence_export_command(evidence_id: Any, level: str, output: Path | None) -> None:
    """Write the file of EVIDENCE (its id) that LEVEL may take into the exports folder: the
    original at internal and legal levels, an image's copy without metadata at the others."""
    from tracker.domain.disclosure import parse_level
    from tracker.reporting.evidence_exports import export_evidence_file
    from tracker.services.evidence_checks import FileCheckFailed, record_failed_check

    parsed = parse_level(level)
    try:
        with cli_transaction() as session:
            exported = export_evidence_file(
                session,
                evidence_store(),
                evidence_id=evidence_id,
                level=parsed,
                output=output,
                exports_path=settings_of_app().exports_path,
                handler=command_line_handler(),
            )
    except FileCheckFailed as failure:
        with cli_transaction() as session:
            check = failure.check_in(session)
            record_failed_check(session, check, command_line_handler(), during="evidence export")
        raise
    click.echo(f"Wrote {exported.path}")
    click.echo(f"SHA-256 of {exported.path.name}: {exported.evidence.sha256}")


# --- accounts: the way back in for whoever holds the instance ------------------------------


@click.group("users")
def users_group() -> None:
    """Accounts, from the command line: list them, reset a sign-in nobody can use."""


@users_group.command("list")
@guarded
def users_list_command() -> None:
    """List the accounts: username, roles, and whether each can sign in."""
    from tracker.services.admin_pages import count_users, list_users

    with cli_reading() as session:
        accounts = list_users(session, limit=count_users(session))
    if not accounts:
        click.echo("No accounts. `tracker init` creates the first admin.")
    for account in accounts:
        roles = ", ".join(account.roles) or "no role"
        click.echo(f"{account.username}  {roles}  {sign_in_state(account)}")


def sign_in_state(account: "UserSummary") -> str:
    """What stands between the account and signing in, if anything."""
    if not account.is_active:
        return "deactivated"
    if not account.has_password:
        return "no password (imported): tracker users reset-password"
    parts = ["must change password" if account.must_change_password else "password set"]
    parts.append("second factor set" if account.has_second_factor else "no second factor yet")
    return ", ".join(parts)


@users_group.command("reset-password")
@click.argument("username")
@guarded
def users_reset_password_command(username: str) -> None:
    """Give USERNAME a new one-time password and clear its second factor (audited).

    For an account nobody can sign in with: imported from another instance (accounts travel
    without passwords), or the last admin, locked out. The password is shown once; it must be
    changed, and a second factor set up again, at the next sign-in.
    """
    from tracker.services.accounts import reset_sign_in

    with cli_transaction() as session:
        user, password = reset_sign_in(session, username=username)
    click.echo(f"Account: {username}")
    click.echo(f"One-time password (shown once, change it at first login): {password}")
    click.echo("Its second factor and recovery codes were cleared: it sets them up again.")
    if not user.is_active:
        click.echo("The account is deactivated: an admin reactivates it on the Accounts page.")


# --- consent: the earlier exports a withdrawal cannot reach ----------------------------------


@click.group("consent")
def consent_group() -> None:
    """Consent decisions and the exports that carried a person's data."""


@consent_group.command("exports")
@click.argument("person", metavar="PERSON")
@click.option("--level", default=None, help="Only exports at this level (internal ... public).")
@guarded
def consent_exports_command(person: str, level: str | None) -> None:
    """List the earlier exports whose audit entry lists PERSON (a pseudonym code or id), or
    anyone merged into them, newest first: to recall them after a consent is withdrawn."""
    from tracker.domain.disclosure import parse_level
    from tracker.services.export_recall import exports_including, find_person

    wanted = None if level is None else parse_level(level)
    with cli_reading() as session:
        found = find_person(session, person)
        code = found.pseudonym_code
        exports = exports_including(session, found.id, wanted)
    if not exports:
        click.echo(f"No earlier export included {code}.")
        return
    click.echo(f"{len(exports)} earlier export(s) included {code}, newest first:")
    for export in exports:
        when = export.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
        scope = f"{export.scope_kind} {export.scope_label}".strip()
        by = export.actor or "command line"
        click.echo(f"{when}  {export.kind} at the {export.level} level, {scope}, by {by}")
        for file in export.files:
            click.echo(f"    {file.name}  SHA-256 {file.sha256}")
    click.echo(
        "Recall them from whoever received them (the tracker does not record who that was):"
        " ask for each file, identified by its SHA-256, to be destroyed or returned."
    )


# --- backups: one encrypted file, restored only whole and checked ---------------------------

BACKUP_KEY_NAME = "backup.key"
KEY_FILE_HELP = "The backup key file (default: backup.key in the instance folder)."
SQLITE_FILES = ("-wal", "-shm", "-journal")


def backup_key_path(key_file: Path | None) -> Path:
    return key_file if key_file is not None else settings_of_app().instance_path / BACKUP_KEY_NAME


def backup_passphrase(*, confirm: bool) -> str:
    """From TRACKER_BACKUP_PASSPHRASE (for scripts), else typed hidden (twice when sealing)."""
    import os

    from tracker.config import BACKUP_PASSPHRASE_ENV

    typed = os.environ.get(BACKUP_PASSPHRASE_ENV) or click.prompt(
        "Backup passphrase",
        default="",
        show_default=False,
        hide_input=True,
        confirmation_prompt=confirm,
        err=True,
    )
    return str(typed)


def backup_key(key_file: Path | None, *, create: bool) -> bytes:
    """The backup key's bytes; made on first use when sealing, with a word on where it belongs."""
    from tracker.services.backup_keys import read_key_file, read_or_create_key_file

    path, production = backup_key_path(key_file), settings_of_app().production
    if create:
        found = read_or_create_key_file(path, production=production)
    else:
        found = read_key_file(path, production=production)
    if found.created:
        click.echo(
            f"Backup key written to {path} (mode 0600). Copy it to separate media and keep it"
            " apart from the backups: without it they cannot be restored."
        )
    if found.warning:
        click.echo(f"Warning: {found.warning}", err=True)
    return found.key


def sealing_secrets(use_passphrase: bool, key_file: Path | None) -> Any:
    """The key file unless only --passphrase is given; the passphrase when it is."""
    from tracker.domain.backup_format import BackupSecrets
    from tracker.services.backup_keys import check_passphrase

    passphrase = check_passphrase(backup_passphrase(confirm=True)) if use_passphrase else None
    with_key_file = key_file is not None or not use_passphrase
    key = backup_key(key_file, create=True) if with_key_file else None
    return BackupSecrets(key_file_key=key, passphrase=passphrase)


def opening_secrets(use_passphrase: bool, key_file: Path | None) -> Any:
    from tracker.domain.backup_format import BackupSecrets

    if use_passphrase:
        return BackupSecrets(passphrase=backup_passphrase(confirm=False))
    return BackupSecrets(key_file_key=backup_key(key_file, create=False))


def sqlite_file_opener() -> Callable[[Path], Engine]:
    """Engines on snapshot files, keyed like the instance's database (tracker.db)."""
    import dataclasses

    from tracker.db import engine_from_settings

    settings = settings_of_app()
    database_key = current_app.extensions.get("tracker_database_key")

    def open_engine(path: Path) -> Engine:
        snapshot = dataclasses.replace(settings, database_url=f"sqlite:///{path.resolve()}")
        return engine_from_settings(snapshot, database_key=database_key)

    return open_engine


def instance_files_kept(key_file: Path | None) -> tuple[Path, ...]:
    """Files a backup's output must never replace: the database (and its journals), the keys."""
    from sqlalchemy.engine import make_url

    settings = settings_of_app()
    kept = [backup_key_path(key_file), settings.secret_key_path]
    kept += [settings.resolved_database_key_file, settings.database_kdf_path]
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(str(url.database))
        kept += [database, *(database.with_name(database.name + end) for end in SQLITE_FILES)]
    return tuple(kept)


def sealed_with(secrets_given: Any) -> str:
    from tracker.domain.backup_format import key_id_of

    ways = []
    if secrets_given.key_file_key is not None:
        ways.append(f"backup key {key_id_of(secrets_given.key_file_key).hex()}")
    if secrets_given.passphrase is not None:
        ways.append("passphrase")
    return " and ".join(ways)


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The backup file to write (encrypted; its folder must exist).",
)
@click.option(
    "--passphrase",
    "use_passphrase",
    is_flag=True,
    help="Seal with a passphrase (typed twice, or TRACKER_BACKUP_PASSPHRASE); with --key-file"
    " as well, either opens the backup.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup key file, made on first use (default: backup.key in the instance folder).",
)
@guarded
def backup_command(output: Path, use_passphrase: bool, key_file: Path | None) -> None:
    """Back up the database and every evidence file into one encrypted file, with a manifest
    of hashes; safe while the app is serving."""
    from tracker.services.backup import BackupRequest, make_backup
    from tracker.services.backup_files import check_output_path

    # A bad path is refused before a key file is made or a passphrase asked for.
    check_output_path(output, instance_files_kept(key_file))
    secrets_given = sealing_secrets(use_passphrase, key_file)
    request = BackupRequest(
        output=output,
        secrets=secrets_given,
        instance_path=settings_of_app().instance_path,
        created_at=datetime.now(UTC),
        open_sqlite_file=sqlite_file_opener(),
        protected_paths=instance_files_kept(key_file),
    )
    summary = make_backup(engine_of_app(), evidence_store(), request)
    audit_backup(summary, sealed_with(secrets_given))
    for key in summary.manifest.missing_evidence:
        click.echo(f"Warning: evidence file {key} was missing; the backup lacks it", err=True)
    manifest = summary.manifest
    click.echo(
        f"Backed up {manifest.total_rows():,} rows in {len(manifest.tables)} tables and"
        f" {len(manifest.evidence_names)} evidence files to {output} ({summary.size:,} bytes)."
    )
    click.echo(f"SHA-256 of {output.name}: {summary.sha256}")


def audit_backup(summary: Any, how: str) -> None:
    """Record the backup in the audit log; a database behind the code cannot take the entry."""
    from tracker.migrations import head_revision
    from tracker.services.backup import record_backup

    if summary.manifest.revision != head_revision():
        click.echo("Not in the audit log: the database is at an older revision.", err=True)
        return
    with unit_of_work(engine_of_app()) as session:
        record_backup(session, summary, sealed_with=how)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace an instance holding records (all of it is lost)."
)
@click.option(
    "--passphrase",
    "use_passphrase",
    is_flag=True,
    help="Open with the passphrase (typed, or TRACKER_BACKUP_PASSPHRASE).",
)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), help=KEY_FILE_HELP)
@click.option(
    "--verify-only",
    is_flag=True,
    help="Check the key, every byte and every file's hash; restore nothing.",
)
@guarded
def restore_command(
    source: Path, force: bool, use_passphrase: bool, key_file: Path | None, verify_only: bool
) -> None:
    """Restore the backup SOURCE into this instance, which must be empty (or --force): checked
    whole before anything is written, then checked as `tracker check` does."""
    from tracker.services.backup_restore import RestoreTarget, restore_backup, verify_backup

    secrets_given = opening_secrets(use_passphrase, key_file)
    if verify_only:
        unpacked = verify_backup(source, secrets_given)
        describe_backup(unpacked.manifest, unpacked.sha256)
        click.echo("Verified: every byte authenticates and every file matches the manifest.")
        return
    settings = settings_of_app()
    target = RestoreTarget(
        engine=engine_of_app(),
        store=evidence_store(),
        instance_path=settings.instance_path,
        open_sqlite_file=sqlite_file_opener(),
    )
    summary = restore_backup(source, secrets_given, target, force=force)
    describe_backup(summary.manifest, summary.sha256)
    report_restore(summary)
    if write_secret_key(settings):
        click.echo(f"Secret key written to {settings.secret_key_path} (mode 0600).")


def describe_backup(manifest: Any, sha256: str) -> None:
    click.echo(
        f"Backup made {manifest.created_at} by tracker {manifest.tracker_version}"
        f" ({manifest.engine}, revision {manifest.revision or 'none'}):"
        f" {manifest.total_rows():,} rows in {len(manifest.tables)} tables,"
        f" {len(manifest.evidence_names)} evidence files; SHA-256 {sha256}"
    )


def report_restore(summary: Any) -> None:
    """What was restored, then `tracker check`'s and `tracker evidence verify`'s findings."""
    click.echo("Restored; every table matches the backup's manifest.")
    if summary.upgraded_from is not None:
        click.echo(f"Upgraded the database from {summary.upgraded_from} to the current schema.")
    from tracker.services.evidence_checks import check_line

    evidence = summary.evidence
    problems = [str(problem) for problem in summary.integrity.problems]
    problems += [check_line(evidence, check) for check in evidence.problems]
    for problem in problems:
        click.echo(problem)
    if problems:
        fail(f"restored, but {len(problems)} problem(s) found (see above)")
    click.echo("No integrity problems found.")
    click.echo(f"Audit {summary.integrity.audit_chain.summary()}.")
    click.echo(f"All {len(summary.evidence.checks)} stored files match their SHA-256.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@guarded
def serve_command(host: str, port: int) -> None:
    """Serve the web app with Werkzeug's threaded server (production: gunicorn, docs/deploy.md)."""
    from werkzeug.serving import run_simple

    settings = settings_of_app()
    if not settings.starts_locked:  # else the unlock page checks, once it has the key
        require_current_schema(engine_of_app())
    app = create_app(settings)
    click.echo(f"Serving the tracker on http://{host}:{port}/ (Ctrl+C stops it).")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


COMMANDS = (
    init_command,
    db_group,
    keys_group,
    demo_command,
    export_group,
    import_group,
    check_command,
    audit_group,
    search_group,
    report_group,
    evidence_group,
    consent_group,
    users_group,
    backup_command,
    restore_command,
    serve_command,
)


class TrackerGroup(FlaskGroup):
    """The `tracker` group: an argument holding a NUL byte is a usage error (exit 2) before any
    command runs, rather than a ValueError wherever a path or name first meets the system."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any("\x00" in argument for argument in args):
            raise click.UsageError("an argument holds a NUL byte", ctx)
        return super().parse_args(ctx, args)


def build_cli(settings: Settings) -> FlaskGroup:
    """The command group, bound to settings loaded once."""

    def make_app() -> Flask:
        # Commands work before `tracker init` has written the secret key the web layer needs.
        return create_app(settings, web=False)

    group = TrackerGroup(
        create_app=make_app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        help="tracker: incident documentation.",
    )
    for command in COMMANDS:
        group.add_command(command)
    return group


def main() -> None:
    """Entry point of the `tracker` script."""
    try:
        settings = load_settings()
    except TrackerError as error:
        fail(str(error))
    build_cli(settings).main(prog_name="tracker")
