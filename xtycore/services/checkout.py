"""Checkout: address, shipping option, payment method, review, and placing the order.

The choices made on the way are kept on the cart row (``Cart.checkout``), so
any worker process can serve the next step. Shipping prices are quoted again
and promotions evaluated again whenever a page needs them: nothing a browser
sends is ever a price.

Placing an order (:func:`place_order`) is idempotent and atomic:

- the review page issues a checkout token (:func:`issue_checkout_token`);
  the order is written with it under a unique constraint, so a second submit
  of the same review, from a double click or a second tab, gets the order the
  first one placed;
- the plugin calls that price the order (courier quotes, promotions, tax)
  run before the write transaction, so no remote call holds the write lock;
  inside one ``transaction()`` the cart lines and prices are read again and
  must be what was priced, purchase limits are checked again on the locked
  customer row, stock is taken with one conditional
  ``UPDATE … WHERE stock >= n`` per line (its row count checked), the order
  number is chosen (:func:`~xtycore.services.orders.new_order_number`, tried
  again on the rare collision), and the order, its lines and its first event
  are written and the cart emptied. Any failure writes nothing;
- payment starts only after that transaction has committed
  (:func:`start_payment`).
"""

from __future__ import annotations

import importlib
import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext, lazy_gettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from xtycore.domain.addresses import ChineseAddress
from xtycore.domain.catalog import ProductStatus, check_purchase_limit
from xtycore.domain.contributions import TaxLine
from xtycore.domain.couriers import Address, Parcel, Quote, ShipmentRequest
from xtycore.domain.errors import UnknownCapability, XtyError
from xtycore.domain.money import Money
from xtycore.domain.payments import Flow, PaymentAction
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Cart, CartLine, Customer, Order, OrderEvent, OrderLine, Product, Variant
from xtycore.models.kernel import utcnow
from xtycore.models.orders import PICKUP, SHIP
from xtycore.services import cart as carts
from xtycore.services import orders
from xtycore.signals import order_placed

log = logging.getLogger("xtycore.checkout")

#: The checkout steps, in order; the review comes when the first three are chosen. For a pickup
#: order the first step asks for the pickup contact and the second for the pickup location.
STEPS = ("address", "shipping", "payment", "review")
#: How the order reaches the customer: sent to an address, or collected at a pickup location.
METHODS = (SHIP, PICKUP)
#: Attempts at a unique order number before giving up (collisions are rare; see builtin.order_numbers).
ORDER_NUMBER_ATTEMPTS = 5
#: Choices kept on the cart after an order is placed, so the next checkout starts from them.
KEPT_CHOICES = ("method", "address", "address_id", "contact", "email")


class CheckoutError(XtyError):
    """The order cannot be placed as things are; ``customer_message`` says what to do."""

    customer_message = lazy_gettext("The order could not be placed just now. Please try again.")


class EmptyCart(CheckoutError):
    customer_message = lazy_gettext("Your cart is empty.")


class CartNotReady(CheckoutError):
    """A line cannot be ordered as it is (off sale, past a purchase limit)."""

    customer_message = lazy_gettext("Something in your cart cannot be bought right now. Please change it first.")


class SoldOut(CheckoutError):
    """Not enough stock for a line; the message names the product."""

    def __init__(self, product_name: str, message: str = "") -> None:
        super().__init__(
            message or f"{product_name} sold out",
            customer_message=lazy_gettext(
                "Sorry, %(product)s is sold out or short of stock. The order was not placed; please change your cart.",
                product=product_name),
        )
        self.product_name = product_name


class CheckoutIncomplete(CheckoutError):
    """A step has no choice yet; ``step`` names it."""

    customer_message = lazy_gettext("Please finish the previous checkout steps first.")

    def __init__(self, step: str) -> None:
        super().__init__(f"checkout step {step!r} is not done")
        self.step = step


class ShippingUnavailable(CheckoutError):
    customer_message = lazy_gettext("The delivery method you chose is not available. Please choose again.")


class PaymentUnavailable(CheckoutError):
    customer_message = lazy_gettext("The payment method you chose is not available. Please choose again.")


class CheckoutExpired(CheckoutError):
    """The review was of another cart state: the cart or a choice changed since."""

    customer_message = lazy_gettext("Your cart or checkout details changed. Please check the order again.")


class PricesChanged(CheckoutError):
    customer_message = lazy_gettext("Prices or discounts changed. Please check the order total again.")


