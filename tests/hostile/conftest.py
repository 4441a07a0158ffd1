"""Fixtures of the hostile-input package: the web fixtures, a world in which every form
appears, and the tally of inputs tried, written when the run ends."""

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.hostile.tally import SUMMARY_PATH, TALLY
from tests.hostile.world import World, make_world
from tests.web.conftest import Account, accounts, app, signed_in, web  # noqa: F401
from tracker.config import Settings


@pytest.fixture
def world(engine: Engine, settings: Settings, accounts: dict[str, Account]) -> World:  # noqa: F811
    return make_world(engine, settings, accounts["documenter"].user_id)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    TALLY.write()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.inputs:
        summary = TALLY.summary()
        terminalreporter.write_line(
            f"hostile inputs: {summary['inputs']:,} against {summary['web_routes']} web routes"
            f" and {summary['cli_commands']} commands, {summary['fields']} fields;"
            f" written to {SUMMARY_PATH}"
        )
