"""The cart (``/cart``) and the checkout steps (``/checkout/…``): thin handlers over
:mod:`xtycore.services.cart` and :mod:`xtycore.services.checkout`.

A visitor's session holds only the secret token of their cart row; a signed-in
customer's cart is found by their id, and a visitor's cart is merged into it
when they log in (Flask-Login's ``user_logged_in`` signal, and on the next
request for sessions that skipped it, such as "remember me" cookies). Forms
post variant ids and quantities; a price a browser posts is never read.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import user_logged_in
from marshmallow import ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from xtycore.domain.catalog import CatalogError
from xtycore.domain.addresses import MAX_LENGTHS, ChineseAddress, mobile_error
from xtycore.domain.addresses import Message as _
from xtycore.domain.errors import XtyError
from xtycore.extensions import db
from xtycore.models import Cart, Customer
from xtycore.schemas.accounts import REQUIRED, AddressSchema, FormSchema
from xtycore.security import current_customer, redirect_to_login, safe_next_url
from xtycore.services import addresses
from xtycore.services import cart as carts
from xtycore.services import checkout
from xtycore.themes import render
from xtycore.web.orders import PAYMENT_DUE, customer_text, link_url, pay, say

log = logging.getLogger("xtycore.web.cart")

bp = Blueprint("cart", __name__)

#: Session key of a visitor's cart token.
CART_SESSION_KEY = "xty_cart"


@bp.after_request
def private(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --------------------------------------------------------------------------
# whose cart
# --------------------------------------------------------------------------


def customer_id() -> int | None:
    customer = current_customer()
    return customer.id if customer is not None else None


def current_cart(*, create: bool = False) -> Cart | None:
    """The cart of whoever is asking; a leftover visitor cart is merged into a customer's first."""
    customer = current_customer()
    if customer is not None:
        if session.get(CART_SESSION_KEY):
            carts.merge_guest_cart(session[CART_SESSION_KEY], customer.id)
            session.pop(CART_SESSION_KEY)
        cart = carts.customer_cart(customer.id)
        return cart if cart is not None or not create else carts.create_cart(customer.id)
    cart = carts.guest_cart(session.get(CART_SESSION_KEY))
    if cart is None and create:
        cart = carts.create_cart()
        session[CART_SESSION_KEY] = cart.token
    return cart


def merge_at_login(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """Flask-Login's ``user_logged_in``: move the visitor's cart into the customer's.

    Fails open: a login never fails because of the cart; the cart page merges
    on the next request instead.
    """
    if not isinstance(user, Customer) or not session.get(CART_SESSION_KEY):
        return
    try:
        carts.merge_guest_cart(session[CART_SESSION_KEY], user.id)
    except (SQLAlchemyError, XtyError):
        db.session.rollback()
        log.exception("could not merge the visitor cart of customer %s at login", user.id)
        return
    session.pop(CART_SESSION_KEY, None)


@bp.record_once
def _listen_to_logins(state: Any) -> None:
    user_logged_in.connect(merge_at_login, state.app)


def back_to(default: str) -> str:
    return safe_next_url(request.form.get("next") or request.args.get("next")) or default


# --------------------------------------------------------------------------
# the cart
# --------------------------------------------------------------------------


@bp.route("/cart")
def view():
    cart = current_cart()
    priced = carts.view_cart(cart, customer_id()) if cart is not None else None
    return render("cart.html", cart=priced)


def _quantity(name: str = "quantity", default: int | None = None) -> int:
    value = request.form.get(name, default, type=int)
    if value is None:
        raise carts.InvalidQuantity(f"form field {name} is missing or not a number")
    return value


@bp.route("/cart/add", methods=["POST"])
def add():
    target = back_to(url_for(".view"))
    variant_id = request.form.get("variant_id", type=int)
    try:
        if variant_id is None:
            raise carts.ProductUnavailable("no variant_id posted")
        cart = current_cart(create=True)
        carts.add_item(cart.id, variant_id, _quantity(default=1), customer_id=customer_id())
    except (carts.CartError, CatalogError) as exc:
        say(customer_text(exc))
    else:
        say(gettext("Added to your cart."))
    return redirect(target, code=303)


@bp.route("/cart/lines/<int:variant_id>", methods=["POST"])
def update_line(variant_id: int):
    cart = current_cart()
    if cart is not None:
        try:
            carts.set_quantity(cart.id, variant_id, _quantity(), customer_id=customer_id())
        except (carts.CartError, CatalogError) as exc:
            say(customer_text(exc))
    return redirect(url_for(".view"), code=303)


@bp.route("/cart/lines/<int:variant_id>/remove", methods=["POST"])
def remove_line(variant_id: int):
    cart = current_cart()
    if cart is not None:
        carts.remove_item(cart.id, variant_id)
    return redirect(url_for(".view"), code=303)


@bp.route("/cart/coupons", methods=["POST"])
def add_coupon():
    try:
        cart = current_cart(create=True)
        code = carts.add_coupon(cart.id, request.form.get("code", ""))
    except carts.CartError as exc:
        say(customer_text(exc))
    else:
        say(gettext("Coupon %(code)s added; the discounts it qualifies for are applied automatically.", code=code))
    return redirect(back_to(url_for(".view")), code=303)


@bp.route("/cart/coupons/remove", methods=["POST"])
def remove_coupon():
    cart = current_cart()
    if cart is not None:
        carts.remove_coupon(cart.id, request.form.get("code", ""))
    return redirect(back_to(url_for(".view")), code=303)


# --------------------------------------------------------------------------
# checkout
# --------------------------------------------------------------------------

STEP_ENDPOINTS = {"address": ".address", "shipping": ".shipping", "payment": ".payment", "review": ".review"}


class GuestContactSchema(FormSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254, error=_("This email address is too long")),
                         error_messages={**REQUIRED, "invalid": _("Please enter a valid email address")})


