"""The money after a payment succeeds: captures, voids, refunds, reconciliation, late payments.

Every movement is a row of the transactions ledger
(:class:`~xtycore.models.payments.PaymentTransaction`) written in three steps,
so no database lock is held while a gateway thinks and nothing is ever sent
twice:

1. **reserve**: in one transaction, lock the payment row (``SELECT … FOR
   UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), check what the
   gateway declares (:class:`~xtycore.domain.payments.GatewayFeatures`) and
   what is left, and write the entry ``pending``; a pending refund adds its
   amount to ``refund_pending_minor``, so two refunds can never together
   exceed the capture (the database CHECKs the same sum);
2. **call** the gateway's verb, outside any transaction;
3. **record** the answer: ``succeeded`` or ``failed``. An answer that never
   came (a timeout, a plugin failure) or that says "still processing" leaves
   the entry pending; a refund callback, ``query_refund`` or reconciliation
   settles it later, and it is never sent again blindly.

A settled refund raises the payment's ``refunded_minor`` and, for the payment
that paid the order, the order's ``refunded_minor``, moving the order through
its state machine (``refund`` when everything is back, otherwise
``record_refund``); ``refund_succeeded`` is sent after the commit.

The kernel's own receivers here: restock refunded lines (``REFUND_RESTOCK``),
capture authorised payments when an order ships
(``PAYMENT_CAPTURE_ON_SHIPMENT``), refund a paid order that is cancelled
(``REFUND_ON_CANCEL``) and refund or flag money that arrived for an order that
could not take it (``LATE_PAYMENT_POLICY``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

from flask import current_app
from sqlalchemy import select, update

from xtycore import signals
from xtycore.domain.errors import (
    CapabilityUnavailable, ConfigurationError, GatewayUnavailable, PaymentError, UnknownCapability,
)
from xtycore.domain.money import Money
from xtycore.domain.payment_states import (
    PAYMENT, REFUND_EVENT_FOR_KIND, TRANSACTION, LedgerStatus, PaymentStatus,
)
from xtycore.domain.payments import GatewayResult, TxKind, TxStatus, WebhookEvent
from xtycore.domain.states import ORDER, OrderStatus
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Order, OrderLine, Variant
from xtycore.models.kernel import utcnow
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.plugins import FaultPolicy
from xtycore.registry import ConfiguredCapability
from xtycore.services import orders, payments
from xtycore.services.orders import send_after_commit

log = logging.getLogger("xtycore.payments")

#: the restock receiver takes a ``transaction=`` keyword (the ledger row), which hides the function
db_transaction = transaction

#: values of the merchant settings
RESTOCK_POLICIES = ("unshipped", "always", "never")
LATE_PAYMENT_POLICIES = ("refund", "flag")
#: order statuses whose goods have not left the shop (REFUND_RESTOCK = "unshipped")
UNSHIPPED = frozenset({OrderStatus.PAID})


class ActionNotSupported(PaymentError):
    """The payment's gateway does not declare what was asked (partial refunds, void, capture, the currency)."""

    customer_message = "This payment method cannot do that."


class RefundRefused(PaymentError):
    """A refund that cannot be made: more than is left, an unknown line, a payment not captured."""

    customer_message = "This refund is not possible."


@dataclass(frozen=True)
class RefundLine:
    """``quantity`` units of the order line with this SKU."""

    sku: str
    quantity: int

    @classmethod
    def parse(cls, text: str) -> "RefundLine":
        """``SKU:QTY`` as the command line takes it."""
        sku, sep, qty = text.rpartition(":")
        if not sep or not sku or not qty.isdigit() or int(qty) <= 0:
            raise RefundRefused(f"{text!r} is not SKU:QUANTITY with a positive quantity")
        return cls(sku, int(qty))


@dataclass(frozen=True)
class TxResult:
    """What became of a capture, void or refund request."""

    transaction_id: int
    kind: TxKind
    status: LedgerStatus
    amount: Money
    message: str
    #: False when the request found an entry already made (same idempotency key, a capture in progress)
    created: bool
    lines: tuple = ()


@dataclass
class ReconcileReport:
    """What :func:`reconcile` looked at and what it changed."""

    payments_checked: int = 0
    payments_settled: int = 0
    refunds_checked: int = 0
    refunds_settled: int = 0
    flagged: int = 0
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# what a payment can do
# --------------------------------------------------------------------------


def refundable_minor(payment: Payment) -> int:
    """What may still be refunded: captured, less refunded, less what pending refunds reserve."""
    return payment.captured_minor - payment.refunded_minor - payment.refund_pending_minor


