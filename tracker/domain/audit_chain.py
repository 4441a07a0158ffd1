"""The audit log's hash chain: each entry's SHA-256 covers its content and the hash before it.

Pure (no database), so `tracker audit verify --file` checks an exported log with the same code
that checks the database. An entry's hash is computed over one canonical, engine-independent
text: JSON with sorted keys and no spaces, non-ASCII kept, UUIDs in lower-case hyphenated form,
timestamps in UTC as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`. Values read back from SQLite or
PostgreSQL give that same text, so a hash computed when the entry was written still matches.
"""

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tracker.domain.errors import InvalidInput
from tracker.domain.sealing import canonical_sealed

# The first entry's "previous hash": there is no entry before it.
GENESIS_HASH = "0" * 64
# Changing the canonical form changes every hash: a new form needs a new tag and a migration.
HASH_TAG = b"tracker audit entry v1\n"
HASHED_FIELDS = (
    "sequence",
    "id",
    "occurred_at",
    "actor_id",
    "action",
    "table_name",
    "record_id",
    "changes",
    "reason",
    "previous_hash",
)
HASH_FORM = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True)
class ChainEntry:
    """One audit entry in canonical form: the hashed fields, and the hash stored with it."""

    sequence: int
    id: str
    occurred_at: str
    actor_id: str | None
    action: str
    table_name: str
    record_id: str
    changes: Any
    reason: str
    previous_hash: str
    entry_hash: str

    def hashed_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def computed_hash(self) -> str:
        """The hash this entry's content and link give (compare with entry_hash)."""
        return hash_fields(self.hashed_fields())

    def head(self) -> "ChainHead":
        return ChainHead(self.sequence, self.entry_hash)


