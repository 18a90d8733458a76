import pytest

from tests.accounts.helpers import login, signed_up
from xtycore.security import safe_next_url


@pytest.mark.parametrize("path", ["/account/", "/account/password", "/account/addresses", "/account/addresses/new"])
def test_pages_of_the_account_send_visitors_to_the_login_page_and_back(xty_client, path):
    response = xty_client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    assert safe_next_url(path) == path


def test_after_logging_in_the_customer_returns_to_the_page_they_asked_for(xty_app):
    signed_up(xty_app.test_client())
    client = xty_app.test_client()
    to_login = client.get("/account/addresses?tab=1").headers["Location"]
    assert to_login == "/account/login?next=/account/addresses?tab%3D1"
    form = client.get(to_login).get_data(as_text=True)
    assert 'name="next" value="/account/addresses?tab=1"' in form
    response = login(client, next="/account/addresses?tab=1")
    assert response.headers["Location"] == "/account/addresses?tab=1"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/account/\r\nLocation: https://evil.example",
    "account/",
])
def test_a_next_url_leading_off_the_site_is_refused(xty_app, target):
    assert safe_next_url(target) is None
    signed_up(xty_app.test_client())
    response = login(xty_app.test_client(), next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


def test_the_login_page_drops_a_foreign_next_url_instead_of_carrying_it(xty_client):
    html = xty_client.get("/account/login?next=https://evil.example/").get_data(as_text=True)
    assert 'name="next"' not in html
    assert 'action="/account/login"' in html