def available_actions(payment: Payment) -> list[str]:
    """What staff may do with this payment now, as far as its gateway declares it.

    Any of ``"capture"`` (authorised, not captured: delayed-capture gateways),
    ``"void"`` (pending or authorised and not captured, gateways with void),
    ``"refund"`` (the full remaining amount) and ``"partial_refund"`` (part of
    it, by amount or by order lines). A payment whose gateway instance is
    gone can do nothing.
    """
    try:
        instance = _instance(payment)
    except UnknownCapability:
        return []
    features = payments.features_of(instance)
    if payment.currency not in features.currencies:
        return []
    status = PaymentStatus(payment.status)
    actions = []
    uncaptured = payment.captured_minor == 0
    if features.delayed_capture and status is PaymentStatus.SUCCEEDED and uncaptured and payment.authorized_minor:
        actions.append("capture")
    if features.void and uncaptured and status in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED):
        actions.append("void")
    left = refundable_minor(payment)
    if features.refunds and left > 0:
        if payment.refunded_minor == 0 and payment.refund_pending_minor == 0 or features.partial_refund:
            actions.append("refund")
        if features.partial_refund:
            actions.append("partial_refund")
    return actions


# --------------------------------------------------------------------------
# capture and void
# --------------------------------------------------------------------------


def capture(payment_id: int, *, actor: str, amount: Money | None = None) -> TxResult:
    """Capture an authorised payment (gateways with ``delayed_capture``) once.

    Concurrent requests make one gateway call: the first writes the pending
    capture, the others find it and return it with ``created=False``.
    """
    with transaction():
        payment = payments._locked_payment(payment_id)
        instance = _instance(payment)
        features = payments.features_of(instance)
        _gate(payment, instance, "delayed_capture", "capture an authorised payment later")
        if payment.status != PaymentStatus.SUCCEEDED.value or not payment.authorized_minor:
            raise RefundRefused(f"payment {payment.reference} is {payment.status}: nothing is authorised to capture")
        existing = _live(payment.id, TxKind.CAPTURE)
        if existing is not None:
            return _result(existing, created=False)
        minor = payment.authorized_minor if amount is None else _minor(amount, payment)
        if not 0 < minor <= payment.authorized_minor:
            raise RefundRefused(
                f"capture of {_money(minor, payment)} refused: {_money(payment.authorized_minor, payment)} "
                f"is authorised on payment {payment.reference}"
            )
        if minor != payment.authorized_minor and not features.partial_refund:
            raise ActionNotSupported(f"{instance.display_name} captures the whole authorised amount only")
        row = payments.ledger_entry(payment, TxKind.CAPTURE, minor, status=LedgerStatus.PENDING, actor=actor,
                                    reason="capture")
        tx_id, ref = row.id, payments.payment_ref(payment)
    try:
        answer = instance.call("capture", payment=ref, amount=_money(minor, payment))
    except PaymentError as exc:
        answer = exc
    except CapabilityUnavailable as exc:
        answer = exc
    return settle(tx_id, answer, instance=instance)


def void(payment_id: int, *, actor: str, reason: str = "") -> TxResult:
    """Release a pending or authorised, uncaptured payment (gateways with ``void``).

    An authorised payment that paid its order cancels that order (its stock
    goes back): without the money there is nothing to ship.
    """
    with transaction():
        payment = payments._locked_payment(payment_id)
        instance = _instance(payment)
        _gate(payment, instance, "void", "void a payment")
        open_statuses = (PaymentStatus.PENDING.value, PaymentStatus.SUCCEEDED.value)
        if payment.captured_minor or payment.status not in open_statuses:
            raise RefundRefused(
                f"payment {payment.reference} is {payment.status} with {_money(payment.captured_minor, payment)} "
                "captured: only an uncaptured payment can be voided; refund it instead"
            )
        existing = _live(payment.id, TxKind.VOID)
        if existing is not None:
            return _result(existing, created=False)
        row = payments.ledger_entry(payment, TxKind.VOID, payment.authorized_minor, status=LedgerStatus.PENDING,
                                    actor=actor, reason=reason or "void")
        tx_id, ref = row.id, payments.payment_ref(payment)
    try:
        answer = instance.call("void", payment=ref)
    except (PaymentError, CapabilityUnavailable) as exc:
        answer = exc
    return settle(tx_id, answer, instance=instance)


# --------------------------------------------------------------------------
# refunds
# --------------------------------------------------------------------------


