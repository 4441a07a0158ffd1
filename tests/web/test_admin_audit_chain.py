"""The admin page showing the audit chain's state: intact or broken where, for admins only."""

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.audit_tampering import delete_entry, edit_reason
from tests.web.conftest import Account, WebClient
from tracker.domain.permissions import ROLE_CODES
from tracker.services.audit_chain import stored_entries

CHAIN = "/admin/audit/chain"


@pytest.fixture
def admin(signed_in: Any) -> WebClient:
    client: WebClient = signed_in("admin")
    return client


def chain_page(client: WebClient) -> str:
    response = client.get(CHAIN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def current_entries(engine: Engine) -> list:
    with Session(engine) as session:
        return list(stored_entries(session))


def test_an_intact_chain_shows_its_count_and_head(admin: WebClient, engine: Engine) -> None:
    entries = current_entries(engine)  # the accounts' creation is audited
    page = chain_page(admin)
    assert 'data-state="intact"' in page and "The chain is intact." in page
    assert f"<dd>{len(entries)}</dd>" in page
    assert f"<code>{entries[-1].sequence}:{entries[-1].entry_hash}</code>" in page
    assert "First broken entry" not in page


def test_a_broken_chain_names_the_entry_and_the_kind(admin: WebClient, engine: Engine) -> None:
    entries = current_entries(engine)
    with engine.begin() as connection:
        edit_reason(connection, entries, 2)
    page = chain_page(admin)
    assert 'data-state="broken"' in page and "The chain is broken." in page
    assert f"<dd>3 (<code>{entries[2].id}</code>)</dd>" in page
    assert "Edited entry: its content no longer matches its hash." in page


def test_a_deleted_entry_is_named_by_the_one_after_it(admin: WebClient, engine: Engine) -> None:
    entries = current_entries(engine)
    with engine.begin() as connection:
        delete_entry(connection, entries, 1)
    page = chain_page(admin)
    assert f"<dd>3 (<code>{entries[2].id}</code>)</dd>" in page
    assert "Deleted entries: entries before this one are missing." in page


def test_the_audit_log_links_to_the_chain(admin: WebClient) -> None:
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert f'href="{CHAIN}"' in page


def test_only_admins_see_the_chain(
    signed_in: Any, web: WebClient, accounts: dict[str, Account]
) -> None:
    for role in ROLE_CODES:
        if role != "admin":
            assert signed_in(role).get(CHAIN).status_code == 403, role
    anonymous = web.get(CHAIN)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
