"""Orders: the list (filters, search, pages), one order in full, and what its page offers the staff member.

The order page shows the order's lines, payments with their ledgers, shipments
and timeline (its events and staff notes, :mod:`xtycore.models.order_notes`),
and offers the actions the staff member's role grants: what a payment offers
is :func:`~xtycore.services.refunds.available_actions` (what its gateway
declares), and the status actions are what :data:`~xtycore.domain.states.ORDER`
allows from the order's status now (:func:`status_actions`).

The views that take those actions are in :mod:`xtycore.admin.order_actions`,
which looks orders up and shows their page again through this module; the
printable packing slips and invoice are in :mod:`xtycore.admin.order_documents`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from xtycore.admin import bp, page
from xtycore.admin.audit_log import _day
from xtycore.admin.permissions import can, requires
from xtycore.domain.errors import UnknownCapability
from xtycore.domain.payment_states import LedgerStatus, PaymentStatus
from xtycore.domain.payments import Flow
from xtycore.domain.states import ORDER, OrderStatus, RefundStatus, refund_status
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import Order, OrderEvent
from xtycore.models.order_notes import NOTE_MAX_LENGTH, OrderNote
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.services import refunds, shipments
from xtycore.services import payments as payment_service
from xtycore.services.orders import aware
from xtycore.web.orders import STATUS_LABELS
from xtycore.services.search import like_pattern

#: Orders one page of the list shows.
PAGE_SIZE = 50
#: The permission every payment action needs (ROLE_PERMISSIONS: finance, managers and owners).
PAY_PERMISSION = "orders.refund"
#: The permission shipping needs (ROLE_PERMISSIONS: order clerks, managers and owners).
SHIP_PERMISSION = "orders.fulfil"
#: The permission adding a staff note needs (order clerks, support agents, finance, managers and owners).
NOTE_PERMISSION = "orders.note"
#: The state machine's events staff apply from the order page with SHIP_PERMISSION (cancelling an order
#: with money on it takes PAY_PERMISSION as well: see :func:`cancel_needs_refund_permission`).
STAFF_EVENTS = ("deliver", "complete", "cancel")
#: Longest reason for a cancellation (kept in the order's event note, the audit log and the refund's reason).
REASON_MAX_LENGTH = 500
#: What staff read for the money returned on an order.
REFUND_LABELS = {RefundStatus.NONE: _l("Not refunded"), RefundStatus.PARTIAL: _l("Partially refunded"),
                 RefundStatus.FULL: _l("Refunded")}


@bp.app_template_global("order_status_label")
def order_status_label(status: str) -> str:
    """An order status as the back office shows it (the customer's wording, in the staff member's language)."""
    return str(STATUS_LABELS[OrderStatus(status)])


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""


def find_orders(where: OrderFilter, *, page_number: int = 1) -> tuple[list[Order], int]:
    """One page of orders matching ``where``, newest first, and how many match: two statements."""
    query = select(Order)
    if where.status:
        query = query.where(Order.status == where.status)
    if where.since is not None:
        query = query.where(Order.placed_at >= where.since)
    if where.until is not None:
        query = query.where(Order.placed_at < where.until)
    if where.search:
        term = where.search.strip()
        like = like_pattern(term.lower())  # what staff type is matched literally
        query = query.where(or_(Order.number == term.upper(), func.lower(Order.email).like(like, escape="\\"),
                                Order.ship_mobile == term, Order.mobile == term))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(PAGE_SIZE)
        .offset((max(page_number, 1) - 1) * PAGE_SIZE)
    ).scalars().all()
    return list(rows), total


@bp.route("/orders")
@requires("orders.view")
def order_list():
    zone = ZoneInfo(current_app.config["SHOP_TIMEZONE"])
    args = request.args
    status = args.get("status", "")
    where = OrderFilter(
        status=status if status in {s.value for s in OrderStatus} else "",
        since=_day(args.get("since"), zone), until=_day(args.get("until"), zone, end=True),
        search=args.get("q", "").strip()[:254],
    )
    page_number = max(args.get("page", 1, type=int), 1)
    rows, total = find_orders(where, page_number=page_number)
    return page("orders.html", rows=rows, total=total, page_number=page_number, page_size=PAGE_SIZE,
                statuses=list(OrderStatus),
                filters={"status": where.status, "since": args.get("since", ""), "until": args.get("until", ""),
                         "q": where.search})


def order_by_number(number: str) -> Order | None:
    """The order numbered ``number`` with its lines, events and staff notes, or None."""
    return db.session.execute(
        select(Order).where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.events), selectinload(Order.notes))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class TimelineEntry:
    """One row of an order's timeline: a status change (``event``) or a staff note (``note``)."""

    at: datetime
    who: str
    event: OrderEvent | None = None
    note: OrderNote | None = None


def timeline(order: Order) -> list[TimelineEntry]:
    """The order's events and staff notes in the order they happened (at the same moment, events first)."""
    entries = [TimelineEntry(aware(e.at), e.actor, event=e) for e in order.events]
    entries += [TimelineEntry(aware(n.created_at), n.staff_email, note=n) for n in order.notes]
    return sorted(entries, key=lambda entry: (entry.at, entry.note is not None, (entry.event or entry.note).id))


