"""Payment use cases: start a payment, apply gateway callbacks, settle by query, confirm offline.

The kernel owns the payment's lifecycle (:data:`xtycore.domain.payment_states.PAYMENT`);
a gateway plugin only answers verbs, always called through
:meth:`~xtycore.registry.ConfiguredCapability.call` (fail closed). Every way a
payment can succeed -- a verified callback, the gateway's answer to a query,
a staff confirmation -- goes through :func:`_settle`, which in one
transaction locks the payment row, moves it, and marks the order paid; the
``payment_succeeded`` signal is sent after the commit, by the one request
that changed the status, so it is sent exactly once.

Gateway calls happen outside database transactions: no row stays locked
while a remote service thinks.

A success also writes the first entry of the payment's transactions ledger
(a capture, or an authorisation for gateways with delayed capture); what
follows -- captures, voids, refunds, reconciliation, late payments -- is
:mod:`xtycore.services.refunds`, which this module imports last so that its
receivers are always connected.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, NamedTuple

from flask import current_app, has_request_context, request as http_request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore import signals, vault
from xtycore.domain.errors import (
    CapabilityUnavailable, InvalidWebhook, PaymentDeclined, PaymentError, UnknownCapability,
)
from xtycore.domain.money import Money
from xtycore.domain.payment_states import (
    EVENT_FOR_KIND, EVENT_FOR_TX_STATUS, PAYMENT, REFUND_EVENT_FOR_KIND, LedgerStatus, PaymentStatus,
    amount_problem,
)
from xtycore.domain.payments import (
    Device, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxKind, TxStatus,
    WebhookEvent, device_of, preferred_flow,
)
from xtycore.domain.states import InvalidTransition, OrderStatus
from xtycore.domain.webhooks import WebhookRequest
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models.kernel import utcnow
from xtycore.models.orders import Order
from xtycore.models.payments import Payment, PaymentEvent, PaymentTransaction, PaymentWebhook
from xtycore.plugins import send_signal
from xtycore.registry import ConfiguredCapability
from xtycore.services import orders

log = logging.getLogger("xtycore.payments")

REFERENCE_ALPHABET = string.digits + string.ascii_uppercase
#: "P" and 24 random characters: ~124 bits, and within every gateway's out_trade_no rules
REFERENCE_PATTERN = re.compile(r"^P[0-9A-Z]{24}$")
#: callbacks are small; anything larger is refused before it is stored
MAX_WEBHOOK_BYTES = 256 * 1024
#: gateway answers kept per payment (oldest dropped), so a reloaded return page cannot grow a row forever
MAX_RESPONSES = 50
#: headers never stored from a callback
UNSTORED_HEADERS = {"cookie", "authorization", "proxy-authorization"}
SECRET_KEY_PARTS = ("key", "secret", "token", "password", "passwd", "pwd")


class UnknownPayment(PaymentError):
    """No payment (or order) answers to the reference or number given."""

    customer_message = "This payment does not exist."


class OrderNotPayable(PaymentError):
    """The order cannot take a payment now (already paid, cancelled, no payment method)."""

    customer_message = "This order cannot be paid now."


class WebhookReply(NamedTuple):
    """What the webhook inbox answers: ``(status, body, content_type)``."""

    status: int
    body: str
    content_type: str


REPLY_INVALID = WebhookReply(400, "invalid callback", "text/plain")
REPLY_UNKNOWN_INSTANCE = WebhookReply(404, "no such payment method", "text/plain")
REPLY_TOO_LARGE = WebhookReply(413, "callback too large", "text/plain")
REPLY_UNAVAILABLE = WebhookReply(503, "try again later", "text/plain")


@dataclass(frozen=True)
class Change:
    """A status change made in a transaction, announced after it commits."""

    payment: Payment
    status: PaymentStatus
    event: WebhookEvent | None = None
    reason: str = ""


# --------------------------------------------------------------------------
# starting a payment
# --------------------------------------------------------------------------


def new_reference() -> str:
    return "P" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(24))


def start_payment(order_id: int, return_url: str) -> PaymentAction:
    """Ask the order's payment method to collect its amount; return what the customer does next.

    The gateway sends the customer back to the kernel's return endpoint,
    which settles the payment through the gateway's ``query`` and then
    redirects to ``return_url`` (the storefront's order page), kept on the
    payment row so that no redirect target ever comes from a query string.
    Reuses the order's pending payment for the same gateway instance (so a
    double click or a retry asks the gateway again with the same reference),
    otherwise creates one with a new random reference. Raises
    :class:`OrderNotPayable`, :class:`~xtycore.domain.errors.PaymentDeclined`
    (the payment is then marked failed) or
    :class:`~xtycore.domain.errors.CapabilityUnavailable` (nothing changed).
    """
    with transaction():
        order = _locked_order(order_id)
        instance = _payable_instance(order)
        payment = _open_payment(order, instance)
        payment.return_url = return_url
        payment_id = payment.id
        device = device_of(http_request.headers.get("User-Agent", "")) if has_request_context() else Device.DESKTOP
        gateway_request = PaymentRequest(
            payment_id=payment.reference,
            order_number=order.number,
            amount=_amount(payment),
            description=f"{current_app.config['SHOP_NAME']} {order.number}",
            return_url=url_for("payments.return_from_gateway", reference=payment.reference, _external=True),
            notify_url=notify_url(instance.id),
            customer_ip=(http_request.remote_addr or "") if has_request_context() else "",
            flow=preferred_flow(instance.type.obj.features, device),
            metadata=order_metadata(order),
            device=device,
        )
    try:
        action = instance.call("create_payment", request=gateway_request)
    except PaymentDeclined as exc:
        _announce(_close(payment_id, "fail", reason=str(exc)))
        raise
    if not isinstance(action, PaymentAction) or action.flow not in instance.type.obj.features.flows:
        raise CapabilityUnavailable(
            f"{instance!r} answered create_payment with {action!r}, not a PaymentAction in a declared flow"
        )
    with transaction():
        payment = _locked_payment(payment_id)
        payment.gateway_reference = action.gateway_reference or payment.gateway_reference
        payment.flow = action.flow.value
        payment.qr_content = action.qr_content
        payment.instructions = action.instructions
        _record(payment, "create_payment", {"flow": action.flow.value, "url": action.url, **action.raw}, instance)
    return action


def notify_url(instance_id: int) -> str:
    """The absolute URL of an instance's webhook inbox, as gateways are told it."""
    return url_for("payments.webhook", instance_id=instance_id, _external=True)


