"""Helpers of the order tests: a shop with a courier and a payment method, products, carts, checkouts."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from xtycore.domain.addresses import ChineseAddress
from xtycore.domain.catalog import ProductStatus
from xtycore.domain.money import Money
from xtycore.extensions import db, transaction
from xtycore.models import Product, ProductImage, Variant
from xtycore.services import capabilities, catalog, catalog_review
from xtycore.services import cart as carts
from xtycore.services import checkout

#: A payment gateway of the test suite (offline: bank transfer), by module path so child processes load it too.
PAYMENT_PLUGIN = "tests.fixture_plugins.bank_transfer"
BANK_SETTINGS = {
    "bank_name": "招商银行杭州分行", "account_name": "小甜园茶铺", "account_number": "6214 8300 0000 0000",
    "notify_secret": "a-long-enough-notify-secret",
}
FLAT_RATE = {"label": "顺丰标快", "price_minor": 1200, "free_over_minor": 20000}
ADDRESS = ChineseAddress(
    recipient="张三", mobile="13800138000", province="广东省", city="深圳市", district="南山区",
    street="科技园南区高新南一道8号", postcode="518057",
)
ADDRESS_FORM = {key: getattr(ADDRESS, key) for key in ChineseAddress.__dataclass_fields__}
DESCRIPTION = "<p>明前特级龙井，产自杭州西湖产区，手工炒制，香气清高持久。</p>"
_skus = itertools.count(1)


@dataclass
class Shop:
    app: Flask
    courier_id: int
    payment_id: int


def make_shop(make_app, *, plugins: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> Shop:
    app = make_app(plugins={"courier_standard": None, "bank": PAYMENT_PLUGIN, **(plugins or {})}, config=config)
    with app.app_context():
        courier_id = capabilities.create_instance("courier", "flat_rate", display_name="顺丰速运",
                                                  settings=FLAT_RATE)
        payment_id = capabilities.create_instance("payment", "fixture_bank_transfer", display_name="对公转账",
                                                  settings=BANK_SETTINGS)
    return Shop(app, courier_id, payment_id)


def make_product(title: str = "西湖龙井", *, price: str = "99.00", stock: int = 10, purchase_limit: int | None = None,
                 weight_grams: int = 250, **options: str) -> tuple[int, int]:
    """A published product with one variant, saved through the catalogue services; (product id, variant id)."""
    data = catalog.ProductInput(
        title=title, description_html=DESCRIPTION, purchase_limit=purchase_limit,
        variants=[catalog.VariantInput(sku=f"T-{next(_skus)}", price=Money(price), stock=stock,
                                       weight_grams=weight_grams, options=options)],
    )
    with transaction():
        product = catalog.save_product(data)
        product.images.append(ProductImage(path=f"products/{product.id}/a.jpg", width=800, height=800))
        db.session.flush()
        catalog_review.publish_in_session(product)
        ids = product.id, product.variants[0].id
    assert db.session.get(Product, ids[0]).status == ProductStatus.ACTIVE.value
    return ids


def stock_of(variant_id: int) -> int:
    db.session.expire_all()
    return db.session.execute(select(Variant.stock).where(Variant.id == variant_id)).scalar_one()


def cart_with(*lines: tuple[int, int], customer_id: int | None = None):
    """A new cart holding ``(variant id, quantity)`` lines."""
    cart = carts.customer_cart(customer_id) if customer_id is not None else None
    cart = cart or carts.create_cart(customer_id)
    for variant_id, quantity in lines:
        carts.add_item(cart.id, variant_id, quantity, customer_id=customer_id)
    return cart


def ready_to_place(shop: Shop, cart_id: int, *, email: str = "guest@example.cn") -> str:
    """Choose address, the shop's courier and payment method; return the checkout token the review issues."""
    checkout.set_address(cart_id, ADDRESS, email=email)
    checkout.choose_shipping(cart_id, shop.courier_id, "standard")
    checkout.choose_payment(cart_id, shop.payment_id)
    return checkout.issue_checkout_token(cart_id)


def place(shop: Shop, *lines: tuple[int, int], customer_id: int | None = None):
    """A cart with these lines, checked out and placed; the Placement."""
    cart = cart_with(*lines, customer_id=customer_id)
    token = ready_to_place(shop, cart.id)
    return checkout.place_order(cart.id, token, customer_id=customer_id)


PASSWORD = "correct horse 42"


def make_customer(email: str = "mei@example.cn") -> int:
    from xtycore.services import accounts

    return accounts.register(email=email, password=PASSWORD).id


def log_in(client, email: str = "mei@example.cn"):
    response = client.post("/account/login", data={"identifier": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def add_promotion(type_code: str, name: str, params: dict | None = None) -> int:
    return capabilities.create_instance("promotion", type_code, display_name=name, settings=params or {})


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def through_review(shop, client, variant_id: int, quantity: int = 1, email: str = "guest@example.cn") -> str:
    """Fill the cart and every step as a visitor; the review page's HTML."""
    assert client.post("/cart/add", data={"variant_id": variant_id, "quantity": quantity}).status_code == 303
    assert client.get("/checkout").headers["Location"].endswith("/checkout/address")
    response = client.post("/checkout/address", data={**ADDRESS_FORM, "email": email})
    assert response.headers["Location"].endswith("/checkout/shipping"), response.get_data(as_text=True)
    page = client.get("/checkout/shipping").get_data(as_text=True)
    assert "顺丰速运 · 顺丰标快" in page
    response = client.post("/checkout/shipping", data={"option": f"{shop.courier_id}:standard"})
    assert response.headers["Location"].endswith("/checkout/payment")
    assert "对公转账" in client.get("/checkout/payment").get_data(as_text=True)
    response = client.post("/checkout/payment", data={"payment_instance_id": shop.payment_id})
    assert response.headers["Location"].endswith("/checkout/review")
    review = client.get("/checkout/review")
    assert review.status_code == 200
    return review.get_data(as_text=True)


def submit(client, review_html: str):
    return client.post("/checkout/place", data={
        "checkout_token": hidden(review_html, "checkout_token"),
        "expected_total_minor": hidden(review_html, "expected_total_minor"),
    })