class GuestCheckoutDisabled(CheckoutError):
    customer_message = lazy_gettext("Please sign in to check out.")


# --------------------------------------------------------------------------
# the choices, kept on the cart
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PickupContact:
    """Who collects a pickup order: a name and a mainland mobile number, the rules of the address book."""

    recipient: str
    mobile: str


@dataclass(frozen=True)
class Choices:
    """What the customer chose so far."""

    #: SHIP (to ``address``) or PICKUP (by ``contact``, at a location the shipping step offers)
    method: str = SHIP
    address: ChineseAddress | None = None
    contact: PickupContact | None = None
    #: the address book entry it came from, if any
    address_id: int | None = None
    #: a guest's email address (customers use their account's)
    email: str = ""
    courier_instance_id: int | None = None
    quote_code: str = ""
    payment_instance_id: int | None = None

    @property
    def missing_step(self) -> str | None:
        """The first step without a choice, or None when the review can be shown."""
        if (self.contact if self.method == PICKUP else self.address) is None:
            return "address"
        if self.courier_instance_id is None or not self.quote_code:
            return "shipping"
        if self.payment_instance_id is None:
            return "payment"
        return None


def choices(cart: Cart) -> Choices:
    data = cart.checkout or {}
    address, contact = data.get("address"), data.get("contact")
    return Choices(
        method=PICKUP if data.get("method") == PICKUP else SHIP,
        address=ChineseAddress(**address) if isinstance(address, dict) else None,
        contact=PickupContact(**contact) if isinstance(contact, dict) else None,
        address_id=data.get("address_id"),
        email=data.get("email", ""),
        courier_instance_id=data.get("courier_instance_id"),
        quote_code=data.get("quote_code", ""),
        payment_instance_id=data.get("payment_instance_id"),
    )


def _save_choices(cart_id: int, **changes: Any) -> None:
    with transaction():
        cart = carts.locked_cart(cart_id)
        cart.checkout = {**(cart.checkout or {}), **changes}
        carts.touch(cart)


def set_address(cart_id: int, address: ChineseAddress, *, email: str = "", address_id: int | None = None) -> None:
    """Send the order to this (validated) address; the shipping choice is cleared, as quotes depend on it."""
    _save_choices(cart_id, method=SHIP, address=asdict(address), email=email, address_id=address_id,
                  courier_instance_id=None, quote_code="")


def set_pickup(cart_id: int, contact: PickupContact, *, email: str = "") -> None:
    """Collect the order: this (validated) contact picks it up; no address is asked, the location comes next.

    An address chosen before is kept for a change of mind, but not used while the method is pickup.
    """
    _save_choices(cart_id, method=PICKUP, contact=asdict(contact), email=email,
                  courier_instance_id=None, quote_code="")


def choose_shipping(cart_id: int, instance_id: int, quote_code: str) -> None:
    _save_choices(cart_id, courier_instance_id=instance_id, quote_code=quote_code)


def choose_payment(cart_id: int, instance_id: int) -> None:
    """:raises PaymentUnavailable: no enabled payment instance with this id takes the cart's currency."""
    cart = db.session.get(Cart, cart_id)
    if cart is None or not any(o.instance_id == instance_id for o in payment_options(cart.currency)):
        raise PaymentUnavailable(f"payment instance {instance_id} is not offered")
    _save_choices(cart_id, payment_instance_id=instance_id)


# --------------------------------------------------------------------------
# shipping options
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippingOption:
    instance_id: int
    courier_name: str
    quote: Quote
    #: the customer collects the parcel (tax is then computed without an address)
    pickup: bool = False

    @property
    def key(self) -> str:
        return f"{self.instance_id}:{self.quote.code}"


@dataclass(frozen=True)
class ShippingChoices:
    options: tuple[ShippingOption, ...]
    #: one sentence per courier that could not quote (it failed closed), for the customer
    errors: tuple[str, ...]


def courier_address(address: ChineseAddress) -> Address:
    return Address(
        province=address.province, city=address.city, district=address.district, street=address.street,
        recipient=address.recipient, mobile=address.mobile, postcode=address.postcode,
    )