def order_metadata(order: Order) -> dict[str, str]:
    """What a gateway may use to decide eligibility (COD by province, say)."""
    return {"province": order.ship_province} if order.ship_province else {}


def is_payable(order: Order) -> bool:
    """Whether the order waits for its payment (and only then may a payment start)."""
    return order.status == OrderStatus.PENDING_PAYMENT.value and order.paid_minor < order.total_minor


def _payable_instance(order: Order) -> ConfiguredCapability:
    if not is_payable(order):
        raise OrderNotPayable(f"order {order.number} is {order.status} and cannot take a payment")
    if order.payment_instance_id is None:
        raise OrderNotPayable(f"order {order.number} has no payment method")
    return get_kernel().registry.instance(order.payment_instance_id, kind="payment")


def _open_payment(order: Order, instance: ConfiguredCapability) -> Payment:
    """The order's pending payment through ``instance``, or a new one (inside a transaction)."""
    payment = db.session.execute(
        select(Payment).where(
            Payment.order_id == order.id,
            Payment.instance_id == instance.id,
            Payment.status == PaymentStatus.PENDING.value,
        )
    ).scalar_one_or_none()
    amount_minor = order.total_minor
    if payment is not None and (payment.amount_minor, payment.currency) == (amount_minor, order.currency):
        return payment
    if payment is not None:  # the order's amount changed since: that attempt can no longer settle it
        _transition(payment, "cancel", reason="the order's amount changed", actor="kernel")
        db.session.flush()
    payment = Payment(
        order_id=order.id,
        instance_id=instance.id,
        gateway_code=instance.type.code,
        reference=new_reference(),
        amount_minor=amount_minor,
        currency=order.currency,
        status=PaymentStatus.PENDING.value,
        responses=[],
    )
    db.session.add(payment)
    db.session.flush()
    return payment


