"""Helpers of the review tests: a shop, customers, orders taken to delivered, review photos."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from tests.orders.helpers import make_customer, make_product, place
from xtycore.extensions import transaction
from xtycore.models import Order
from xtycore.services import orders

__all__ = ["delivered_order", "make_customer", "make_product", "order_at", "photo"]


def order_at(shop, customer_id: int, *variant_ids: int, status: str = "delivered") -> Order:
    """A customer's order of one unit of each variant, paid and taken through ``status``'s events."""
    order = place(shop, *[(variant_id, 1) for variant_id in variant_ids], customer_id=customer_id).order
    path = {"pending_payment": [], "paid": [], "shipped": ["ship"], "delivered": ["ship", "deliver"],
            "completed": ["ship", "deliver", "complete"], "refunded": ["ship", "deliver", "refund"]}[status]
    if status != "pending_payment":
        with transaction():
            orders.mark_paid(order.id, order.total_minor, actor="tests")
    for event in path:
        with transaction():
            orders.transition(order.id, event, actor="tests")
    return orders.customer_order(customer_id, order.number)


def delivered_order(shop, customer_id: int, *variant_ids: int) -> Order:
    return order_at(shop, customer_id, *variant_ids, status="delivered")


def photo(colour: str = "#c8e6c9", size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> BytesIO:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    buffer.seek(0)
    return buffer
