"""Fault and load tests: a real gunicorn server and `tracker` processes, on each engine."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ENGINES
from tests.faults.instance import Instance, instance_on


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def instance(engine_name: str, tmp_path: Path) -> Iterator[Instance]:
    """An initialised instance of its own (PostgreSQL: a database made for this test)."""
    with instance_on(engine_name, tmp_path / "site") as made:
        yield made