# --------------------------------------------------------------------------
# the webhook inbox
# --------------------------------------------------------------------------


def apply_webhook(instance_id: int, request: WebhookRequest) -> WebhookReply:
    """Store a callback, verify it with the instance's gateway, apply its event once.

    Returns ``(status, body, content_type)``: the answer the gateway expects
    for a verified event, whether it was applied now or before (a duplicate);
    400 for a callback that fails verification or does not match its payment
    (amount, currency, instance); 503 when the gateway plugin fails.
    """
    if len(request.body) > MAX_WEBHOOK_BYTES:
        log.warning("payment webhook for instance %s refused: %d bytes", instance_id, len(request.body))
        return REPLY_TOO_LARGE
    webhook_id = _store_webhook(instance_id, request)
    try:
        instance = get_kernel().registry.instance(instance_id, kind="payment")
    except UnknownCapability as exc:
        return _finish_webhook(webhook_id, "rejected", str(exc), REPLY_UNKNOWN_INSTANCE)
    return _in_gateway_terms(instance, _verify_and_apply(instance, webhook_id, request))


def _verify_and_apply(instance: ConfiguredCapability, webhook_id: int, request: WebhookRequest) -> WebhookReply:
    try:
        event = instance.call("parse_webhook", request=request)
    except InvalidWebhook as exc:
        log.warning("payment webhook %s for %r rejected: %s", webhook_id, instance, exc)
        return _finish_webhook(webhook_id, "rejected", str(exc), REPLY_INVALID)
    except (CapabilityUnavailable, PaymentError) as exc:
        return _finish_webhook(webhook_id, "error", str(exc), REPLY_UNAVAILABLE)
    if not isinstance(event, WebhookEvent):
        reason = f"parse_webhook returned {type(event).__name__}, not a WebhookEvent"
        log.error("payment webhook %s for %r: %s", webhook_id, instance, reason)
        return _finish_webhook(webhook_id, "error", reason, REPLY_UNAVAILABLE)
    try:
        reply, change = _apply_event(instance, webhook_id, event)
    except IntegrityError:
        # another request recorded the same event between our check and our insert
        return _finish_webhook(webhook_id, "duplicate", "", _reply(event), event_id=event.event_id)
    _announce(change)
    return reply


def _in_gateway_terms(instance: ConfiguredCapability, reply: WebhookReply) -> WebhookReply:
    """A refusal (4xx, 5xx) worded as the gateway documents it, when it says how (``rejection_reply``).

    WeChat Pay, say, wants ``{"code": "FAIL", "message": …}`` as JSON. The
    status stays the kernel's; a gateway whose wording fails keeps the
    kernel's plain-text reply.
    """
    word = getattr(instance.type.obj, "rejection_reply", None)
    if reply.status < 400 or word is None:
        return reply
    try:
        body, content_type = word(reply.status)
    except Exception:  # the gateway gets a refusal whatever its plugin does
        log.exception("%r could not word its webhook refusal; answering in plain text", instance)
        return reply
    return WebhookReply(reply.status, str(body), str(content_type))


def _store_webhook(instance_id: int, request: WebhookRequest) -> int:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in UNSTORED_HEADERS}
    with transaction() as session:
        row = PaymentWebhook(
            instance_id=instance_id,
            remote_addr=(http_request.remote_addr or "")[:64] if has_request_context() else "",
            headers=headers,
            query=dict(request.query),
            body=request.body,
            status="received",
        )
        session.add(row)
        session.flush()
        return row.id


