"""Encrypt a finished PDF with a password (AES-256) for sending it outside the organisation."""

import hashlib
import io

from pypdf import PdfReader, PdfWriter

from tracker.domain.errors import InvalidInput


def owner_password(password: str) -> str:
    """The owner password derived from the user password.

    Owner restrictions are advisory in every reader; a separate random owner password would
    make the output depend on randomness for no protection, so it is derived instead.
    """
    return hashlib.sha256(f"tracker owner:{password}".encode()).hexdigest()


def encrypt_pdf(data: bytes, password: str) -> bytes:
    """data encrypted with AES-256 so it opens only with password.

    Raises InvalidInput for an empty password. The output differs on every call (pypdf draws
    a random salt and key), so a dossier's manifest records the hash of the unencrypted PDF,
    which re-rendering reproduces; the recipient decrypts, then checks that hash.
    """
    if not password:
        raise InvalidInput("password: an encrypted export needs a password")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(
        user_password=password, owner_password=owner_password(password), algorithm="AES-256"
    )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
