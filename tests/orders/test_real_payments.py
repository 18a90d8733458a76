"""Checkout handing over to the real payments module (not a stand-in): cash on delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.orders.helpers import make_product, make_shop, submit, through_review
from xtycore.extensions import db
from xtycore.models import Order, Payment
from xtycore.services import capabilities


@pytest.fixture
def no_payments_module():
    """Overrides the suite's stand-in: here xtycore.services.payments itself runs."""


def test_cash_on_delivery_shows_its_instructions_on_the_confirmation_page(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"payment_cod": None})
    with shop.app.app_context():
        shop.payment_id = capabilities.create_instance("payment", "cod", display_name="货到付款", settings={})
        _, tea = make_product("西湖龙井", price="49.00")
    client = shop.app.test_client()
    placed = submit(client, through_review(shop, client, tea))
    html = client.get(placed.headers["Location"]).get_data(as_text=True)
    with shop.app.app_context():
        order = db.session.execute(select(Order)).scalar_one()
        payment = db.session.execute(select(Payment)).scalar_one()
        assert (payment.order_id, payment.amount_minor, payment.status) == (order.id, 6100, "pending")
    assert f"货到付款：请在签收时向快递员支付 61.00 元（订单 {order.number}）。" in html
    assert order.status == "pending_payment"

    other_browser = shop.app.test_client()  # the instructions are the payment's, not the session's
    assert "货到付款：请在签收时向快递员支付" in other_browser.get(placed.headers["Location"]).get_data(as_text=True)
