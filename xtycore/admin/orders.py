"""Orders: the list (filters, search, pages), one order in full, the payment actions staff may take,
the status actions (confirm an offline payment, cancel, deliver, complete), staff notes, and the
printable packing slips and invoice.

Views read the order tables and leave every movement of money to the payment
kernel (:mod:`xtycore.services.refunds`): a refund, capture or void is that
service's call, wrapped in an audit entry that commits with the ledger row it
writes. A refusal shows the service's message next to the form and writes
nothing. What a payment offers is :func:`~xtycore.services.refunds.available_actions`
(what its gateway declares) and what the staff member's role grants.

Status actions are what :data:`~xtycore.domain.states.ORDER` allows from the
order's status now, each applied by the order kernel (:mod:`xtycore.services.orders`,
:func:`xtycore.services.payments.confirm_offline`) on the locked order row and
audited in the transaction that changes the status; an action the state machine
no longer allows (another clerk was quicker) answers 422 with its reason.

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

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from xtycore.admin import bp, page
from xtycore.admin.audit_log import _day
from xtycore.admin.auth import current_staff
from xtycore.admin.permissions import can, requires
from xtycore.domain.errors import CapabilityUnavailable, PaymentError, UnknownCapability, XtyError
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus, PaymentStatus
from xtycore.domain.payments import Flow, TxKind
from xtycore.domain.states import ORDER, InvalidTransition, OrderStatus, RefundStatus, refund_status
from xtycore.extensions import db, transaction
from xtycore.i18n import format_money
from xtycore.kernel import get_kernel
from xtycore.models import Order, OrderEvent
from xtycore.models.order_notes import NOTE_MAX_LENGTH, OrderNote
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.services import audit, refunds, shipments
from xtycore.services import orders as order_service
from xtycore.services import payments as payment_service
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
#: The state machine's events staff apply from the order page with SHIP_PERMISSION (cancelling an order
#: with money on it takes PAY_PERMISSION as well: see :func:`cancel_needs_refund_permission`).
STAFF_EVENTS = ("deliver", "complete", "cancel")
#: Longest reason for a cancellation (kept in the order's event note, the audit log and the refund's reason).
REASON_MAX_LENGTH = 500
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


def _payment_rows(order: Order) -> list[Payment]:
    return list(db.session.execute(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
                .scalars())


def _payments(order: Order) -> list[dict[str, Any]]:
    """The order's payments, each with its ledger (one statement each for payments and ledger rows)."""
    rows = _payment_rows(order)
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
                note_max=NOTE_MAX_LENGTH, reason_max=REASON_MAX_LENGTH,
                actions=status_actions(order, [item["payment"] for item in payments]),
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

    with audit.recorded(ACTIONS[action], "order", order.number, before=_status_snapshot(order), after=after):
        return call()


def _status_snapshot(order: Order) -> dict[str, Any]:
    """What the audit log keeps of an order around a change of its status or money."""
    return {"status": order.status, "paid": str(Money.from_minor(order.paid_minor, order.currency)),
            "refunded": str(Money.from_minor(order.refunded_minor, order.currency))}


def _refused(number: str, errors: dict[Any, Any], form: dict[str, str] | None = None):
    """Undo what the request began and show the order again, as it is now, with ``errors`` (422)."""
    db.session.rollback()
    db.session.expire_all()
    return _detail(_order(number), 422, errors=errors, form=form)


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
    return _refused(number, {payment_id: {action: message}}, request.form.to_dict())


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
        return _refused(number, {"ship": str(exc)}, form.to_dict())
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
# status actions: confirm an offline payment, deliver, complete, cancel
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


def _not_now(problem: InvalidTransition) -> str:
    return _("This is not possible in the order's current state (%(reason)s). Nothing was changed.",
             reason=str(problem))


def _cancel_reason(form: Any) -> tuple[str, str | None]:
    """The reason typed for a cancellation, and what is wrong with it (None when nothing)."""
    reason = form.get("cancel_reason", "").replace("\r\n", "\n").strip()
    if not reason:
        return reason, _("Say why the order is cancelled.")
    if len(reason) > REASON_MAX_LENGTH:
        return reason, _("A reason holds at most %(count)d characters.", count=REASON_MAX_LENGTH)
    return reason, None


