"""Shopping carts: find or create one, change its lines, merge a visitor's into a customer's,
and price it from the database with the enabled promotions.

A visitor's cart is a database row found through the secret token their
session holds; a customer's cart is the row with their ``customer_id``.
Nothing lives in process memory. A cart line stores a variant and a
quantity, never a price: :func:`view_cart` reads every price from the
catalogue each time, so nothing a browser sends can set one.

Every change to a cart spends its checkout token (see
:mod:`xtycore.services.checkout`): an order is placed only for a cart the
customer reviewed as it is.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Callable, Sequence, TypeVar

from flask import current_app
from flask_babel import gettext, lazy_gettext
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.catalog import ProductStatus, PurchaseLimitExceeded, check_purchase_limit
from xtycore.domain.errors import PluginError, XtyError
from xtycore.domain.money import CurrencyMismatch, Money
from xtycore.domain.promotions import CartLine as PromotionLine
from xtycore.domain.promotions import CartSnapshot, PromotionResult
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Cart, CartLine, Category, Product, Tag, Variant, product_tag
from xtycore.models.kernel import utcnow
from xtycore.services.orders import bought_quantities

log = logging.getLogger("xtycore.cart")

T = TypeVar("T")


class CartError(XtyError):
    """A cart change that cannot be made; ``customer_message`` says why."""

    customer_message = lazy_gettext("The cart could not be changed. Please try again.")


class ProductUnavailable(CartError):
    customer_message = lazy_gettext("This product is no longer on sale or does not exist.")


class NotEnoughStock(CartError):
    customer_message = lazy_gettext("Not enough stock.")


class InvalidQuantity(CartError):
    customer_message = lazy_gettext("Please enter a valid quantity.")


class InvalidCoupon(CartError):
    customer_message = lazy_gettext("Please enter a valid coupon code.")


#: Coupon codes are short printable tokens; anything else is refused before it reaches a plugin.
MAX_COUPON_LENGTH = 32
MAX_COUPONS = 5


# --------------------------------------------------------------------------
# finding and creating carts
# --------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def shop_currency() -> str:
    return current_app.config["SHOP_CURRENCY"]


def guest_cart(token: str | None) -> Cart | None:
    """The visitor cart a session token names; None for no token, an unknown one, or a customer's cart."""
    if not token:
        return None
    return db.session.execute(
        select(Cart).where(Cart.token == token, Cart.customer_id.is_(None))
    ).scalar_one_or_none()


def customer_cart(customer_id: int) -> Cart | None:
    return db.session.execute(select(Cart).where(Cart.customer_id == customer_id)).scalar_one_or_none()


def create_cart(customer_id: int | None = None) -> Cart:
    """A new empty cart; for a customer who has one already (a concurrent request), that one."""
    try:
        with transaction() as session:
            cart = Cart(token=new_token(), customer_id=customer_id, currency=shop_currency(),
                        coupon_codes=[], checkout={})
            session.add(cart)
        return cart
    except IntegrityError:
        existing = customer_cart(customer_id) if customer_id is not None else None
        if existing is None:
            raise
        return existing


def _retrying(action: Callable[[], T]) -> T:
    """Run a write once more when a concurrent request inserted the same unique row first."""
    try:
        return action()
    except IntegrityError:
        return action()


def touch(cart: Cart) -> None:
    """The cart changed: its checkout token is spent, so an older review page cannot place an order."""
    cart.checkout_token = None
    cart.updated_at = utcnow()