def shipment_request(view: carts.CartView, address: ChineseAddress | None, reference: str = "") -> ShipmentRequest:
    """The cart as couriers see it; ``subtotal`` is after discounts (满99包邮 counts what is paid).

    ``address`` None: the customer collects, and only pickup couriers are asked (no destination).
    """
    return ShipmentRequest(
        reference=reference or f"cart-{view.cart_id}",
        origin=None,
        destination=courier_address(address) if address is not None else None,
        parcels=tuple(
            Parcel(sku=item.sku, name=item.product_name, quantity=item.quantity,
                   weight_grams=item.weight_grams, unit_price=item.unit_price)
            for item in view.items
        ),
        subtotal=view.subtotal - view.discount,
    )


def is_pickup_courier(instance: Any) -> bool:
    """Whether a courier instance's type declares ``features.pickup`` (the customer collects; no address)."""
    return bool(getattr(instance.type.obj.features, "pickup", False))


def offered_methods() -> tuple[str, ...]:
    """SHIP and PICKUP as the enabled couriers offer them: shipping when one ships, pickup when one lets
    the customer collect (checkout then offers the choice). Shipping when no courier is enabled at all."""
    kinds = {is_pickup_courier(i) for i in get_kernel().registry.instances("courier")}
    return tuple(method for method, pickup in ((SHIP, False), (PICKUP, True)) if pickup in kinds) or (SHIP,)


def shipping_options(view: carts.CartView, address: ChineseAddress | None) -> ShippingChoices:
    """Quotes of the enabled courier instances for the cart: to ``address``, or for pickup when it is None.

    Shipping couriers are asked only with an address and pickup couriers only
    without one, so neither is offered for the other method. A courier that
    fails (its plugin raises, or answers with an error) offers nothing and adds
    a sentence to ``errors``; the others still quote.
    """
    request = shipment_request(view, address)
    options: list[ShippingOption] = []
    errors: list[str] = []
    for instance in get_kernel().registry.instances("courier"):
        pickup = is_pickup_courier(instance)
        if pickup != (address is None):
            continue
        try:
            if not instance.call("is_eligible", shipment=request):
                continue
            quotes = list(instance.call("quote", shipment=request) or ())
        except XtyError as exc:
            log.warning("courier %r could not quote: %s", instance, exc)
            errors.append(gettext("%(courier)s: %(problem)s", courier=instance.display_name,
                                  problem=exc.customer_message))
            continue
        bad = [q for q in quotes if not isinstance(q, Quote) or q.price.currency != view.currency
               or q.price.minor < 0]
        if bad:
            log.error("courier %r returned invalid quotes %r", instance, bad)
            errors.append(gettext("%(courier)s: cannot quote a price right now", courier=instance.display_name))
            continue
        options += [ShippingOption(instance.id, instance.display_name, q, pickup) for q in quotes]
    return ShippingChoices(tuple(options), tuple(errors))


def _chosen_shipping(view: carts.CartView, chosen: Choices) -> ShippingOption:
    """The chosen option, quoted again now."""
    try:
        instance = get_kernel().registry.instance(chosen.courier_instance_id, kind="courier")
    except UnknownCapability as exc:
        raise ShippingUnavailable(str(exc)) from exc
    found = shipping_options(view, None if chosen.method == PICKUP else chosen.address)
    for option in found.options:
        if option.instance_id == instance.id and option.quote.code == chosen.quote_code:
            return option
    raise ShippingUnavailable(
        f"courier instance {instance.id} no longer offers {chosen.quote_code!r}",
        customer_message=(found.errors[0] if found.errors else ShippingUnavailable.customer_message),
    )


# --------------------------------------------------------------------------
# payment methods
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentOption:
    instance_id: int
    name: str
    flows: frozenset[Flow]


def payment_options(currency: str) -> list[PaymentOption]:
    """Enabled payment instances whose gateway takes ``currency``, in the merchant's order."""
    options = []
    for instance in get_kernel().registry.instances("payment"):
        features = instance.type.obj.features
        if currency in features.currencies:
            options.append(PaymentOption(instance.id, instance.display_name, frozenset(features.flows)))
    return options


def _chosen_payment(currency: str, chosen: Choices) -> PaymentOption:
    for option in payment_options(currency):
        if option.instance_id == chosen.payment_instance_id:
            return option
    raise PaymentUnavailable(f"payment instance {chosen.payment_instance_id} is not offered")


