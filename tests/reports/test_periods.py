"""The sales report against figures worked out in Python, order by order, on the shop's clock.

The report adds up each period in the database between UTC bounds computed
from the shop's zone; these tests place orders, refunds and new members on
and around local midnights in zones with 30 and 45 minute offsets and with
daylight saving, and check every granularity against the local date of each
row. The report reads the orders, ledger and accounts as they are now, so a
payment or a refund that succeeds later shows in the period it belongs to.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.reports.shop import customer, order, utc
from xtycore.extensions import db, transaction
from xtycore.models.payments import Payment, PaymentTransaction
from xtycore.services import reports
from xtycore.services.reports import SalesRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 3, 2), date(2026, 4, 12)  # Monday to Sunday, across March's and April's DST changes


def _moments(zone: ZoneInfo, rng: random.Random, count: int) -> list[datetime]:
    """Random moments around the range, and each local midnight of it, a second before and a second after."""
    low = datetime.combine(FIRST - timedelta(days=3), time.min, tzinfo=zone).astimezone(timezone.utc)
    found = [low + timedelta(seconds=rng.randrange(50 * 86400)) for _ in range(count)]
    day = FIRST - timedelta(days=1)
    while day <= LAST + timedelta(days=1):
        midnight = datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)
        found += [midnight - timedelta(seconds=1), midnight, midnight + timedelta(seconds=1)]
        day += timedelta(days=1)
    return found


def _payment(order_id: int) -> Payment:
    payment = Payment(order_id=order_id, instance_id=1, gateway_code="fixture", reference=f"pay-{order_id}",
                      amount_minor=100, currency="CNY", status="succeeded", captured_minor=100, authorized_minor=100,
                      paid_order=True)
    db.session.add(payment)
    db.session.flush()
    return payment


def _seed(zone: ZoneInfo, rng: random.Random) -> list[tuple[str, datetime, int]]:
    """Orders (some unpaid, some in another currency), refunds (some failed) and members; what should count."""
    counted = []
    with transaction():
        moments = _moments(zone, rng, 90)
        for n, moment in enumerate(moments):
            total, paid, currency = rng.randrange(1, 100000), rng.random() > 0.2, rng.choice(["CNY"] * 9 + ["USD"])
            made = order(moment, total, status="paid" if paid else "pending_payment", currency=currency)
            if paid and currency == "CNY":
                counted.append(("order", moment, total))
            if n % 4 == 0:
                customer(f"member{n}@shop.test", moment)
                counted.append(("member", moment, 1))
        db.session.flush()
        payment = _payment(made.id)
        for n, moment in enumerate(_moments(zone, rng, 30)):
            amount, status = rng.randrange(1, 5000), rng.choice(["succeeded", "succeeded", "failed", "pending"])
            db.session.add(PaymentTransaction(payment_id=payment.id, kind="refund", status=status, amount_minor=amount,
                                              currency="CNY", idempotency_key=f"refund-{n}", created_at=moment))
            if status == "succeeded":
                counted.append(("refund", moment, amount))
    return counted


def _expected(counted, zone: ZoneInfo, granularity: str) -> list[SalesRow]:
    figures: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names = {"order": "sales_minor", "refund": "refunds_minor", "member": "new_members"}
    for kind, moment, value in counted:
        day = moment.astimezone(zone).date()
        if FIRST <= day <= LAST:
            period = figures[reports.period_start(day, granularity)]
            period[names[kind]] += value
            period["orders"] += kind == "order"
    return [SalesRow(p, **figures[p]) for p in reports.periods(FIRST, LAST, granularity)]


@pytest.mark.parametrize("zone_name", [
    "Asia/Shanghai",      # UTC+8, the default
    "Asia/Kathmandu",     # UTC+5:45
    "Asia/Kolkata",       # UTC+5:30
    "Pacific/Chatham",    # UTC+13:45, UTC+12:45 from 2026-04-05: a 45-minute offset with daylight saving
    "America/New_York",   # UTC-5, UTC-4 from 2026-03-08
])
def test_every_granularity_matches_each_row_s_local_date(xty_db, xty_app, zone_name):
    xty_app.config["SHOP_TIMEZONE"] = zone_name
    zone = ZoneInfo(zone_name)
    counted = _seed(zone, random.Random(zone_name))
    for granularity in reports.GRANULARITIES:
        report = reports.sales_report(FIRST, LAST, granularity)
        assert report.rows == _expected(counted, zone, granularity), granularity
        assert report.totals.sales_minor == sum(r.sales_minor for r in report.rows)


def test_a_45_minute_zone_cuts_the_day_at_its_own_midnight(xty_db, xty_app):
    xty_app.config["SHOP_TIMEZONE"] = "Asia/Kathmandu"  # UTC+5:45
    with transaction():
        order(utc(2026, 3, 1, 18, 14, 59), 100)  # 23:59:59 local on 03-01
        order(utc(2026, 3, 1, 18, 15), 200)      # 00:00 local on 03-02
        customer("ktm@shop.test", utc(2026, 3, 2, 18, 14))  # 23:59 local on 03-02
    rows = reports.sales_report(date(2026, 3, 1), date(2026, 3, 2), "day").rows
    assert [(r.sales_minor, r.new_members) for r in rows] == [(100, 0), (200, 1)]


def test_a_refund_that_succeeds_days_later_shows_on_the_day_it_was_asked_for(xty_db):
    with transaction():
        placed = order(utc(2026, 3, 1, 4, 0), 9000)
        db.session.flush()
        refund = PaymentTransaction(payment_id=_payment(placed.id).id, kind="refund", status="pending",
                                    amount_minor=4000, currency="CNY", idempotency_key="late",
                                    created_at=utc(2026, 3, 1, 15, 0))  # 23:00 local
        db.session.add(refund)
    first = reports.sales_report(date(2026, 3, 1), date(2026, 3, 3), "day").rows
    assert [r.refunds_minor for r in first] == [0, 0, 0]
    with transaction():
        db.session.get(PaymentTransaction, refund.id).status = "succeeded"  # the gateway answers on 03-03
    rows = reports.sales_report(date(2026, 3, 1), date(2026, 3, 3), "day").rows
    assert [(r.sales_minor, r.refunds_minor, r.net_minor) for r in rows] == [(9000, 4000, 5000), (0, 0, 0), (0, 0, 0)]


def test_an_order_paid_after_midnight_counts_on_the_day_it_was_placed(xty_db):
    with transaction():
        late = order(utc(2026, 3, 1, 15, 50), 2500, status="pending_payment")  # 23:50 local
    assert reports.sales_report(date(2026, 3, 1), date(2026, 3, 1), "day").totals.orders == 0
    with transaction():
        late.status, late.paid_minor = "paid", 2500
    rows = reports.sales_report(date(2026, 3, 1), date(2026, 3, 2), "day").rows
    assert [(r.orders, r.sales_minor) for r in rows] == [(1, 2500), (0, 0)]


def test_the_longest_day_by_day_report_has_every_day(xty_db):
    first = date(2021, 1, 1)
    last = first + timedelta(days=reports.MAX_PERIODS - 1)
    with transaction():
        order(datetime.combine(first, time(0, 0), tzinfo=SHANGHAI).astimezone(timezone.utc), 111)
        order(datetime.combine(last, time(23, 59), tzinfo=SHANGHAI).astimezone(timezone.utc), 222)
    rows = reports.sales_report(first, last, "day").rows
    assert len(rows) == reports.MAX_PERIODS
    assert (rows[0].period, rows[0].sales_minor, rows[-1].period, rows[-1].sales_minor) == (first, 111, last, 222)
    assert sum(r.orders for r in rows) == 2
