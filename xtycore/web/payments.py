"""Payment routes: the webhook inbox, the gateway return, the payment page and its QR code.

- ``POST /webhooks/payment/<instance_id>``: every gateway callback, CSRF-exempt
  (gateways cannot send a token; the gateway's signature is the proof),
  answered with what the gateway expects;
- ``GET /payments/return/<reference>``: where gateways send the customer back;
  settles the payment by asking the gateway (never by reading the query
  string), then redirects to the order page the storefront named;
- ``GET /payments/<reference>``: the payment's own page (status, QR code,
  offline instructions), the fallback when the storefront named no page;
- ``GET /payments/<reference>/qr.png`` and ``/status.json``: the QR image of a
  pending QR payment, made locally, and its status for a page that polls.

Handlers are thin over :mod:`xtycore.services.payments`. The reference is a
random public id: knowing it shows a payment's status, nothing more.
"""

from __future__ import annotations

import io
import logging

import segno
from flask import Blueprint, Response, abort, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext

from xtycore.domain.errors import CapabilityUnavailable, PaymentError, UnknownCapability
from xtycore.domain.money import Money
from xtycore.domain.payment_states import PaymentStatus
from xtycore.domain.payments import Flow
from xtycore.domain.webhooks import WebhookRequest
from xtycore.extensions import csrf
from xtycore.models import Payment
from xtycore.services import payments
from xtycore.themes import render

log = logging.getLogger("xtycore.web.payments")

bp = Blueprint("payments", __name__)
csrf.exempt(bp)

#: What customers read for each payment status.
STATUS_LABELS = {
    PaymentStatus.PENDING: lazy_gettext("Awaiting payment"),
    PaymentStatus.SUCCEEDED: lazy_gettext("Payment successful"),
    PaymentStatus.FAILED: lazy_gettext("Payment not successful"),
    PaymentStatus.CANCELLED: lazy_gettext("Payment closed"),
}


@bp.after_request
def private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@bp.post("/webhooks/payment/<int:instance_id>")
def webhook(instance_id: int) -> Response:
    request.max_content_length = payments.MAX_WEBHOOK_BYTES
    body = request.get_data(cache=True)
    form = request.form.to_dict() if request.mimetype == "application/x-www-form-urlencoded" else {}
    reply = payments.apply_webhook(
        instance_id,
        WebhookRequest(body=body, headers=dict(request.headers), query=request.args.to_dict(), form=form),
    )
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


@bp.get("/payments/return/<reference>")
def return_from_gateway(reference: str) -> Response:
    try:
        payment = payments.settle_from_query(reference)
    except payments.UnknownPayment:
        abort(404)
    except (CapabilityUnavailable, UnknownCapability, PaymentError) as exc:
        # the callback will still settle it; the customer sees it pending meanwhile
        log.warning("payment %s: could not ask the gateway on return: %s", reference, exc)
        payment = payments.payment_by_reference(reference)
    return redirect(payment.return_url or url_for("payments.show", reference=reference), code=303)


def _payment(reference: str) -> Payment:
    try:
        return payments.payment_by_reference(reference)
    except payments.UnknownPayment:
        abort(404)


def payment_context(payment: Payment) -> dict:
    status = PaymentStatus(payment.status)
    pending_qr = status is PaymentStatus.PENDING and payment.flow == Flow.QR.value and bool(payment.qr_content)
    return {
        "payment": payment,
        "order_number": payment.order.number,
        "amount": Money.from_minor(payment.amount_minor, payment.currency),
        "status_label": STATUS_LABELS[status],
        "qr_image_url": url_for("payments.qr_png", reference=payment.reference) if pending_qr else None,
        "instructions": payment.instructions if status is PaymentStatus.PENDING else "",
        "order_url": payment.return_url,
    }


@bp.get("/payments/<reference>")
def show(reference: str) -> str:
    return render("payments/payment.html", **payment_context(_payment(reference)))


@bp.get("/payments/<reference>/status.json")
def status(reference: str) -> Response:
    payment = _payment(reference)
    return jsonify(reference=payment.reference, status=payment.status)


@bp.get("/payments/<reference>/qr.png")
def qr_png(reference: str) -> Response:
    payment = _payment(reference)
    if payment.status != PaymentStatus.PENDING.value or not payment.qr_content:
        abort(404)
    image = io.BytesIO()
    segno.make(payment.qr_content, error="m").save(image, kind="png", scale=8, border=4)
    return Response(image.getvalue(), content_type="image/png")
