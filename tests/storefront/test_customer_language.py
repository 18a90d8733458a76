"""A customer's language is kept on their account and follows them to another browser."""

from __future__ import annotations

from xtycore.extensions import db
from xtycore.models import Customer

from tests.orders.helpers import PASSWORD, log_in, make_customer


def stored_locale(app, email: str) -> str | None:
    with app.app_context():
        return db.session.execute(db.select(Customer.locale).where(Customer.email == email)).scalar_one()


def test_a_customer_registers_in_the_language_of_the_page(app):
    client = app.test_client()
    client.get("/?lang=en")
    form = {"email": "ann@example.com", "password": PASSWORD, "password_confirm": PASSWORD}
    assert client.post("/account/register", data=form).status_code == 302
    assert stored_locale(app, "ann@example.com") == "en"


def test_registering_outside_a_request_takes_the_shop_language(app):
    with app.app_context():
        make_customer("mei@example.cn")
    assert stored_locale(app, "mei@example.cn") == "zh_CN"


def test_a_language_chosen_while_signed_in_follows_the_customer_to_another_browser(app):
    with app.app_context():
        make_customer("mei@example.cn")
    laptop = app.test_client()
    log_in(laptop)
    laptop.get("/?lang=en")
    assert stored_locale(app, "mei@example.cn") == "en"

    phone = app.test_client()  # no language cookie, a Chinese browser
    log_in(phone)
    page = phone.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_a_visitor_choosing_a_language_writes_nothing(app):
    with app.app_context():
        make_customer("mei@example.cn")
    app.test_client().get("/?lang=en")
    assert stored_locale(app, "mei@example.cn") == "zh_CN"
