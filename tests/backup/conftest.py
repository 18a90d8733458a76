"""Fixtures of the backup tests: a shop with orders placed through checkout, and uploaded files."""

from __future__ import annotations

import pytest

from tests.orders.conftest import no_payments_module, xty_config  # noqa: F401  (cheap hashing, no gateway)
from tests.orders.helpers import make_customer, make_product, make_shop, place
from xtycore.services.images import uploads_root


@pytest.fixture
def shop(xty_make_app):
    """A shop with two products, a customer, three placed orders and two uploaded images."""
    shop = make_shop(xty_make_app)
    with shop.app.app_context():
        tea, tea_variant = make_product("西湖龙井", price="99.00", stock=500)
        cup, cup_variant = make_product("青瓷茶杯", price="35.50", stock=500)
        customer = make_customer()
        place(shop, (tea_variant, 2))
        place(shop, (tea_variant, 1), (cup_variant, 3), customer_id=customer)
        place(shop, (cup_variant, 1))
        root = uploads_root()
        for product_id, data in ((tea, b"\xff\xd8tea-image"), (cup, b"\xff\xd8cup-image" * 1000)):
            path = root / "products" / str(product_id) / "a.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        shop.variants = (tea_variant, cup_variant)
    return shop