def _finish_webhook(
    webhook_id: int, status: str, reason: str, reply: WebhookReply, *, event_id: str | None = None
) -> WebhookReply:
    with transaction() as session:
        row = session.get(PaymentWebhook, webhook_id)
        row.status, row.reason, row.response_status = status, reason[:4000], reply.status
        if event_id is not None:
            row.event_id = event_id[:128]
    return reply


def _reply(event: WebhookEvent) -> WebhookReply:
    return WebhookReply(event.response_status, event.response_body, event.response_content_type)


def _apply_event(
    instance: ConfiguredCapability, webhook_id: int, event: WebhookEvent
) -> tuple[WebhookReply, Change | None]:
    """In one transaction: lock the payment, skip a seen event, check it, apply it, record it."""
    with transaction() as session:
        webhook = session.get(PaymentWebhook, webhook_id)
        webhook.event_id = event.event_id[:128]
        webhook.response_status = event.response_status
        payment = _locked_payment_by_reference(event.payment_id)
        if payment is None or payment.instance_id != instance.id:
            return _reject(webhook, f"no payment {event.payment_id!r} through this instance"), None
        webhook.payment_id = payment.id
        seen = session.execute(
            select(PaymentEvent.id).where(
                PaymentEvent.instance_id == instance.id, PaymentEvent.event_id == event.event_id
            )
        ).first()
        if seen is not None:
            webhook.status = "duplicate"
            return _reply(event), None
        change = None
        refund_event = event.kind in REFUND_EVENT_FOR_KIND
        if refund_event:  # settles the pending refund it names, checking the refund's amount
            outcome, problem = refunds.apply_refund_event(payment, event, actor=f"gateway:{instance.type.code}")
        else:
            problem = amount_problem(_amount(payment), event.amount)
        if problem:
            log.warning("payment %s: callback %s rejected: %s", payment.reference, event.event_id, problem)
            return _reject(webhook, problem), None
        lifecycle = EVENT_FOR_KIND.get(event.kind)
        if refund_event:
            webhook.reason = "" if outcome == "applied" else "the refund was already settled"
        elif lifecycle is None:
            outcome = "ignored"
            webhook.reason = f"{event.kind.value} events are not applied to payments"
        else:
            change = _transition(
                payment, lifecycle, reason=f"{event.kind.value} ({event.event_id})",
                actor=f"gateway:{instance.type.code}", event=event, instance=instance,
            )
            outcome = "applied" if change is not None else "no_change"
        webhook.status = "ignored" if outcome == "ignored" else "applied"
        if event.gateway_reference and not payment.gateway_reference:
            payment.gateway_reference = event.gateway_reference[:128]
        session.add(PaymentEvent(
            instance_id=instance.id, event_id=event.event_id, kind=event.kind.value, payment_id=payment.id,
            webhook_id=webhook_id, amount_minor=event.amount.minor, currency=event.amount.currency,
            outcome=outcome, response_status=event.response_status, response_body=event.response_body,
            response_content_type=event.response_content_type,
        ))
        session.flush()
    return _reply(event), change


def _reject(webhook: PaymentWebhook, reason: str) -> WebhookReply:
    webhook.status, webhook.reason, webhook.response_status = "rejected", reason[:4000], REPLY_INVALID.status
    return REPLY_INVALID


# --------------------------------------------------------------------------
# settling by query, confirming offline payments
# --------------------------------------------------------------------------


def payment_by_reference(reference: str) -> Payment:
    """The payment with this public reference; :class:`UnknownPayment` when there is none."""
    payment = None
    if isinstance(reference, str) and REFERENCE_PATTERN.match(reference):
        payment = db.session.execute(select(Payment).where(Payment.reference == reference)).scalar_one_or_none()
    if payment is None:
        raise UnknownPayment(f"no payment with reference {reference!r}")
    return payment


