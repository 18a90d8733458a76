from sqlalchemy import select, update

from tests.accounts.helpers import PASSWORD, login, signed_up
from xtycore.extensions import db, transaction
from xtycore.models import Customer


def test_the_right_password_signs_the_customer_in_and_records_the_login(xty_app):
    signed_up(xty_app.test_client())
    client = xty_app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    with xty_app.app_context():
        assert db.session.execute(select(Customer.last_login_at)).scalar_one() is not None


def test_a_wrong_password_is_refused_with_the_same_message_as_an_unknown_account(xty_app):
    signed_up(xty_app.test_client())
    client = xty_app.test_client()
    wrong = login(client, password="wrong password")
    unknown = login(client, identifier="nobody@example.cn")
    assert wrong.status_code == unknown.status_code == 422
    assert "账号或密码不正确" in wrong.get_data(as_text=True)
    assert "账号或密码不正确" in unknown.get_data(as_text=True)
    assert client.get("/account/").status_code == 302, "still not signed in"


def test_customers_can_sign_in_with_their_mobile_number_or_email_in_any_case(xty_app):
    signed_up(xty_app.test_client(), mobile="13912345678")
    assert login(xty_app.test_client(), identifier="13912345678").status_code == 302
    assert login(xty_app.test_client(), identifier="MEI@Example.cn").status_code == 302


def test_a_disabled_account_cannot_sign_in_and_loses_its_open_sessions(xty_app):
    client = xty_app.test_client()
    signed_up(client)
    with xty_app.app_context(), transaction():
        db.session.execute(update(Customer).values(is_active=False))
    assert client.get("/account/").status_code == 302
    response = login(xty_app.test_client())
    assert response.status_code == 422
    assert "该账号已停用" in response.get_data(as_text=True)


def test_logging_out_takes_a_post_and_ends_the_session(xty_app):
    client = xty_app.test_client()
    signed_up(client)
    assert client.get("/account/logout").status_code == 405
    response = client.post("/account/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 302


def test_remember_me_sets_a_long_lived_http_only_cookie(xty_app):
    signed_up(xty_app.test_client())
    client = xty_app.test_client()
    response = login(client, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "Expires=" in cookie
    plain = xty_app.test_client()
    response = login(plain)
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_a_session_replayed_from_another_browser_is_dropped(xty_app):
    client = xty_app.test_client()
    signed_up(client)
    assert client.get("/account/").status_code == 200
    assert client.get("/account/", headers={"User-Agent": "someone else"}).status_code == 302
    assert client.get("/account/").status_code == 302, "the session was dropped, not just refused once"


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(xty_app):
    client, other_device = xty_app.test_client(), xty_app.test_client()
    signed_up(client)
    assert login(other_device).status_code == 302
    refused = client.post("/account/password", data={
        "current_password": "not it", "new_password": "a new secret 1", "new_password_confirm": "a new secret 1",
    })
    assert refused.status_code == 422 and "当前密码不正确" in refused.get_data(as_text=True)
    changed = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new secret 1", "new_password_confirm": "a new secret 1",
    })
    assert changed.status_code == 302
    assert client.get("/account/").status_code == 200, "this session continues"
    assert other_device.get("/account/").status_code == 302, "the other device is signed out"
    assert login(xty_app.test_client()).status_code == 422
    assert login(xty_app.test_client(), password="a new secret 1").status_code == 302
