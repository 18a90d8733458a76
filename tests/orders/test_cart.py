"""The cart: held in the database, priced from the catalogue, checked against stock and limits, merged at login."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select, update

from tests.orders import plugins
from tests.orders.helpers import (
    add_promotion, cart_with, log_in, make_customer, make_product, make_shop, place, ready_to_place,
)
from xtycore.domain.catalog import PurchaseLimitExceeded
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartLine, CartSnapshot, LineDiscount, PromotionResult
from xtycore.extensions import db, transaction
from xtycore.models import Cart, CartLine as CartRow, Product, Variant
from xtycore.services import cart as carts
from xtycore.services import checkout
from xtycore.web.cart import CART_SESSION_KEY


def lines_of(cart_id: int) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [(line.variant_id, line.quantity) for line in db.session.get(Cart, cart_id).lines]


# --------------------------------------------------------------------------
# through the pages
# --------------------------------------------------------------------------


def test_a_visitors_cart_is_a_database_row_and_the_session_holds_only_its_token(shop):
    with shop.app.app_context():
        _, tea = make_product()
    client = shop.app.test_client()
    response = client.post("/cart/add", data={"variant_id": tea, "quantity": 2})
    assert response.status_code == 303
    with client.session_transaction() as session:
        token = session[CART_SESSION_KEY]
    with shop.app.app_context():
        cart = db.session.execute(select(Cart).where(Cart.token == token)).scalar_one()
        assert (cart.customer_id, lines_of(cart.id)) == (None, [(tea, 2)])
    other = shop.app.test_client()  # another visitor: nothing shared
    assert "购物车是空的" in other.get("/cart").get_data(as_text=True)


def test_a_price_posted_with_the_form_is_ignored_and_the_catalogue_price_is_charged(shop):
    with shop.app.app_context():
        _, tea = make_product("西湖龙井", price="99.00")
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea, "quantity": 1, "price": "0.01", "price_minor": 1,
                                   "unit_price": "0.01", "total": "0.01"})
    html = client.get("/cart").get_data(as_text=True)
    assert "99.00" in html and "0.01" not in html
    with client.session_transaction() as session:
        token = session[CART_SESSION_KEY]
    with shop.app.app_context():
        cart = carts.guest_cart(token)
        order = checkout.place_order(cart.id, ready_to_place(shop, cart.id), customer_id=None).order
        assert (order.lines[0].unit_price_minor, order.subtotal_minor) == (9900, 9900)


def test_the_cart_shows_todays_price_not_the_one_at_the_time_of_adding(ctx):
    _, tea = make_product(price="99.00")
    cart = cart_with((tea, 2))
    with transaction():
        db.session.execute(update(Variant).where(Variant.id == tea).values(price_minor=8800))
    view = carts.view_cart(db.session.get(Cart, cart.id), None)
    assert (view.items[0].unit_price, view.subtotal) == (Money("88.00"), Money("176.00"))


def test_adding_more_than_the_stock_is_refused_with_the_product_named(shop):
    with shop.app.app_context():
        _, tea = make_product("西湖龙井", stock=3)
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea, "quantity": 2})
    client.post("/cart/add", data={"variant_id": tea, "quantity": 2})
    html = client.get("/cart").get_data(as_text=True)
    assert "西湖龙井 库存不足，仅剩 3 件" in html
    assert re.search(r'name="quantity"[^>]*value="2"', html)


def test_a_product_off_sale_or_unknown_cannot_be_added(ctx):
    product, tea = make_product()
    cart = carts.create_cart()
    with pytest.raises(carts.ProductUnavailable):
        carts.add_item(cart.id, 999999, 1)
    with transaction():
        db.session.execute(update(Product).where(Product.id == product).values(status="archived"))
    with pytest.raises(carts.ProductUnavailable):
        carts.add_item(cart.id, tea, 1)
    with pytest.raises(carts.InvalidQuantity):
        carts.add_item(cart.id, tea, 0)
    assert lines_of(cart.id) == []


def test_a_product_taken_off_sale_after_adding_blocks_checkout_until_it_is_removed(ctx):
    product, tea = make_product("西湖龙井")
    _, cups = make_product("青瓷茶杯")
    cart = cart_with((tea, 1), (cups, 1))
    with transaction():
        db.session.execute(update(Product).where(Product.id == product).values(status="archived"))
    view = carts.view_cart(db.session.get(Cart, cart.id), None)
    assert view.problems == ["西湖龙井 已下架，请从购物车移除"] and not view.can_checkout
    carts.remove_item(cart.id, tea)
    assert carts.view_cart(db.session.get(Cart, cart.id), None).can_checkout


def test_quantities_are_set_and_removed_per_line(ctx):
    _, tea = make_product(stock=10)
    cart = cart_with((tea, 1))
    carts.add_item(cart.id, tea, 2)
    assert lines_of(cart.id) == [(tea, 3)]
    carts.set_quantity(cart.id, tea, 5)
    assert lines_of(cart.id) == [(tea, 5)]
    with pytest.raises(carts.NotEnoughStock):
        carts.set_quantity(cart.id, tea, 11)
    carts.set_quantity(cart.id, tea, 0)
    assert lines_of(cart.id) == []


def test_a_line_holds_at_most_the_configured_quantity(xty_make_app):
    shop = make_shop(xty_make_app, config={"CART_MAX_LINE_QUANTITY": 5})
    with shop.app.app_context():
        _, tea = make_product(stock=100)
        cart = cart_with((tea, 5))
        with pytest.raises(carts.InvalidQuantity, match="exceed 5"):
            carts.add_item(cart.id, tea, 1)


def test_the_purchase_limit_counts_every_variant_in_the_cart_and_earlier_orders(ctx):
    customer = make_customer()
    product, small = make_product("西湖龙井", stock=10, purchase_limit=3, 规格="小罐")
    with transaction():
        big = Variant(product_id=product, sku="LIMIT-BIG", price_minor=19900, stock=10, options={"规格": "大罐"})
        db.session.add(big)
    big = big.id
    cart = cart_with((small, 2), customer_id=customer)
    with pytest.raises(PurchaseLimitExceeded):
        carts.add_item(cart.id, big, 2, customer_id=customer)
    carts.add_item(cart.id, big, 1, customer_id=customer)

    placed = checkout.place_order(cart.id, ready_to_place(ctx, cart.id), customer_id=customer).order
    assert sum(line.quantity for line in placed.lines) == 3
    with pytest.raises(PurchaseLimitExceeded) as refused:
        carts.add_item(cart.id, small, 1, customer_id=customer)
    assert "每人限购 3 件" in refused.value.customer_message
    # a visitor has no order history: the limit applies to the one order
    guest = cart_with((small, 3))
    assert carts.view_cart(guest, None).can_checkout


def test_a_limit_already_exceeded_in_the_cart_shows_as_a_problem(ctx):
    customer = make_customer()
    _, tea = make_product("西湖龙井", stock=10, purchase_limit=2)
    place(ctx, (tea, 1), customer_id=customer)
    cart = carts.customer_cart(customer)
    with transaction():  # two units added in another tab before the first order was placed
        db.session.add(CartRow(cart_id=cart.id, variant_id=tea, quantity=2))
    view = carts.view_cart(db.session.get(Cart, cart.id), customer)
    assert view.problems == ["西湖龙井 每人限购 2 件"]
    with pytest.raises(checkout.CartNotReady):
        checkout.require_orderable(view)


def test_the_visitor_cart_is_merged_into_the_customer_cart_at_login(shop):
    with shop.app.app_context():
        customer = make_customer()
        _, tea = make_product("西湖龙井", stock=10)
        _, cups = make_product("青瓷茶杯", stock=10)
        mine = cart_with((tea, 1), customer_id=customer).id
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea, "quantity": 2})
    client.post("/cart/add", data={"variant_id": cups, "quantity": 1})
    client.post("/cart/coupons", data={"code": "spring"})
    with client.session_transaction() as session:
        visitor_token = session[CART_SESSION_KEY]

    log_in(client)

    with client.session_transaction() as session:
        assert CART_SESSION_KEY not in session
    with shop.app.app_context():
        assert lines_of(mine) == [(tea, 3), (cups, 1)]
        assert db.session.get(Cart, mine).coupon_codes == ["SPRING"]
        assert carts.guest_cart(visitor_token) is None
    html = client.get("/cart").get_data(as_text=True)
    assert "西湖龙井" in html and "青瓷茶杯" in html


def test_a_visitor_cart_left_in_a_signed_in_session_is_merged_on_the_next_page(shop):
    """Sessions restored from a "remember me" cookie skip the login signal; the cart page merges."""
    with shop.app.app_context():
        customer = make_customer()
        _, tea = make_product(stock=10)
    client = shop.app.test_client()
    log_in(client)
    with shop.app.app_context():
        visitor_token = cart_with((tea, 2)).token
    with client.session_transaction() as session:
        session[CART_SESSION_KEY] = visitor_token
    assert "购物车是空的" not in client.get("/cart").get_data(as_text=True)
    with shop.app.app_context():
        assert lines_of(carts.customer_cart(customer).id) == [(tea, 2)]


def test_a_customers_cart_token_cannot_be_used_as_a_visitor_cart(ctx):
    customer = make_customer()
    cart = carts.create_cart(customer)
    assert carts.guest_cart(cart.token) is None
    assert carts.merge_guest_cart(cart.token, make_customer("other@example.cn")) == 0


def test_abandoned_visitor_carts_are_pruned_and_customers_carts_kept(ctx):
    from datetime import timedelta

    from xtycore.models.kernel import utcnow

    old_visitor, fresh_visitor = carts.create_cart(), carts.create_cart()
    customer_cart = carts.create_cart(make_customer())
    with transaction():
        db.session.execute(update(Cart).where(Cart.id.in_([old_visitor.id, customer_cart.id]))
                           .values(updated_at=utcnow() - timedelta(days=31)))
    assert carts.prune_abandoned_carts() == 1
    remaining = set(db.session.execute(select(Cart.id)).scalars())
    assert remaining == {fresh_visitor.id, customer_cart.id}


# --------------------------------------------------------------------------
# promotions: every applicable one applies; discounts never go below zero
# --------------------------------------------------------------------------


def snapshot(*totals_minor: int, shipping_minor: int | None = None) -> CartSnapshot:
    return CartSnapshot(
        lines=tuple(CartLine(str(i), f"S{i}", str(i), 1, Money.from_minor(t)) for i, t in enumerate(totals_minor)),
        shipping=Money.from_minor(shipping_minor) if shipping_minor is not None else None,
    )


def test_an_order_discount_is_split_over_the_lines_and_the_parts_add_up_exactly():
    allocation = carts.apply_promotions(snapshot(1000, 1000, 1000), [
        PromotionResult(True, "减 ¥1", order_discount=Money("1.00"))])
    assert [d.minor for d in allocation.line_discounts.values()] == [34, 33, 33]


def test_discounts_never_take_a_line_or_shipping_below_zero():
    allocation = carts.apply_promotions(snapshot(500, 300, shipping_minor=800), [
        PromotionResult(True, "首件立减", line_discounts=(LineDiscount("0", Money("9.00")),)),
        PromotionResult(True, "满减", order_discount=Money("50.00")),
        PromotionResult(True, "包邮", shipping_discount=Money("20.00")),
        PromotionResult(False, "不适用", order_discount=Money("1.00")),
    ])
    assert {k: v.minor for k, v in allocation.line_discounts.items()} == {"0": 500, "1": 300}
    assert allocation.shipping_discount.minor == 800


def test_every_applicable_promotion_applies_in_order_on_what_is_left():
    allocation = carts.apply_promotions(snapshot(1000, 3000), [
        PromotionResult(True, "第二件", line_discounts=(LineDiscount("1", Money("10.00")),)),
        PromotionResult(True, "满减", order_discount=Money("6.00")),
    ])
    # the order discount is split 1000 : 2000, what each line has left
    assert {k: v.minor for k, v in allocation.line_discounts.items()} == {"0": 200, "1": 1400}


@pytest.mark.parametrize("result", [
    PromotionResult(True, "x", line_discounts=(LineDiscount("9", Money("1.00")),)),
    PromotionResult(True, "x", order_discount=Money("-1.00")),
    PromotionResult(True, "x", order_discount=Money("1.00", "USD")),
])
def test_a_promotion_result_naming_an_unknown_line_a_negative_amount_or_another_currency_is_refused(result):
    from xtycore.domain.errors import PluginError

    with pytest.raises(PluginError):
        carts.apply_promotions(snapshot(1000), [result])


@pytest.fixture
def promoted(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"promos": plugins.PromotionPlugin()})
    with shop.app.app_context():
        yield shop


def test_the_cart_shows_each_promotions_explanation_and_coupons_reach_the_promotions(promoted):
    add_promotion("test_coupon_off", "新客券", {"code": "HELLO10", "amount_minor": 1000})
    add_promotion("test_free_shipping", "包邮")
    _, tea = make_product(price="49.00")
    cart = cart_with((tea, 2))
    view = carts.view_cart(cart, None)
    assert [(n.name, n.explanation, n.applies) for n in view.promotions] == [
        ("新客券", "输入优惠券 HELLO10 立减 10.00 CNY", False), ("包邮", "结算时免运费", False)]
    carts.add_coupon(cart.id, " hello10 ")
    view = carts.view_cart(db.session.get(Cart, cart.id), None)
    assert (view.discount, view.total) == (Money("10.00"), Money("88.00"))
    client = promoted.app.test_client()
    client.post("/cart/add", data={"variant_id": tea, "quantity": 1})
    html = client.get("/cart").get_data(as_text=True)
    assert "新客券" in html and "输入优惠券 HELLO10 立减 10.00 CNY" in html


def test_a_failing_promotion_blocks_checkout_with_a_clear_message(promoted):
    add_promotion("test_broken_promotion", "坏掉的促销")
    _, tea = make_product()
    cart = cart_with((tea, 1))
    view = carts.view_cart(cart, None)
    assert view.unavailable == "优惠暂时无法计算，请稍后再试（暂不能下单）" and not view.can_checkout
    with pytest.raises(checkout.CheckoutError, match="promotions unavailable"):
        checkout.place_order(cart.id, ready_to_place(promoted, cart.id), customer_id=None)


def test_coupon_codes_are_checked_for_shape_before_any_promotion_sees_them(ctx):
    cart = carts.create_cart()
    for bad in ("", "A B", "X" * 33, "\x00"):
        with pytest.raises(carts.InvalidCoupon):
            carts.add_coupon(cart.id, bad)
    assert carts.add_coupon(cart.id, "spring") == "SPRING"
    carts.remove_coupon(cart.id, "Spring")
    assert db.session.get(Cart, cart.id).coupon_codes == []


# --------------------------------------------------------------------------
# the cart page's statements do not grow with its lines
# --------------------------------------------------------------------------


def statements_for(app, client, path: str) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT",
                                                      "RELEASE")):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_the_cart_page_runs_the_same_number_of_statements_for_one_line_or_many(xty_make_app):
    shop = make_shop(xty_make_app, plugins={"promos": plugins.PromotionPlugin()})
    app = shop.app
    with app.app_context():
        add_promotion("test_coupon_off", "新客券", {"code": "HELLO10", "amount_minor": 1000})
        variants = [make_product(f"茶{i}", stock=10, purchase_limit=5 if i == 0 else None)[1] for i in range(6)]
        customer = make_customer()
    counts = {}
    for size in (1, 6):
        client = app.test_client()
        log_in(client)
        with app.app_context():
            with transaction():
                db.session.execute(CartRow.__table__.delete())
            cart = carts.customer_cart(customer) or carts.create_cart(customer)
            for variant in variants[:size]:
                carts.add_item(cart.id, variant, 1, customer_id=customer)
        client.get("/cart")  # warm: the first request of a process loads the shop's configuration
        counts[size] = statements_for(app, client, "/cart")
    assert len(counts[1]) == len(counts[6]), (counts[1], counts[6])
    assert any("xty_customer" in statement for statement in counts[6])  # a real request: the customer is loaded
