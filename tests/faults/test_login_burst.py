"""A burst of login attempts against several gunicorn workers: the limits hold, because the
counters are shared (in the database), not kept per worker process."""

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faults.browser import Browser
from tests.faults.instance import PASSWORD, Instance, add_account, instance_on
from tests.faults.server import Server, running_server

BURST = 50
PER_ACCOUNT = 5
PER_CLIENT = 20
PARALLEL = 16


@pytest.fixture
def instance_behind_proxy(engine_name: str, tmp_path: Path) -> Iterator[Instance]:
    """One proxy in front: each attempt can come from its own address (X-Forwarded-For)."""
    limits = {
        "proxy_count": "1",
        "login_attempts_per_account": str(PER_ACCOUNT),
        "login_attempts_per_client": str(PER_CLIENT),
    }
    with instance_on(engine_name, tmp_path / "site", **limits) as made:
        yield made


def attempt(server: Server, username: str, address: str, password: str = "wrong guess 0000") -> int:
    return Browser(server, client_address=address).login(username, password).status


def burst(server: Server, targets: list[tuple[str, str]]) -> Counter[int]:
    """Every (username, address) attempt at once, PARALLEL at a time; answers by status."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return Counter(pool.map(lambda target: attempt(server, *target), targets))


def test_a_burst_of_guesses_is_held_to_the_limits(instance_behind_proxy: Instance) -> None:
    instance = instance_behind_proxy
    with instance.engine() as engine:
        add_account(engine, "target")
    with running_server(instance) as server:
        # One account, guessed from BURST addresses: the per-account limit holds.
        spread = burst(server, [("target", f"198.51.100.{n}") for n in range(BURST)])
        locked = attempt(server, "target", "198.51.100.250", password=PASSWORD)
        # One address guessing BURST usernames: the per-client limit holds.
        single = burst(server, [(f"nobody{n}", "203.0.113.9") for n in range(BURST)])
        log = server.log_text()
    print(f"\n[faults] {instance.engine_name}: login bursts {dict(spread)} {dict(single)}")
    assert set(spread) <= {401, 429} and set(single) <= {401, 429}
    assert spread[401] == PER_ACCOUNT and spread[429] == BURST - PER_ACCOUNT
    assert single[401] == PER_CLIENT and single[429] == BURST - PER_CLIENT
    assert locked == 429  # even the right password waits until the window ends
    assert "Traceback" not in log