def refund_order(
    order_number: str, *, reason: str, actor: str, amount: Money | None = None,
    lines: Sequence[RefundLine] = (), shipping: bool = False, idempotency_key: str | None = None,
) -> TxResult:
    """Refund an order through the payment that paid it; see :func:`refund`."""
    if db.session.execute(select(Order.id).where(Order.number == order_number)).first() is None:
        raise payments.UnknownPayment(f"no order numbered {order_number!r}")
    payment = payments.order_payment(order_number)
    if payment is None:
        raise RefundRefused(f"order {order_number} has no successful payment, so nothing can be refunded")
    return refund(payment.id, reason=reason, actor=actor, amount=amount, lines=lines, shipping=shipping,
                  idempotency_key=idempotency_key)


def refund(
    payment_id: int, *, reason: str, actor: str, amount: Money | None = None,
    lines: Sequence[RefundLine] = (), shipping: bool = False, idempotency_key: str | None = None,
) -> TxResult:
    """Refund part or all of a captured payment.

    Give ``amount``, or ``lines`` (and/or ``shipping``) to refund order lines:
    their amount comes from the order's snapshot (the line total after its
    discount, plus its share of tax not included in prices); nothing given
    refunds everything left. ``idempotency_key`` (sent to the gateway as
    ``refund_id``) makes a repeated request return the first one's entry
    without calling the gateway again. Raises :class:`RefundRefused` or
    :class:`ActionNotSupported`, changing nothing, when the refund is not
    possible; a gateway refusal returns a ``failed`` entry; a lost answer a
    ``pending`` one.
    """
    if not reason or not reason.strip():
        raise RefundRefused("say why the money is refunded (--reason)")
    if amount is not None and (lines or shipping):
        raise RefundRefused("refund either an amount or order lines (and shipping), not both")
    with transaction():
        payment = payments._locked_payment(payment_id)
        if idempotency_key:
            existing = db.session.execute(
                select(PaymentTransaction).where(PaymentTransaction.payment_id == payment.id,
                                                 PaymentTransaction.idempotency_key == idempotency_key)
            ).scalar_one_or_none()
            if existing is not None:
                return _repeat(existing, amount)
        instance = _instance(payment)
        features = payments.features_of(instance)
        _gate(payment, instance, "refunds", "refund through the gateway")
        left = refundable_minor(payment)
        if payment.captured_minor == 0:
            raise RefundRefused(f"payment {payment.reference} has nothing captured to refund")
        refund_lines: list[dict] = []
        if lines or shipping:
            if not payment.paid_order:
                raise RefundRefused(f"payment {payment.reference} did not pay its order: refund it by amount")
            minor, refund_lines = _lines_amount(payment, lines, shipping)
        else:
            minor = left if amount is None else _minor(amount, payment)
        if minor <= 0:
            raise RefundRefused("a refund must be a positive amount")
        if minor > left:
            reserved = payment.refund_pending_minor
            pending = f", {_money(reserved, payment)} pending" if reserved else ""
            raise RefundRefused(
                f"refund of {_money(minor, payment)} refused: {_money(left, payment)} of the "
                f"{_money(payment.captured_minor, payment)} captured on payment {payment.reference} is left to "
                f"refund ({_money(payment.refunded_minor, payment)} refunded{pending})"
            )
        partial = minor != payment.captured_minor
        if partial and not features.partial_refund:
            raise ActionNotSupported(
                f"{instance.display_name} refunds whole payments only: refund {_money(payment.captured_minor, payment)}"
            )
        payment.refund_pending_minor += minor
        row = payments.ledger_entry(
            payment, TxKind.REFUND, minor, status=LedgerStatus.PENDING, actor=actor, reason=reason,
            key=idempotency_key or payments.new_key("R"), lines=refund_lines, shipping=shipping,
        )
        tx_id, key, ref = row.id, row.idempotency_key, payments.payment_ref(payment)
    try:
        answer = instance.call("refund", payment=ref, amount=_money(minor, payment), refund_id=key)
    except (PaymentError, CapabilityUnavailable) as exc:
        answer = exc
    return settle(tx_id, answer, instance=instance)


def _repeat(existing: PaymentTransaction, amount: Money | None) -> TxResult:
    if existing.kind != TxKind.REFUND.value:
        raise RefundRefused(f"the key {existing.idempotency_key!r} belongs to a {existing.kind}")
    if amount is not None and amount.minor != existing.amount_minor:
        raise RefundRefused(
            f"the key {existing.idempotency_key!r} was used for a refund of "
            f"{Money.from_minor(existing.amount_minor, existing.currency)}, not {amount}"
        )
    return _result(existing, created=False)