def _mobile(value: str) -> None:
    message = mobile_error(value)
    if message:
        raise ValidationError(message)


class PickupContactSchema(FormSchema):
    """Who collects a pickup order: the recipient and mobile rules of the address book."""

    recipient = fields.String(required=True, error_messages=REQUIRED, validate=[
        validate.Length(min=1, error=_("Please enter the name of who collects the order")),
        validate.Length(max=MAX_LENGTHS["recipient"],
                        error=_("At most %(number)s characters", number=MAX_LENGTHS["recipient"])),
    ])
    mobile = fields.String(required=True, error_messages=REQUIRED, validate=_mobile)


def _checkout_cart() -> Cart | Response:
    """The cart to check out, or where to send the shopper instead (login, the empty cart)."""
    if current_customer() is None and not current_app.config["ALLOW_GUEST_CHECKOUT"]:
        say(gettext("Please sign in to check out."))
        return redirect_to_login()
    cart = current_cart()
    if cart is None or not cart.lines:
        say(gettext("Your cart is empty."))
        return redirect(url_for(".view"), code=303)
    return cart


def _redirect_for(exc: XtyError) -> Response:
    """Where to send the shopper when checkout cannot go on, with the reason shown there."""
    say(customer_text(exc))
    if isinstance(exc, checkout.CheckoutIncomplete):
        return redirect(url_for(STEP_ENDPOINTS[exc.step]), code=303)
    if isinstance(exc, checkout.ShippingUnavailable):
        return redirect(url_for(".shipping"), code=303)
    if isinstance(exc, checkout.PaymentUnavailable):
        return redirect(url_for(".payment"), code=303)
    if isinstance(exc, (checkout.CheckoutExpired, checkout.PricesChanged)):
        return redirect(url_for(".review"), code=303)
    return redirect(url_for(".view"), code=303)


def _step_page(step: str, cart: Cart, **context: Any) -> str:
    context.setdefault("errors", {})
    chosen = context.pop("choices", None) or checkout.choices(cart)
    return render(f"checkout/{step}.html", step=step, steps=checkout.STEPS, choices=chosen,
                  method=context.pop("method", chosen.method), customer=current_customer(), **context)


@bp.route("/checkout")
def start():
    cart = _checkout_cart()
    if not isinstance(cart, Cart):
        return cart
    step = checkout.choices(cart).missing_step or "review"
    return redirect(url_for(STEP_ENDPOINTS[step]), code=303)