# --------------------------------------------------------------------------
# review
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """Everything the review page shows and the order will be: priced now."""

    view: carts.CartView
    choices: Choices
    shipping: ShippingOption
    payment: PaymentOption
    tax_lines: tuple[TaxLine, ...]

    @property
    def currency(self) -> str:
        return self.view.currency

    @property
    def tax(self) -> Money:
        return Money.sum((t.amount for t in self.tax_lines), self.currency)

    @property
    def tax_added(self) -> Money:
        """Tax not included in prices, added to the total."""
        return Money.sum((t.amount for t in self.tax_lines if not t.included_in_price), self.currency)

    @property
    def total(self) -> Money:
        return self.view.total + self.tax_added


def require_orderable(view: carts.CartView) -> None:
    """:raises EmptyCart, SoldOut, CartNotReady, CheckoutError: why this cart cannot be ordered now."""
    if not view.items:
        raise EmptyCart(f"cart {view.cart_id} is empty")
    for item in view.items:
        if item.sold_out:
            raise SoldOut(item.product_name)
    if view.problems:
        raise CartNotReady("; ".join(view.problems), customer_message=view.problems[0])
    if view.unavailable:
        raise CheckoutError("promotions unavailable", customer_message=view.unavailable)


def prepare_review(cart: Cart, customer_id: int | None) -> Review:
    """Price the cart with the chosen shipping, promotions and tax, all from the server's data.

    :raises CheckoutIncomplete: a step has no choice yet (``exc.step``).
    :raises EmptyCart, SoldOut, CartNotReady, ShippingUnavailable, PaymentUnavailable,
        CapabilityUnavailable: the order cannot be placed as it is.
    """
    chosen = choices(cart)
    before_shipping = carts.view_cart(cart, customer_id)
    require_orderable(before_shipping)
    if chosen.missing_step:
        raise CheckoutIncomplete(chosen.missing_step)
    shipping = _chosen_shipping(before_shipping, chosen)
    view = carts.view_cart(cart, customer_id, shipping=shipping.quote.price)
    require_orderable(view)
    payment = _chosen_payment(cart.currency, chosen)
    lines = carts.snapshot(view.items, currency=view.currency, customer_id=customer_id,
                           coupon_codes=view.coupon_codes).lines
    address = None if shipping.pickup else courier_address(chosen.address)
    tax_lines = tuple(orders.compute_tax(lines, address, view.currency))
    return Review(view, chosen, shipping, payment, tax_lines)


def issue_checkout_token(cart_id: int) -> str:
    """The cart's checkout token, issued now if it has none (a change to the cart spends it)."""
    with transaction():
        cart = carts.locked_cart(cart_id)
        if not cart.checkout_token:
            cart.checkout_token = secrets.token_urlsafe(32)
        return cart.checkout_token


# --------------------------------------------------------------------------
# placing the order
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    order: Order
    #: False when the checkout token had placed this order already (a repeated submit)
    created: bool


def place_order(cart_id: int | None, checkout_token: str, *, customer_id: int | None,
                expected_total_minor: int | None = None) -> Placement:
    """Place the order of a reviewed cart, once.

    :param checkout_token: the token the review page carried.
    :param expected_total_minor: the total the customer saw; if prices moved
        since, nothing is placed and :class:`PricesChanged` is raised.
    :raises SoldOut: a line's stock ran out (names the product); nothing written.
    :raises CheckoutExpired: the token is not the cart's current one.
    :raises PricesChanged, EmptyCart, CartNotReady, CheckoutIncomplete,
        ShippingUnavailable, PaymentUnavailable, GuestCheckoutDisabled,
        PurchaseLimitExceeded, CapabilityUnavailable: nothing written.
    """
    existing = _placed_before(checkout_token, customer_id)
    if existing is not None:
        return Placement(existing, created=False)
    if customer_id is None and not current_app.config["ALLOW_GUEST_CHECKOUT"]:
        raise GuestCheckoutDisabled("guest checkout is switched off")
    cart = db.session.get(Cart, cart_id) if cart_id is not None else None
    if cart is None or not checkout_token or cart.checkout_token != checkout_token:
        raise CheckoutExpired(f"checkout token does not match cart {cart_id}")
    if cart.customer_id != customer_id:
        raise CheckoutExpired(f"cart {cart_id} is not this shopper's")
    review = prepare_review(cart, customer_id)
    if expected_total_minor is not None and review.total.minor != expected_total_minor:
        raise PricesChanged(f"total is {review.total.minor}, the customer saw {expected_total_minor}")
    actor = f"customer:{customer_id}" if customer_id is not None else "guest"
    for attempt in range(1, ORDER_NUMBER_ATTEMPTS + 1):
        numbers: list[str] = []
        try:
            with transaction() as session:
                order, created = _write_order(session, cart_id, checkout_token, review, customer_id, actor, numbers)
        except IntegrityError:
            existing = _placed_before(checkout_token, customer_id)
            if existing is not None:  # a concurrent submit of the same review won
                return Placement(existing, created=False)
            taken = numbers and db.session.execute(select(Order.id).where(Order.number == numbers[0])).first()
            if not taken or attempt == ORDER_NUMBER_ATTEMPTS:
                raise
            log.warning("order number %s was taken; trying another", numbers[0])
            continue
        return Placement(order, created=created)
    raise AssertionError("unreachable")  # pragma: no cover


