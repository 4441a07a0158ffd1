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