@bp.route("/checkout/address", methods=["GET", "POST"])
def address():
    """Step 1: where the order goes. When the enabled couriers offer both shipping and pickup, the shopper
    first chooses (``?method=``, a link each, so it works without JavaScript); with pickup couriers only,
    pickup it is. Pickup asks only for who collects it (name and mobile) and, for a guest, the email address."""
    cart = _checkout_cart()
    if not isinstance(cart, Cart):
        return cart
    customer = current_customer()
    chosen = checkout.choices(cart)
    offered = checkout.offered_methods()
    # a form names its method (an address form without one ships); a page shows the one asked for, else the chosen one
    method = request.form.get("method", checkout.SHIP) if request.method == "POST" else (
        request.args.get("method") or chosen.method)
    if method not in offered:
        method = offered[0]
    book = addresses.list_addresses(customer.id) if customer is not None and method == checkout.SHIP else []
    values: dict[str, Any] = {
        **(vars(chosen.address) if chosen.address else {}),
        **(vars(chosen.contact) if chosen.contact and method == checkout.PICKUP else {}),
        "email": chosen.email,
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        saved_id = request.form.get("address_id", type=int)
        if method == checkout.PICKUP:
            data, errors = _load_form(PickupContactSchema, values, guest=customer is None)
            if data is not None:
                contact = checkout.PickupContact(recipient=data["recipient"], mobile=data["mobile"])
                checkout.set_pickup(cart.id, contact, email=data.get("email", ""))
                return redirect(url_for(".shipping"), code=303)
        elif customer is not None and saved_id:
            try:
                row = addresses.get_address(customer.id, saved_id)
            except addresses.AddressNotFound:
                errors = {"address_id": [gettext("Please choose a delivery address")]}
            else:
                checkout.set_address(cart.id, _address_of(row), address_id=row.id)
                return redirect(url_for(".shipping"), code=303)
        else:
            data, errors = _load_form(AddressSchema, values, guest=customer is None)
            if data is not None:
                checkout.set_address(cart.id, data["address"], email=data.get("email", ""))
                if customer is not None and request.form.get("save_address"):
                    _save_to_book(customer.id, data["address"])
                return redirect(url_for(".shipping"), code=303)
    page = _step_page("address", cart, book=book, values=values, errors=errors, method=method, methods=offered)
    return page, 422 if errors else 200


def _address_of(row: Any) -> ChineseAddress:
    return ChineseAddress(recipient=row.recipient, mobile=row.mobile, province=row.province, city=row.city,
                          district=row.district, street=row.street, postcode=row.postcode or "")


def _load_form(schema: type[FormSchema], values: dict[str, str], *,
               guest: bool) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The form's data, with a guest's email address, or (None, every field's problems)."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    try:
        data.update(schema().load(values))
    except ValidationError as exc:
        errors.update(addresses.translated_errors(exc.normalized_messages()))
    if guest:
        try:
            data.update(GuestContactSchema().load(values))
        except ValidationError as exc:
            errors.update(addresses.translated_errors(exc.normalized_messages()))
    return (None, errors) if errors else (data, {})


def _save_to_book(owner_id: int, address: ChineseAddress) -> None:
    try:
        addresses.add_address(owner_id, address)
    except addresses.AddressBookFull as exc:
        say(customer_text(exc))


@bp.route("/checkout/shipping", methods=["GET", "POST"])
def shipping():
    cart = _checkout_cart()
    if not isinstance(cart, Cart):
        return cart
    chosen = checkout.choices(cart)
    if chosen.missing_step == "address":
        return redirect(url_for(".address"), code=303)
    view = carts.view_cart(cart, customer_id())
    try:
        checkout.require_orderable(view)
    except checkout.CheckoutError as exc:
        return _redirect_for(exc)
    pickup = chosen.method == checkout.PICKUP
    found = checkout.shipping_options(view, None if pickup else chosen.address)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        key = request.form.get("option", "")
        option = next((o for o in found.options if o.key == key), None)
        if option is not None:
            checkout.choose_shipping(cart.id, option.instance_id, option.quote.code)
            return redirect(url_for(".payment"), code=303)
        errors = {"option": [gettext("Please choose a pickup location") if pickup
                             else gettext("Please choose a delivery method")]}
    selected = f"{chosen.courier_instance_id}:{chosen.quote_code}"
    page = _step_page("shipping", cart, cart_view=view, options=found.options, courier_errors=found.errors,
                      selected=selected, errors=errors)
    return page, 422 if errors else 200


@bp.route("/checkout/payment", methods=["GET", "POST"])
def payment():
    cart = _checkout_cart()
    if not isinstance(cart, Cart):
        return cart
    chosen = checkout.choices(cart)
    if chosen.missing_step in ("address", "shipping"):
        return redirect(url_for(STEP_ENDPOINTS[chosen.missing_step]), code=303)
    options = checkout.payment_options(cart.currency)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            checkout.choose_payment(cart.id, request.form.get("payment_instance_id", -1, type=int))
        except checkout.PaymentUnavailable:
            errors = {"payment_instance_id": [gettext("Please choose a payment method")]}
        else:
            return redirect(url_for(".review"), code=303)
    page = _step_page("payment", cart, options=options, selected=chosen.payment_instance_id, errors=errors)
    return page, 422 if errors else 200


@bp.route("/checkout/review")
def review():
    cart = _checkout_cart()
    if not isinstance(cart, Cart):
        return cart
    try:
        prepared = checkout.prepare_review(cart, customer_id())
    except XtyError as exc:
        return _redirect_for(exc)
    token = checkout.issue_checkout_token(cart.id)
    return _step_page("review", cart, review=prepared, checkout_token=token)


@bp.route("/checkout/place", methods=["POST"])
def place():
    """Place the reviewed order. A repeated submit (double click, second tab) lands on the same order."""
    cart = current_cart()
    try:
        placement = checkout.place_order(
            cart.id if cart is not None else None, request.form.get("checkout_token", ""),
            customer_id=customer_id(), expected_total_minor=request.form.get("expected_total_minor", type=int),
        )
    except XtyError as exc:
        return _redirect_for(exc)
    order = placement.order
    if not placement.created:
        return redirect(link_url(order), code=303)
    if order.status != "pending_payment":
        say(gettext("Your order has been placed."))
        return redirect(link_url(order), code=303)
    # shown with the order until it is paid: the confirmation page drops it once the payment went through
    say(gettext("Your order has been placed. Please pay for it soon."), PAYMENT_DUE)
    return pay(order)
