"""Orders: the list (filters, search, pages), one order in full, the payment actions staff may take,
staff notes, and the printable packing slips and invoice.

Views read the order tables and leave every movement of money to the payment
kernel (:mod:`xtycore.services.refunds`): a refund, capture or void is that
service's call, wrapped in an audit entry that commits with the ledger row it
writes. A refusal shows the service's message next to the form and writes
nothing. What a payment offers is :func:`~xtycore.services.refunds.available_actions`
(what its gateway declares) and what the staff member's role grants.

Staff notes are append-only (:mod:`xtycore.models.order_notes`) and show in the
order's timeline among its events. The packing slip and the invoice are
standalone pages for printing on A4, written from the order's snapshot only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from xtycore.admin import bp, page
from xtycore.admin.audit_log import _day
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import can, requires
from xtycore.domain.errors import CapabilityUnavailable, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.payments import TxKind
from xtycore.domain.states import OrderStatus, RefundStatus, refund_status
from xtycore.extensions import db, transaction
from xtycore.i18n import format_money
from xtycore.models import Order, OrderEvent
from xtycore.models.order_notes import NOTE_MAX_LENGTH, OrderNote
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.services import audit, refunds, shipments
from xtycore.services.orders import aware
from xtycore.web.orders import STATUS_LABELS

#: Orders one page of the list shows.
PAGE_SIZE = 50
#: The permission every payment action needs (ROLE_PERMISSIONS: finance, managers and owners).
PAY_PERMISSION = "orders.refund"
#: The permission shipping needs (ROLE_PERMISSIONS: order clerks, managers and owners).
SHIP_PERMISSION = "orders.fulfil"
#: The permission adding a staff note needs (order clerks, support agents, finance, managers and owners).
NOTE_PERMISSION = "orders.note"
#: The form each action posts, and the audit action it records.
ACTIONS = {"refund": "order.refund", "capture": "order.capture", "void": "order.void"}
#: The one-time key each refund form carries (sent as the refund's idempotency key: a repeated post refunds once).
FORM_KEY = re.compile(r"adm-[0-9a-f]{16,48}")
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
        like = "%" + re.sub(r"([\\%_])", r"\\\1", term.lower()) + "%"  # what staff type is matched literally
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


def _order(number: str) -> Order | None:
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


def _payments(order: Order) -> list[dict[str, Any]]:
    """The order's payments, each with its ledger (one statement each for payments and ledger rows)."""
    rows = db.session.execute(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).scalars().all()
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


def _detail(order: Order, status: int = 200, errors: dict[Any, Any] | None = None,
            form: dict[str, str] | None = None):
    payments = _payments(order)
    return page("order_detail.html", status, order=order, payments=payments,
                shipments=shipments.order_shipments(order.id), couriers=shipments.courier_choices(),
                may_ship=can(SHIP_PERMISSION), may_note=can(NOTE_PERMISSION), timeline=timeline(order),
                note_max=NOTE_MAX_LENGTH,
                refunded_quantities=_refunded_quantities(order, payments),
                refund_state=refund_status(order.paid_minor, order.refunded_minor),
                refund_label=str(REFUND_LABELS[refund_status(order.paid_minor, order.refunded_minor)]),
                errors=errors or {}, form=form or {}, form_key="adm-" + secrets.token_hex(12))


@bp.route("/orders/<number>")
@requires("orders.view")
def order_detail(number: str):
    order = _order(number)
    if order is None:
        return page("404.html", 404)
    return _detail(order)


# --------------------------------------------------------------------------
# payment actions
# --------------------------------------------------------------------------


class FormError(ValueError):
    """The posted form cannot be read; nothing was sent to the kernel."""


def _refund_request(order: Order, form: Any) -> dict[str, Any]:
    """The keyword arguments of :func:`refunds.refund` from the posted form."""
    key = form.get("key", "")
    request_args: dict[str, Any] = {
        "reason": form.get("reason", "").strip()[:500],
        "idempotency_key": key if FORM_KEY.fullmatch(key) else None,
    }
    if not request_args["reason"]:
        raise FormError(_("Say why the money is refunded."))
    if form.get("mode") == "lines":
        lines = []
        for line in order.lines:
            text = form.get(f"qty-{line.id}", "").strip() or "0"
            if not text.isdigit():
                raise FormError(_("Quantities are whole numbers."))
            if int(text):
                lines.append(refunds.RefundLine(line.sku, int(text)))
        shipping = form.get("shipping") == "1"
        if not lines and not shipping:
            raise FormError(_("Choose the quantities to refund, or the shipping fee."))
        return {**request_args, "lines": lines, "shipping": shipping}
    try:
        amount = Money(form.get("amount", "").strip(), order.currency)
    except (InvalidOperation, ValueError, TypeError):
        raise FormError(_("Enter the amount to refund, such as 12.50.")) from None
    return {**request_args, "amount": amount}


def _audited(action: str, order: Order, payment: Payment, call, reason: str = ""):
    """Run ``call()`` (a kernel service) inside an audit entry naming the order, the amount and the reason."""

    def after(session) -> dict[str, Any]:
        made = audit.created(session, PaymentTransaction)
        tx = made[-1] if made else None
        return {"order": order.number, "payment": payment.reference, "kind": tx.kind if tx else action,
                "amount": str(Money.from_minor(tx.amount_minor, tx.currency)) if tx else None,
                "reason": reason, "transaction": tx.idempotency_key if tx else None}

    with audit.recorded(ACTIONS[action], "order", order.number, before={
        "status": order.status, "paid": str(Money.from_minor(order.paid_minor, order.currency)),
        "refunded": str(Money.from_minor(order.refunded_minor, order.currency)),
    }, after=after):
        return call()


