"""What staff do to an order from its page: the payment actions (refund, capture, void), shipping, the
status actions (confirm an offline payment, deliver, complete, cancel) and staff notes.

Every view here is a POST from the order page (:mod:`xtycore.admin.orders`),
which it shows again with the errors (422) when the request is refused, and
which decides what the page offers.

Views leave every movement of money to the payment kernel
(:mod:`xtycore.services.refunds`): a refund, capture or void is that service's
call, wrapped in an audit entry that commits with the ledger row it writes. A
refusal shows the service's message next to the form and writes nothing.

Status actions are what :data:`~xtycore.domain.states.ORDER` allows from the
order's status now, each applied by the order kernel (:mod:`xtycore.services.orders`,
:func:`xtycore.services.payments.confirm_offline`) on the locked order row and
audited in the transaction that changes the status; an action the state machine
no longer allows (another clerk was quicker) answers 422 with its reason.

Staff notes are append-only (:mod:`xtycore.models.order_notes`) and show in the
order's timeline among its events.
"""

from __future__ import annotations

import re
from decimal import InvalidOperation
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from xtycore.admin import bp, page
from xtycore.admin.auth import current_staff
from xtycore.admin.orders import (
    NOTE_PERMISSION, PAY_PERMISSION, REASON_MAX_LENGTH, SHIP_PERMISSION, awaiting_confirmation,
    cancel_needs_refund_permission, money_on, order_by_number, order_page, payment_rows,
)
from xtycore.admin.permissions import can, requires
from xtycore.domain.errors import CapabilityUnavailable, PaymentError, XtyError
from xtycore.domain.money import Money
from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.states import ORDER, InvalidTransition, OrderStatus
from xtycore.extensions import db, transaction
from xtycore.i18n import format_money
from xtycore.models import Order
from xtycore.models.order_notes import NOTE_MAX_LENGTH, OrderNote
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.services import audit, refunds, shipments
from xtycore.services import orders as order_service
from xtycore.services import payments as payment_service

#: The form each action posts, and the audit action it records.
ACTIONS = {"refund": "order.refund", "capture": "order.capture", "void": "order.void"}
#: The one-time key each refund form carries (sent as the refund's idempotency key: a repeated post refunds once).
FORM_KEY = re.compile(r"adm-[0-9a-f]{16,48}")


def _status_snapshot(order: Order) -> dict[str, Any]:
    """What the audit log keeps of an order around a change of its status or money."""
    return {"status": order.status, "paid": str(Money.from_minor(order.paid_minor, order.currency)),
            "refunded": str(Money.from_minor(order.refunded_minor, order.currency))}


def _refused(number: str, errors: dict[Any, Any], form: dict[str, str] | None = None):
    """Undo what the request began and show the order again, as it is now, with ``errors`` (422)."""
    db.session.rollback()
    db.session.expire_all()
    return order_page(order_by_number(number), 422, errors=errors, form=form)


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
    order = order_by_number(number)
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
    order = order_by_number(number)
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
    order = order_by_number(number)
    if order is None:
        return page("404.html", 404)
    note = ""
    if event == "cancel":
        if cancel_needs_refund_permission(order) and not can(PAY_PERMISSION):
            abort(403)
        note, problem = _cancel_reason(request.form)
        if problem:
            return order_page(order, 422, errors={"cancel": problem}, form=request.form.to_dict())
    money_before = money_on(order)
    try:
        _apply(order, event, note=note)
    except InvalidTransition as exc:
        return _refused(number, {"status": _not_now(exc)})
    if event == "cancel":
        db.session.expire_all()  # the kernel's refund committed after the cancellation
        _flash_cancelled(order_by_number(number), money_before)
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
    order = order_by_number(number)
    if order is None:
        return page("404.html", 404)
    waiting = awaiting_confirmation(order, payment_rows(order))
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
    order = order_by_number(number)
    if order is None:
        return page("404.html", 404)
    body = request.form.get("body", "").replace("\r\n", "\n").strip()
    problem = _note_problem(body)
    if problem:
        return order_page(order, 422, errors={"note": problem}, form=request.form.to_dict())
    who = current_staff()
    with audit.recorded("order.add_note", "order", order.number, before=_notes_snapshot(db.session, order.id),
                        after=lambda session: _notes_snapshot(session, order.id)):
        with transaction() as session:
            session.add(OrderNote(order_id=order.id, staff_id=who.id, staff_email=who.email, body=body))
    flash(_("Note added."))
    return redirect(url_for(".order_detail", number=number, _anchor="timeline"))