def _apply(order: Order, event: str, *, note: str = "") -> None:
    """Apply ``event`` to the locked order row through the order kernel, in one transaction with its
    audit entry (the order before and after, and the reason given)."""
    actor = f"staff:{current_staff().email}"
    extra = {"reason": note} if note else {}
    with audit.recorded(f"order.{event}", "order", order.number,
                        after=lambda session: {**_status_snapshot(order), **extra}) as entry:
        with transaction():
            locked = order_service.locked_order(order.id)
            if event == "cancel" and cancel_needs_refund_permission(locked) and not can(PAY_PERMISSION):
                abort(403)  # paid since the page was shown: cancelling it now would return money
            entry.before = _status_snapshot(locked)
            order_service.apply_event(locked, event, actor=actor, note=note)


def _flash_cancelled(order: Order, money_before: int) -> None:
    """Say what became of a cancelled order's money: refunded, pending at the gateway, or still to refund."""
    pending = db.session.execute(
        select(func.coalesce(func.sum(Payment.refund_pending_minor), 0)).where(Payment.order_id == order.id)
    ).scalar_one()
    left, currency = money_on(order), order.currency
    if not money_before:
        flash(_("Order cancelled; its items are back in stock."))
    elif not left:
        flash(_("Order cancelled; its items are back in stock and %(amount)s was refunded.",
                amount=format_money(Money.from_minor(money_before, currency))))
    elif pending:
        flash(_("Order cancelled; the refund of %(amount)s is pending: the payment provider has not answered yet.",
                amount=format_money(Money.from_minor(pending, currency))), "info")
    else:
        flash(_("Order cancelled, but %(amount)s was not refunded: refund it from the payment below.",
                amount=format_money(Money.from_minor(left, currency))), "error")


@bp.route("/orders/<number>/<any(deliver, complete, cancel):event>", methods=["POST"])
@requires(SHIP_PERMISSION)
def order_status_action(number: str, event: str):
    order = _order(number)
    if order is None:
        return page("404.html", 404)
    note = ""
    if event == "cancel":
        if cancel_needs_refund_permission(order) and not can(PAY_PERMISSION):
            abort(403)
        note, problem = _cancel_reason(request.form)
        if problem:
            return _detail(order, 422, errors={"cancel": problem}, form=request.form.to_dict())
    money_before = money_on(order)
    try:
        _apply(order, event, note=note)
    except InvalidTransition as exc:
        return _refused(number, {"status": _not_now(exc)})
    if event == "cancel":
        db.session.expire_all()  # the kernel's refund committed after the cancellation
        _flash_cancelled(_order(number), money_before)
    else:
        flash(_("Order marked delivered.") if event == "deliver" else _("Order marked completed."))
    return redirect(url_for(".order_detail", number=number))


def _nothing_to_confirm(order: Order) -> str:
    try:
        ORDER.apply(OrderStatus(order.status), "pay")
    except InvalidTransition as exc:
        return _not_now(exc)
    return _("No payment of this order waits for staff to confirm it: only a pending payment through the order's "
             "offline payment method (cash on delivery, bank transfer) can be confirmed.")


@bp.route("/orders/<number>/confirm-payment", methods=["POST"])
@requires(PAY_PERMISSION)
def order_confirm_payment(number: str):
    """Staff confirm the money of an offline payment arrived: the kernel captures it and the order is paid."""
    order = _order(number)
    if order is None:
        return page("404.html", 404)
    waiting = awaiting_confirmation(order, _payment_rows(order))
    if waiting is None:
        return _refused(number, {"status": _nothing_to_confirm(order)})
    payment = waiting[0]

    def snapshot() -> dict[str, Any]:
        return {**_status_snapshot(order), "payment": payment.reference, "payment_status": payment.status}

    try:
        with audit.recorded("order.confirm_payment", "order", order.number, before=snapshot(),
                            after=lambda session: snapshot()):
            confirmed, changed = payment_service.confirm_offline(order.number, actor=current_staff().email)
    except XtyError as exc:  # the kernel's refusal (the order moved on, the gateway declined): its own words
        return _refused(number, {"status": str(exc)})
    if not changed:
        return _refused(number, {"status": _("This payment was confirmed already. Nothing was changed.")})
    flash(_("%(amount)s received: the order is paid.",
            amount=format_money(Money.from_minor(confirmed.amount_minor, confirmed.currency))))
    return redirect(url_for(".order_detail", number=number))


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