def locked_cart(cart_id: int) -> Cart:
    """The cart row, locked until the transaction ends and read afresh (writers to one cart queue)."""
    cart = db.session.execute(
        select(Cart).where(Cart.id == cart_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if cart is None:
        raise CartError(f"cart {cart_id} is gone")
    return cart


# --------------------------------------------------------------------------
# changing lines
# --------------------------------------------------------------------------


def add_item(cart_id: int, variant_id: int, quantity: int = 1, *, customer_id: int | None = None) -> int:
    """Add units of a variant (to its line, if the cart has one); returns the line's new quantity.

    :raises ProductUnavailable, NotEnoughStock, InvalidQuantity, PurchaseLimitExceeded:
        nothing is changed.
    """
    if quantity < 1:
        raise InvalidQuantity(f"cannot add {quantity} units")

    def add() -> int:
        with transaction() as session:
            cart = locked_cart(cart_id)
            line = _line(cart_id, variant_id)
            new_quantity = (line.quantity if line is not None else 0) + quantity
            _check_quantity(cart_id, variant_id, new_quantity, customer_id)
            if line is None:
                session.add(CartLine(cart_id=cart_id, variant_id=variant_id, quantity=new_quantity))
            else:
                line.quantity = new_quantity
            touch(cart)
            return new_quantity

    return _retrying(add)


def set_quantity(cart_id: int, variant_id: int, quantity: int, *, customer_id: int | None = None) -> None:
    """Set a line's quantity; 0 removes the line.

    :raises ProductUnavailable, NotEnoughStock, InvalidQuantity, PurchaseLimitExceeded:
        nothing is changed.
    """
    if quantity < 0:
        raise InvalidQuantity(f"quantity {quantity} is negative")
    if quantity == 0:
        remove_item(cart_id, variant_id)
        return

    def update() -> None:
        with transaction() as session:
            cart = locked_cart(cart_id)
            _check_quantity(cart_id, variant_id, quantity, customer_id)
            line = _line(cart_id, variant_id)
            if line is None:
                session.add(CartLine(cart_id=cart_id, variant_id=variant_id, quantity=quantity))
            else:
                line.quantity = quantity
            touch(cart)

    _retrying(update)


def remove_item(cart_id: int, variant_id: int) -> None:
    with transaction() as session:
        cart = locked_cart(cart_id)
        session.execute(delete(CartLine).where(CartLine.cart_id == cart_id, CartLine.variant_id == variant_id))
        touch(cart)


def _line(cart_id: int, variant_id: int) -> CartLine | None:
    return db.session.execute(
        select(CartLine).where(CartLine.cart_id == cart_id, CartLine.variant_id == variant_id)
    ).scalar_one_or_none()


def _check_quantity(cart_id: int, variant_id: int, quantity: int, customer_id: int | None) -> None:
    """Refuse a line quantity the shop cannot sell: off sale, past the stock, past the limit."""
    maximum = int(current_app.config["CART_MAX_LINE_QUANTITY"])
    if quantity > maximum:
        raise InvalidQuantity(f"{quantity} units exceed {maximum}", customer_message=lazy_gettext(
            "You can buy at most %(number)s of each item.", number=maximum))
    row = db.session.execute(
        select(Variant.stock, Product.id, Product.title, Product.status, Product.purchase_limit)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == variant_id)
    ).first()
    if row is None or row.status != ProductStatus.ACTIVE.value:
        raise ProductUnavailable(f"variant {variant_id} is not on sale")
    if quantity > row.stock:
        raise NotEnoughStock(
            f"variant {variant_id}: {quantity} asked, {row.stock} in stock",
            customer_message=stock_message(row.title, row.stock),
        )
    if row.purchase_limit is not None:
        siblings = db.session.execute(
            select(CartLine.quantity).join(Variant, Variant.id == CartLine.variant_id)
            .where(CartLine.cart_id == cart_id, Variant.product_id == row.id, CartLine.variant_id != variant_id)
        ).scalars().all()
        bought = bought_quantities(customer_id, [row.id]).get(row.id, 0) if customer_id is not None else 0
        check_purchase_limit(row.purchase_limit, bought + sum(siblings), quantity)


def stock_message(title: str, stock: int) -> str:
    if stock <= 0:
        return gettext("%(product)s is sold out", product=title)
    return gettext("Not enough %(product)s in stock: only %(number)s left", product=title, number=stock)


# --------------------------------------------------------------------------
# coupons
# --------------------------------------------------------------------------


def normalise_coupon(code: str) -> str:
    code = code.strip().upper()
    if not code or len(code) > MAX_COUPON_LENGTH or not code.isprintable() or " " in code:
        raise InvalidCoupon(f"coupon code {code!r} is malformed")
    return code


def add_coupon(cart_id: int, code: str) -> str:
    """Remember a coupon code on the cart; every promotion sees it and says whether it applies."""
    code = normalise_coupon(code)
    with transaction():
        cart = locked_cart(cart_id)
        codes = list(cart.coupon_codes or [])
        if code not in codes:
            if len(codes) >= MAX_COUPONS:
                raise InvalidCoupon("too many coupons", customer_message=lazy_gettext(
                    "You can use at most %(number)s coupons.", number=MAX_COUPONS))
            cart.coupon_codes = [*codes, code]
            touch(cart)
    return code


def remove_coupon(cart_id: int, code: str) -> None:
    with transaction():
        cart = locked_cart(cart_id)
        cart.coupon_codes = [c for c in cart.coupon_codes or [] if c != code.strip().upper()]
        touch(cart)


# --------------------------------------------------------------------------
# merging at login
# --------------------------------------------------------------------------


def merge_guest_cart(token: str | None, customer_id: int) -> int:
    """Move a visitor's cart into the customer's cart; returns how many lines moved.

    Quantities of the same variant are added (up to ``CART_MAX_LINE_QUANTITY``);
    stock and purchase limits are shown on the cart page as usual, so nothing
    the visitor chose is silently dropped. Coupon codes are kept. The visitor
    cart is deleted.
    """
    guest = guest_cart(token)
    if guest is None:
        return 0
    target = customer_cart(customer_id) or create_cart(customer_id)
    maximum = int(current_app.config["CART_MAX_LINE_QUANTITY"])
    with transaction() as session:
        cart = locked_cart(target.id)
        source = session.execute(
            select(Cart).where(Cart.id == guest.id, Cart.customer_id.is_(None)).with_for_update()
        ).scalar_one_or_none()
        if source is None:  # a concurrent login merged it already
            return 0
        mine = {line.variant_id: line for line in cart.lines}
        moved = 0
        for line in source.lines:
            existing = mine.get(line.variant_id)
            if existing is None:
                cart.lines.append(CartLine(variant_id=line.variant_id, quantity=min(line.quantity, maximum)))
            else:
                existing.quantity = min(existing.quantity + line.quantity, maximum)
            moved += 1
        cart.coupon_codes = list(dict.fromkeys([*cart.coupon_codes, *source.coupon_codes]))[:MAX_COUPONS]
        if not cart.checkout and source.checkout.get("address"):
            cart.checkout = {"address": source.checkout["address"]}
        touch(cart)
        session.delete(source)
    return moved


def prune_abandoned_carts(now: Any = None) -> int:
    """Delete visitor carts unchanged for ``CART_RETENTION_DAYS``; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=int(current_app.config["CART_RETENTION_DAYS"]))
    with transaction() as session:
        result = session.execute(
            delete(Cart).where(Cart.customer_id.is_(None), Cart.updated_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount


# --------------------------------------------------------------------------
# reading a cart, priced from the database
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    """One cart line as the catalogue prices it right now."""

    line_id: int
    variant_id: int
    product_id: int
    product_name: str
    product_slug: str
    variant_label: str
    sku: str
    unit_price: Money
    quantity: int
    weight_grams: int
    stock: int
    purchase_limit: int | None
    on_sale: bool
    category_ids: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    discount: Money | None = None
    #: why this line cannot be ordered as it is (a sentence for the customer), or ""
    problem: str = ""

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def total(self) -> Money:
        return self.subtotal - (self.discount or Money.zero(self.unit_price.currency))

    @property
    def sold_out(self) -> bool:
        return self.on_sale and self.quantity > self.stock


@dataclass(frozen=True)
class PromotionNote:
    """A promotion's explanation for the customer, and whether it applied."""

    name: str
    explanation: str
    applies: bool


@dataclass(frozen=True)
class CartView:
    """A cart priced now: its items, promotions and totals."""

    cart_id: int
    currency: str
    items: tuple[CartItem, ...]
    promotions: tuple[PromotionNote, ...]
    coupon_codes: tuple[str, ...]
    subtotal: Money
    discount: Money
    shipping: Money | None = None
    shipping_discount: Money | None = None
    #: why prices cannot be confirmed right now (a promotion failed), or ""
    unavailable: str = ""

    @property
    def shipping_charged(self) -> Money:
        if self.shipping is None:
            return Money.zero(self.currency)
        return self.shipping - (self.shipping_discount or Money.zero(self.currency))

    @property
    def total(self) -> Money:
        """Subtotal − discounts + shipping charged (tax comes at checkout)."""
        return self.subtotal - self.discount + self.shipping_charged

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def problems(self) -> list[str]:
        return [item.problem for item in self.items if item.problem]

    @property
    def can_checkout(self) -> bool:
        return bool(self.items) and not self.problems and not self.unavailable


def variant_label(options: dict[str, Any] | None) -> str:
    """``{"颜色": "红", "尺码": "M"}`` -> ``颜色：红；尺码：M``."""
    return "；".join(f"{name}：{value}" for name, value in (options or {}).items())


def load_items(cart: Cart, customer_id: int | None) -> list[CartItem]:
    """The cart's lines with today's catalogue data, in three statements at most, whatever their number."""
    currency = cart.currency
    rows = db.session.execute(
        # columns, not entities: an object already in the session would keep its old price and stock
        select(CartLine.id, CartLine.quantity, CartLine.variant_id, Variant.sku, Variant.options, Variant.price_minor,
               Variant.weight_grams, Variant.stock, Product.id.label("product_id"), Product.title, Product.slug,
               Product.status, Product.purchase_limit, Category.path)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(CartLine.cart_id == cart.id)
        .order_by(CartLine.id)
    ).all()
    if not rows:
        return []
    product_ids = sorted({row.product_id for row in rows})
    tags: dict[int, set[str]] = {}
    for product_id, slug in db.session.execute(
        select(product_tag.c.product_id, Tag.slug).join(Tag, Tag.id == product_tag.c.tag_id)
        .where(product_tag.c.product_id.in_(product_ids))
    ):
        tags.setdefault(product_id, set()).add(slug)
    limited = [row.product_id for row in rows if row.purchase_limit is not None]
    bought = bought_quantities(customer_id, limited) if customer_id is not None and limited else {}
    items = [
        CartItem(
            line_id=row.id, variant_id=row.variant_id, product_id=row.product_id, product_name=row.title,
            product_slug=row.slug, variant_label=variant_label(row.options), sku=row.sku,
            unit_price=Money.from_minor(row.price_minor, currency), quantity=row.quantity,
            weight_grams=row.weight_grams, stock=row.stock, purchase_limit=row.purchase_limit,
            on_sale=row.status == ProductStatus.ACTIVE.value,
            category_ids=frozenset(part for part in (row.path or "").split("/") if part),
            tags=frozenset(tags.get(row.product_id, ())),
        )
        for row in rows
    ]
    return _with_problems(items, bought)


def _with_problems(items: list[CartItem], bought: dict[int, int]) -> list[CartItem]:
    in_cart: dict[int, int] = {}
    for item in items:
        in_cart[item.product_id] = in_cart.get(item.product_id, 0) + item.quantity
    checked = []
    for item in items:
        problem = ""
        if not item.on_sale:
            problem = gettext("%(product)s is no longer on sale; please remove it from your cart",
                              product=item.product_name)
        elif item.quantity > item.stock:
            problem = stock_message(item.product_name, item.stock)
        elif item.purchase_limit is not None:
            try:
                check_purchase_limit(item.purchase_limit, bought.get(item.product_id, 0), in_cart[item.product_id])
            except PurchaseLimitExceeded:
                problem = gettext("%(product)s: limit %(number)s per customer", product=item.product_name,
                                  number=item.purchase_limit)
        checked.append(replace(item, problem=problem))
    return checked


def snapshot(view_items: Sequence[CartItem], *, currency: str, customer_id: int | None,
             coupon_codes: Sequence[str], shipping: Money | None = None) -> CartSnapshot:
    """What promotion types see: the lines at today's prices, the customer and the coupons."""
    return CartSnapshot(
        lines=tuple(
            PromotionLine(
                line_id=str(item.line_id), sku=item.sku, product_id=str(item.product_id),
                quantity=item.quantity, unit_price=item.unit_price,
                category_ids=item.category_ids, tags=item.tags,
            )
            for item in view_items
        ),
        currency=currency,
        customer_id=str(customer_id) if customer_id is not None else None,
        shipping=shipping,
        coupon_codes=frozenset(coupon_codes),
    )


def view_cart(cart: Cart, customer_id: int | None, *, shipping: Money | None = None) -> CartView:
    """The cart priced now: catalogue prices, every enabled promotion applied, totals.

    A promotion plugin that fails makes the view ``unavailable`` (shown, and
    checkout refused) instead of showing prices that may be wrong.
    """
    items = load_items(cart, customer_id)
    currency = cart.currency
    zero = Money.zero(currency)
    subtotal = Money.sum((item.subtotal for item in items), currency)
    codes = tuple(cart.coupon_codes or ())
    base = CartView(cart.id, currency, tuple(items), (), codes, subtotal, zero, shipping, zero)
    if not items:
        return base
    cart_snapshot = snapshot(items, currency=currency, customer_id=customer_id, coupon_codes=codes,
                             shipping=shipping)
    try:
        evaluated = evaluate_promotions(cart_snapshot)
        allocation = apply_promotions(cart_snapshot, [result for _name, result in evaluated])
    except XtyError as exc:
        log.error("promotions could not be evaluated for cart %s: %s", cart.id, exc)
        return replace(base, unavailable=gettext(
            "Discounts cannot be worked out right now; please try again later (ordering is paused)."))
    priced = tuple(
        replace(item, discount=allocation.line_discounts.get(str(item.line_id), zero)) for item in items
    )
    notes = tuple(PromotionNote(name, result.explanation, result.applies) for name, result in evaluated)
    discount = Money.sum((item.discount for item in priced), currency)
    return replace(base, items=priced, promotions=notes, discount=discount,
                   shipping_discount=allocation.shipping_discount)


# --------------------------------------------------------------------------
# promotions: the hook point of the promotion engine to come
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    """Discounts of the promotions that applied: per cart line (by ``line_id``) and on shipping."""

    line_discounts: dict[str, Money]
    shipping_discount: Money


def evaluate_promotions(cart: CartSnapshot) -> list[tuple[str, PromotionResult]]:
    """``(display name, result)`` of every enabled promotion instance, in the merchant's order.

    Fails closed: a plugin that raises makes the whole evaluation raise
    :class:`~xtycore.domain.errors.CapabilityUnavailable`.
    """
    results = []
    for instance in get_kernel().registry.instances("promotion"):
        result = instance.call("evaluate", cart=cart)
        if not isinstance(result, PromotionResult):
            raise PluginError(f"{instance!r} returned {type(result).__name__}, not a PromotionResult")
        results.append((instance.display_name, result))
    return results


def apply_promotions(cart: CartSnapshot, results: Sequence[PromotionResult]) -> Allocation:
    """Apply every promotion that applies, in order, and never take a line or shipping below zero.

    Line discounts go to their lines; an order discount is split over the
    lines in proportion to what is left of each (:meth:`Money.allocate`, so
    the parts add up exactly); a shipping discount reduces shipping. Each is
    capped at what remains. Stacking rules (exclusivity, priority, lanes)
    belong to the promotion engine, a later step; today every applicable
    promotion applies.

    :raises PluginError: a result names an unknown line, a negative amount or another currency.
    """
    zero = Money.zero(cart.currency)
    left = {line.line_id: line.total for line in cart.lines}
    given = {line.line_id: zero for line in cart.lines}
    shipping_left = cart.shipping or zero
    shipping_discount = zero
    try:
        for result in results:
            if not result.applies:
                continue
            for part in result.line_discounts:
                if part.line_id not in left:
                    raise PluginError(f"a promotion discounts unknown cart line {part.line_id!r}")
                amount = min(_positive(part.amount, zero), left[part.line_id])
                left[part.line_id] -= amount
                given[part.line_id] += amount
            if result.order_discount is not None:
                weights = [left[line.line_id].minor for line in cart.lines]
                amount = min(_positive(result.order_discount, zero), Money.from_minor(sum(weights), cart.currency))
                if amount and sum(weights):
                    for line, share in zip(cart.lines, amount.allocate(weights)):
                        left[line.line_id] -= share
                        given[line.line_id] += share
            if result.shipping_discount is not None:
                amount = min(_positive(result.shipping_discount, zero), shipping_left)
                shipping_left -= amount
                shipping_discount += amount
    except (CurrencyMismatch, TypeError) as exc:
        raise PluginError(f"a promotion returned an amount that is not Money of {cart.currency}: {exc}") from exc
    return Allocation(given, shipping_discount)


def _positive(amount: Money, zero: Money) -> Money:
    if amount < zero:
        raise PluginError(f"a promotion returned a negative discount {amount}")
    return amount
