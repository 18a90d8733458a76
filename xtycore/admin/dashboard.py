"""The dashboard: what needs the merchant's attention today, in a fixed handful of statements.

All the numbers come from one ``SELECT`` of scalar subqueries; each list is
one more statement with a limit, so the page costs the same whatever the size
of the shop (tests count the statements). "Today" is the shop's day
(``SHOP_TIMEZONE``, Asia/Shanghai by default), from local midnight to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import case, func, select

from xtycore.admin import bp, page
from xtycore.admin.permissions import SIGNED_IN, can, requires
from xtycore.domain.catalog import ProductStatus
from xtycore.domain.states import OrderStatus
from xtycore.domain.support_states import TicketStatus
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import Order, Payment, PluginFailure, Product, SupportTicket, Variant
from xtycore.services import errors
from xtycore.services.orders import aware
from xtycore.services.pages import LOW_STOCK

#: Orders placed today count towards sales once paid, until refunded or cancelled.
SOLD = (OrderStatus.PAID.value, OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value, OrderStatus.COMPLETED.value)
#: Rows each list shows.
LIST_LIMIT = 8


@dataclass(frozen=True)
class Figures:
    orders_today: int
    sales_today_minor: int
    to_ship: int
    low_stock: int
    review_queue: int
    payments_attention: int
    #: exception groups still open that happened in the last 24 hours
    open_errors: int
    #: support tickets waiting for the shop (open)
    tickets_waiting: int
    #: since when the longest-waiting of them waits: its customer's last message (or its opening)
    oldest_waiting_since: datetime | None


def shop_day(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of the shop's current day, in UTC."""
    zone = ZoneInfo(current_app.config["SHOP_TIMEZONE"])
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    start = datetime.combine(local.date(), time.min, tzinfo=zone)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def _count(*where: Any):
    return select(func.count()).where(*where).scalar_subquery()


def figures(now: datetime | None = None) -> Figures:
    start, end = shop_day(now)
    today = (Order.placed_at >= start, Order.placed_at < end)
    sales = select(func.coalesce(func.sum(case((Order.status.in_(SOLD), Order.total_minor), else_=0)), 0)) \
        .where(*today).scalar_subquery()
    row = db.session.execute(select(
        _count(*today).label("orders_today"),
        sales.label("sales_today_minor"),
        _count(Order.status == OrderStatus.PAID.value).label("to_ship"),
        select(func.count()).select_from(Variant).join(Product)
        .where(Variant.stock <= LOW_STOCK, Product.status == ProductStatus.ACTIVE.value)
        .scalar_subquery().label("low_stock"),
        _count(Product.status == ProductStatus.PENDING_REVIEW.value).label("review_queue"),
        _count(Payment.attention != "").label("payments_attention"),
        _count(*errors.recently_open()).label("open_errors"),
        _count(SupportTicket.status == TicketStatus.OPEN.value).label("tickets_waiting"),
        select(func.min(func.coalesce(SupportTicket.last_inbound_at, SupportTicket.created_at)))
        .where(SupportTicket.status == TicketStatus.OPEN.value).scalar_subquery().label("oldest_waiting_since"),
    )).one()
    return Figures(**row._asdict())


def low_stock_variants() -> list[Any]:
    return db.session.execute(
        select(Variant.id, Variant.sku, Variant.stock, Variant.options, Product.id.label("product_id"),
               Product.title)
        .join(Product).where(Variant.stock <= LOW_STOCK, Product.status == ProductStatus.ACTIVE.value)
        .order_by(Variant.stock, Variant.sku).limit(LIST_LIMIT)
    ).all()


def recent_failures() -> list[PluginFailure]:
    return list(db.session.execute(
        select(PluginFailure).order_by(PluginFailure.id.desc()).limit(LIST_LIMIT)
    ).scalars())


def payments_needing_attention() -> list[Any]:
    return db.session.execute(
        select(Payment.reference, Payment.amount_minor, Payment.currency, Payment.attention, Payment.created_at,
               Order.number.label("order_number"))
        .join(Order, Order.id == Payment.order_id).where(Payment.attention != "")
        .order_by(Payment.id.desc()).limit(LIST_LIMIT)
    ).all()


def waiting_for(since: datetime | None, now: datetime | None = None) -> str:
    """How long a ticket has waited, as staff read it: minutes, then hours, then days."""
    if since is None:
        return ""
    minutes = max(int(((now or datetime.now(timezone.utc)) - aware(since)).total_seconds() // 60), 0)
    if minutes < 60:
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)
    if minutes < 48 * 60:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))


@bp.route("/")
@requires(SIGNED_IN)
def dashboard():
    sees_orders, sees_catalogue, sees_tickets = can("orders.view"), can("catalogue.view"), can("support.view")
    shown = figures() if sees_orders or sees_catalogue or sees_tickets or can("operations.view") else None
    return page(
        "dashboard.html",
        figures=shown,
        low_stock=low_stock_variants() if sees_catalogue else [],
        failures=recent_failures() if can("plugins.manage") else [],
        attention=payments_needing_attention() if sees_orders else [],
        support_configured=bool(get_kernel().registry.instances("support")),
        oldest_ticket_wait=waiting_for(shown.oldest_waiting_since) if shown and sees_tickets else "",
        low_stock_threshold=LOW_STOCK,
    )
