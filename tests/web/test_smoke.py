from tests.web.conftest import WebClient


def test_login_page_and_dashboard(web: WebClient, accounts) -> None:
    assert web.get("/login").status_code == 200
    response = web.login(accounts["admin"])
    assert response.status_code == 302, response.get_data(as_text=True)
    page = web.get("/")
    assert page.status_code == 200, page.get_data(as_text=True)
