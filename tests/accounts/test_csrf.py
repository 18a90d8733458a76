import pytest
from sqlalchemy import func, select

from tests.accounts.helpers import ADDRESS, PASSWORD, csrf_token
from xtycore.extensions import db
from xtycore.models import Customer, CustomerAddress


@pytest.fixture
def csrf_app(xty_make_app):
    return xty_make_app(config={"WTF_CSRF_ENABLED": True})


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def register_form(**extra):
    return {"email": "mei@example.cn", "password": PASSWORD, "password_confirm": PASSWORD, **extra}


def test_registering_without_the_csrf_token_gets_400_and_creates_nothing(csrf_app):
    response = csrf_app.test_client().post("/account/register", data=register_form())
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert count(csrf_app, Customer) == 0


def test_every_account_form_carries_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    for path in ("/account/register", "/account/login", "/account/reset"):
        assert csrf_token(client, path)


def test_with_the_token_the_same_forms_work_and_without_it_nothing_changes(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client, "/account/register")
    assert client.post("/account/register", data=register_form(csrf_token=token)).status_code == 302
    token = csrf_token(client, "/account/addresses/new")
    assert client.post("/account/addresses/new", data={**ADDRESS, "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        address_id = db.session.execute(select(CustomerAddress.id)).scalar_one()

    assert client.post(f"/account/addresses/{address_id}/delete").status_code == 400
    assert client.post("/account/logout").status_code == 400
    assert count(csrf_app, CustomerAddress) == 1
    assert client.get("/account/").status_code == 200, "still signed in"

    token = csrf_token(client, "/account/addresses")
    assert client.post(f"/account/addresses/{address_id}/delete", data={"csrf_token": token}).status_code == 302
    assert count(csrf_app, CustomerAddress) == 0