def settle_from_query(reference: str) -> Payment:
    """Ask the gateway how a pending payment stands and apply the answer, like a callback would.

    Used when the customer's browser comes back before the callback: the
    query string of the return URL is never trusted, only the gateway's own
    answer. A payment that is no longer pending is returned as it is.
    Raises :class:`UnknownPayment`, or :class:`~xtycore.domain.errors.CapabilityUnavailable`
    when the gateway cannot be asked.
    """
    payment = payment_by_reference(reference)
    if payment.status != PaymentStatus.PENDING.value:
        return payment
    instance = get_kernel().registry.instance(payment.instance_id, kind="payment")
    result = instance.call("query", payment=payment_ref(payment))
    if not isinstance(result, GatewayResult):
        raise CapabilityUnavailable(f"{instance!r} answered query with {result!r}, not a GatewayResult")
    change = _apply_result(payment.id, instance, "query", result, actor=f"gateway:{instance.type.code}")
    _announce(change)
    db.session.refresh(payment)
    return payment


def confirm_offline(order_number: str, *, actor: str) -> tuple[Payment, bool]:
    """Staff confirm that an offline payment (货到付款, a transfer) was received in full.

    Captures through the order's offline gateway and marks the order paid.
    Returns ``(payment, changed)``; ``changed`` is False when the order was
    already paid by this method (confirming twice changes nothing).
    """
    with transaction():
        order = _locked_order_by_number(order_number)
        if order.payment_instance_id is None:
            raise OrderNotPayable(f"order {order_number} has no payment method")
        instance = get_kernel().registry.instance(order.payment_instance_id, kind="payment")
        if Flow.OFFLINE not in instance.type.obj.features.flows:
            raise OrderNotPayable(
                f"order {order_number} is paid through {instance.display_name}, which staff cannot confirm"
            )
        settled = _latest(order.id, instance.id, PaymentStatus.SUCCEEDED)
        if settled is not None:
            return settled, False
        if not is_payable(order):
            raise OrderNotPayable(f"order {order_number} is {order.status} and cannot take a payment")
        payment = _open_payment(order, instance)
        payment_id, ref = payment.id, payment_ref(payment)
    result = instance.call("capture", payment=ref, amount=ref.amount)
    if not isinstance(result, GatewayResult):
        raise CapabilityUnavailable(f"{instance!r} answered capture with {result!r}, not a GatewayResult")
    if result.status is not TxStatus.SUCCEEDED:
        raise PaymentError(f"{instance.display_name} did not capture {order_number}: {result.message}")
    change = _apply_result(payment_id, instance, "capture", result, actor=f"staff:{actor}")
    _announce(change)
    payment = db.session.get(Payment, payment_id)
    if payment.status != PaymentStatus.SUCCEEDED.value:
        raise PaymentError(
            f"{instance.display_name} captured {order_number} but it was not settled: {payment.attention}"
        )
    return payment, change is not None


