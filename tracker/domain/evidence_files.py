"""Evidence files: which types are accepted, safe file names, and which copy a level may take.

Pure rules: the type is decided from the file's content by the services, never from its name;
the name a browser or a phone sends is only shown, never used as a path.
"""

import unicodedata
from dataclasses import dataclass

from tracker.domain.disclosure import LEVEL_ORDER, DisclosureLevel, levels_for_roles
from tracker.domain.errors import InvalidInput

MAX_FILE_NAME_LENGTH = 255
FALLBACK_FILE_NAME = "file"
# How an automatic derived item was made (Evidence.derivation); "" for originals.
METADATA_REMOVED = "metadata_removed"
# Text has no magic number: a UTF-8 text is taken as text only when its name says so.
TEXT_SUFFIXES = {".txt": "text/plain", ".csv": "text/csv"}


@dataclass(frozen=True)
class AcceptedType:
    """A media type the tracker stores: its label, evidence kind, and whether Pillow strips it."""

    label: str
    kind: str
    strippable: bool = False  # an image Pillow can re-encode without its metadata


ACCEPTED_TYPES: dict[str, AcceptedType] = {
    "image/jpeg": AcceptedType("JPEG", "photo", strippable=True),
    "image/png": AcceptedType("PNG", "photo", strippable=True),
    "image/apng": AcceptedType("PNG", "photo", strippable=True),
    "image/gif": AcceptedType("GIF", "photo", strippable=True),
    "image/webp": AcceptedType("WebP", "photo", strippable=True),
    # Kept as received; Pillow cannot read HEIC, so no copy leaves at partner or public level.
    "image/heic": AcceptedType("HEIC", "photo"),
    "application/pdf": AcceptedType("PDF", "document_scan"),
    "audio/mpeg": AcceptedType("MP3", "audio"),
    "audio/mp4": AcceptedType("M4A", "audio"),
    "audio/aac": AcceptedType("AAC", "audio"),
    "audio/ogg": AcceptedType("OGG", "audio"),
    "audio/x-wav": AcceptedType("WAV", "audio"),
    "video/mp4": AcceptedType("MP4", "video"),
    "video/webm": AcceptedType("WebM", "video"),
    "video/quicktime": AcceptedType("MOV", "video"),
    "text/plain": AcceptedType("text (.txt)", "other"),
    "text/csv": AcceptedType("CSV (.csv)", "other"),
}


class FileTooLarge(InvalidInput):
    """A file above the configured limit; the web answers 413."""


class FileTypeRefused(InvalidInput):
    """A file whose content is not one of the accepted types."""


def accepted_labels() -> str:
    """The accepted types for messages: "JPEG, PNG, GIF, ..." (each label once)."""
    return ", ".join(dict.fromkeys(accepted.label for accepted in ACCEPTED_TYPES.values()))


def require_accepted(media_type: str) -> AcceptedType:
    """Raises FileTypeRefused naming the detected type and the accepted ones."""
    accepted = ACCEPTED_TYPES.get(media_type)
    if accepted is None:
        raise FileTypeRefused(
            f"file: its content is {media_type}, which is not accepted;"
            f" accepted: {accepted_labels()}"
        )
    return accepted


def default_kind(media_type: str) -> str:
    """The evidence kind a file's type suggests when the user names none."""
    accepted = ACCEPTED_TYPES.get(media_type)
    return accepted.kind if accepted is not None else "other"


def serving_type(media_type: str) -> str:
    """The Content-Type a stored file is sent with: its own only if it is an accepted type."""
    if media_type not in ACCEPTED_TYPES:
        return "application/octet-stream"
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def check_size(size: int, max_bytes: int) -> None:
    """Raises FileTooLarge naming the limit."""
    if size > max_bytes:
        raise FileTooLarge(f"file: larger than the limit of {human_size(max_bytes)}")


def human_size(size: int) -> str:
    """1536 → "1.5 KB"; binary multiples, as file managers show them."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- file names ----------------------------------------------------------------------------


def sanitise_file_name(name: str) -> str:
    """A name safe to show and to offer in a download: the last path step only, no control,
    format or bidirectional characters, no leading dots, at most 255 characters with the
    extension kept; never empty, never "." or ".."."""
    last_step = name.replace("\\", "/").rsplit("/", 1)[-1]
    visible = "".join(
        character
        for character in unicodedata.normalize("NFC", last_step)
        if not unicodedata.category(character).startswith("C")
    )
    cleaned = " ".join(visible.split()).strip(". ")
    return shortened(cleaned) or FALLBACK_FILE_NAME


def shortened(name: str) -> str:
    """The name cut to the limit, keeping a short extension (".jpg") when it has one."""
    if len(name) <= MAX_FILE_NAME_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= 10:
        room = MAX_FILE_NAME_LENGTH - len(extension) - 1
        return f"{stem[:room].rstrip('. ')}.{extension}"
    return name[:MAX_FILE_NAME_LENGTH].rstrip(". ")


def text_type_by_name(name: str) -> str | None:
    """text/plain or text/csv when the name ends in .txt or .csv, else None."""
    lowered = name.lower()
    return next((kind for suffix, kind in TEXT_SUFFIXES.items() if lowered.endswith(suffix)), None)


# --- which file a level may take -----------------------------------------------------------


def most_revealing_level(roles: frozenset[str]) -> DisclosureLevel | None:
    """The most revealing level the roles may take a file out at, or None."""
    allowed = levels_for_roles(roles)
    return next((level for level in LEVEL_ORDER if level in allowed), None)


def takes_originals(level: DisclosureLevel) -> bool:
    """Originals leave only at the internal and legal levels (DOMAIN §7)."""
    return level in (DisclosureLevel.INTERNAL, DisclosureLevel.LEGAL)
