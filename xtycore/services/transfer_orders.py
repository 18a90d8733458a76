"""Orders as CSV (:mod:`xtycore.services.transfer`): one row per order line, streamed.

The rows come from one statement read in batches (``yield_per``: a
server-side cursor on PostgreSQL), so an export of 100,000 orders holds one
batch in memory at a time. Filters: the days orders were placed on the shop's
clock (``SHOP_TIMEZONE``), both included, and the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from xtycore.domain.addresses import Message as _
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db
from xtycore.models.orders import Order, OrderLine
from xtycore.services.transfer_csv import TransferError, amount
from xtycore.services.transfer_customers import local_time

#: Rows read from the database per batch.
BATCH = 1000


@dataclass(frozen=True)
class OrderFilter:
    #: the first and last day (on the shop's clock) orders were placed on; None for no bound
    since: date | None = None
    until: date | None = None
    #: an OrderStatus value, or "" for every status
    status: str = ""


def order_filter(since: str = "", until: str = "", status: str = "") -> OrderFilter:
    """The filter typed as text (``YYYY-MM-DD`` days, a status); :class:`TransferError` says what is wrong."""
    days = []
    for text in (since, until):
        try:
            days.append(date.fromisoformat(text.strip()) if text and text.strip() else None)
        except ValueError:
            raise TransferError(_("%(text)s is not a date; write it as YYYY-MM-DD", text=text)) from None
    if days[0] and days[1] and days[1] < days[0]:
        raise TransferError(_("The range ends before it starts"))
    status = status.strip()
    if status and status not in {s.value for s in OrderStatus}:
        raise TransferError(_("There is no order status %(status)s; statuses are %(statuses)s", status=status,
                              statuses=", ".join(s.value for s in OrderStatus)))
    return OrderFilter(days[0], days[1], status)


def _midnight(day: date) -> datetime:
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["SHOP_TIMEZONE"]))
    return local.astimezone(timezone.utc)


class Orders:
    """One row per order line, with its order's number, time, status, customer, delivery and amounts."""

    code = "orders"
    header = ("number", "placed_at", "status", "email", "province", "city", "currency", "sku", "title", "variant",
              "quantity", "unit_price", "line_total", "shipping", "discount", "total", "paid", "refunded")
    filter_names = ("since", "until", "status")

    @staticmethod
    def where(values: Mapping[str, str]) -> OrderFilter:
        return order_filter(**values)

    def rows(self, where: OrderFilter = OrderFilter()) -> Iterator[list[Any]]:
        conditions = []
        if where.since is not None:
            conditions.append(Order.placed_at >= _midnight(where.since))
        if where.until is not None:
            conditions.append(Order.placed_at < _midnight(where.until + timedelta(days=1)))
        if where.status:
            conditions.append(Order.status == where.status)
        query = (select(Order.number, Order.placed_at, Order.status, Order.email, Order.ship_province,
                        Order.ship_city, Order.currency, OrderLine.sku, OrderLine.product_name,
                        OrderLine.variant_label, OrderLine.quantity, OrderLine.unit_price_minor,
                        OrderLine.total_minor, Order.shipping_minor, Order.discount_minor, Order.total_minor,
                        Order.paid_minor, Order.refunded_minor)
                 .join(OrderLine, OrderLine.order_id == Order.id)
                 .where(*conditions)
                 .order_by(Order.placed_at, Order.id, OrderLine.id)
                 .execution_options(yield_per=BATCH))
        for row in db.session.execute(query):
            currency = row.currency
            yield [row.number, local_time(row.placed_at), row.status, row.email, row.ship_province, row.ship_city,
                   currency, row.sku, row.product_name, row.variant_label, row.quantity,
                   *(amount(minor, currency) for minor in row[11:])]
