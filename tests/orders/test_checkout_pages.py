"""Checkout through the pages: address, shipping, payment, review, place, and what payment starts next."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.orders import plugins
from tests.orders.helpers import (
    ADDRESS, ADDRESS_FORM, FLAT_RATE, add_promotion, log_in, make_customer, make_product, make_shop, place,
    hidden, submit, through_review,
)
from xtycore.domain.errors import PaymentDeclined
from xtycore.domain.payments import Flow, PaymentAction
from xtycore.extensions import db, transaction
from xtycore.models import Order
from xtycore.services import addresses, capabilities, checkout
from xtycore.services import cart as carts
from xtycore.services import orders as order_service
from xtycore.web.orders import PAYMENT_NOTES_KEY


def orders_in(app) -> list[Order]:
    with app.app_context():
        return db.session.execute(select(Order)).scalars().all()


def test_a_visitor_checks_out_and_the_confirmation_page_gives_the_signed_link(shop):
    with shop.app.app_context():
        _, tea = make_product("西湖龙井", price="49.00", stock=5)
    client = shop.app.test_client()
    review = through_review(shop, client, tea, 2)
    assert "应付总额" in review and "110.00" in review  # 2 × 49.00 + 12.00 shipping

    placed = submit(client, review)

    assert placed.status_code == 303 and "/orders/" in placed.headers["Location"]
    confirmation = client.get(placed.headers["Location"])
    html = confirmation.get_data(as_text=True)
    [order] = orders_in(shop.app)
    assert order.number in html and "待付款" in html and "西湖龙井" in html
    assert "您以游客身份下单" in html and placed.headers["Location"] in html
    assert confirmation.headers["Cache-Control"] == "no-store"
    # the link works in another browser: it is the guest's key to the order
    assert shop.app.test_client().get(placed.headers["Location"]).status_code == 200
    assert "购物车是空的" in client.get("/cart").get_data(as_text=True)


def test_pressing_place_twice_places_one_order_and_both_land_on_it(shop):
    with shop.app.app_context():
        _, tea = make_product(stock=5)
    client = shop.app.test_client()
    review = through_review(shop, client, tea)
    first, second = submit(client, review), submit(client, review)
    [order] = orders_in(shop.app)
    for response in (first, second):
        assert response.status_code == 303
        assert order.number in client.get(response.headers["Location"]).get_data(as_text=True)


def test_two_tabs_on_the_review_page_place_one_order(shop):
    with shop.app.app_context():
        _, tea = make_product(stock=5)
    client = shop.app.test_client()
    tab_one = through_review(shop, client, tea)
    tab_two = client.get("/checkout/review").get_data(as_text=True)
    assert hidden(tab_one, "checkout_token") == hidden(tab_two, "checkout_token")
    submit(client, tab_two)
    again = submit(client, tab_one)
    assert again.status_code == 303 and "/orders/" in again.headers["Location"]
    assert len(orders_in(shop.app)) == 1


def test_a_review_made_stale_by_a_cart_change_sends_the_shopper_back_to_review(shop):
    with shop.app.app_context():
        _, tea = make_product(stock=5)
    client = shop.app.test_client()
    review = through_review(shop, client, tea)
    client.post("/cart/add", data={"variant_id": tea, "quantity": 1})
    response = submit(client, review)
    assert response.headers["Location"].endswith("/checkout/review")
    assert "购物车或结算信息已变化，请重新确认订单" in client.get("/checkout/review").get_data(as_text=True)
    assert orders_in(shop.app) == []


def test_a_sold_out_product_sends_the_shopper_to_the_cart_with_its_name(shop):
    with shop.app.app_context():
        _, tea = make_product("西湖龙井", stock=1)
    client = shop.app.test_client()
    review = through_review(shop, client, tea)
    with shop.app.app_context():
        place(shop, (tea, 1))  # someone else was quicker
    response = submit(client, review)
    assert response.headers["Location"].endswith("/cart")
    assert "西湖龙井" in client.get("/cart").get_data(as_text=True)
    assert len(orders_in(shop.app)) == 1


def test_the_address_form_shows_every_problem_and_saves_nothing(shop):
    with shop.app.app_context():
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea})
    response = client.post("/checkout/address", data={**ADDRESS_FORM, "mobile": "12345", "province": "火星",
                                                      "email": "not-an-email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入11位手机号" in html and "请选择省、直辖市或自治区" in html and "请输入正确的邮箱地址" in html
    assert client.get("/checkout").headers["Location"].endswith("/checkout/address")


def test_without_guest_checkout_visitors_are_asked_to_log_in(xty_make_app):
    shop = make_shop(xty_make_app, config={"ALLOW_GUEST_CHECKOUT": False})
    with shop.app.app_context():
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea})
    response = client.get("/checkout/address")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_customer_picks_an_address_from_the_address_book(shop):
    with shop.app.app_context():
        customer = make_customer()
        saved = addresses.add_address(customer, ADDRESS).id
        _, tea = make_product()
    client = shop.app.test_client()
    log_in(client)
    client.post("/cart/add", data={"variant_id": tea})
    page = client.get("/checkout/address").get_data(as_text=True)
    assert "选择已保存的地址" in page and "科技园南区高新南一道8号" in page and "邮箱" not in page
    response = client.post("/checkout/address", data={"address_id": saved})
    assert response.headers["Location"].endswith("/checkout/shipping")
    client.post("/checkout/shipping", data={"option": f"{shop.courier_id}:standard"})
    client.post("/checkout/payment", data={"payment_instance_id": shop.payment_id})
    submit(client, client.get("/checkout/review").get_data(as_text=True))
    [order] = orders_in(shop.app)
    assert (order.customer_id, order.email, order.ship_recipient) == (customer, "mei@example.cn", "张三")
    assert (order.delivery_method, order.pickup_location) == ("ship", None)


def test_another_customers_address_cannot_be_chosen(shop):
    with shop.app.app_context():
        theirs = addresses.add_address(make_customer("other@example.cn"), ADDRESS).id
        make_customer()
        _, tea = make_product()
    client = shop.app.test_client()
    log_in(client)
    client.post("/cart/add", data={"variant_id": tea})
    response = client.post("/checkout/address", data={"address_id": theirs})
    assert response.status_code == 422 and "请选择收货地址" in response.get_data(as_text=True)


def test_a_courier_that_fails_is_named_and_the_others_still_quote(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"down": plugins.CourierPlugin()})
    with shop.app.app_context():
        capabilities.create_instance("courier", "test_down_courier", display_name="闪送", settings={})
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea})
    client.post("/checkout/address", data={**ADDRESS_FORM, "email": "a@example.cn"})
    html = client.get("/checkout/shipping").get_data(as_text=True)
    assert "闪送：This service is temporarily unavailable. Nothing was charged; please try again." in html
    assert f'value="{shop.courier_id}:standard"' in html
    response = client.post("/checkout/shipping", data={"option": "999:standard"})
    assert response.status_code == 422 and "请选择配送方式" in response.get_data(as_text=True)


def test_an_address_no_courier_serves_says_so(shop):
    with shop.app.app_context():
        capabilities.update_instance(shop.courier_id, settings={**FLAT_RATE, "excluded_provinces": ["新疆"]})
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea})
    client.post("/checkout/address", data={**ADDRESS_FORM, "province": "新疆", "city": "乌鲁木齐市",
                                           "email": "a@example.cn"})
    html = client.get("/checkout/shipping").get_data(as_text=True)
    assert "暂时没有可以送达该地址的配送方式" in html
    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/shipping")


def test_the_review_shows_the_promotions_explanations_and_the_summary_slot(xty_make_app):
    from markupsafe import Markup

    from xtycore import hookimpl

    class Slots:
        @hookimpl
        def xtycore_template_slot(self, name, context):
            if name == "checkout.after_summary":
                return Markup(f"<p>slot total {context['checkout'].total.minor}</p>")
            return None

    shop = make_shop(xty_make_app, plugins={"promos": plugins.PromotionPlugin(), "slots": Slots()})
    with shop.app.app_context():
        add_promotion("test_free_shipping", "全场包邮")
        _, tea = make_product(price="49.00")
    client = shop.app.test_client()
    review = through_review(shop, client, tea)
    assert "全场包邮" in review and "slot total 4900" in review


# --------------------------------------------------------------------------
# after the order: what the payment module says happens next
# --------------------------------------------------------------------------


@pytest.fixture
def reviewed(shop):
    with shop.app.app_context():
        _, tea = make_product(stock=5)
    client = shop.app.test_client()
    return client, through_review(shop, client, tea)


def test_a_redirect_payment_sends_the_browser_to_the_gateway(shop, reviewed, fake_payments):
    payments = fake_payments(PaymentAction(Flow.REDIRECT, url="https://pay.example/cashier?t=1"))
    client, review = reviewed
    response = submit(client, review)
    assert (response.status_code, response.headers["Location"]) == (303, "https://pay.example/cashier?t=1")
    [order] = orders_in(shop.app)
    [(order_id, return_url)] = payments.started
    assert order_id == order.id and return_url.startswith("http://shop.test/orders/")


def test_a_qr_payment_shows_the_code_to_scan(reviewed, fake_payments):
    fake_payments(PaymentAction(Flow.QR, qr_content="weixin://wxpay/bizpayurl?pr=abc"))
    client, review = reviewed
    response = submit(client, review)
    assert response.status_code == 200 and "weixin://wxpay/bizpayurl?pr=abc" in response.get_data(as_text=True)


def test_an_offline_payment_shows_its_instructions_on_the_confirmation_page(reviewed, fake_payments):
    fake_payments(PaymentAction(Flow.OFFLINE, instructions="请转账至招商银行 6214…，附言填写订单号"))
    client, review = reviewed
    response = submit(client, review)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请转账至招商银行 6214…，附言填写订单号" in html and "请在" in html
    with client.session_transaction() as session:
        assert len(session[PAYMENT_NOTES_KEY]) == 1


def test_a_payment_that_cannot_start_keeps_the_order_and_offers_to_pay_again(shop, reviewed, fake_payments):
    payments = fake_payments(error=PaymentDeclined("card declined"))
    client, review = reviewed
    response = submit(client, review)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "支付未能发起：支付被拒绝。" in html and "去支付" in html
    english = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The payment was declined." not in html and "去支付" in html and "Pay now" in english
    [order] = orders_in(shop.app)
    assert order.status == "pending_payment"
    payments.error, payments.action = None, PaymentAction(Flow.REDIRECT, url="https://pay.example/again")
    with shop.app.app_context():
        token = order_service.order_link_token(db.session.get(Order, order.id))
    again = client.post(f"/orders/{token}/pay")
    assert again.headers["Location"] == "https://pay.example/again"
    with shop.app.app_context():
        assert db.session.execute(select(func.count()).select_from(Order)).scalar_one() == 1


def test_back_from_the_gateway_a_paid_order_says_it_is_paid_and_not_please_pay(shop, reviewed, fake_payments):
    fake_payments(PaymentAction(Flow.REDIRECT, url="https://pay.example/cashier?t=2"))
    client, review = reviewed
    assert submit(client, review).headers["Location"].startswith("https://pay.example/")
    [order] = orders_in(shop.app)
    with shop.app.app_context():
        with transaction():
            assert order_service.mark_paid(order.id, order.total_minor, actor="gateway:test")
        token = order_service.order_link_token(db.session.get(Order, order.id))
    html = client.get(f"/orders/{token}").get_data(as_text=True)  # the gateway's return
    assert "待发货" in html and "已收到付款" in html and "已付" in html
    assert "请尽快完成付款" not in html and "去支付" not in html
    english = client.get(f"/orders/{token}?lang=en").get_data(as_text=True)
    assert "Payment received" in english and "Please pay" not in english


def test_back_from_the_gateway_an_unpaid_order_still_asks_for_payment(shop, reviewed, fake_payments):
    fake_payments(PaymentAction(Flow.REDIRECT, url="https://pay.example/cashier?t=3"))
    client, review = reviewed
    submit(client, review)
    [order] = orders_in(shop.app)
    with shop.app.app_context():
        token = order_service.order_link_token(db.session.get(Order, order.id))
    html = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "订单已提交，请尽快完成付款。" in html and "去支付" in html and "已收到付款" not in html


# --------------------------------------------------------------------------
# store pickup: a delivery method without an address
# --------------------------------------------------------------------------

STORES = {"stores": [
    {"code": "xihu", "name": "西湖门店", "address": "杭州市西湖区龙井路 1 号", "hours": "09:00–21:00"},
    {"code": "binjiang", "name": "滨江门店", "address": "杭州市滨江区江南大道 88 号", "hours": "10:00–22:00"},
]}
CONTACT = {"recipient": "李四", "mobile": "13900139000"}


@pytest.fixture
def pickup_shop(shop):
    """The order tests' shop (顺丰速运, flat rate) with store pickup at two stores too."""
    with shop.app.app_context():
        shop.pickup_id = capabilities.create_instance("courier", "store_pickup", display_name="到店自提",
                                                      settings=STORES)
        _, shop.tea = make_product("西湖龙井", price="49.00", stock=5)
    return shop


