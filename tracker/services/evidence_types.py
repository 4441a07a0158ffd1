"""What a file is, decided from its content (magic numbers), never from its name.

A program renamed photo.jpg is still a program, and a web page renamed photo.jpg still a web
page: both are refused. Text has no magic number, so a UTF-8 text without control characters
or markup is accepted as text when, and only when, its name ends in .txt or .csv.
"""

import codecs
import re
from typing import BinaryIO

import filetype

from tracker.domain.evidence_files import FileTypeRefused, require_accepted, text_type_by_name
from tracker.services.evidence_store import chunks

HEAD_BYTES = 8192  # what filetype reads of a file
MARKUP_START = re.compile(
    r"\A\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml)", re.IGNORECASE
)
# Text may hold tabs, line ends and form feeds; anything else below 0x20 means binary data.
BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def detect_media_type(stream: BinaryIO, file_name: str) -> str:
    """The media type of the file's content, one of the accepted types; the stream is left at
    its start. Raises FileTypeRefused naming what the content is."""
    head = read_head(stream)
    if not head:
        raise FileTypeRefused("file: the file is empty")
    guessed = filetype.guess(head)
    if guessed is not None:
        require_accepted(guessed.mime)
        return str(guessed.mime)
    return text_media_type(stream, head, file_name)


def read_head(stream: BinaryIO) -> bytes:
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head


def text_media_type(stream: BinaryIO, head: bytes, file_name: str) -> str:
    """text/plain or text/csv for a UTF-8 text named so. Raises FileTypeRefused."""
    if MARKUP_START.match(head.decode("utf-8", errors="replace").lstrip("\ufeff")):
        raise FileTypeRefused("file: its content is text/html (a web page), which is not accepted")
    if not is_utf8_text(stream):
        raise FileTypeRefused("file: its content is of no known type (binary data); not accepted")
    named = text_type_by_name(file_name)
    if named is None:
        raise FileTypeRefused(
            "file: its content is plain text; text is accepted in files named .txt or .csv"
        )
    return named


def is_utf8_text(stream: BinaryIO) -> bool:
    """True when the whole stream is UTF-8 without binary control characters; the stream is
    left at its start."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    stream.seek(0)
    try:
        for chunk in chunks(stream):
            if BINARY_CONTROL.search(decoder.decode(chunk)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(0)
    return True
