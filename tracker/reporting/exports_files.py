"""Name report files safely and write them into the exports folder atomically.

A report holds what a level may show and nothing more, yet a file left half-written, or
written outside the folder the organisation backs up and clears, is a leak of its own: every
file goes to a temporary file beside its target first, then os.replace() puts it in place.
"""

import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tracker.domain.errors import InvalidInput
from tracker.services.private_files import staged_privately

UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
STAMP_FORMAT = "%Y%m%dT%H%MZ"
# Reports can name victims: only the account running the tracker may read them.
EXPORTS_FOLDER_MODE = 0o700
MOST_NUMBERED_COPIES = 999


def safe_name(text: str, fallback: str = "report") -> str:
    """text with every run of characters outside [A-Za-z0-9._-] made one hyphen; never empty,
    never hidden (a leading dot) and never a path step."""
    cleaned = UNSAFE_CHARACTERS.sub("-", text).strip(".-")
    return cleaned or fallback


def time_stamp(moment: datetime) -> str:
    """The moment in UTC as 20261125T1030Z, for file names that sort by date."""
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def file_stem(*parts: str, generated_at: datetime) -> str:
    """e.g. dossier-C-2023-004-legal-20261125T1030Z: each part made safe, then dated."""
    return "-".join([*(safe_name(part) for part in parts if part), time_stamp(generated_at)])


# --- where files may go ------------------------------------------------------------------------


def exports_root(exports_path: Path) -> Path:
    """The exports folder, made (mode 0700) when missing, with symlinks resolved."""
    try:
        exports_path.mkdir(mode=EXPORTS_FOLDER_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"output: cannot create {exports_path}: {error.strerror}") from error
    return exports_path.resolve()


def check_output(output: Path, exports_path: Path) -> Path:
    """The output path resolved, when it names a file inside exports_path whose folder exists.

    A bare file name ("report.pdf") names a file in the exports folder, wherever the command
    runs; any other path is taken from the working folder as usual.
    Raises InvalidInput naming the output for a missing folder, a folder, or a place outside
    the exports folder (after resolving .. and symlinks, so neither can lead out of it).
    """
    if is_bare_name(output):
        output = exports_path / output
    target = output.expanduser().resolve()
    if not target.parent.is_dir():
        raise InvalidInput(f"output: the folder {output.parent} does not exist")
    if target.is_dir():
        raise InvalidInput(f"output: {output} is a folder; give a file name")
    root = exports_path.resolve()
    if not target.is_relative_to(root) or target == root:
        raise InvalidInput(f"output: {output} is outside the exports folder {exports_path}")
    return target


def is_bare_name(output: Path) -> bool:
    return not output.is_absolute() and output.parent == Path(".") and output.name != ""


def unused_stem(folder: Path, stem: str, suffixes: Sequence[str]) -> str:
    """stem, or stem-2, stem-3 ... when a file of that name exists (two runs in one minute)."""
    for number in range(1, MOST_NUMBERED_COPIES + 1):
        candidate = stem if number == 1 else f"{stem}-{number}"
        if not any((folder / f"{candidate}{suffix}").exists() for suffix in suffixes):
            return candidate
    raise InvalidInput(f"output: too many reports named {stem} in {folder}")


# --- writing -----------------------------------------------------------------------------------


def write_files(files: Iterable[tuple[Path, bytes]]) -> list[Path]:
    """Write every file, or none: all go to temporary files first, then each is renamed.

    Raises InvalidInput naming the output when the disk refuses; temporary files are removed.
    """
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for path, data in files:
            staged.append((stage_file(path, data), path))
        for temporary, path in staged:
            os.replace(temporary, path)
            placed.append(path)
    except OSError as error:
        # A manifest without its PDF (or the reverse) is a partial report: take it back.
        for path in placed:
            path.unlink(missing_ok=True)
        raise InvalidInput(f"output: cannot write {error.filename}: {error.strerror}") from error
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return placed


def stage_file(path: Path, data: bytes) -> Path:
    """data in a new temporary file (mode 0600) in path's folder, flushed to disk."""
    temporary, _written = staged_privately(path, lambda handle: handle.write(data))
    return temporary