def _placed_before(checkout_token: str, customer_id: int | None) -> Order | None:
    if not checkout_token:
        return None
    order = orders.order_by_token(checkout_token)
    if order is not None and order.customer_id not in (None, customer_id):
        raise CheckoutExpired("this checkout token placed another customer's order")
    return order


def _write_order(session: Any, cart_id: int, token: str, review: Review, customer_id: int | None,
                 actor: str, numbers: list[str]) -> tuple[Order, bool]:
    """The write transaction: check, take stock, number and write the order, empty the cart.

    The order number tried is appended to ``numbers``, so a collision can be told from a repeated submit.
    """
    cart = carts.locked_cart(cart_id)
    existing = orders.order_by_token(token)
    if existing is not None:  # SQLite: the first submit committed while this one waited for the lock
        return existing, False
    if cart.checkout_token != token:
        raise CheckoutExpired(f"cart {cart_id} changed after the review")
    _require_unchanged(session, cart_id, review)
    if customer_id is not None:
        _check_limits(session, customer_id, review)
    for item in sorted(review.view.items, key=lambda i: i.variant_id):
        taken = session.execute(
            update(Variant)
            .where(Variant.id == item.variant_id, Variant.stock >= item.quantity)
            .values(stock=Variant.stock - item.quantity)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise SoldOut(item.product_name, f"variant {item.variant_id} has fewer than {item.quantity} left")
    numbers.append(orders.new_order_number({
        "created_at": utcnow().astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"])),
        "customer_id": customer_id, "channel": "web", "currency": review.currency,
    }))
    order = _new_order(session, review, customer_id, numbers[0], token)
    session.add(OrderEvent(order_id=order.id, from_status=None, to_status=order.status, event="place",
                           actor=actor))
    orders.send_after_commit(order_placed, order=order)
    if order.total_minor == 0:
        orders.apply_event(order, "pay", actor="system", note="订单金额为零，无需付款")
    session.execute(delete(CartLine).where(CartLine.cart_id == cart_id))
    cart.coupon_codes = []
    cart.checkout = {k: v for k, v in (cart.checkout or {}).items() if k in KEPT_CHOICES}
    cart.checkout_token = None
    cart.updated_at = utcnow()
    return order, True


def _require_unchanged(session: Any, cart_id: int, review: Review) -> None:
    """The cart in the database is still exactly what was priced (lines, quantities, prices, on sale)."""
    now = session.execute(
        select(CartLine.id, CartLine.variant_id, CartLine.quantity, Variant.price_minor, Product.status)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(CartLine.cart_id == cart_id)
        .order_by(CartLine.id)
    ).all()
    current = [(r.id, r.variant_id, r.quantity, r.price_minor, r.status == ProductStatus.ACTIVE.value) for r in now]
    priced = [(i.line_id, i.variant_id, i.quantity, i.unit_price.minor, True) for i in review.view.items]
    if current != priced:
        raise PricesChanged(f"cart {cart_id} changed while the order was being placed")


def _check_limits(session: Any, customer_id: int, review: Review) -> None:
    """Purchase limits again, with the customer's row locked so two tabs cannot both pass."""
    limited = {i.product_id: i.purchase_limit for i in review.view.items if i.purchase_limit is not None}
    if not limited:
        return
    session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update()).first()
    bought = orders.bought_quantities(customer_id, sorted(limited))
    in_cart: dict[int, int] = {}
    for item in review.view.items:
        in_cart[item.product_id] = in_cart.get(item.product_id, 0) + item.quantity
    for product_id, limit in limited.items():
        check_purchase_limit(limit, bought.get(product_id, 0), in_cart[product_id])


