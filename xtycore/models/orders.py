"""Carts, orders, their lines and the order's event log.

Persistence only: prices are computed by :mod:`xtycore.services.cart`, orders
placed by :mod:`xtycore.services.checkout`, and an order's status changes
only through :func:`xtycore.services.orders.transition`. Money is stored as
integers in the minor unit of the row's ``currency``.

A cart line holds a variant and a quantity, never a price: every price is
read from the catalogue when the cart is shown and again when it is ordered.
An order line is a snapshot (name, SKU, unit price, discount) that later
catalogue edits do not change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xtycore.domain.addresses import MAX_LENGTHS
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

ORDER_STATUSES = ", ".join(f"'{s.value}'" for s in OrderStatus)
#: how an order reaches the customer: sent to the ``ship_*`` address, or collected at ``pickup_location``
SHIP, PICKUP = "ship", "pickup"
DELIVERY_METHODS = f"'{SHIP}', '{PICKUP}'"


class Cart(db.Model):
    """A shopping cart: a visitor's (found through the secret ``token`` kept in
    their session) or a customer's (one per customer)."""

    __tablename__ = "xty_cart"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the secret a visitor's session holds; random, never shown in a URL
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    #: coupon codes the customer entered (优惠券), passed to every promotion
    coupon_codes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: checkout choices so far: address, email, courier instance and quote code, payment instance
    checkout: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: issued when the review page renders; placing an order spends it (idempotency key)
    checkout_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow, index=True
    )

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan", passive_deletes=True
    )


class CartLine(db.Model):
    __tablename__ = "xty_cart_line"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("xty_cart.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("xty_variant.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")


class Order(db.Model):
    """A placed order and everything needed to fulfil and account for it."""

    __tablename__ = "xty_order"
    __table_args__ = (
        CheckConstraint(f"status IN ({ORDER_STATUSES})", name="status"),
        CheckConstraint(
            "subtotal_minor >= 0 AND discount_minor >= 0 AND discount_minor <= subtotal_minor "
            "AND shipping_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0",
            name="amounts",
        ),
        CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= paid_minor AND paid_minor <= total_minor",
            name="paid_refunded",
        ),
        CheckConstraint(f"delivery_method IN ({DELIVERY_METHODS})", name="delivery_method"),
        Index("ix_xty_order_status_expires_at", "status", "expires_at"),
        Index("ix_xty_order_customer_id_placed_at", "customer_id", "placed_at"),
        # orders in a date range, newest first (placed_at, id); the reports add up paid_minor, currency and
        # total_minor from the index alone (migration 0017_report_speed)
        Index("ix_xty_order_placed_at_sales", "placed_at", "id", "paid_minor", "currency", "total_minor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    #: None for a guest's order, who is reached through ``email`` and ``mobile``
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="SET NULL"), nullable=True
    )
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    mobile: Mapped[str] = mapped_column(String(MAX_LENGTHS["mobile"]), nullable=False, default="")
    #: an :class:`~xtycore.domain.states.OrderStatus` value; changed only by services.orders.transition
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    #: sum of the lines' unit price × quantity
    subtotal_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    #: sum of the lines' discounts
    discount_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: shipping charged, after any shipping discount
    shipping_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: all tax of ``tax_lines``, included in prices or not
    tax_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: subtotal − discount + shipping + the tax not included in prices
    total_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    paid_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refunded_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    #: SHIP or PICKUP; a pickup order keeps its contact in ``ship_recipient`` and ``ship_mobile`` and
    #: leaves the other ``ship_*`` columns empty
    delivery_method: Mapped[str] = mapped_column(String(10), nullable=False, default=SHIP, server_default=SHIP)
    #: a pickup order's location as it was chosen: {"code", "name", "address", "hours"}; None when shipped,
    #: and for pickup orders placed before the column existed (their ``ship_street`` names the location)
    pickup_location: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    ship_recipient: Mapped[str] = mapped_column(String(MAX_LENGTHS["recipient"]), nullable=False)
    ship_mobile: Mapped[str] = mapped_column(String(MAX_LENGTHS["mobile"]), nullable=False)
    ship_province: Mapped[str] = mapped_column(String(MAX_LENGTHS["province"]), nullable=False)
    ship_city: Mapped[str] = mapped_column(String(MAX_LENGTHS["city"]), nullable=False)
    ship_district: Mapped[str] = mapped_column(String(MAX_LENGTHS["district"]), nullable=False)
    ship_street: Mapped[str] = mapped_column(String(MAX_LENGTHS["street"]), nullable=False)
    ship_postcode: Mapped[str] = mapped_column(String(MAX_LENGTHS["postcode"]), nullable=False, default="")

    courier_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_capability_instance.id", ondelete="SET NULL"), nullable=True
    )
    courier_quote_code: Mapped[str] = mapped_column(String(64), nullable=False)
    courier_label: Mapped[str] = mapped_column(String(200), nullable=False)
    payment_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_capability_instance.id", ondelete="SET NULL"), nullable=True
    )
    payment_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: [{"label", "amount_minor", "rate", "included_in_price"}] from the tax plugins
    tax_lines: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: [{"name", "explanation"}] of the promotions that applied
    promotions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    #: the checkout token the order was placed with: a second submit finds this order
    checkout_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: an unpaid order is cancelled (and its stock returned) after this moment
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderLine(db.Model):
    """What was bought, as it was when the order was placed."""

    __tablename__ = "xty_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "unit_price_minor >= 0 AND discount_minor >= 0 "
            "AND total_minor = unit_price_minor * quantity - discount_minor AND total_minor >= 0",
            name="amounts",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("xty_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: kept while the variant exists: stock goes back to it when the order is cancelled
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_variant.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: for per-customer purchase limits (限购)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_product.id", ondelete="SET NULL"), nullable=True, index=True
    )
    product_name: Mapped[str] = mapped_column(String(200), nullable=False)
    variant_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    unit_price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    discount_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_minor: Mapped[int] = mapped_column(Integer, nullable=False)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    """One status change of an order: who did what, from which status to which."""

    __tablename__ = "xty_order_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("xty_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: None for the event that placed the order
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    #: "customer:<id>", "guest", "system", "staff:<id>", "payment:<instance id>" …
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
