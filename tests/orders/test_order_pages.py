"""A customer's orders under /account/orders; nobody else's; guests through the signed link; cancelling."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from tests.orders.helpers import log_in, make_customer, make_product, make_shop, place, stock_of
from xtycore.extensions import db, transaction
from xtycore.models import Order
from xtycore.services import orders


@pytest.fixture
def two_customers(shop):
    """Mei (signed in with the returned client) and Lei, each with an order."""
    with shop.app.app_context():
        mei, lei = make_customer("mei@example.cn"), make_customer("lei@example.cn")
        _, tea = make_product("西湖龙井", stock=10)
        mine = place(shop, (tea, 2), customer_id=mei).order.number
        theirs = place(shop, (tea, 1), customer_id=lei).order.number
    client = shop.app.test_client()
    log_in(client, "mei@example.cn")
    return client, mine, theirs, tea


def test_a_customer_lists_and_opens_their_orders(two_customers):
    client, mine, theirs, _ = two_customers
    listing = client.get("/account/orders").get_data(as_text=True)
    assert mine in listing and theirs not in listing and "待付款" in listing
    assert 'aria-current="page">我的订单</a>' in listing  # the account menu leads here
    detail = client.get(f"/account/orders/{mine}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "西湖龙井" in html and "取消订单" in html
    assert detail.headers["Cache-Control"] == "no-store"


def test_another_customers_order_is_not_found(two_customers):
    client, _, theirs, _ = two_customers
    assert client.get(f"/account/orders/{theirs}").status_code == 404
    assert client.post(f"/account/orders/{theirs}/cancel").status_code == 404
    assert client.post(f"/account/orders/{theirs}/pay").status_code == 404
    assert client.get("/account/orders/NO-SUCH-ORDER").status_code == 404


def test_order_pages_need_a_signed_in_customer(shop):
    response = shop.app.test_client().get("/account/orders")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_customer_cancels_before_shipping_and_the_stock_comes_back(shop, two_customers):
    client, mine, _, tea = two_customers
    response = client.post(f"/account/orders/{mine}/cancel")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "订单已取消。" in html and "已取消" in html and "取消订单" not in html
    with shop.app.app_context():
        assert stock_of(tea) == 9
        order = db.session.execute(db.select(Order).where(Order.number == mine)).scalar_one()
        assert order.events[-1].actor.startswith("customer:")


def test_a_shipped_order_cannot_be_cancelled_by_its_customer(shop, two_customers):
    client, mine, _, tea = two_customers
    with shop.app.app_context():
        order_id = db.session.execute(db.select(Order.id).where(Order.number == mine)).scalar_one()
        for event in ("pay", "ship"):
            with transaction():
                orders.transition(order_id, event, actor="staff:1")
    assert "取消订单" not in client.get(f"/account/orders/{mine}").get_data(as_text=True)
    response = client.post(f"/account/orders/{mine}/cancel")
    assert "订单已发货或已取消，无法取消。" in client.get(response.headers["Location"]).get_data(as_text=True)
    with shop.app.app_context():
        assert stock_of(tea) == 7


def test_cancelling_needs_the_csrf_token(xty_make_app):
    shop = make_shop(xty_make_app, config={"WTF_CSRF_ENABLED": True})
    with shop.app.app_context():
        make_customer()
        _, tea = make_product(stock=5)
    client = shop.app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/account/login", data={"identifier": "mei@example.cn", "password": "correct horse 42",
                                        "csrf_token": token})
    with shop.app.app_context():
        number = place(shop, (tea, 1), customer_id=1).order.number
    assert client.post(f"/account/orders/{number}/cancel").status_code == 400
    html = client.get(f"/account/orders/{number}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"/account/orders/{number}/cancel", data={"csrf_token": token}).status_code == 303
    with shop.app.app_context():
        assert stock_of(tea) == 5


def test_a_guest_opens_and_cancels_their_order_through_the_signed_link(shop):
    with shop.app.app_context():
        _, tea = make_product(stock=5)
        order = place(shop, (tea, 1)).order
        token = orders.order_link_token(order)
    client = shop.app.test_client()
    assert order.number in client.get(f"/orders/{token}").get_data(as_text=True)
    response = client.post(f"/orders/{token}/cancel")
    assert "订单已取消。" in client.get(response.headers["Location"]).get_data(as_text=True)
    with shop.app.app_context():
        assert stock_of(tea) == 5


def test_a_tampered_or_foreign_link_opens_nothing(shop):
    with shop.app.app_context():
        customer = make_customer()
        _, tea = make_product(stock=5)
        guest_token = orders.order_link_token(place(shop, (tea, 1)).order)
        customer_token = orders.order_link_token(place(shop, (tea, 1), customer_id=customer).order)
    client = shop.app.test_client()
    assert client.get(f"/orders/{guest_token[:-2]}xx").status_code == 404
    assert client.get("/orders/not-a-token").status_code == 404
    # a customer's order opens through its link only for that customer
    assert client.get(f"/orders/{customer_token}").status_code == 404
    assert client.post(f"/orders/{customer_token}/cancel").status_code == 404
    log_in(client)
    assert client.get(f"/orders/{customer_token}").status_code == 200


def test_an_old_link_stops_working(xty_make_app):
    shop = make_shop(xty_make_app, config={"ORDER_LINK_MAX_AGE_DAYS": 0})
    with shop.app.app_context():
        _, tea = make_product(stock=5)
        order = place(shop, (tea, 1)).order
        token = orders.order_link_token(order)
        import time

        time.sleep(1.1)
        with pytest.raises(orders.OrderNotFound):
            orders.order_for_link(token)


def test_times_are_shown_on_the_shops_clock(shop, two_customers):
    client, mine, _, _ = two_customers
    with shop.app.app_context():
        order = db.session.execute(db.select(Order).where(Order.number == mine)).scalar_one()
        placed = orders.aware(order.placed_at).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
        deadline = orders.aware(order.expires_at).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    html = client.get(f"/account/orders/{mine}").get_data(as_text=True)
    assert f"{placed} 下单" in html and f"请在 {deadline} 前完成付款" in html