def pickup_location_snapshot(quote: Quote) -> dict[str, str]:
    """Where a pickup order is collected, as ``Order.pickup_location`` records it: the quote's code and the
    location's name, address and hours (a pickup quote without a location: its label and description)."""
    location = quote.location
    if location is None:
        return {"code": quote.code, "name": quote.label, "address": quote.description, "hours": ""}
    return {"code": quote.code, "name": location.name, "address": location.address, "hours": location.hours}


def _delivery_columns(review: Review) -> dict[str, Any]:
    """The order's delivery snapshot: ``delivery_method``, the ``ship_*`` address or, for pickup, the contact
    (``ship_recipient``, ``ship_mobile``; the address columns empty) and ``pickup_location``."""
    chosen = review.choices
    if review.shipping.pickup:
        contact = chosen.contact
        return {"delivery_method": PICKUP, "pickup_location": pickup_location_snapshot(review.shipping.quote),
                "ship_recipient": contact.recipient, "ship_mobile": contact.mobile, "ship_province": "",
                "ship_city": "", "ship_district": "", "ship_street": "", "ship_postcode": ""}
    address = chosen.address
    return {"delivery_method": SHIP, "pickup_location": None,
            "ship_recipient": address.recipient, "ship_mobile": address.mobile, "ship_province": address.province,
            "ship_city": address.city, "ship_district": address.district, "ship_street": address.street,
            "ship_postcode": address.postcode}


def _new_order(session: Any, review: Review, customer_id: int | None, number: str, token: str) -> Order:
    view, chosen = review.view, review.choices
    email = chosen.email
    if customer_id is not None:
        email = session.execute(select(Customer.email).where(Customer.id == customer_id)).scalar_one()
    now = utcnow()
    delivery = _delivery_columns(review)
    order = Order(
        number=number, customer_id=customer_id, email=email, mobile=delivery["ship_mobile"],
        status=OrderStatus.PENDING_PAYMENT.value, currency=view.currency,
        subtotal_minor=view.subtotal.minor, discount_minor=view.discount.minor,
        shipping_minor=view.shipping_charged.minor, tax_minor=review.tax.minor, total_minor=review.total.minor,
        paid_minor=0, refunded_minor=0,
        **delivery,
        courier_instance_id=review.shipping.instance_id, courier_quote_code=review.shipping.quote.code,
        courier_label=f"{review.shipping.courier_name} · {review.shipping.quote.label}"[:200],
        payment_instance_id=review.payment.instance_id, payment_label=review.payment.name[:200],
        tax_lines=[
            {"label": t.label, "amount_minor": t.amount.minor, "rate": t.rate,
             "included_in_price": t.included_in_price}
            for t in review.tax_lines
        ],
        promotions=[{"name": p.name, "explanation": p.explanation} for p in view.promotions if p.applies],
        checkout_token=token, placed_at=now, expires_at=now + orders.payment_timeout(), updated_at=now,
    )
    order.lines = [
        OrderLine(
            variant_id=item.variant_id, product_id=item.product_id, product_name=item.product_name[:200],
            variant_label=item.variant_label[:200], sku=item.sku, unit_price_minor=item.unit_price.minor,
            quantity=item.quantity, discount_minor=(item.discount or Money.zero(view.currency)).minor,
            total_minor=item.total.minor,
        )
        for item in view.items
    ]
    session.add(order)
    session.flush()
    return order


# --------------------------------------------------------------------------
# payment, after the order is committed
# --------------------------------------------------------------------------


def payments_module() -> Any:
    """``xtycore.services.payments``, or None while the kernel has no payments module yet."""
    try:
        return importlib.import_module("xtycore.services.payments")
    except ModuleNotFoundError as exc:
        if exc.name != "xtycore.services.payments":
            raise
        return None


def start_payment(order_id: int, return_url: str) -> PaymentAction | None:
    """Ask the order's payment instance to start collecting, outside any order transaction.

    Returns what the storefront does next, or None while the kernel has no
    payments module (the order then waits, unpaid, until it expires or staff
    confirm the payment).
    """
    payments = payments_module()
    if payments is None:
        log.warning("order %s placed but xtycore.services.payments is not available", order_id)
        return None
    return payments.start_payment(order_id, return_url)