def hash_fields(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical text of an entry's hashed fields.

    Sealed identity values count without their key id and wrapped data key (their nonce and
    ciphertext are kept), so `tracker keys rotate` rewraps them without breaking the chain;
    entries holding no sealed value hash as they always did.
    """
    if "changes" in fields:
        fields = {**fields, "changes": canonical_sealed(fields["changes"])}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: a lone surrogate in a hostile file must give a hash, not a crash.
    return hashlib.sha256(HASH_TAG + text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_uuid(value: uuid.UUID | str) -> str:
    """Raises ValueError for text that is no UUID."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def stored_uuid(value: uuid.UUID | str) -> str:
    """A stored UUID's canonical text, fast: a UUID object, or text as an engine keeps it
    (SQLite: 32 hex digits). Text that is no UUID is kept as it is: it then fails its hash."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value).lower()
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def canonical_moment(value: datetime) -> str:
    """A timestamp in UTC with microseconds; a naive one (a database's) is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_changes(changes: Any) -> Any:
    """The changes as a JSON column gives them back: tuples become lists, keys become text."""
    return json.loads(json.dumps(changes))


def chain_entry(values: Mapping[Any, Any]) -> ChainEntry:
    """The canonical form of an audit entry's column values (as SQLAlchemy reads them; UUIDs
    may also be text)."""
    actor_id = values["actor_id"]
    return ChainEntry(
        sequence=int(values["sequence"]),
        id=stored_uuid(values["id"]),
        occurred_at=canonical_moment(values["occurred_at"]),
        actor_id=None if actor_id is None else stored_uuid(actor_id),
        action=values["action"],
        table_name=values["table_name"],
        record_id=stored_uuid(values["record_id"]),
        changes=values["changes"],
        reason=values["reason"],
        previous_hash=values["previous_hash"] or "",
        entry_hash=values["entry_hash"] or "",
    )


def link_after(values: Mapping[str, Any], previous_hash: str) -> tuple[str, str]:
    """(previous_hash, entry_hash) for a new entry's column values, chained after a hash."""
    entry = chain_entry({**values, "previous_hash": previous_hash, "entry_hash": ""})
    return previous_hash, entry.computed_hash()


# --- the head: what an admin writes down elsewhere ------------------------------------------


@dataclass(frozen=True)
class ChainHead:
    """The last entry's sequence and hash: written down elsewhere, it reveals a cut-off tail."""

    sequence: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.sequence}:{self.entry_hash}"

    @classmethod
    def parse(cls, text: str) -> "ChainHead":
        """Read SEQUENCE:HASH; raises InvalidInput for any other form."""
        sequence, _, entry_hash = text.strip().partition(":")
        if not sequence.isdigit() or not HASH_FORM.fullmatch(entry_hash.lower()):
            raise InvalidInput(
                f"head: {text!r} is not SEQUENCE:HASH (a number, a colon, 64 hex digits)"
            )
        return cls(int(sequence), entry_hash.lower())


# --- verification ---------------------------------------------------------------------------


class BreakKind(StrEnum):
    """What tampering a break points to."""

    EDITED = "edited content"
    DELETED = "deleted entry"
    INSERTED = "inserted entry"
    REORDERED = "reordered entries"
    BROKEN_LINK = "broken link"
    TRUNCATED = "truncated log"
    REWRITTEN = "rewritten chain"


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: which entry, what kind of break, in words."""

    kind: BreakKind
    sequence: int | None
    entry_id: str | None
    detail: str

    def __str__(self) -> str:
        where = "the log" if self.sequence is None else f"entry {self.sequence}"
        if self.entry_id is not None:
            where += f" ({self.entry_id})"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    """What verifying a chain found: how many entries, its head, and its first break if any."""

    entries: int
    head: ChainHead | None
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None

    def summary(self) -> str:
        if self.first_break is not None:
            return f"chain broken at {self.first_break}"
        head = "none (empty log)" if self.head is None else str(self.head)
        return f"chain intact: {self.entries} entries, head {head}"


# Finds an entry by its stored hash (anywhere in the log); consulted only once a break is found.
HashLookup = Callable[[str], ChainEntry | None]


def verify_chain(
    entries: Iterable[ChainEntry],
    *,
    find_by_hash: HashLookup,
    expect_head: ChainHead | None = None,
) -> ChainReport:
    """Walk entries in sequence order; report the first break and what kind it is.

    Memory stays flat: only the entry before the current one is kept. After a break the walk
    only counts, so the report still gives the number of entries and the head.
    """
    walk = ChainWalk(find_by_hash, expect_head)
    for entry in entries:
        walk.step(entry)
    return walk.report()


class ChainWalk:
    """The state of one verification: the entry before, the count, the first break."""

    def __init__(self, find_by_hash: HashLookup, expect_head: ChainHead | None) -> None:
        self.find_by_hash = find_by_hash
        self.expect_head = expect_head
        self.previous: ChainEntry | None = None
        self.count = 0
        self.first_break: ChainBreak | None = None
        self.head_seen = False

    def step(self, entry: ChainEntry) -> None:
        self.count += 1
        if self.first_break is None:
            self.first_break = check_entry(entry, self.previous, self.find_by_hash)
        if self.first_break is None:
            self.first_break = self.check_expected_head(entry)
        self.previous = entry

    def check_expected_head(self, entry: ChainEntry) -> ChainBreak | None:
        expected = self.expect_head
        if expected is None or entry.sequence != expected.sequence:
            return None
        self.head_seen = True
        if entry.entry_hash == expected.entry_hash:
            return None
        return break_at(
            BreakKind.REWRITTEN,
            entry,
            f"its hash is {entry.entry_hash}, not the {expected.entry_hash} written down: "
            "the chain was recomputed up to here",
        )

    def report(self) -> ChainReport:
        head = None if self.previous is None else self.previous.head()
        first_break = self.first_break or self.missing_expected_head(head)
        return ChainReport(self.count, head, first_break)

    def missing_expected_head(self, head: ChainHead | None) -> ChainBreak | None:
        expected = self.expect_head
        if expected is None or self.head_seen:
            return None
        if head is None or head.sequence < expected.sequence:
            return ChainBreak(
                BreakKind.TRUNCATED,
                None if self.previous is None else self.previous.sequence,
                None if self.previous is None else self.previous.id,
                f"the log ends here, before the head written down ({expected}): "
                "entries at its end were deleted",
            )
        return ChainBreak(
            BreakKind.REWRITTEN,
            expected.sequence,
            None,
            f"no entry has the sequence of the head written down ({expected}): "
            "the chain was renumbered",
        )


def break_at(kind: BreakKind, entry: ChainEntry, detail: str) -> ChainBreak:
    return ChainBreak(kind, entry.sequence, entry.id, detail)


def check_entry(
    entry: ChainEntry, previous: ChainEntry | None, find_by_hash: HashLookup
) -> ChainBreak | None:
    """None when the entry matches its hash and links to the entry before; else the break."""
    expected_link = GENESIS_HASH if previous is None else previous.entry_hash
    content_holds = entry.computed_hash() == entry.entry_hash
    link_holds = entry.previous_hash == expected_link
    if content_holds and link_holds:
        if previous is None or entry.sequence > previous.sequence:
            return None
        return break_at(BreakKind.REORDERED, entry, f"it comes after entry {previous.sequence}")
    if not content_holds:
        edited = edited_content(entry, expected_link, link_holds=link_holds)
        if edited is not None:
            return edited
    return misplaced(entry, previous, find_by_hash, content_holds=content_holds)


def edited_content(entry: ChainEntry, expected_link: str, *, link_holds: bool) -> ChainBreak | None:
    """An entry that fails its hash: its content was edited, or only its link was."""
    if link_holds:
        return break_at(BreakKind.EDITED, entry, "its content no longer matches its hash")
    relinked = dataclasses.replace(entry, previous_hash=expected_link)
    if relinked.computed_hash() == entry.entry_hash:
        return break_at(
            BreakKind.BROKEN_LINK,
            entry,
            "its link to the entry before was changed; its content is as written",
        )
    return None


def misplaced(
    entry: ChainEntry,
    previous: ChainEntry | None,
    find_by_hash: HashLookup,
    *,
    content_holds: bool,
) -> ChainBreak:
    """An entry that does not link to the one before it: what came in between, or went."""
    if previous is not None and entry.previous_hash == previous.previous_hash:
        return break_at(
            BreakKind.INSERTED,
            previous,
            f"the entry after it ({entry.sequence}) links past it, to the entry before it",
        )
    target = find_by_hash(entry.previous_hash)
    if target is not None:
        return break_at(
            BreakKind.REORDERED,
            entry,
            f"it was moved: it links to entry {target.sequence}, so it belongs right after it",
        )
    first_expected = 1 if previous is None else previous.sequence + 1
    if content_holds and entry.sequence > first_expected:
        return break_at(BreakKind.DELETED, entry, deleted_detail(first_expected, entry.sequence))
    if content_holds:
        return break_at(
            BreakKind.BROKEN_LINK,
            entry,
            "it does not link to the entry before it: that entry was altered and re-hashed, "
            "or entries between them were deleted and the rest renumbered",
        )
    return break_at(BreakKind.EDITED, entry, "neither its content nor its link matches its hash")


def deleted_detail(first_missing: int, sequence: int) -> str:
    if first_missing == sequence - 1:
        return f"entry {first_missing} before it is missing, and it links to it"
    return (
        f"entries {first_missing}–{sequence - 1} before it are missing, and it links to one of them"
    )
