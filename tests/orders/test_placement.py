"""Placing an order: a snapshot in minor units, atomic, idempotent, with clear refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from tests.orders import plugins
from tests.orders.helpers import (
    ADDRESS, add_promotion, cart_with, make_customer, make_product, make_shop, place, ready_to_place, stock_of,
)
from xtycore import signals
from xtycore.domain.catalog import PurchaseLimitExceeded
from xtycore.domain.errors import CapabilityUnavailable
from xtycore.extensions import db, transaction
from xtycore.models import Cart, CartLine, Order, OrderEvent, Variant
from xtycore.services import cart as carts
from xtycore.services import checkout, orders


def order_count() -> int:
    return db.session.execute(select(func.count()).select_from(Order)).scalar_one()


@pytest.fixture
def taxed(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"promos": plugins.PromotionPlugin(), "tax": plugins.SalesTax()})
    with shop.app.app_context():
        yield shop


def test_an_order_is_a_snapshot_of_names_skus_prices_discounts_shipping_tax_and_totals(taxed):
    _, tea = make_product("西湖龙井", price="49.00", stock=5, 规格="250克")
    _, cups = make_product("青瓷茶杯", price="35.50", stock=3)
    add_promotion("test_coupon_off", "新客券", {"code": "HELLO10", "amount_minor": 1000})
    cart = cart_with((tea, 2), (cups, 1))
    carts.add_coupon(cart.id, "hello10")
    token = ready_to_place(taxed, cart.id, email="Mei@Example.cn")

    placement = checkout.place_order(cart.id, token, customer_id=None)

    order = placement.order
    assert placement.created
    assert (order.subtotal_minor, order.discount_minor, order.shipping_minor) == (13350, 1000, 1200)
    # 13 % VAT included in prices (133.50 × 13/113 = 15.36) and 6 % added on top (8.01)
    assert order.tax_minor == 1536 + 801
    assert order.total_minor == 13350 - 1000 + 1200 + 801
    assert [(t["label"], t["amount_minor"], t["included_in_price"]) for t in order.tax_lines] == [
        ("增值税", 1536, True), ("附加税", 801, False)]
    lines = [(li.product_name, li.variant_label, li.sku.startswith("T-"), li.unit_price_minor, li.quantity,
              li.discount_minor, li.total_minor) for li in order.lines]
    # the ¥10 coupon is split 9800 : 3550 and the parts add up exactly
    assert lines == [("西湖龙井", "规格：250克", True, 4900, 2, 734, 9066), ("青瓷茶杯", "", True, 3550, 1, 266, 3284)]
    assert sum(li.discount_minor for li in order.lines) == order.discount_minor
    assert order.promotions == [{"name": "新客券", "explanation": "优惠券 HELLO10 立减 10.00 CNY"}]
    assert (order.status, order.customer_id, order.email, order.mobile) == (
        "pending_payment", None, "Mei@Example.cn", ADDRESS.mobile)
    assert (order.ship_recipient, order.ship_province, order.ship_city, order.ship_district, order.ship_street,
            order.ship_postcode) == ("张三", "广东省", "深圳市", "南山区", "科技园南区高新南一道8号", "518057")
    assert (order.delivery_method, order.pickup_location) == ("ship", None)
    assert (order.courier_instance_id, order.courier_quote_code, order.courier_label) == (
        taxed.courier_id, "standard", "顺丰速运 · 顺丰标快")
    assert (order.payment_instance_id, order.payment_label) == (taxed.payment_id, "对公转账")
    assert orders.aware(order.expires_at) - orders.aware(order.placed_at) == timedelta(minutes=30)
    assert [(e.from_status, e.to_status, e.event, e.actor) for e in order.events] == [
        (None, "pending_payment", "place", "guest")]
    assert (stock_of(tea), stock_of(cups)) == (3, 2)


def test_the_order_keeps_its_prices_when_the_catalogue_changes_afterwards(ctx):
    _, tea = make_product(price="49.00")
    order = place(ctx, (tea, 1)).order
    with transaction():
        db.session.execute(update(Variant).where(Variant.id == tea).values(price_minor=1))
    db.session.expire_all()
    assert (order.lines[0].unit_price_minor, order.subtotal_minor) == (4900, 4900)


def test_placing_empties_the_cart_and_keeps_the_address_for_next_time(ctx):
    _, tea = make_product()
    cart = cart_with((tea, 1))
    checkout.place_order(cart.id, ready_to_place(ctx, cart.id), customer_id=None)
    db.session.expire_all()
    cart = db.session.get(Cart, cart.id)
    assert cart.lines == [] and cart.checkout_token is None and cart.coupon_codes == []
    chosen = checkout.choices(cart)
    assert (chosen.address, chosen.courier_instance_id, chosen.payment_instance_id) == (ADDRESS, None, None)


def test_a_second_submit_of_the_same_review_gets_the_first_order(ctx):
    _, tea = make_product(stock=5)
    cart = cart_with((tea, 2))
    token = ready_to_place(ctx, cart.id)

    first = checkout.place_order(cart.id, token, customer_id=None)
    second = checkout.place_order(cart.id, token, customer_id=None)

    assert (first.created, second.created) == (True, False)
    assert second.order.id == first.order.id
    assert order_count() == 1
    assert stock_of(tea) == 3


def test_a_submit_that_waited_for_the_first_one_finds_its_order_inside_the_transaction(ctx, monkeypatch):
    """The look-up before the transaction misses (the first submit had not committed yet); the one
    inside the transaction, on the locked cart, finds the order."""
    _, tea = make_product(stock=5)
    cart = cart_with((tea, 1))
    token = ready_to_place(ctx, cart.id)
    first = checkout.place_order(cart.id, token, customer_id=None)
    with transaction():  # the state the second submit saw before it queued for the lock
        db.session.get(Cart, cart.id).checkout_token = token
    monkeypatch.setattr(checkout, "_placed_before", lambda token, customer_id: None)
    monkeypatch.setattr(checkout, "prepare_review", lambda cart, customer_id: object())

    second = checkout.place_order(cart.id, token, customer_id=None)

    assert (second.order.id, second.created) == (first.order.id, False)
    assert order_count() == 1 and stock_of(tea) == 4


def test_a_review_of_an_earlier_cart_cannot_place_an_order(ctx):
    _, tea = make_product(stock=5)
    cart = cart_with((tea, 1))
    token = ready_to_place(ctx, cart.id)
    carts.add_item(cart.id, tea, 1)  # another tab changed the cart after this review

    with pytest.raises(checkout.CheckoutExpired):
        checkout.place_order(cart.id, token, customer_id=None)
    assert order_count() == 0 and stock_of(tea) == 5


def test_another_shoppers_checkout_token_places_nothing(ctx):
    _, tea = make_product()
    cart = cart_with((tea, 1))
    token = ready_to_place(ctx, cart.id)
    other = cart_with((tea, 1))
    with pytest.raises(checkout.CheckoutExpired):
        checkout.place_order(other.id, token, customer_id=None)
    assert order_count() == 0


def test_the_total_the_customer_saw_must_still_be_the_total(ctx):
    _, tea = make_product(price="49.00")
    cart = cart_with((tea, 1))
    token = ready_to_place(ctx, cart.id)
    with pytest.raises(checkout.PricesChanged):
        checkout.place_order(cart.id, token, customer_id=None, expected_total_minor=4900)  # shipping is ¥12
    placement = checkout.place_order(cart.id, token, customer_id=None, expected_total_minor=6100)
    assert placement.order.total_minor == 6100


def test_a_sold_out_line_names_the_product_and_nothing_is_written(ctx, monkeypatch):
    _, tea = make_product("西湖龙井", stock=5)
    _, cups = make_product("青瓷茶杯", stock=1)
    cart = cart_with((tea, 2), (cups, 1))
    token = ready_to_place(ctx, cart.id)
    reviewed = checkout.prepare_review

    def someone_buys_the_last_cup_meanwhile(*args, **kwargs):
        review = reviewed(*args, **kwargs)
        with db.engine.begin() as other:
            other.execute(text("UPDATE xty_variant SET stock = 0 WHERE id = :id"), {"id": cups})
        return review

    monkeypatch.setattr(checkout, "prepare_review", someone_buys_the_last_cup_meanwhile)
    with pytest.raises(checkout.SoldOut) as refused:
        checkout.place_order(cart.id, token, customer_id=None)

    assert "青瓷茶杯" in refused.value.customer_message
    assert order_count() == 0
    assert stock_of(tea) == 5  # the tea taken before the cups ran out went back with the rollback
    db.session.expire_all()
    cart = db.session.get(Cart, cart.id)
    assert [line.quantity for line in cart.lines] == [2, 1] and cart.checkout_token == token


def test_a_line_already_sold_out_at_review_is_refused_with_the_same_error(ctx):
    _, tea = make_product("西湖龙井", stock=2)
    cart = cart_with((tea, 2))
    token = ready_to_place(ctx, cart.id)
    with transaction():
        db.session.execute(update(Variant).where(Variant.id == tea).values(stock=1))
    with pytest.raises(checkout.SoldOut, match="sold out"):
        checkout.place_order(cart.id, token, customer_id=None)
    assert order_count() == 0


def test_a_plugin_failing_after_stock_was_taken_leaves_stock_order_and_cart_as_they_were(xty_make_app):
    shop = make_shop(xty_make_app, plugins={
        "numbers": plugins.ScriptedNumbers(RuntimeError("numbering service is down"))})
    with shop.app.app_context():
        _, tea = make_product(stock=5)
        cart = cart_with((tea, 3))
        token = ready_to_place(shop, cart.id)
        with pytest.raises(CapabilityUnavailable):
            checkout.place_order(cart.id, token, customer_id=None)
        assert order_count() == 0
        assert db.session.execute(select(func.count()).select_from(OrderEvent)).scalar_one() == 0
        assert stock_of(tea) == 5
        assert [line.quantity for line in db.session.get(Cart, cart.id).lines] == [3]


def test_a_taken_order_number_is_retried_with_another(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"numbers": plugins.ScriptedNumbers("A-1", "A-1", "A-2")})
    with shop.app.app_context():
        _, tea = make_product(stock=5)
        first = place(shop, (tea, 1)).order
        second = place(shop, (tea, 1)).order
        assert (first.number, second.number) == ("A-1", "A-2")
        assert stock_of(tea) == 3


def test_an_order_that_costs_nothing_is_paid_at_once(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"promos": plugins.PromotionPlugin()})
    with shop.app.app_context():
        add_promotion("test_generous", "首件免费")
        add_promotion("test_free_shipping", "包邮")
        _, tea = make_product(price="49.00")
        order = place(shop, (tea, 1)).order
        assert (order.total_minor, order.discount_minor, order.shipping_minor) == (0, 4900, 0)
        assert order.status == "paid" and order.expires_at is None
        assert [(e.event, e.actor) for e in order.events] == [("place", "guest"), ("pay", "system")]


def test_a_purchase_limit_is_checked_again_when_the_order_is_written(ctx, monkeypatch):
    customer = make_customer()
    product, tea = make_product(stock=10, purchase_limit=2)
    cart = cart_with((tea, 2), customer_id=customer)
    token = ready_to_place(ctx, cart.id)
    reviewed = checkout.prepare_review
    interrupted = []

    def another_tab_orders_one_meanwhile(*args, **kwargs):
        review = reviewed(*args, **kwargs)
        if not interrupted:
            interrupted.append(True)
            earlier = place(ctx, (tea, 1)).order  # placed from another cart ...
            with transaction():  # ... by the same customer
                db.session.execute(update(Order).where(Order.id == earlier.id).values(customer_id=customer))
        return review

    monkeypatch.setattr(checkout, "prepare_review", another_tab_orders_one_meanwhile)
    with pytest.raises(PurchaseLimitExceeded):
        checkout.place_order(cart.id, token, customer_id=customer)
    assert order_count() == 1 and stock_of(tea) == 9


def test_checkout_refuses_an_incomplete_or_empty_cart(ctx):
    _, tea = make_product()
    cart = cart_with((tea, 1))
    with pytest.raises(checkout.CheckoutIncomplete) as missing:
        checkout.prepare_review(cart, None)
    assert missing.value.step == "address"
    checkout.set_address(cart.id, ADDRESS, email="a@example.cn")
    with pytest.raises(checkout.CheckoutIncomplete) as missing:
        checkout.prepare_review(db.session.get(Cart, cart.id), None)
    assert missing.value.step == "shipping"
    with transaction():
        db.session.execute(CartLine.__table__.delete())
    with pytest.raises(checkout.EmptyCart):
        checkout.prepare_review(db.session.get(Cart, cart.id), None)


def test_guest_checkout_can_be_switched_off(xty_make_app):
    shop = make_shop(xty_make_app, config={"ALLOW_GUEST_CHECKOUT": False})
    with shop.app.app_context():
        _, tea = make_product()
        cart = cart_with((tea, 1))
        with pytest.raises(checkout.GuestCheckoutDisabled):
            checkout.place_order(cart.id, ready_to_place(shop, cart.id), customer_id=None)


def test_order_placed_is_announced_after_the_commit_and_never_for_a_refused_order(ctx):
    _, tea = make_product(stock=1)
    seen = []

    def receiver(sender, order, **kwargs):
        with db.engine.connect() as other:  # committed: another connection sees the order
            seen.append(other.execute(select(Order.number).where(Order.id == order.id)).scalar_one())

    late = cart_with((tea, 1))
    late_token = ready_to_place(ctx, late.id)
    signals.order_placed.connect(receiver)
    try:
        order = place(ctx, (tea, 1)).order
        with pytest.raises(checkout.SoldOut):
            checkout.place_order(late.id, late_token, customer_id=None)
    finally:
        signals.order_placed.disconnect(receiver)
    assert seen == [order.number]