def order_payment(order_number: str) -> Payment | None:
    """The payment whose money paid the order (or its latest successful one); None when there is none."""
    return db.session.execute(
        select(Payment).join(Order, Order.id == Payment.order_id)
        .where(Order.number == order_number, Payment.status == PaymentStatus.SUCCEEDED.value)
        .order_by(Payment.paid_order.desc(), Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


def pending_payment(order_id: int) -> Payment | None:
    """The order's latest pending payment (its reference names the QR image and the payment page)."""
    return db.session.execute(
        select(Payment).where(Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING.value)
        .order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


def list_payments(*, status: str | None = None, limit: int = 50) -> list[Payment]:
    """The latest payments, newest first, optionally of one status."""
    query = select(Payment).order_by(Payment.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Payment.status == PaymentStatus(status).value)
    return list(db.session.execute(query).scalars())


def payment_ref(payment: Payment) -> PaymentRef:
    """The payment as gateways see it in capture, void, refund and query."""
    return PaymentRef(
        payment_id=payment.reference,
        amount=_amount(payment),
        gateway_reference=payment.gateway_reference,
        captured=Money.from_minor(payment.captured_minor, payment.currency) if payment.captured_minor else None,
    )


def _apply_result(
    payment_id: int, instance: ConfiguredCapability, verb: str, result: GatewayResult, *, actor: str
) -> Change | None:
    with transaction():
        payment = _locked_payment(payment_id)
        _record(payment, verb, {"status": result.status.value, "message": result.message, **result.raw}, instance)
        lifecycle = EVENT_FOR_TX_STATUS.get(result.status)
        if lifecycle == "succeed":
            problem = amount_problem(_amount(payment), result.amount)
            if problem:
                log.warning("payment %s: %s answer not applied: %s", payment.reference, verb, problem)
                payment.attention = f"{verb}: {problem}"
                return None
        if lifecycle is None:
            return None
        if result.gateway_reference and not payment.gateway_reference:
            payment.gateway_reference = result.gateway_reference[:128]
        return _transition(
            payment, lifecycle, reason=result.message or f"{verb}: {result.status.value}", actor=actor,
            instance=instance,
        )


# --------------------------------------------------------------------------
# the one place a payment's status changes
# --------------------------------------------------------------------------


def _transition(
    payment: Payment, lifecycle: str, *, reason: str, actor: str, event: WebhookEvent | None = None,
    instance: ConfiguredCapability | None = None,
) -> Change | None:
    """Move a locked payment by a lifecycle event; None when it already has that outcome.

    A success holds the amount (``authorized_minor``) and, unless the gateway
    delays capture, captures it, writing the ledger entry; then pays the order.
    """
    current = PaymentStatus(payment.status)
    if not PAYMENT.can(current, lifecycle):
        return None
    new = PAYMENT.apply(current, lifecycle)
    payment.status = new.value
    if new is PaymentStatus.SUCCEEDED:
        delayed = features_of(instance).delayed_capture if instance is not None else False
        payment.authorized_minor = payment.amount_minor
        if not delayed:
            payment.captured_minor = payment.amount_minor
        payment.settled_at = utcnow()
        ledger_entry(
            payment, TxKind.AUTHORIZATION if delayed else TxKind.CAPTURE, payment.amount_minor,
            status=LedgerStatus.SUCCEEDED, actor=actor, reason=reason,
            gateway_reference=(event.gateway_reference if event is not None else "") or payment.gateway_reference,
        )
        _mark_order_paid(payment, actor)
    else:
        payment.failure_reason = reason[:4000]
    return Change(payment, new, event, reason)


def features_of(instance: ConfiguredCapability) -> GatewayFeatures:
    return instance.type.obj.features


def new_key(prefix: str = "T") -> str:
    """A fresh idempotency key for a ledger entry (refunds send it to the gateway as ``refund_id``)."""
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(24))


def ledger_entry(
    payment: Payment, kind: TxKind, amount_minor: int, *, status: LedgerStatus, actor: str, reason: str = "",
    key: str | None = None, gateway_reference: str = "", lines: list | None = None, shipping: bool = False,
) -> PaymentTransaction | None:
    """Add a ledger row for a locked payment; None when a live entry of that kind exists already.

    (Captures, authorisations and voids are one per payment; refunds are many.)
    """
    if kind is not TxKind.REFUND and db.session.execute(
        select(PaymentTransaction.id).where(
            PaymentTransaction.payment_id == payment.id, PaymentTransaction.kind == kind.value,
            PaymentTransaction.status != LedgerStatus.FAILED.value,
        )
    ).first() is not None:
        return None
    done = status is not LedgerStatus.PENDING
    row = PaymentTransaction(
        payment_id=payment.id, kind=kind.value, status=status.value, amount_minor=amount_minor,
        currency=payment.currency, idempotency_key=key or new_key(), gateway_reference=gateway_reference[:128],
        requested_by=actor[:200], reason=reason[:4000], lines=lines or [], includes_shipping=shipping,
        restocked=False, message="", response={}, settled_at=utcnow() if done else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _mark_order_paid(payment: Payment, actor: str) -> None:
    """Mark the order paid; money that arrives for an order that cannot take it is flagged, not lost.

    What then happens to that money is the late-payment policy's business
    (:mod:`xtycore.services.refunds`, after the commit).
    """
    try:
        with db.session.begin_nested():
            changed = orders.mark_paid(payment.order_id, payment.amount_minor, actor=actor, payment=payment)
    except (InvalidTransition, orders.OrderError) as exc:
        payment.attention = f"the money arrived but the order could not take it ({exc}): refund it"
        log.error("payment %s succeeded for order %s, which refused it: %s", payment.reference, payment.order_id, exc)
        return
    if not changed:
        payment.attention = "the order was already paid by another payment: refund this one"
        log.error("payment %s succeeded for order %s, which was already paid", payment.reference, payment.order_id)
        return
    payment.paid_order = True


def _close(payment_id: int, lifecycle: str, *, reason: str) -> Change | None:
    with transaction():
        return _transition(_locked_payment(payment_id), lifecycle, reason=reason, actor="kernel")


def _announce(change: Change | None) -> None:
    """Send the signal of a committed change (only the request that made it gets here)."""
    if change is None:
        return
    app = current_app._get_current_object()
    if change.status is PaymentStatus.SUCCEEDED:
        send_signal(signals.payment_succeeded, app, payment=change.payment, event=change.event)
    else:
        send_signal(signals.payment_failed, app, payment=change.payment, reason=change.reason)


# --------------------------------------------------------------------------
# rows, locks, masking
# --------------------------------------------------------------------------


def _amount(payment: Payment) -> Money:
    return Money.from_minor(payment.amount_minor, payment.currency)


def _locked_order(order_id: int) -> Order:
    order = db.session.execute(select(Order).where(Order.id == order_id).with_for_update()).scalar_one_or_none()
    if order is None:
        raise UnknownPayment(f"no order with id {order_id}")
    return order


def _locked_order_by_number(number: str) -> Order:
    order = db.session.execute(select(Order).where(Order.number == number).with_for_update()).scalar_one_or_none()
    if order is None:
        raise UnknownPayment(f"no order numbered {number!r}")
    return order


def _locked_payment(payment_id: int) -> Payment:
    return db.session.execute(
        select(Payment).where(Payment.id == payment_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _locked_payment_by_reference(reference: str) -> Payment | None:
    if not isinstance(reference, str) or not REFERENCE_PATTERN.match(reference):
        return None
    return db.session.execute(
        select(Payment).where(Payment.reference == reference).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _latest(order_id: int, instance_id: int, status: PaymentStatus) -> Payment | None:
    return db.session.execute(
        select(Payment).where(
            Payment.order_id == order_id, Payment.instance_id == instance_id, Payment.status == status.value
        ).order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


def _record(payment: Payment, verb: str, data: Mapping[str, Any], instance: ConfiguredCapability) -> None:
    """Keep a gateway answer on the payment, with every secret setting and secret-looking field masked."""
    schema = instance.type.schema()
    hidden = [str(instance.settings[name]) for name in vault.secret_fields(schema) if instance.settings.get(name)]
    entry = {"at": utcnow().isoformat(), "verb": verb, "data": masked(data, hidden)}
    payment.responses = [*(payment.responses or [])[-(MAX_RESPONSES - 1):], entry]


def masked(value: Any, hidden: Iterable[str] = ()) -> Any:
    """A JSON-safe copy of ``value``: secret-looking keys masked, any ``hidden`` string replaced by a mask."""
    hidden = [h for h in hidden if h]
    if isinstance(value, Mapping):
        return {
            str(k): vault.mask(v) if _secret_key(str(k)) and v not in (None, "") else masked(v, hidden)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [masked(v, hidden) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(getattr(value, "value", value))
    for secret in hidden:
        text = text.replace(secret, vault.mask(secret))
    return text


def _secret_key(name: str) -> bool:
    parts = re.split(r"[^a-z0-9]+", name.lower())
    return "public" not in parts and any(part.endswith(SECRET_KEY_PARTS) or part in ("sign", "signature")
                                         for part in parts)


from xtycore.services import refunds  # noqa: E402,F401  (connects the kernel's payment receivers)
