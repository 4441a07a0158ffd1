"""Long commands draw a progress bar on a terminal and stay quiet otherwise."""

import io

import pytest

from tracker.cli import ProgressReporter


class FakeTerminal(io.StringIO):
    def __init__(self, is_terminal: bool) -> None:
        super().__init__()
        self.is_terminal = is_terminal

    def isatty(self) -> bool:
        return self.is_terminal


def report(monkeypatch: pytest.MonkeyPatch, *, is_terminal: bool) -> str:
    terminal = FakeTerminal(is_terminal)
    monkeypatch.setattr("sys.stderr", terminal)
    with ProgressReporter("Importing") as progress:
        for done in (0, 500, 1000):
            progress(done, 1000)
    return terminal.getvalue()


def test_a_terminal_sees_the_bar_reach_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = report(monkeypatch, is_terminal=True)
    assert "Importing" in drawn
    assert "100%" in drawn


def test_piped_output_stays_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    assert report(monkeypatch, is_terminal=False) == ""


def import_with_phases(monkeypatch: pytest.MonkeyPatch, *, is_terminal: bool) -> str:
    terminal = FakeTerminal(is_terminal)
    monkeypatch.setattr("sys.stderr", terminal)
    with ProgressReporter("Importing") as progress:
        for name in ("read", "parse", "check and plan", "write"):
            progress.phase(name)
        for done in (0, 500, 1000):
            progress(done, 1000)
        progress.phase("search index")
    return terminal.getvalue()


def test_a_terminal_is_told_what_happens_before_and_after_the_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checking a large file, and indexing it, take seconds with no bar moving."""
    drawn = import_with_phases(monkeypatch, is_terminal=True)
    checking = drawn.index("Importing: checking every record...")
    end_of_bar = drawn.index("100%")
    indexing = drawn.index("Importing: indexing for search...")
    assert drawn.index("Importing: reading the file...") < checking < end_of_bar < indexing
    assert drawn.count("100%") == 1


def test_phases_stay_quiet_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    assert import_with_phases(monkeypatch, is_terminal=False) == ""