def _done(result: refunds.TxResult, order: Order):
    """Flash what became of the movement and show the order again."""
    amount = format_money(result.amount)
    labels = {"refund": _("Refund"), "capture": _("Capture"), "void": _("Void")}
    kind = labels.get(result.kind.value, result.kind.value)
    if result.status is LedgerStatus.SUCCEEDED:
        flash(_("%(kind)s of %(amount)s succeeded.", kind=kind, amount=amount))
    elif result.status is LedgerStatus.PENDING:
        flash(_("%(kind)s of %(amount)s is pending: the payment provider has not answered yet.",
                kind=kind, amount=amount), "info")
    else:
        flash(_("The payment provider refused the %(kind)s of %(amount)s: %(message)s", kind=kind, amount=amount,
                message=result.message), "error")
    return redirect(url_for(".order_detail", number=order.number))


@bp.route("/orders/<number>/payments/<int:payment_id>/<any(refund, capture, void):action>", methods=["POST"])
@requires(PAY_PERMISSION)
def order_payment_action(number: str, payment_id: int, action: str):
    order = _order(number)
    payment = db.session.get(Payment, payment_id) if order is not None else None
    if payment is None or payment.order_id != order.id:
        return page("404.html", 404)
    actor = f"staff:{current_staff().email}"
    reason = request.form.get("reason", "").strip()[:500]
    try:
        if action == "refund":
            wanted = _refund_request(order, request.form)
            result = _audited(action, order, payment,
                              lambda: refunds.refund(payment_id, actor=actor, **wanted), wanted["reason"])
        elif action == "capture":
            result = _audited(action, order, payment, lambda: refunds.capture(payment_id, actor=actor))
        else:
            result = _audited(action, order, payment,
                              lambda: refunds.void(payment_id, actor=actor, reason=reason), reason)
    except FormError as exc:
        message = str(exc)
    except (PaymentError, CapabilityUnavailable) as exc:
        message = str(exc)
    else:
        return _done(result, order)
    db.session.rollback()
    db.session.expire_all()
    return _detail(_order(number), 422, errors={payment_id: {action: message}}, form=request.form.to_dict())


# --------------------------------------------------------------------------
# shipping
# --------------------------------------------------------------------------


@bp.route("/orders/<number>/ship", methods=["POST"])
@requires(SHIP_PERMISSION)
def order_ship(number: str):
    order = _order(number)
    if order is None:
        return page("404.html", 404)
    form = request.form
    courier = form.get("courier_other", "") if form.get("courier") == "other" else form.get("courier", "")
    before = {"status": order.status}
    try:
        with audit.recorded("order.ship", "order", order.number, before=before, after=lambda session: {
            "status": order.status, **_shipment_snapshot(audit.created(session, shipments.Shipment))
        }):
            shipment = shipments.ship(order.id, courier=courier, waybill_number=form.get("waybill_number", ""),
                                      note=form.get("note", ""), actor=f"staff:{current_staff().email}")
    except shipments.ShipmentError as exc:
        db.session.rollback()
        db.session.expire_all()
        return _detail(_order(number), 422, errors={"ship": str(exc)}, form=form.to_dict())
    flash(_("Order shipped with %(courier)s %(number)s.", courier=shipment.courier,
            number=shipment.waybill_number or ""))
    return redirect(url_for(".order_detail", number=number))


def _shipment_snapshot(made: list) -> dict[str, Any]:
    shipment = made[-1] if made else None
    if shipment is None:
        return {}
    return {"shipment": shipment.id, "courier": shipment.courier, "waybill_number": shipment.waybill_number,
            "note": shipment.note}


# --------------------------------------------------------------------------
# staff notes
# --------------------------------------------------------------------------


def _note_problem(body: str) -> str | None:
    if not body:
        return _("Write the note first.")
    if len(body) > NOTE_MAX_LENGTH:
        return _("A note holds at most %(count)d characters.", count=NOTE_MAX_LENGTH)
    return None


def _notes_snapshot(session, order_id: int) -> dict[str, Any]:
    """What the audit log keeps: how many notes the order has, and the one just added."""
    count = session.execute(select(func.count(OrderNote.id)).where(OrderNote.order_id == order_id)).scalar_one()
    added = [{"staff_email": note.staff_email, "body": note.body} for note in audit.created(session, OrderNote)]
    return {"notes": count, **({"added": added[-1]} if added else {})}


@bp.route("/orders/<number>/notes", methods=["POST"])
@requires(NOTE_PERMISSION)
def order_note_add(number: str):
    order = _order(number)
    if order is None:
        return page("404.html", 404)
    body = request.form.get("body", "").replace("\r\n", "\n").strip()
    problem = _note_problem(body)
    if problem:
        return _detail(order, 422, errors={"note": problem}, form=request.form.to_dict())
    who = current_staff()
    with audit.recorded("order.add_note", "order", order.number, before=_notes_snapshot(db.session, order.id),
                        after=lambda session: _notes_snapshot(session, order.id)):
        with transaction() as session:
            session.add(OrderNote(order_id=order.id, staff_id=who.id, staff_email=who.email, body=body))
    flash(_("Note added."))
    return redirect(url_for(".order_detail", number=number, _anchor="timeline"))


# --------------------------------------------------------------------------
# printable documents: packing slips and the invoice
# --------------------------------------------------------------------------

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
