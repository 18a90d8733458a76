"""Sales reports for the back office: figures per period on the shop's clock, top products and categories.

Periods (day, week from Monday, month, quarter, year) are periods of the shop's
time zone ``SHOP_TIMEZONE``. Python works out each period's bounds in UTC from
the zone's rules (any offset, daylight saving included) and sends them with
the statement as a ``VALUES`` list; the database adds up each figure between
each period's bounds, a range read of an index that holds every column the
figure needs (migration ``0017_report_speed``). No timestamp is parsed or
converted row by row, the whole sales report is one statement returning one row
per period, and the same SQL runs on SQLite and PostgreSQL. Nothing is stored
ahead: the figures are those of the orders, ledger and accounts as they are
now, so a payment or a refund that succeeds later shows at once, in its period.

What counts:

- **sales**: the totals of orders in the shop currency placed in the period
  that have been paid (``paid_minor > 0``: whatever became of them later, a
  refund or a cancellation after payment shows under refunds);
- **orders**: how many such orders; **average order value** = sales / orders,
  rounded half up to the minor unit;
- **refunds**: succeeded refunds of the payment ledger
  (``xty_payment_transaction``, kind ``refund``), at the moment they were
  asked for; **net sales** = sales - refunds;
- **new members**: customer accounts created in the period;
- **top products / categories**: order lines of those orders, by revenue
  (line totals) and by units.

Amounts are integers in the minor unit (fen) throughout; never floats.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime, Integer, column, func, select, values
from sqlalchemy.sql.elements import ColumnElement

from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.payments import TxKind
from xtycore.extensions import db
from xtycore.models import Customer, Order, OrderLine
from xtycore.models.payments import PaymentTransaction
from xtycore.models.catalog import Category, Product

GRANULARITIES = ("day", "week", "month", "quarter", "year")
#: how many periods one report may have (a day-by-day report of about five years)
MAX_PERIODS = 2000
TOP_LIMIT = 10


class ReportError(ValueError):
    """A report asked for with a range or granularity that cannot be drawn; the message says why."""


@dataclass(frozen=True)
class SalesRow:
    period: date
    orders: int = 0
    sales_minor: int = 0
    refunds_minor: int = 0
    new_members: int = 0

    @property
    def average_minor(self) -> int:
        """Average order value, rounded half up to the minor unit; 0 without orders."""
        return (2 * self.sales_minor + self.orders) // (2 * self.orders) if self.orders else 0

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor


@dataclass(frozen=True)
class TopRow:
    key: int | None
    name: str
    revenue_minor: int
    units: int


@dataclass(frozen=True)
class SalesReport:
    start: date
    end: date
    granularity: str
    rows: list[SalesRow]
    totals: SalesRow = field(default_factory=lambda: SalesRow(date.min))


# --------------------------------------------------------------------------
# periods on the shop's clock
# --------------------------------------------------------------------------


def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("SHOP_TIMEZONE") or "Asia/Shanghai")


def period_start(day: date, granularity: str) -> date:
    """The first day of the period ``day`` falls in."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "year":
        return date(day.year, 1, 1)
    raise ReportError(f"unknown granularity {granularity!r}; one of {', '.join(GRANULARITIES)}")


