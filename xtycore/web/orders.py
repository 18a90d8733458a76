"""Order pages: a customer's orders under ``/account/orders``, a guest's through a signed
link (``/orders/<token>``, also the confirmation page after checkout), cancelling
before shipping, and paying an unpaid order.

Thin handlers over :mod:`xtycore.services.orders` and
:mod:`xtycore.services.checkout`. Another customer's order is a 404, exactly
like an order that does not exist. Every POST is CSRF-checked by CSRFProtect.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from xtycore.domain import errors as domain_errors
from xtycore.domain.catalog import PurchaseLimitExceeded
from xtycore.domain.errors import XtyError
from xtycore.domain.payments import Flow
from xtycore.domain.states import InvalidTransition, OrderStatus
from xtycore.extensions import db
from xtycore.models import Order, Payment
from xtycore.security import current_customer, customer_required
from xtycore.services import accounts, checkout, orders, payments, reviews
from xtycore.services.mail import MailError
from xtycore.themes import render

log = logging.getLogger("xtycore.web.orders")

bp = Blueprint("orders", __name__)

#: Session key: order number -> what an offline payment method told the customer to do.
PAYMENT_NOTES_KEY = "xty_payment_notes"
#: The route the payments module serves a pending QR payment's image from (by payment reference).
QR_IMAGE_ENDPOINT = "payments.qr_png"
ORDERS_PER_PAGE = 20
#: Flash category of "please pay" messages: the order page drops them once the order is paid.
PAYMENT_DUE = "payment_due"
#: What customers read for each order status, in their language.
STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: lazy_gettext("Awaiting payment"),
    OrderStatus.PAID: lazy_gettext("Paid, awaiting shipment"),
    OrderStatus.SHIPPED: lazy_gettext("Shipped"),
    OrderStatus.DELIVERED: lazy_gettext("Delivered"),
    OrderStatus.COMPLETED: lazy_gettext("Completed"),
    OrderStatus.CANCELLED: lazy_gettext("Cancelled"),
    OrderStatus.REFUNDED: lazy_gettext("Refunded"),
}


@bp.after_request
def private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


# --------------------------------------------------------------------------
# helpers shared with the checkout
# --------------------------------------------------------------------------


#: What customers read for errors whose own message is written in one language only (the domain's
#: English defaults, the Chinese of the account, review, order and mail services), by the class that
#: wrote it. Messages an error was given when raised (with its values) are shown as they are.
CUSTOMER_MESSAGES = {
    domain_errors.XtyError: lazy_gettext("Something went wrong. Please try again."),
    domain_errors.CapabilityUnavailable: lazy_gettext(
        "This service is temporarily unavailable. Nothing was charged; please try again."),
    domain_errors.PaymentError: lazy_gettext("The payment could not be completed. Nothing was charged."),
    domain_errors.PaymentDeclined: lazy_gettext("The payment was declined."),
    domain_errors.GatewayUnavailable: lazy_gettext(
        "The payment service is not answering. Nothing was charged; please try again."),
    domain_errors.CourierError: lazy_gettext("The delivery service is not available right now."),
    domain_errors.NotDeliverable: lazy_gettext("This courier does not deliver to the address."),
    PurchaseLimitExceeded: lazy_gettext("You have reached the purchase limit for this product."),
    InvalidTransition: lazy_gettext("This action is not possible in the order's current state."),
    payments.UnknownPayment: lazy_gettext("This payment does not exist."),
    payments.OrderNotPayable: lazy_gettext("This order cannot be paid now."),
    orders.OrderNotFound: lazy_gettext("This order does not exist."),
    orders.AmountMismatch: lazy_gettext("The amount paid does not match the order total."),
    accounts.EmailTaken: lazy_gettext("This email is already registered. Sign in or reset your password."),
    accounts.MobileTaken: lazy_gettext("This mobile number is used by another account."),
    accounts.InvalidCredentials: lazy_gettext("Wrong account or password."),
    accounts.AccountDisabled: lazy_gettext("This account is disabled. Please contact customer service."),
    accounts.WrongPassword: lazy_gettext("The current password is not correct."),
    accounts.ResetLinkInvalid: lazy_gettext("This reset link is not valid or was used already. Please ask again."),
    accounts.ResetLinkExpired: lazy_gettext("This reset link has expired. Please ask again."),
    reviews.ReviewNotFound: lazy_gettext("This review does not exist."),
    reviews.PhotoRejected: lazy_gettext(
        "A photo cannot be used: upload JPEG, PNG, WebP or GIF pictures of at most 8 MB each."),
    MailError: lazy_gettext("The email cannot be sent right now. Please try again later."),
}


def customer_text(exc: XtyError) -> str:
    """What the customer reads for an error, in the request's language.

    The message of the class that set it, through :data:`CUSTOMER_MESSAGES`
    when that class writes in one language only; a lazy translation or a
    message the error was raised with as it is.
    """
    if "customer_message" not in vars(exc):
        for cls in type(exc).__mro__:
            if "customer_message" in vars(cls):
                return str(CUSTOMER_MESSAGES.get(cls, exc.customer_message))
    return str(exc.customer_message)


def say(message: Any, category: str = "message") -> None:
    """Flash a message (a lazy translation is written out now, in the request's language)."""
    flash(str(message), category)


def drop_flashes(category: str) -> None:
    """Forget the flashed messages of one category that have not been shown yet."""
    flashes = session.get("_flashes")
    if flashes:
        kept = [(c, m) for c, m in flashes if c != category]
        if len(kept) != len(flashes):
            session["_flashes"] = kept


def status_label(status: str) -> str:
    """An order status as the customer reads it."""
    return str(STATUS_LABELS[OrderStatus(status)])


def link_url(order: Order, **values: Any) -> str:
    """The order's signed page: a guest's only way in, and the confirmation page for everyone."""
    return url_for("orders.view", token=orders.order_link_token(order), **values)


def shop_time(moment: datetime | None) -> str:
    """A stored (UTC) time as the shop's clock shows it (``SHOP_TIMEZONE``), to the minute."""
    if moment is None:
        return ""
    return orders.aware(moment).astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def order_context(order: Order, *, pay_url: str, cancel_url: str, **extra: Any) -> dict[str, Any]:
    """What the order pages show: the order, what may be done with it, and where to post it."""
    notes = session.get(PAYMENT_NOTES_KEY) or {}
    pending = order.status == OrderStatus.PENDING_PAYMENT.value
    if not pending:
        # back from the gateway with the order paid (or closed): "please pay" no longer holds
        drop_flashes(PAYMENT_DUE)
    return {
        "order": order,
        "status_label": status_label(order.status),
        "status_labels": {status.value: label for status, label in STATUS_LABELS.items()},
        "paid": order.status in {s.value for s in orders.PAID_STATUSES},
        "pay_url": pay_url,
        "cancel_url": cancel_url,
        "can_cancel": orders.can_cancel(order),
        "can_pay": pending and order.payment_instance_id is not None and checkout.payments_module() is not None,
        "payment_deadline": orders.payment_deadline(order) if pending else None,
        "payment_instructions": (notes.get(order.number) or _stored_instructions(order)) if pending else "",
        "payment_failed": pending and _latest_payment_failed(order),
        "customer": current_customer(),
        "shop_time": shop_time,
        **extra,
    }


def _latest_payment_failed(order: Order) -> bool:
    """Whether the order's latest payment attempt failed or was declined (the customer is told why it is unpaid)."""
    status = db.session.execute(
        select(Payment.status).where(Payment.order_id == order.id).order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()
    return status == "failed"


def _stored_instructions(order: Order) -> str:
    """What the order's latest pending offline payment told the customer (the payments module keeps it)."""
    return db.session.execute(
        select(Payment.instructions)
        .where(Payment.order_id == order.id, Payment.status == "pending", Payment.flow == Flow.OFFLINE.value)
        .order_by(Payment.id.desc())
    ).scalars().first() or ""


def qr_image_url(order: Order) -> str | None:
    """The QR image the payments module serves for the order's pending QR payment, if it has one."""
    if QR_IMAGE_ENDPOINT not in current_app.view_functions:
        return None
    reference = db.session.execute(
        select(Payment.reference)
        .where(Payment.order_id == order.id, Payment.status == "pending", Payment.flow == Flow.QR.value)
        .order_by(Payment.id.desc())
    ).scalars().first()
    return url_for(QR_IMAGE_ENDPOINT, reference=reference) if reference else None


def pay(order: Order, token: str | None = None) -> Response | str:
    """Start paying ``order`` (outside any order transaction) and take the customer where the gateway says.

    The gateway sends the customer back to the order's signed page (``token``, or a new one).
    """
    token = token or orders.order_link_token(order)
    confirmation = url_for("orders.view", token=token)
    try:
        action = checkout.start_payment(order.id, url_for("orders.view", token=token, _external=True))
    except XtyError as exc:
        log.warning("payment of order %s could not start: %s", order.number, exc)
        say(gettext("The payment could not be started: %(reason)s The order is kept; please pay for it later "
                    "from the order page.", reason=customer_text(exc)))
        return redirect(confirmation, code=303)
    if action is None:
        return redirect(confirmation, code=303)
    if action.flow is Flow.REDIRECT:
        return redirect(action.url, code=303)
    if action.flow is Flow.QR:
        return render("checkout/pay_qr.html", order=order, action=action, qr_image_url=qr_image_url(order),
                      confirmation_url=confirmation)
    if action.flow is Flow.FORM:
        return render("checkout/pay_form.html", order=order, action=action, confirmation_url=confirmation)
    notes = dict(session.get(PAYMENT_NOTES_KEY) or {})
    notes[order.number] = action.instructions
    session[PAYMENT_NOTES_KEY] = dict(list(notes.items())[-5:])
    return redirect(confirmation, code=303)


def _cancel(order: Order, actor: str, back: str) -> Response:
    try:
        orders.cancel(order.id, actor=actor, reason=request.form.get("reason", "")[:500] or "顾客取消")
    except InvalidTransition:
        say(gettext("The order has been shipped or cancelled already and cannot be cancelled."))
    else:
        say(gettext("The order has been cancelled. What you paid will be refunded the way you paid.")
            if order.paid_minor else gettext("The order has been cancelled."))
    return redirect(back, code=303)


# --------------------------------------------------------------------------
# a customer's orders
# --------------------------------------------------------------------------


def _own_order(number: str) -> Order:
    try:
        return orders.customer_order(current_customer().id, number)
    except orders.OrderNotFound:
        abort(404)


@bp.route("/account/orders")
@customer_required
def account_orders():
    page = max(request.args.get("page", 1, type=int), 1)
    found, total = orders.customer_orders(current_customer().id, page=page, per_page=ORDERS_PER_PAGE)
    pages = max(1, -(-total // ORDERS_PER_PAGE))
    return render("orders/list.html", orders=found, total=total, page_number=page, pages=pages,
                  customer=current_customer(), status_label=status_label, shop_time=shop_time)


@bp.route("/account/orders/<number>")
@customer_required
def account_order(number: str):
    order = _own_order(number)
    return render("orders/detail.html", **order_context(
        order, pay_url=url_for(".pay_account_order", number=number),
        cancel_url=url_for(".cancel_account_order", number=number)))


@bp.route("/account/orders/<number>/cancel", methods=["POST"])
@customer_required
def cancel_account_order(number: str):
    order = _own_order(number)
    return _cancel(order, f"customer:{order.customer_id}", url_for(".account_order", number=number))


@bp.route("/account/orders/<number>/pay", methods=["POST"])
@customer_required
def pay_account_order(number: str):
    order = _own_order(number)
    if order.status != OrderStatus.PENDING_PAYMENT.value:
        say(gettext("This order needs no payment."))
        return redirect(url_for(".account_order", number=number), code=303)
    return pay(order)


# --------------------------------------------------------------------------
# the signed link: guests, and the confirmation page
# --------------------------------------------------------------------------


def _linked_order(token: str) -> Order:
    try:
        order = orders.order_for_link(token)
    except orders.OrderNotFound:
        abort(404)
    customer = current_customer()
    if order.customer_id is not None and (customer is None or customer.id != order.customer_id):
        # a customer's order opens for that customer only, even with its link
        abort(404)
    return order


@bp.route("/orders/<token>")
def view(token: str):
    order = _linked_order(token)
    return render("orders/confirmation.html", **order_context(
        order, pay_url=url_for(".pay_linked_order", token=token),
        cancel_url=url_for(".cancel_linked_order", token=token), link=url_for(".view", token=token, _external=True)))


@bp.route("/orders/<token>/cancel", methods=["POST"])
def cancel_linked_order(token: str):
    order = _linked_order(token)
    actor = f"customer:{order.customer_id}" if order.customer_id is not None else "guest"
    return _cancel(order, actor, url_for(".view", token=token))


@bp.route("/orders/<token>/pay", methods=["POST"])
def pay_linked_order(token: str):
    order = _linked_order(token)
    if order.status != OrderStatus.PENDING_PAYMENT.value:
        say(gettext("This order needs no payment."))
        return redirect(url_for(".view", token=token), code=303)
    return pay(order, token)
