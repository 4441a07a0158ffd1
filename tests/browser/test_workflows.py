"""The issue's browser walk: quick entry on a phone, search, two tabs in conflict, who sees
names, and screenshots of the main pages."""

from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Engine

from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.web.conftest import Account
from tests.web.sample import make_sample

PLACE = "Nizami küçəsi"
CANARY = "Zəfəranqırğın"  # a unique word to search for


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1)


def file_quick_entry(page: Page, base_url: str) -> str:
    """Fill the quick-entry form as an activist would; returns the new incident's page URL."""
    page.goto(f"{base_url}/incidents/quick")
    assert fits_the_screen(page)
    page.select_option("#type", "DET")
    page.fill("#summary", f"{CANARY}: three people detained outside the club")
    page.fill("#start_text", "8 March 2023")
    page.wait_for_timeout(700)  # the live preview asks the server how it read the date
    page.fill("#new_place_name", PLACE)
    page.check("#new_victim")
    page.fill("#victim_real_name", "Leyla Həsənova")
    page.select_option("#source_kind", "witness_testimony")
    page.fill("#source_text", "Phone call with a witness the same night")
    screenshot(page, "quick-entry-phone")
    page.click("input[name=submit]")
    page.wait_for_load_state("load")
    assert "/incidents/" in page.url and "/quick" not in page.url, page.content()
    return page.url


def test_quick_entry_on_a_phone_then_search(
    browser: Browser, live_server: str, people: dict[str, Account]
) -> None:
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, live_server, people["documenter"])
    incident_url = file_quick_entry(page, live_server)
    body = page.inner_text("body")
    assert "recorded" in body.lower() or "saved" in body.lower()
    assert "8 March 2023" in body and PLACE in body
    assert "Leyla" not in body  # documenters write names but do not read them back
    assert fits_the_screen(page)
    screenshot(page, "incident-phone")
    page.goto(f"{live_server}/search?q={CANARY.upper()}")
    screenshot(page, "search-phone")
    page.click(f"a[href='{incident_url.removeprefix(live_server)}']")
    assert page.url == incident_url
    phone.close()


def test_the_check_button_shows_how_a_date_was_read(
    context: BrowserContext, live_server: str, people: dict[str, Account]
) -> None:
    page = context.new_page()
    sign_in(page, live_server, people["documenter"])
    page.goto(f"{live_server}/incidents/quick")
    page.fill("#start_text", "late 2021")
    page.click("input[name=check]")
    assert "Sep–Dec 2021" in page.inner_text("body")
    assert "/incidents/quick" in page.url  # nothing saved


def test_two_tabs_editing_one_incident_see_the_conflict(
    context: BrowserContext, live_server: str, people: dict[str, Account], engine: Engine
) -> None:
    sample = make_sample(engine)
    first, second = context.new_page(), context.new_page()
    sign_in(first, live_server, people["reviewer"])
    edit_url = f"{live_server}/incidents/{sample.incident_id}/edit"
    first.goto(edit_url)
    second.goto(edit_url)
    first.fill("#title", "Title saved in the first tab")
    first.click("input[name=submit]")
    second.fill("#title", "Title typed in the second tab")
    second.click("input[name=submit]")
    body = second.inner_text("body")
    assert "Someone else saved this record" in body
    assert "Title saved in the first tab" in body and "Title typed in the second tab" in body
    screenshot(second, "edit-conflict")
    second.click("input[name=submit]")  # a deliberate overwrite, after seeing both
    second.wait_for_load_state("load")
    assert "Title typed in the second tab" in second.inner_text("h1")


def test_a_lawyer_sees_a_name_an_analyst_sees_only_the_code(
    browser: Browser, live_server: str, people: dict[str, Account], engine: Engine
) -> None:
    sample = make_sample(engine)
    texts = {}
    for role in ("lawyer", "analyst"):
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, live_server, people[role])
        page.goto(f"{live_server}/persons/{sample.person_id}")
        texts[role] = page.inner_text("body")
        screenshot(page, f"person-as-{role}")
        page.goto(f"{live_server}/incidents/{sample.incident_id}")
        texts[role] += page.inner_text("body")
        context.close()
    assert "Canary Realname" in texts["lawyer"]
    assert "Canary Realname" not in texts["analyst"]
    assert "V-" in texts["analyst"]


def test_screenshots_of_the_main_pages(
    context: BrowserContext, live_server: str, people: dict[str, Account], engine: Engine
) -> None:
    sample = make_sample(engine)
    page = context.new_page()
    sign_in(page, live_server, people["admin"])
    pages = {
        "incidents": "/incidents/",
        "incident": f"/incidents/{sample.incident_id}",
        "incident-edit": f"/incidents/{sample.incident_id}/edit",
        "cases": "/cases/",
        "case": f"/cases/{sample.case_id}",
        "persons": "/persons/",
        "places": "/places/",
        "sources": "/sources/",
        "search": "/search?q=baku",
        "admin-users": "/admin/users",
        "admin-audit": "/admin/audit",
        "account": "/account/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, name
        screenshot(page, name)