def next_period(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def periods(start: date, end: date, granularity: str) -> list[date]:
    """The starts of the periods covering ``start`` to ``end`` (both included)."""
    check_range(start, end, granularity)
    found, current = [], period_start(start, granularity)
    while current <= end:
        found.append(current)
        current = next_period(current, granularity)
    return found


def check_range(start: date, end: date, granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ReportError(f"unknown granularity {granularity!r}; one of {', '.join(GRANULARITIES)}")
    if end < start:
        raise ReportError("the end of the range is before its start")
    if granularity == "day" and (end - start).days >= MAX_PERIODS:
        raise ReportError(f"a day-by-day report covers at most {MAX_PERIODS} days; choose weeks or months")


def utc_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight starting ``start`` and local midnight after ``end``, in UTC."""
    low = datetime.combine(start, time.min, tzinfo=zone).astimezone(timezone.utc)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return low, high


def presets(today: date) -> dict[str, tuple[date, date]]:
    """The date-range picker's presets, on the shop's ``today``."""
    return {
        "last_7_days": (today - timedelta(days=6), today),
        "last_30_days": (today - timedelta(days=29), today),
        "this_month": (today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])),
        "this_year": (date(today.year, 1, 1), date(today.year, 12, 31)),
    }


def shop_today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(shop_zone()).date()


# --------------------------------------------------------------------------
# SQL: each figure per period, in one statement
# --------------------------------------------------------------------------


def _windows(starts: Sequence[date], start: date, end: date, zone: ZoneInfo) -> list[tuple[int, datetime, datetime]]:
    """``(index, low, high)`` per period: its UTC half-open window, cut to the range ``start`` to ``end``."""
    low, high = utc_bounds(start, end, zone)
    edges = [low, *(utc_bounds(p, p, zone)[0] for p in starts[1:]), high]
    return [(i, edges[i], edges[i + 1]) for i in range(len(starts))]


def _paid_orders() -> tuple[Any, ...]:
    return Order.paid_minor > 0, Order.currency == current_app.config["SHOP_CURRENCY"]


def _in_range(moment: Any, low: Any, high: Any) -> tuple[Any, ...]:
    return moment >= low, moment < high


def sales_report(start: date, end: date, granularity: str) -> SalesReport:
    """Orders, sales, refunds and new members per period from ``start`` to ``end`` (shop days, included)."""
    starts = periods(start, end, granularity)
    window = values(column("period", Integer), column("low", DateTime(timezone=True)),
                    column("high", DateTime(timezone=True)), name="report_period") \
        .data(_windows(starts, start, end, shop_zone())).cte()

    def figure(value: Any, moment: Any, *where: Any) -> ColumnElement[Any]:
        # correlated with the period: a range read of one covering index per period and figure
        return select(value).where(*_in_range(moment, window.c.low, window.c.high), *where).scalar_subquery()

    refund = PaymentTransaction
    query = select(
        window.c.period,
        figure(func.count(), Order.placed_at, *_paid_orders()),
        figure(func.sum(Order.total_minor), Order.placed_at, *_paid_orders()),
        figure(func.sum(refund.amount_minor), refund.created_at, refund.kind == TxKind.REFUND.value,
               refund.status == LedgerStatus.SUCCEEDED.value,
               refund.currency == current_app.config["SHOP_CURRENCY"]),
        figure(func.count(), Customer.created_at),
    ).order_by(window.c.period)
    rows = [SalesRow(starts[index], *(int(v or 0) for v in figures)) for index, *figures in db.session.execute(query)]
    totals = SalesRow(start, **{name: sum(getattr(r, name) for r in rows)
                                for name in ("orders", "sales_minor", "refunds_minor", "new_members")})
    return SalesReport(start, end, granularity, rows, totals)


class _Sold(NamedTuple):
    """Order lines of one product name, and the category its product is in now."""

    product: TopRow
    category_id: int | None
    category_name: str


def _sold(start: date, end: date) -> list[_Sold]:
    """Order lines of paid orders placed in the range, summed per product and name, with their category.

    One statement: the lines are added up first, and only the sums are joined to products and categories.
    """
    low, high = utc_bounds(start, end, shop_zone())
    lines = select(OrderLine.product_id, OrderLine.product_name,
                   func.sum(OrderLine.total_minor).label("revenue"), func.sum(OrderLine.quantity).label("units")) \
        .join(Order, Order.id == OrderLine.order_id) \
        .where(*_in_range(Order.placed_at, low, high), *_paid_orders()) \
        .group_by(OrderLine.product_id, OrderLine.product_name).subquery()
    query = select(lines, Category.id, Category.name).select_from(lines) \
        .outerjoin(Product, Product.id == lines.c.product_id).outerjoin(Category, Category.id == Product.category_id)
    return [_Sold(TopRow(product_id, product_name or "", int(revenue or 0), int(units or 0)),
                  category_id, category_name or "")
            for product_id, product_name, revenue, units, category_id, category_name in db.session.execute(query)]


def _categories(sold: Iterable[_Sold]) -> list[TopRow]:
    """The products' sums added up per category."""
    totals: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for product, category_id, category_name in sold:
        total = totals[category_id, category_name]
        total[0] += product.revenue_minor
        total[1] += product.units
    return [TopRow(key, name, revenue, units) for (key, name), (revenue, units) in totals.items()]


def _ranked(rows: list[TopRow], by: str, limit: int) -> list[TopRow]:
    """The best ``limit`` by one figure, then the other, then by name (in code point order)."""
    first, second = ("revenue_minor", "units") if by == "revenue" else ("units", "revenue_minor")
    return sorted(rows, key=lambda r: (-getattr(r, first), -getattr(r, second), r.name))[:limit]


def top_products(start: date, end: date, by: str = "revenue", limit: int = TOP_LIMIT) -> list[TopRow]:
    """Best-selling products in the range by ``revenue`` or ``units``; lines of deleted products by name."""
    by = _by(by)
    return _ranked([row.product for row in _sold(start, end)], by, limit)


def top_categories(start: date, end: date, by: str = "revenue", limit: int = TOP_LIMIT) -> list[TopRow]:
    """Best-selling categories (a product's own category); products without one under an empty name."""
    by = _by(by)
    return _ranked(_categories(_sold(start, end)), by, limit)


def top_lists(start: date, end: date, limit: int = TOP_LIMIT) -> dict[str, list[TopRow]]:
    """The four lists of the reports page from one statement: products and categories, each ranked both ways."""
    sold = _sold(start, end)
    products, categories = [row.product for row in sold], _categories(sold)
    return {f"{kind}_by_{by}": _ranked(rows, by, limit)
            for kind, rows in (("products", products), ("categories", categories)) for by in ("revenue", "units")}


def _by(by: str) -> str:
    if by not in ("revenue", "units"):
        raise ReportError(f"rank by 'revenue' or 'units', not {by!r}")
    return by
