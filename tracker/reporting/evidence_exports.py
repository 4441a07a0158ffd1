"""Export one evidence file into the exports folder at a disclosure level, with custody.

The file that leaves is the one the level may take (the original at internal and legal
levels, an image's copy without metadata at partner and public ones), checked against its
SHA-256 while it is copied, and recorded as "exported" in its custody log in the caller's
transaction; when that transaction does not commit, the exported file is removed again.
"""

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlmodel import Session

from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import DisclosureRefused, InvalidInput
from tracker.models import Evidence
from tracker.reporting.exports_files import check_output, exports_root, safe_name, unused_stem
from tracker.services.evidence import get_evidence
from tracker.services.evidence_checks import NoStoredFile, checked_chunks, open_checked
from tracker.services.evidence_files import (
    Handler,
    file_for_level,
    record_custody,
    unless_committed,
)
from tracker.services.evidence_store import FILE_MODE, EvidenceStore

EXPORTS_HOLDER = "exports folder"


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    evidence: Evidence  # the item whose file was written: the original or its clean copy


def export_evidence_file(
    session: Session,
    store: EvidenceStore,
    *,
    evidence_id: uuid.UUID,
    level: DisclosureLevel,
    output: Path | None,
    exports_path: Path,
    handler: Handler,
) -> ExportedFile:
    """Write the file this level may take into the exports folder (or output inside it).

    Raises RecordNotFound, NoStoredFile, DisclosureRefused (nothing may leave at the level),
    FileCheckFailed (changed or missing: nothing written), InvalidInput naming the output.
    """
    evidence = get_evidence(session, evidence_id)
    if not evidence.storage_key:
        raise NoStoredFile("file: this item was recorded without a file")
    chosen = file_for_level(session, evidence, level)
    if chosen is None:
        raise DisclosureRefused(
            f"level: evidence files do not leave at the {level.value} level, except the"
            " copies without metadata that images get; this item has none"
        )
    root = exports_root(exports_path)
    target = check_output(output, root) if output is not None else default_path(root, chosen, level)
    write_checked(store, chosen, target)
    unless_committed(session, lambda: target.unlink(missing_ok=True))
    note = f"exported at the {level.value} level as {target.name}"
    record_custody(
        session,
        chosen,
        "exported",
        handler,
        sha256_seen=chosen.sha256,
        note=note,
        holders=EXPORTS_HOLDER,
    )
    return ExportedFile(target, chosen)


def default_path(root: Path, evidence: Evidence, level: DisclosureLevel) -> Path:
    """evidence-<first 8 of id>-<level>-<safe file name>, numbered when taken."""
    name = PurePath(safe_name(evidence.file_name, fallback="file"))
    stem = f"evidence-{evidence.id.hex[:8]}-{level.value}-{name.stem}"
    return root / f"{unused_stem(root, stem, [name.suffix])}{name.suffix}"


def write_checked(store: EvidenceStore, evidence: Evidence, target: Path) -> None:
    """Copy the stored file to target through a temporary file, checking its hash on the way.

    Raises FileCheckFailed before writing, InvalidInput when the disk refuses; on any error
    nothing is left at target.
    """
    stream = open_checked(store, evidence)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in checked_chunks(stream, evidence.sha256):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(FILE_MODE)
        os.replace(temporary, target)
    except OSError as error:
        raise InvalidInput(f"output: cannot write {target}: {error.strerror}") from error
    finally:
        temporary.unlink(missing_ok=True)
        stream.close()
