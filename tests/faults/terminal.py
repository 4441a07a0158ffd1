"""A command's stderr on a pseudo-terminal, so it draws its progress bar, read as it comes."""

import os
import pty
import re
import threading
from typing import Any

PERCENT = re.compile(rb"(\d+)%")


class TerminalOutput:
    """Collects what a process writes to the terminal given as its stderr."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.received = bytearray()
        self.lock = threading.Lock()

    def start_reading(self) -> None:
        """Call after the process started: the parent's copy of the terminal side closes."""
        os.close(self.slave)
        threading.Thread(target=self.read_all, daemon=True).start()

    def read_all(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO once the process (the terminal's last writer) is gone
                break
            if not chunk:
                break
            with self.lock:
                self.received.extend(chunk)
        os.close(self.master)

    def percentages(self) -> list[int]:
        with self.lock:
            return [int(found) for found in PERCENT.findall(bytes(self.received))]

    def options(self) -> dict[str, Any]:
        return {"stderr": self.slave, "stdout": self.slave, "stdin": None}