def payment_rows(order: Order) -> list[Payment]:
    """The order's payments, first made first."""
    return list(db.session.execute(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
                .scalars())


def _payments(order: Order) -> list[dict[str, Any]]:
    """The order's payments, each with its ledger (one statement each for payments and ledger rows)."""
    rows = payment_rows(order)
    ledger: dict[int, list[PaymentTransaction]] = {row.id: [] for row in rows}
    if rows:
        for tx in db.session.execute(
            select(PaymentTransaction).where(PaymentTransaction.payment_id.in_(list(ledger)))
            .order_by(PaymentTransaction.id)
        ).scalars():
            ledger[tx.payment_id].append(tx)
    allowed = can(PAY_PERMISSION)
    return [{"payment": row, "ledger": ledger[row.id], "refundable_minor": refunds.refundable_minor(row),
             "actions": refunds.available_actions(row) if allowed else [],
             "pending": any(tx.status == LedgerStatus.PENDING.value for tx in ledger[row.id])}
            for row in rows]


def _refunded_quantities(order: Order, payments: list[dict[str, Any]]) -> dict[int, int]:
    """Units of each line refunded or being refunded (what a line refund may still take)."""
    done: dict[int, int] = {}
    for item in payments:
        for tx in item["ledger"]:
            if tx.kind == "refund" and tx.status != LedgerStatus.FAILED.value:
                for line in tx.lines or ():
                    done[line["order_line_id"]] = done.get(line["order_line_id"], 0) + int(line["quantity"])
    return done


def order_page(order: Order, status: int = 200, errors: dict[Any, Any] | None = None,
               form: dict[str, str] | None = None):
    """The order's page, with ``errors`` beside the forms they concern and what was posted (``form``) kept."""
    payments = _payments(order)
    return page("order_detail.html", status, order=order, payments=payments,
                shipments=shipments.order_shipments(order.id), couriers=shipments.courier_choices(),
                may_ship=can(SHIP_PERMISSION), may_note=can(NOTE_PERMISSION), timeline=timeline(order),
                note_max=NOTE_MAX_LENGTH, reason_max=REASON_MAX_LENGTH,
                actions=status_actions(order, [item["payment"] for item in payments]),
                refunded_quantities=_refunded_quantities(order, payments),
                refund_state=refund_status(order.paid_minor, order.refunded_minor),
                refund_label=str(REFUND_LABELS[refund_status(order.paid_minor, order.refunded_minor)]),
                errors=errors or {}, form=form or {}, form_key="adm-" + secrets.token_hex(12))


@bp.route("/orders/<number>")
@requires("orders.view")
def order_detail(number: str):
    order = order_by_number(number)
    if order is None:
        return page("404.html", 404)
    return order_page(order)


# --------------------------------------------------------------------------
# what the order page offers: confirm an offline payment, deliver, complete, cancel
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusActions:
    """What the order page offers the signed-in staff member to do with the order's status now."""

    #: the pending payment staff may confirm as received (:func:`awaiting_confirmation`), and its method's name
    confirm: tuple[Payment, str] | None = None
    #: those of :data:`STAFF_EVENTS` that the state machine allows now and the staff member may apply
    events: tuple[str, ...] = ()
    #: what cancelling gives back to the customer (``REFUND_ON_CANCEL``), in minor units
    cancel_refund_minor: int = 0


def money_on(order: Order) -> int:
    """What was paid for the order and not refunded, in minor units."""
    return order.paid_minor - order.refunded_minor


def cancel_needs_refund_permission(order: Order) -> bool:
    """Cancelling an order with money on it returns that money (``REFUND_ON_CANCEL``, or staff by hand):
    besides SHIP_PERMISSION it takes PAY_PERMISSION, checked again on the locked row."""
    return money_on(order) > 0


def awaiting_confirmation(order: Order, rows: list[Payment]) -> tuple[Payment, str] | None:
    """The payment staff may confirm as received, with its method's name, or None.

    It is pending, through the order's own payment method and for the order's
    total while the order waits for it, and that method's gateway collects
    offline (``Flow.OFFLINE``: cash on delivery, a bank transfer), which is
    what :func:`~xtycore.services.payments.confirm_offline` accepts.
    """
    if not payment_service.is_payable(order) or order.payment_instance_id is None:
        return None
    try:
        instance = get_kernel().registry.instance(order.payment_instance_id, kind="payment")
    except UnknownCapability:
        return None
    if Flow.OFFLINE not in payment_service.features_of(instance).flows:
        return None
    waiting = next((row for row in rows if row.status == PaymentStatus.PENDING.value and row.instance_id == instance.id
                    and (row.amount_minor, row.currency) == (order.total_minor, order.currency)), None)
    return (waiting, instance.display_name) if waiting is not None else None


def status_actions(order: Order, rows: list[Payment]) -> StatusActions:
    """The actions :data:`~xtycore.domain.states.ORDER` allows from the order's status now, less those
    the staff member's role does not grant."""
    allowed = ORDER.allowed(OrderStatus(order.status)) if can(SHIP_PERMISSION) else []
    if cancel_needs_refund_permission(order) and not can(PAY_PERMISSION):
        allowed = [event for event in allowed if event != "cancel"]
    return StatusActions(
        confirm=awaiting_confirmation(order, rows) if can(PAY_PERMISSION) else None,
        events=tuple(event for event in STAFF_EVENTS if event in allowed),
        cancel_refund_minor=money_on(order) if current_app.config["REFUND_ON_CANCEL"] else 0,
    )