def to_pickup_review(shop, client, data=None) -> str:
    """As a visitor: the tea in the cart, pickup at 西湖门店, bank transfer; the review page's HTML."""
    client.post("/cart/add", data={"variant_id": shop.tea, "quantity": 1})
    chosen = client.post("/checkout/address", data=data or {"method": "pickup", **CONTACT, "email": "li@example.cn"})
    assert chosen.status_code == 303 and chosen.headers["Location"].endswith("/checkout/shipping")
    picked = client.post("/checkout/shipping", data={"option": f"{shop.pickup_id}:xihu"})
    assert picked.headers["Location"].endswith("/checkout/payment")
    client.post("/checkout/payment", data={"payment_instance_id": shop.payment_id})
    review = client.get("/checkout/review")
    assert review.status_code == 200
    return review.get_data(as_text=True)


def test_without_a_pickup_courier_checkout_asks_for_the_address_only(shop):
    with shop.app.app_context():
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea, "quantity": 1})
    html = client.get("/checkout/address?method=pickup").get_data(as_text=True)
    assert "<title>收货地址 · 结算 · " in html
    assert "到店自提" not in html and 'name="province"' in html and 'name="method" value="ship"' in html


def test_the_first_step_offers_shipping_or_pickup_and_pickup_asks_only_who_collects(pickup_shop):
    client = pickup_shop.app.test_client()
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    ship = client.get("/checkout/address").get_data(as_text=True)
    assert "收货方式" in ship and "快递配送" in ship and "到店自提" in ship and 'name="province"' in ship
    pickup = client.get("/checkout/address?method=pickup").get_data(as_text=True)
    assert 'name="method" value="pickup"' in pickup and 'name="recipient"' in pickup and 'name="mobile"' in pickup
    for field in ("province", "city", "district", "street", "postcode"):
        assert f'name="{field}"' not in pickup
    assert '<label for="f-recipient">取货人姓名</label>' in pickup