def _lines_amount(payment: Payment, wanted: Sequence[RefundLine], shipping: bool) -> tuple[int, list[dict]]:
    """The amount of refunding these order lines (and the shipping fee), from the order's snapshot."""
    order = db.session.get(Order, payment.order_id)
    order_lines = db.session.execute(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).scalars().all()
    done_qty, shipping_done = _refunded_so_far(order.id)
    goods = order.subtotal_minor - order.discount_minor
    base = goods + order.shipping_minor
    extra_tax = order.total_minor - base  # tax not included in prices, shared in proportion

    def with_tax(minor: int) -> int:
        return minor + (extra_tax * minor // base if base and extra_tax > 0 else 0)

    total, refunded_lines = 0, []
    asked: dict[str, int] = {}
    for line in wanted:
        asked[line.sku] = asked.get(line.sku, 0) + line.quantity
    for sku, quantity in asked.items():
        matching = [ol for ol in order_lines if ol.sku == sku]
        if not matching:
            raise RefundRefused(f"order {order.number} has no line with SKU {sku!r}")
        for ol in matching:
            if quantity == 0:
                break
            already = done_qty.get(ol.id, 0)
            take = min(quantity, ol.quantity - already)
            if take <= 0:
                continue
            minor = ol.total_minor * (already + take) // ol.quantity - ol.total_minor * already // ol.quantity
            minor = with_tax(minor)
            refunded_lines.append({"order_line_id": ol.id, "sku": ol.sku, "quantity": take, "amount_minor": minor})
            total += minor
            quantity -= take
        if quantity > 0:
            left = sum(ol.quantity - done_qty.get(ol.id, 0) for ol in matching)
            raise RefundRefused(
                f"order {order.number}: {left} unit(s) of {sku} are left to refund, not {asked[sku]}"
            )
    if shipping:
        if shipping_done:
            raise RefundRefused(f"the shipping fee of order {order.number} was already refunded")
        if order.shipping_minor == 0:
            raise RefundRefused(f"order {order.number} charged no shipping")
        total += with_tax(order.shipping_minor)
    return min(total, refundable_minor(payment)), refunded_lines


def _refunded_so_far(order_id: int) -> tuple[dict[int, int], bool]:
    """Units refunded (or being refunded) per order line, and whether the shipping fee was."""
    rows = db.session.execute(
        select(PaymentTransaction.lines, PaymentTransaction.includes_shipping)
        .join(Payment, Payment.id == PaymentTransaction.payment_id)
        .where(Payment.order_id == order_id, PaymentTransaction.kind == TxKind.REFUND.value,
               PaymentTransaction.status != LedgerStatus.FAILED.value)
    ).all()
    quantities: dict[int, int] = {}
    shipping = False
    for lines, includes_shipping in rows:
        shipping = shipping or includes_shipping
        for line in lines or ():
            quantities[line["order_line_id"]] = quantities.get(line["order_line_id"], 0) + line["quantity"]
    return quantities, shipping


# --------------------------------------------------------------------------
# recording the gateway's answer
# --------------------------------------------------------------------------


def settle(tx_id: int, answer: Any, *, instance: ConfiguredCapability) -> TxResult:
    """Record a gateway's answer (a GatewayResult or the error it raised) on a pending entry."""
    lifecycle, message, result = _reading(answer, instance)
    with transaction():
        row = _locked_tx(tx_id)
        if row.status != LedgerStatus.PENDING.value:  # a callback settled it while the gateway answered
            return _result(row, created=True)
        payment = payments._locked_payment(row.payment_id)
        if isinstance(result, GatewayResult):
            row.response = payments.masked(
                {"status": result.status.value, "message": result.message, **result.raw}, _hidden(instance)
            )
            if result.gateway_reference and not row.gateway_reference:
                row.gateway_reference = result.gateway_reference[:128]
            if (lifecycle == "succeed" and row.kind in (TxKind.REFUND.value, TxKind.CAPTURE.value)
                    and result.amount is not None and result.amount != _money(row.amount_minor, payment)):
                lifecycle = None
                asked = _money(row.amount_minor, payment)
                message = f"the gateway reported {result.amount}, the {row.kind} was {asked}"
                payment.attention = f"{row.kind} {row.idempotency_key}: {message}; check it with the gateway"
        row.message = message[:4000]
        if lifecycle is not None:
            _settle_locked(row, payment, lifecycle, actor=row.requested_by, reason=message)
        else:
            log.warning("%s %s of payment %s left pending: %s", row.kind, row.idempotency_key, payment.reference,
                        message)
        return _result(row, created=True)


def _reading(answer: Any, instance: ConfiguredCapability) -> tuple[str | None, str, GatewayResult | None]:
    """(lifecycle event or None for "still unknown", message, the result) of a gateway's answer."""
    if isinstance(answer, GatewayResult):
        lifecycle = {TxStatus.SUCCEEDED: "succeed", TxStatus.FAILED: "fail"}.get(answer.status)
        return lifecycle, answer.message or answer.status.value, answer
    if isinstance(answer, (GatewayUnavailable, CapabilityUnavailable)):
        return None, f"no answer from {instance.display_name} ({answer}); it will be asked, not sent again", None
    if isinstance(answer, PaymentError):  # PaymentDeclined and every other refusal on purpose
        return "fail", str(answer), None
    return None, f"{instance.display_name} answered {answer!r}, not a GatewayResult; it will be asked again", None


def _settle_locked(row: PaymentTransaction, payment: Payment, lifecycle: str, *, actor: str, reason: str) -> bool:
    """Move a locked pending entry to its outcome and apply it to the payment and order; False if settled."""
    current = LedgerStatus(row.status)
    if not TRANSACTION.can(current, lifecycle):
        return False
    row.status = TRANSACTION.apply(current, lifecycle).value
    row.settled_at = utcnow()
    succeeded = row.status == LedgerStatus.SUCCEEDED.value
    kind = TxKind(row.kind)
    amount = _money(row.amount_minor, payment)
    if kind is TxKind.REFUND:
        payment.refund_pending_minor -= row.amount_minor
        order = orders.locked_order(payment.order_id)
        if succeeded:
            payment.refunded_minor += row.amount_minor
            if payment.paid_order:
                _refund_order(order, row, actor=actor)
            send_after_commit(signals.refund_succeeded, order=order, payment=payment, amount=amount,
                              lines=list(row.lines or ()), transaction=row)
        else:
            send_after_commit(signals.refund_failed, order=order, payment=payment, amount=amount,
                              reason=row.message or reason, transaction=row)
    elif kind is TxKind.CAPTURE and succeeded:
        payment.captured_minor += row.amount_minor
        send_after_commit(signals.payment_captured, payment=payment, amount=amount)
    elif kind is TxKind.VOID and succeeded:
        _voided(payment, actor=actor, reason=reason)
    db.session.flush()
    return True


def _refund_order(order: Order, row: PaymentTransaction, *, actor: str) -> None:
    order.refunded_minor += row.amount_minor
    full = order.refunded_minor == order.paid_minor
    event = "refund" if full and ORDER.can(OrderStatus(order.status), "refund") else "record_refund"
    orders.apply_event(
        order, event, actor=actor, note=row.reason[:500], refund=row, lines=tuple(row.lines or ()),
    )


def _voided(payment: Payment, *, actor: str, reason: str) -> None:
    status = PaymentStatus(payment.status)
    lifecycle = "cancel" if status is PaymentStatus.PENDING else "void"
    if PAYMENT.can(status, lifecycle):
        payment.status = PAYMENT.apply(status, lifecycle).value
        payment.failure_reason = f"voided: {reason}"[:4000]
    if payment.paid_order:
        order = orders.locked_order(payment.order_id)
        if orders.can_cancel(order):
            orders.apply_event(order, "cancel", actor=actor, note="the payment was voided")


def apply_refund_event(payment: Payment, event: WebhookEvent, *, actor: str) -> tuple[str, str]:
    """Settle the pending refund a verified refund callback names, inside the webhook's transaction.

    Returns ``(outcome, problem)``: ``applied`` or ``no_change`` (already
    settled, by the gateway's synchronous answer or an earlier query), or a
    problem that rejects the callback (an unknown refund, a wrong amount).
    """
    row = db.session.execute(
        select(PaymentTransaction).where(
            PaymentTransaction.payment_id == payment.id, PaymentTransaction.kind == TxKind.REFUND.value,
            PaymentTransaction.idempotency_key == event.refund_id,
        ).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        return "", f"no refund {event.refund_id!r} of payment {payment.reference}"
    expected = _money(row.amount_minor, payment)
    if event.amount != expected:
        return "", f"the callback reports {event.amount}, refund {row.idempotency_key} is {expected}"
    lifecycle = REFUND_EVENT_FOR_KIND[event.kind]
    if event.gateway_reference and not row.gateway_reference:
        row.gateway_reference = event.gateway_reference[:128]
    if _settle_locked(row, payment, lifecycle, actor=actor, reason=f"{event.kind.value} ({event.event_id})"):
        row.message = f"{event.kind.value} callback {event.event_id}"
        return "applied", ""
    if row.status != TRANSACTION.apply(LedgerStatus.PENDING, lifecycle).value:
        payment.attention = (
            f"refund {row.idempotency_key} is {row.status} but a callback says {event.kind.value}: "
            "check it with the gateway"
        )[:4000]
    return "no_change", ""


# --------------------------------------------------------------------------
# settling pending entries by asking, reconciliation
# --------------------------------------------------------------------------


def settle_pending_refund(tx_id: int) -> TxResult:
    """Ask the gateway how a pending refund stands (``query_refund``) and record the answer.

    A gateway that cannot be asked leaves it pending and flags the payment for staff.
    """
    row = db.session.get(PaymentTransaction, tx_id)
    if row is None or row.kind != TxKind.REFUND.value:
        raise RefundRefused(f"no refund entry {tx_id}")
    if row.status != LedgerStatus.PENDING.value:
        return _result(row, created=False)
    payment = db.session.get(Payment, row.payment_id)
    instance = _instance(payment)
    askable = callable(getattr(instance.type.obj, "query_refund", None))
    if not payments.features_of(instance).refund_query or not askable:
        with transaction():
            locked = payments._locked_payment(payment.id)
            locked.attention = (
                f"refund {row.idempotency_key} of {_money(row.amount_minor, payment)} has no answer and "
                f"{instance.display_name} cannot be asked: check it with the gateway"
            )[:4000]
        return _result(row, created=False)
    try:
        answer = call_optional(instance, "query_refund", payment=payments.payment_ref(payment),
                               refund_id=row.idempotency_key)
    except (PaymentError, CapabilityUnavailable) as exc:
        # asking is not refunding: an error here says nothing about the refund, which stays pending
        answer = GatewayUnavailable(str(exc)) if not isinstance(exc, GatewayUnavailable) else exc
    return settle(tx_id, answer, instance=instance)


def call_optional(instance: ConfiguredCapability, verb: str, **kwargs: Any) -> Any:
    """Call an optional gateway verb (``query_refund``) under the fail-closed policy, like required ones."""
    plugins = get_kernel().plugins
    with plugins.guard(instance.type.plugin, f"payment:{instance.type.code}.{verb}", FaultPolicy.CLOSED) as outcome:
        outcome.value = getattr(instance.type.obj, verb)(settings=instance.settings, **kwargs)
    return outcome.value


def reconcile(
    *, older_than_minutes: int | None = None, now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReconcileReport:
    """Ask the gateways about payments and refunds left pending; recover missed callbacks.

    Looks at online payments still ``pending`` and refunds still pending that
    are older than ``older_than_minutes`` (default
    ``PAYMENT_RECONCILE_AFTER_MINUTES``), settles them from the gateway's
    answer exactly like a callback would, and flags for staff what cannot be
    asked. Running it again changes nothing that is already settled.
    """
    say = progress or (lambda message: None)
    minutes = current_app.config["PAYMENT_RECONCILE_AFTER_MINUTES"] if older_than_minutes is None \
        else older_than_minutes
    cutoff = (now or utcnow()) - timedelta(minutes=minutes)
    report = ReconcileReport()
    references = db.session.execute(
        select(Payment.reference).where(
            Payment.status == PaymentStatus.PENDING.value, Payment.flow != "offline", Payment.created_at <= cutoff,
        ).order_by(Payment.id)
    ).scalars().all()
    say(f"{len(references)} pending payment(s) older than {minutes} min")
    for reference in references:
        report.payments_checked += 1
        try:
            payment = payments.settle_from_query(reference)
        except (PaymentError, CapabilityUnavailable, UnknownCapability) as exc:
            report.errors.append(f"{reference}: {exc}")
            say(f"  {reference}: could not ask the gateway: {exc}")
            continue
        if payment.status != PaymentStatus.PENDING.value:
            report.payments_settled += 1
        say(f"  {reference}: {payment.status}")
    pending = db.session.execute(
        select(PaymentTransaction.id, PaymentTransaction.kind, PaymentTransaction.idempotency_key).where(
            PaymentTransaction.status == LedgerStatus.PENDING.value, PaymentTransaction.created_at <= cutoff,
        ).order_by(PaymentTransaction.id)
    ).all()
    say(f"{len(pending)} pending transaction(s) older than {minutes} min")
    for tx_id, kind, key in pending:
        if kind != TxKind.REFUND.value:
            _flag_stale(tx_id)
            report.flagged += 1
            say(f"  {kind} {key}: no answer; flagged for staff")
            continue
        report.refunds_checked += 1
        try:
            result = settle_pending_refund(tx_id)
        except (PaymentError, CapabilityUnavailable, UnknownCapability) as exc:
            report.errors.append(f"refund {key}: {exc}")
            say(f"  refund {key}: could not ask the gateway: {exc}")
            continue
        if result.status is LedgerStatus.PENDING:
            report.flagged += 1
        else:
            report.refunds_settled += 1
        say(f"  refund {key}: {result.status.value}")
    return report


def _flag_stale(tx_id: int) -> None:
    with transaction():
        row = _locked_tx(tx_id)
        payment = payments._locked_payment(row.payment_id)
        payment.attention = (
            f"{row.kind} {row.idempotency_key} of {_money(row.amount_minor, payment)} has no answer from the "
            "gateway: check it there"
        )[:4000]


def pending_transactions(payment_id: int | None = None) -> list[PaymentTransaction]:
    query = select(PaymentTransaction).where(PaymentTransaction.status == LedgerStatus.PENDING.value)
    if payment_id is not None:
        query = query.where(PaymentTransaction.payment_id == payment_id)
    return list(db.session.execute(query.order_by(PaymentTransaction.id)).scalars())


def transactions(payment_id: int) -> list[PaymentTransaction]:
    """A payment's ledger, oldest first."""
    return list(db.session.execute(
        select(PaymentTransaction).where(PaymentTransaction.payment_id == payment_id)
        .order_by(PaymentTransaction.id)
    ).scalars())


# --------------------------------------------------------------------------
# the kernel's receivers
# --------------------------------------------------------------------------


def restock_refunded_lines(sender: Any, *, order: Order, transaction: PaymentTransaction | None = None,
                           lines: Iterable[Mapping[str, Any]] = (), **kwargs: Any) -> int:
    """Put refunded units back in stock as ``REFUND_RESTOCK`` says; once per refund. Returns the units."""
    policy = _setting("REFUND_RESTOCK", RESTOCK_POLICIES)
    lines = list(lines)
    if not lines or transaction is None or policy == "never":
        return 0
    units = 0
    with db_transaction():
        row = _locked_tx(transaction.id)
        current = db.session.get(Order, order.id)
        # a cancelled order's stock went back when it was cancelled; "unshipped" looks at where the goods are
        if row.restocked or current.status == OrderStatus.CANCELLED.value:
            return 0
        if policy == "unshipped" and OrderStatus(_status_before(current, row)) not in UNSHIPPED:
            return 0
        row.restocked = True
        for line in sorted(lines, key=lambda item: item["order_line_id"]):
            variant_id = db.session.execute(
                select(OrderLine.variant_id).where(OrderLine.id == line["order_line_id"])
            ).scalar_one_or_none()
            if variant_id is None:
                continue
            db.session.execute(
                update(Variant).where(Variant.id == variant_id).values(stock=Variant.stock + int(line["quantity"]))
                .execution_options(synchronize_session=False)
            )
            units += int(line["quantity"])
    return units


def _status_before(order: Order, row: PaymentTransaction) -> str:
    """The order's fulfilment status when the refund settled (a full refund moved it to ``refunded``)."""
    if order.status != OrderStatus.REFUNDED.value:
        return order.status
    from xtycore.models import OrderEvent

    before = db.session.execute(
        select(OrderEvent.from_status).where(OrderEvent.order_id == order.id, OrderEvent.event == "refund")
        .order_by(OrderEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return before or order.status


def capture_on_shipment(sender: Any, *, order: Order, **kwargs: Any) -> None:
    """Capture the authorised payment of an order that ships (``PAYMENT_CAPTURE_ON_SHIPMENT``)."""
    if not current_app.config["PAYMENT_CAPTURE_ON_SHIPMENT"]:
        return
    for payment_id in _order_payments(order.id, authorised_only=True):
        result = capture(payment_id, actor="kernel:shipment")
        log.info("order %s shipped: capture %s", order.number, result.status.value)


def refund_cancelled_order(sender: Any, *, order: Order, reason: str = "", actor: str = "", **kwargs: Any) -> None:
    """Refund the money of a paid order that is cancelled (``REFUND_ON_CANCEL``)."""
    if not current_app.config["REFUND_ON_CANCEL"] or not order.paid_minor:
        return
    for payment_id in _order_payments(order.id):
        payment = db.session.get(Payment, payment_id)
        features = _features_or_none(payment)
        if features is None or not features.refunds or refundable_minor(payment) <= 0:
            continue
        refund(payment_id, reason=f"order cancelled: {reason or 'cancelled'}", actor=actor or "kernel",
               idempotency_key=f"cancel-{order.number}"[:64])


def handle_late_payment(sender: Any, *, payment: Payment, **kwargs: Any) -> None:
    """Money that the order could not take (it expired, was cancelled, was paid already): refund or flag it.

    ``LATE_PAYMENT_POLICY = "refund"`` (the default) refunds it in full when
    the gateway declares refunds (voids an uncaptured authorisation), and
    otherwise leaves ``Payment.attention`` set for staff; ``"flag"`` always
    leaves it to staff.
    """
    payment = db.session.get(Payment, payment.id)
    if payment.paid_order or payment.status != PaymentStatus.SUCCEEDED.value:
        return
    features = _features_or_none(payment)
    policy = _setting("LATE_PAYMENT_POLICY", LATE_PAYMENT_POLICIES)
    if policy != "refund" or features is None or not (features.refunds or features.void):
        _note(payment.id, "the gateway cannot refund it: return the money by hand" if policy == "refund"
              else "LATE_PAYMENT_POLICY is flag: refund it or settle it with the customer")
        return
    reason = "the money arrived for an order that could not take it"
    try:
        if payment.captured_minor == 0 and features.void:
            result = void(payment.id, actor="kernel", reason=reason)
        elif features.refunds:
            result = refund(payment.id, reason=reason, actor="kernel", idempotency_key=f"late-{payment.reference}")
        else:
            _note(payment.id, "capture or void it by hand")
            return
    except PaymentError as exc:
        _note(payment.id, f"the automatic refund was refused: {exc}")
        return
    if result.status is LedgerStatus.SUCCEEDED:
        _note(payment.id, "", clear=True)
    else:
        _note(payment.id, f"the automatic {result.kind.value} is {result.status.value}: {result.message}")


def _note(payment_id: int, note: str, *, clear: bool = False) -> None:
    with transaction():
        payment = payments._locked_payment(payment_id)
        if clear:
            payment.attention = ""
        elif note and note not in payment.attention:
            payment.attention = f"{payment.attention} ({note})"[:4000] if payment.attention else note[:4000]


def _order_payments(order_id: int, *, authorised_only: bool = False) -> list[int]:
    query = select(Payment.id).where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED.value)
    if authorised_only:
        query = query.where(Payment.captured_minor == 0, Payment.authorized_minor > 0)
    return list(db.session.execute(query.order_by(Payment.id)).scalars())


def connect_receivers() -> None:
    """Connect the kernel's receivers (idempotent: blinker keeps one connection per receiver)."""
    signals.refund_succeeded.connect(restock_refunded_lines)
    signals.order_shipped.connect(capture_on_shipment)
    signals.order_cancelled.connect(refund_cancelled_order)
    signals.payment_succeeded.connect(handle_late_payment)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _setting(key: str, allowed: Sequence[str]) -> str:
    value = current_app.config[key]
    if value not in allowed:
        raise ConfigurationError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _instance(payment: Payment) -> ConfiguredCapability:
    return get_kernel().registry.instance(payment.instance_id, kind="payment")


def _features_or_none(payment: Payment):
    try:
        return payments.features_of(_instance(payment))
    except UnknownCapability:
        return None


def _gate(payment: Payment, instance: ConfiguredCapability, feature: str, what: str) -> None:
    features = payments.features_of(instance)
    if not getattr(features, feature):
        raise ActionNotSupported(f"{instance.display_name} ({instance.type.code}) cannot {what}")
    if payment.currency not in features.currencies:
        raise ActionNotSupported(
            f"{instance.display_name} ({instance.type.code}) does not handle {payment.currency}"
        )


def _live(payment_id: int, kind: TxKind) -> PaymentTransaction | None:
    return db.session.execute(
        select(PaymentTransaction).where(
            PaymentTransaction.payment_id == payment_id, PaymentTransaction.kind == kind.value,
            PaymentTransaction.status != LedgerStatus.FAILED.value,
        )
    ).scalar_one_or_none()


def _locked_tx(tx_id: int) -> PaymentTransaction:
    return db.session.execute(
        select(PaymentTransaction).where(PaymentTransaction.id == tx_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _result(row: PaymentTransaction, *, created: bool) -> TxResult:
    return TxResult(
        transaction_id=row.id, kind=TxKind(row.kind), status=LedgerStatus(row.status),
        amount=Money.from_minor(row.amount_minor, row.currency), message=row.message, created=created,
        lines=tuple(row.lines or ()),
    )


def _hidden(instance: ConfiguredCapability) -> list[str]:
    from xtycore import vault

    schema = instance.type.schema()
    return [str(instance.settings[name]) for name in vault.secret_fields(schema) if instance.settings.get(name)]


def _money(minor: int, payment: Payment) -> Money:
    return Money.from_minor(minor, payment.currency)


def _minor(amount: Money, payment: Payment) -> int:
    if amount.currency != payment.currency:
        raise RefundRefused(f"payment {payment.reference} is in {payment.currency}, not {amount.currency}")
    return amount.minor


connect_receivers()
