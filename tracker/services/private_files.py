"""Files that hold what the records hold (names in the clear, history): readable by their owner
only, and there whole or not at all."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

Result = TypeVar("Result")


def write_privately(path: Path, write: Callable[[BinaryIO], Result]) -> Result:
    """Call WRITE with a new temporary file beside PATH (mode 0600), flush it to disk and
    rename it to PATH: a failure leaves no half file, and only the owner can read the result.

    Raises OSError (a folder that does not exist, a full disk, no permission).
    """
    temporary, result = staged_privately(path, write)
    try:
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return result


def staged_privately(path: Path, write: Callable[[BinaryIO], Result]) -> tuple[Path, Result]:
    """A new temporary file beside PATH (mode 0600) that WRITE filled, flushed to disk, for the
    caller to rename (several files can then be put in place together), and WRITE's result.

    Raises OSError; the temporary file is gone then.
    """
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, result
