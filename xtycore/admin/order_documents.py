"""The printable documents of orders: one order's packing slip, the packing slips of the orders selected on the
list, and one order's invoice.

Each is a standalone page for printing on A4 (no back-office menu), written from
the order's snapshot only (:mod:`xtycore.models.orders`): its lines, addresses,
events and shipments, and for the invoice the refunds made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from xtycore.admin import bp, page
from xtycore.admin.orders import PAGE_SIZE
from xtycore.admin.permissions import requires
from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.payments import TxKind
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db
from xtycore.models import Order
from xtycore.models.payments import Payment, PaymentTransaction

#: Most orders one page of packing slips prints (a page of the order list).
PRINT_LIMIT = PAGE_SIZE


def _printable(numbers: list[str]) -> list[Order]:
    """The orders ``numbers`` names, in that order, each with its lines, events and shipments.

    Three statements for the orders and their lines, events and shipments, however many are printed.
    """
    rows = db.session.execute(
        select(Order).where(Order.number.in_(numbers))
        .options(selectinload(Order.lines), selectinload(Order.events), selectinload(Order.shipments))
    ).scalars().all()
    by_number = {row.number: row for row in rows}
    return [by_number[number] for number in numbers if number in by_number]


def _paid_at(order: Order) -> datetime | None:
    """When the order was first paid, from its timeline."""
    return next((e.at for e in sorted(order.events, key=lambda e: e.id) if e.to_status == OrderStatus.PAID.value),
                None)


def _document(template: str, orders: list[Order], status: int = 200, **context: Any):
    return page(template, status, orders=orders, paid_at=_paid_at, printed_at=datetime.now(ZoneInfo("UTC")),
                shop_name=current_app.config["SHOP_NAME"], shop_address=current_app.config["SHOP_ADDRESS"],
                **context)


@bp.route("/orders/<number>/packing-slip")
@requires("orders.view")
def order_packing_slip(number: str):
    orders = _printable([number])
    if not orders:
        return page("404.html", 404)
    return _document("packing_slip.html", orders, back=url_for(".order_detail", number=number))


@bp.route("/orders/packing-slips")
@requires("orders.view")
def order_packing_slips():
    """The packing slips of the orders selected on the list (``?number=…&number=…``), one per printed page."""
    numbers = list(dict.fromkeys(n.strip().upper() for n in request.args.getlist("number") if n.strip()))
    back = url_for(".order_list")
    if not numbers:
        return _document("packing_slip.html", [], 422, back=back, error=_("Select the orders to print first."))
    if len(numbers) > PRINT_LIMIT:
        return _document("packing_slip.html", [], 422, back=back,
                         error=_("Print at most %(count)d packing slips at once.", count=PRINT_LIMIT))
    orders = _printable(numbers)
    if len(orders) != len(numbers):
        return page("404.html", 404)
    return _document("packing_slip.html", orders, back=back)


@bp.route("/orders/<number>/invoice")
@requires("orders.view")
def order_invoice(number: str):
    orders = _printable([number])
    if not orders:
        return page("404.html", 404)
    order = orders[0]
    refunds_made = db.session.execute(
        select(PaymentTransaction).join(Payment, Payment.id == PaymentTransaction.payment_id)
        .where(Payment.order_id == order.id, PaymentTransaction.kind == TxKind.REFUND.value,
               PaymentTransaction.status != LedgerStatus.FAILED.value)
        .order_by(PaymentTransaction.created_at, PaymentTransaction.id)
    ).scalars().all()
    return _document("invoice.html", orders, back=url_for(".order_detail", number=number), refunds=refunds_made)
