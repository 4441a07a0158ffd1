"""Signing in with a second factor, and leaving at once with the quick exit."""

from playwright.sync_api import BrowserContext

from tests.browser.conftest import screenshot, sign_in
from tests.web.conftest import Account


def test_sign_in_with_totp_then_quick_exit(
    context: BrowserContext, live_server: str, people: dict[str, Account]
) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    screenshot(page, "login")
    sign_in(page, live_server, people["lawyer"])
    assert page.locator("h1").inner_text() == "Dashboard"
    screenshot(page, "dashboard")
    page.click("#quick-exit")
    page.wait_for_url(lambda url: url.endswith("/tracker.css?left"))
    page.goto(f"{live_server}/")
    assert "/login" in page.url  # the session ended on the way out


def test_escape_twice_is_a_quick_exit(
    context: BrowserContext, live_server: str, people: dict[str, Account]
) -> None:
    page = context.new_page()
    sign_in(page, live_server, people["documenter"])
    page.keyboard.press("Escape")
    page.wait_for_timeout(150)  # a person's two presses are never in the same millisecond
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: url.endswith("/tracker.css?left"))
    page.goto(f"{live_server}/account/")
    assert "/login" in page.url


def test_account_page_on_a_phone(browser, live_server: str, people: dict[str, Account]) -> None:
    from tests.browser.conftest import PHONE

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, people["analyst"])
    page.goto(f"{live_server}/account/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # nothing forces sideways scrolling
    screenshot(page, "account-phone")
    context.close()