def test_a_guest_picks_up_in_store_and_the_order_records_the_store_instead_of_an_address(pickup_shop):
    client = pickup_shop.app.test_client()
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    client.post("/checkout/address", data={"method": "pickup", **CONTACT, "email": "li@example.cn"})
    shipping = client.get("/checkout/shipping").get_data(as_text=True)
    # every pickup location with its address and hours; the shipping-only courier is not offered
    for store in STORES["stores"]:
        assert store["name"] in shipping and store["address"] in shipping and store["hours"] in shipping
    assert "顺丰" not in shipping and "取货人：李四 13900139000" in shipping

    picked = client.post("/checkout/shipping", data={"option": f"{pickup_shop.pickup_id}:xihu"})
    assert picked.headers["Location"].endswith("/checkout/payment")
    client.post("/checkout/payment", data={"payment_instance_id": pickup_shop.payment_id})
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "自提点：西湖门店，杭州市西湖区龙井路 1 号" in review and "营业时间：09:00–21:00" in review
    assert "收货与配送" not in review and "49.00" in review  # pickup is free: no shipping charged

    placed = submit(client, review)
    [order] = orders_in(pickup_shop.app)
    assert (order.ship_recipient, order.ship_mobile, order.mobile) == ("李四", "13900139000", "13900139000")
    assert order.delivery_method == "pickup" and order.pickup_location == {
        "code": "xihu", "name": "西湖门店", "address": "杭州市西湖区龙井路 1 号", "hours": "09:00–21:00"}
    assert (order.ship_province, order.ship_city, order.ship_district, order.ship_street, order.ship_postcode) == (
        "", "", "", "", "")
    assert order.courier_instance_id == pickup_shop.pickup_id and order.courier_quote_code == "xihu"
    assert order.shipping_minor == 0 and order.total_minor == 4900 and order.email == "li@example.cn"

    confirmation = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "自提点：西湖门店，杭州市西湖区龙井路 1 号" in confirmation and "营业时间：09:00–21:00" in confirmation
    assert "取货人：李四 13900139000" in confirmation and "收货与配送" not in confirmation
    english = client.get(placed.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Pick up at: 西湖门店" in english and "Collected by: 李四" in english


def test_a_signed_in_customer_picks_up_and_the_order_page_says_where(pickup_shop):
    with pickup_shop.app.app_context():
        make_customer()
        addresses.add_address(make_customer("other@example.cn"), ADDRESS)
    client = pickup_shop.app.test_client()
    log_in(client)
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    chosen = client.post("/checkout/address", data={"method": "pickup", **CONTACT})  # no email: the account's
    assert chosen.headers["Location"].endswith("/checkout/shipping")
    client.post("/checkout/shipping", data={"option": f"{pickup_shop.pickup_id}:binjiang"})
    client.post("/checkout/payment", data={"payment_instance_id": pickup_shop.payment_id})
    submit(client, client.get("/checkout/review").get_data(as_text=True))
    [order] = orders_in(pickup_shop.app)
    assert order.email == "mei@example.cn" and order.delivery_method == "pickup"
    assert order.pickup_location["name"] == "滨江门店" and order.pickup_location["code"] == "binjiang"
    assert (order.ship_recipient, order.ship_mobile, order.ship_province, order.ship_street) == (
        "李四", "13900139000", "", "")
    detail = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "自提点：滨江门店，杭州市滨江区江南大道 88 号" in detail and "营业时间：10:00–22:00" in detail
    assert "收货与配送" not in detail


def test_the_pickup_contact_is_checked_like_the_address_book_and_nothing_is_saved(pickup_shop):
    client = pickup_shop.app.test_client()
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    refused = client.post("/checkout/address", data={"method": "pickup", "recipient": "", "mobile": "12345",
                                                     "email": "not-an-email"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "请填写取货人姓名" in html and "请输入11位手机号" in html and "请输入正确的邮箱地址" in html
    assert client.get("/checkout/shipping").headers["Location"].endswith("/checkout/address")
    english = client.post("/checkout/address?lang=en", data={"method": "pickup", "recipient": "李四",
                                                             "mobile": "12345", "email": "li@example.cn"})
    assert "Please enter an 11-digit mobile number" in english.get_data(as_text=True)


def test_pickup_offers_only_pickup_locations_and_shipping_only_couriers_that_ship(pickup_shop):
    client = pickup_shop.app.test_client()
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    client.post("/checkout/address", data={"method": "pickup", **CONTACT, "email": "li@example.cn"})
    forged = client.post("/checkout/shipping", data={"option": f"{pickup_shop.courier_id}:standard"})
    assert forged.status_code == 422 and "请选择自提门店" in forged.get_data(as_text=True)

    client.post("/checkout/address", data={**ADDRESS_FORM, "email": "li@example.cn"})  # back to shipping
    shipping = client.get("/checkout/shipping").get_data(as_text=True)
    assert "顺丰速运 · 顺丰标快" in shipping and "西湖门店" not in shipping and "寄往：张三" in shipping
    forged = client.post("/checkout/shipping", data={"option": f"{pickup_shop.pickup_id}:xihu"})
    assert forged.status_code == 422 and "请选择配送方式" in forged.get_data(as_text=True)


def test_shipping_options_ask_pickup_couriers_without_an_address_and_the_others_with_one(pickup_shop):
    with pickup_shop.app.app_context():
        cart = carts.create_cart()
        carts.add_item(cart.id, pickup_shop.tea, 1, customer_id=None)
        view = carts.view_cart(cart, None)
        pickup = checkout.shipping_options(view, None)
        shipped = checkout.shipping_options(view, ADDRESS)
        assert checkout.offered_methods() == (checkout.SHIP, checkout.PICKUP)
    assert {(o.instance_id, o.quote.code, o.pickup) for o in pickup.options} == {
        (pickup_shop.pickup_id, "xihu", True), (pickup_shop.pickup_id, "binjiang", True)}
    assert [o.quote.location.hours for o in pickup.options] == ["09:00–21:00", "10:00–22:00"]
    assert {(o.instance_id, o.pickup) for o in shipped.options} == {(pickup_shop.courier_id, False)}


def test_a_pickup_choice_survives_placing_for_the_next_checkout(pickup_shop):
    client = pickup_shop.app.test_client()
    submit(client, to_pickup_review(pickup_shop, client))
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    assert client.get("/checkout").headers["Location"].endswith("/checkout/shipping")
    again = client.get("/checkout/address").get_data(as_text=True)
    assert 'name="method" value="pickup"' in again and 'value="李四"' in again


def test_a_shop_that_only_offers_pickup_asks_for_the_pickup_contact_straight_away(pickup_shop):
    with pickup_shop.app.app_context():
        capabilities.set_instance_enabled(pickup_shop.courier_id, False)
        assert checkout.offered_methods() == (checkout.PICKUP,)
    client = pickup_shop.app.test_client()
    client.post("/cart/add", data={"variant_id": pickup_shop.tea, "quantity": 1})
    page = client.get("/checkout/address").get_data(as_text=True)
    assert "<title>取货人 · 结算" in page and 'name="method" value="pickup"' in page
    assert "快递配送" not in page and 'name="province"' not in page
    assert client.post("/checkout/address", data={"method": "pickup", **CONTACT, "email": "li@example.cn"}
                       ).headers["Location"].endswith("/checkout/shipping")
    assert "西湖门店" in client.get("/checkout/shipping").get_data(as_text=True)
