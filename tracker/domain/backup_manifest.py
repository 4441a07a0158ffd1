"""A backup's manifest: what the backup holds, so a restore can prove it got all of it back.

It records the tracker version, the database engine and Alembic revision, when it was made,
each table's row count and digest, and the SHA-256 and size of every file inside (the database
snapshot and each evidence file). It is the archive's last member, sealed like the rest.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from tracker.domain.backup_archive import MemberDigest
from tracker.domain.backup_format import BackupDamaged

MANIFEST_FORMAT = "tracker-backup-manifest"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class TableDigest:
    """A table's row count and the digest of its rows' values (see services/backup_tables)."""

    rows: int
    digest: str


@dataclass(frozen=True)
class Manifest:
    tracker_version: str
    created_at: str
    engine: str
    revision: str | None
    database: str  # the member holding the snapshot
    tables: dict[str, TableDigest]
    files: dict[str, MemberDigest]
    missing_evidence: list[str] = field(default_factory=list)

    @property
    def evidence_names(self) -> list[str]:
        return sorted(name for name in self.files if name != self.database)

    def total_rows(self) -> int:
        return sum(digest.rows for digest in self.tables.values())

    def to_json(self) -> bytes:
        document = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "tracker_version": self.tracker_version,
            "created_at": self.created_at,
            "engine": self.engine,
            "alembic_revision": self.revision,
            "database": self.database,
            "tables": {
                name: {"rows": digest.rows, "digest": digest.digest}
                for name, digest in sorted(self.tables.items())
            },
            "files": {
                name: {"sha256": member.sha256, "size": member.size}
                for name, member in sorted(self.files.items())
            },
            "missing_evidence": sorted(self.missing_evidence),
        }
        return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")


def parse_manifest(raw: bytes) -> Manifest:
    """Raises BackupDamaged for anything but a manifest this version writes."""
    try:
        document = json.loads(raw.decode("utf-8"))
        return manifest_from(document)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupDamaged(f"the backup's manifest cannot be read ({error})") from None


def manifest_from(document: dict[str, Any]) -> Manifest:
    if document["format"] != MANIFEST_FORMAT or document["version"] != MANIFEST_VERSION:
        raise ValueError("not a manifest of this format")
    return Manifest(
        tracker_version=str(document["tracker_version"]),
        created_at=str(document["created_at"]),
        engine=str(document["engine"]),
        revision=document["alembic_revision"],
        database=str(document["database"]),
        tables={
            str(name): TableDigest(int(entry["rows"]), str(entry["digest"]))
            for name, entry in document["tables"].items()
        },
        files={
            str(name): MemberDigest(str(name), str(entry["sha256"]), int(entry["size"]))
            for name, entry in document["files"].items()
        },
        missing_evidence=[str(key) for key in document["missing_evidence"]],
    )


def member_problems(manifest: Manifest, received: dict[str, MemberDigest]) -> list[str]:
    """Each difference between the files the manifest lists and the files received."""
    problems = [
        f"{name}: listed, but not in the backup" for name in manifest.files.keys() - received.keys()
    ]
    problems += [
        f"{name}: in the backup, but not listed" for name in received.keys() - manifest.files.keys()
    ]
    for name in sorted(manifest.files.keys() & received.keys()):
        listed, found = manifest.files[name], received[name]
        if (listed.sha256, listed.size) != (found.sha256, found.size):
            problems.append(f"{name}: SHA-256 {found.sha256}, the manifest says {listed.sha256}")
    if manifest.database not in manifest.files:
        problems.append(f"{manifest.database}: the database snapshot is not listed")
    return sorted(problems)


def table_problems(manifest: Manifest, found: dict[str, TableDigest]) -> list[str]:
    """Each table whose rows differ from what the manifest recorded."""
    problems = []
    for name in sorted(manifest.tables.keys() | found.keys()):
        listed, actual = manifest.tables.get(name), found.get(name)
        if listed is None or actual is None:
            problems.append(
                f"table {name}: {'not restored' if actual is None else 'not in the backup'}"
            )
        elif listed != actual:
            problems.append(
                f"table {name}: {actual.rows} rows restored, the backup had {listed.rows}"
                if listed.rows != actual.rows
                else f"table {name}: the rows' values differ from the backup's"
            )
    return problems
