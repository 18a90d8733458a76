"""Sales reports for the back office: figures per period on the shop's clock, top products and categories.

Periods (day, week from Monday, month, quarter, year) are periods of the shop's
time zone ``SHOP_TIMEZONE``. The database adds up each figure per UTC quarter
hour (every time zone's offset is a whole number of quarter hours), and Python
puts each quarter hour into its local period: one indexed ``GROUP BY`` per
figure, correct for any zone and across daylight-saving changes, on SQLite and
PostgreSQL alike.

What counts:

- **sales**: the totals of orders in the shop currency placed in the period
  that have been paid (``paid_minor > 0``: whatever became of them later, a
  refund or a cancellation after payment shows under refunds); read through
  the ``placed_at`` index;
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
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Integer, cast, desc, func, select
from sqlalchemy.sql.elements import ColumnElement

from xtycore.domain.payment_states import LedgerStatus
from xtycore.domain.payments import TxKind
from xtycore.extensions import db
from xtycore.models import Customer, Order, OrderLine
from xtycore.models.payments import PaymentTransaction
from xtycore.models.catalog import Category, Product

GRANULARITIES = ("day", "week", "month", "quarter", "year")
#: seconds in one database bucket: a quarter hour divides every UTC offset
BUCKET_SECONDS = 900
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
# SQL: figures per UTC quarter hour
# --------------------------------------------------------------------------


def _bucket(column: Any) -> ColumnElement[int]:
    """The column's UTC quarter hour as an integer: seconds since the epoch // 900."""
    if db.engine.dialect.name == "sqlite":  # timestamps are stored as UTC text
        return cast(func.strftime("%s", column), Integer) / BUCKET_SECONDS
    return cast(func.floor(func.extract("epoch", column) / BUCKET_SECONDS), Integer)


def _per_bucket(column: Any, values: Sequence[Any], low: datetime, high: datetime,
                *where: Any) -> list[tuple[int, ...]]:
    """``(bucket, value, ...)`` rows: the values added up per UTC quarter hour of ``column``."""
    bucket = _bucket(column).label("bucket")
    query = select(bucket, *values).where(column >= low, column < high, *where).group_by(bucket)
    return [tuple(int(v or 0) for v in row) for row in db.session.execute(query)]


def _bucket_of(moment: datetime) -> int:
    return int(moment.timestamp()) // BUCKET_SECONDS


def _paid_orders(low: datetime, high: datetime) -> tuple[Any, ...]:
    return (Order.placed_at >= low, Order.placed_at < high, Order.paid_minor > 0,
            Order.currency == current_app.config["SHOP_CURRENCY"])


def sales_report(start: date, end: date, granularity: str) -> SalesReport:
    """Orders, sales, refunds and new members per period from ``start`` to ``end`` (shop days, included)."""
    starts = periods(start, end, granularity)
    zone = shop_zone()
    low, high = utc_bounds(start, end, zone)
    currency = current_app.config["SHOP_CURRENCY"]
    figures: dict[date, dict[str, int]] = {p: defaultdict(int) for p in starts}
    # each period's first quarter hour; local midnights fall on quarter hours in every zone
    edges = [_bucket_of(utc_bounds(p, p, zone)[0]) for p in starts]

    def add(rows: Iterable[tuple[int, ...]], names: Sequence[str]) -> None:
        for bucket, *values in rows:
            period = starts[max(bisect_right(edges, bucket) - 1, 0)]
            for name, value in zip(names, values):
                figures[period][name] += value

    add(_per_bucket(Order.placed_at, (func.count(), func.sum(Order.total_minor)), low, high,
                    *_paid_orders(low, high)[2:]), ("orders", "sales_minor"))
    add(_per_bucket(PaymentTransaction.created_at, (func.sum(PaymentTransaction.amount_minor),), low, high,
                    PaymentTransaction.status == LedgerStatus.SUCCEEDED.value,
                    PaymentTransaction.kind == TxKind.REFUND.value, PaymentTransaction.currency == currency),
        ("refunds_minor",))
    add(_per_bucket(Customer.created_at, (func.count(),), low, high), ("new_members",))
    rows = [SalesRow(p, **figures[p]) for p in starts]
    totals = SalesRow(start, **{name: sum(getattr(r, name) for r in rows)
                                for name in ("orders", "sales_minor", "refunds_minor", "new_members")})
    return SalesReport(start, end, granularity, rows, totals)


def _top(key: Any, name: Any, start: date, end: date, by: str | None, limit: int | None, *joins: Any) -> list[TopRow]:
    """Order lines of paid orders placed in the range, summed per ``key``: the best ``limit`` by ``by``,
    or every group unsorted when ``by`` is None."""
    low, high = utc_bounds(start, end, shop_zone())
    revenue, units = func.sum(OrderLine.total_minor).label("revenue"), func.sum(OrderLine.quantity).label("units")
    query = select(key, name, revenue, units).select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
    for target, on in joins:
        query = query.outerjoin(target, on)
    query = query.where(*_paid_orders(low, high)).group_by(key, name)
    if by is not None:
        first, second = (revenue, units) if by == "revenue" else (units, revenue)
        query = query.order_by(desc(first), desc(second), name).limit(limit)
    return [TopRow(row[0], row[1] or "", int(row[2] or 0), int(row[3] or 0)) for row in db.session.execute(query)]


def _ranked(rows: list[TopRow], by: str, limit: int) -> list[TopRow]:
    """The same order as the SQL of :func:`_top`: by one figure, then the other, then by name."""
    first, second = ("revenue_minor", "units") if by == "revenue" else ("units", "revenue_minor")
    return sorted(rows, key=lambda r: (-getattr(r, first), -getattr(r, second), r.name))[:limit]


PRODUCT_KEY = (OrderLine.product_id, OrderLine.product_name)
CATEGORY_KEY = (Category.id, Category.name)
CATEGORY_JOINS = ((Product, Product.id == OrderLine.product_id), (Category, Category.id == Product.category_id))


def top_products(start: date, end: date, by: str = "revenue", limit: int = TOP_LIMIT) -> list[TopRow]:
    """Best-selling products in the range by ``revenue`` or ``units``; lines of deleted products by name."""
    return _top(*PRODUCT_KEY, start, end, _by(by), limit)


def top_categories(start: date, end: date, by: str = "revenue", limit: int = TOP_LIMIT) -> list[TopRow]:
    """Best-selling categories (a product's own category); products without one under an empty name."""
    return _top(*CATEGORY_KEY, start, end, _by(by), limit, *CATEGORY_JOINS)


def top_lists(start: date, end: date, limit: int = TOP_LIMIT) -> dict[str, list[TopRow]]:
    """The four lists of the reports page from two statements: products and categories, each ranked both ways."""
    products = _top(*PRODUCT_KEY, start, end, None, None)
    categories = _top(*CATEGORY_KEY, start, end, None, None, *CATEGORY_JOINS)
    return {f"{kind}_by_{by}": _ranked(rows, by, limit)
            for kind, rows in (("products", products), ("categories", categories)) for by in ("revenue", "units")}


def _by(by: str) -> str:
    if by not in ("revenue", "units"):
        raise ReportError(f"rank by 'revenue' or 'units', not {by!r}")
    return by
