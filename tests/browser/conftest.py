"""Browser tests: Playwright drives Debian's chromium against a live server on a free port.

Playwright's own browser download cannot work here (no network at run time), so the tests
launch /usr/bin/chromium, which `.ci/run` installs from Debian's packages when missing.
"""

import dataclasses
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import Engine
from werkzeug.serving import BaseWSGIServer, make_server

from tests.web.conftest import PASSWORD, Account, make_account, totp_codes
from tracker import create_app
from tracker.config import Settings
from tracker.domain.permissions import ROLE_CODES

CHROMIUM = os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Without these, chromium keeps trying to reach Google's services on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`.ci/run` does)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app served by a threaded Werkzeug server on a free local port.

    The quick exit leads to a static page of the same server: this closed network reaches
    no real neutral site.
    """
    port = free_port()
    neutral = f"http://127.0.0.1:{port}/static/css/tracker.css?left"
    app = create_app(dataclasses.replace(settings, quick_exit_url=neutral))
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    for key in ("tracker_engine", "tracker_read_engine"):
        app.extensions[key].dispose()


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return {role: make_account(engine, role) for role in ROLE_CODES}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-GB")
    yield context
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base_url: str, account: Account) -> None:
    """Sign in through the pages, typing the TOTP code as a person would."""
    page.goto(f"{base_url}/login")
    page.fill("#username", account.username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    if account.totp_secret:
        for code in totp_codes(account.totp_secret):
            page.fill("#code", code)
            page.click("input[type=submit]")
            if "/login/code" not in page.url:
                break
    page.wait_for_load_state("load")  # deferred scripts have run
    assert "/login" not in page.url, page.content()
