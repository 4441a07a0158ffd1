"""Progress of a long export or import, reported to a callback as (done, total)."""

from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]
# Told the name of each phase of a long import as it begins (for timing it).
PhaseCallback = Callable[[str], None]


class Progress:
    """Counts records done and reports (done, total) each time a batch more is done.

    The last report is always (n, n), n the records actually done: a count taken before an
    export can be off if someone writes meanwhile, and the bar should still end full.
    """

    def __init__(self, callback: ProgressCallback | None, *, total: int, batch: int) -> None:
        self.callback = callback
        self.total = total
        self.batch = batch
        self.done = 0
        self.reported: tuple[int, int] | None = None

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.reported is None or self.done - self.reported[0] >= self.batch:
            self.report(self.done, max(self.total, self.done))

    def finish(self) -> None:
        if self.reported != (self.done, self.done):
            self.report(self.done, self.done)

    def report(self, done: int, total: int) -> None:
        self.reported = (done, total)
        if self.callback is not None:
            self.callback(done, total)
