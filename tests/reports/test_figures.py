"""The report service's numbers against the hand-computed shop of tests/reports/shop.py."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reports.shop import customer, order, seed_shop, utc
from xtycore.extensions import db, transaction
from xtycore.models.catalog import Product
from xtycore.services import reports
from xtycore.services.reports import ReportError, SalesRow


def test_orders_either_side_of_local_midnight_fall_on_the_shop_s_days(xty_db):
    seed_shop()
    report = reports.sales_report(date(2026, 3, 1), date(2026, 3, 2), "day")
    assert report.rows == [
        SalesRow(date(2026, 3, 1), orders=2, sales_minor=15001, refunds_minor=0, new_members=1),
        SalesRow(date(2026, 3, 2), orders=1, sales_minor=8000, refunds_minor=3000, new_members=0),
    ]
    assert [r.average_minor for r in report.rows] == [7501, 8000]  # 15001 / 2 = 7500.5, half up
    assert [r.net_minor for r in report.rows] == [15001, 5000]
    assert (report.totals.orders, report.totals.sales_minor, report.totals.net_minor) == (3, 23001, 20001)


def test_weeks_start_on_monday_and_the_range_still_cuts_at_local_midnight(xty_db):
    seed_shop()
    rows = reports.sales_report(date(2026, 3, 1), date(2026, 3, 2), "week").rows
    # 2026-03-01 is a Sunday: order A (Saturday 23:59 local) is in the same week but before the range
    assert [(r.period, r.orders, r.sales_minor) for r in rows] == [
        (date(2026, 2, 23), 2, 15001), (date(2026, 3, 2), 1, 8000)]


@pytest.mark.parametrize("granularity, expected", [
    ("month", [(date(2026, 2, 1), 1, 10000, 1), (date(2026, 3, 1), 3, 23001, 1)]),
    ("quarter", [(date(2026, 1, 1), 4, 33001, 2)]),
    ("year", [(date(2026, 1, 1), 4, 33001, 2)]),
])
def test_months_quarters_and_years(xty_db, granularity, expected):
    seed_shop()
    rows = reports.sales_report(date(2026, 2, 1), date(2026, 3, 31), granularity).rows
    assert [(r.period, r.orders, r.sales_minor, r.new_members) for r in rows] == expected


def test_periods_without_sales_are_zero_and_empty_shops_report_zero(xty_db):
    rows = reports.sales_report(date(2026, 1, 1), date(2026, 1, 3), "day").rows
    assert [(r.period, r.orders, r.sales_minor, r.average_minor) for r in rows] == [
        (date(2026, 1, d), 0, 0, 0) for d in (1, 2, 3)]


def test_top_products_by_revenue_and_by_units(xty_db):
    ids = seed_shop()
    by_revenue = reports.top_products(date(2026, 3, 1), date(2026, 3, 2), "revenue")
    by_units = reports.top_products(date(2026, 3, 1), date(2026, 3, 2), "units")
    assert [(r.key, r.name, r.revenue_minor, r.units) for r in by_revenue] == [
        (ids["tea"], "绿茶", 12000, 3), (ids["cup"], "白瓷杯", 9001, 4)]
    assert [r.name for r in by_units] == ["白瓷杯", "绿茶"]


def test_top_categories_count_products_without_a_category_apart(xty_db):
    seed_shop()
    rows = reports.top_categories(date(2026, 3, 1), date(2026, 3, 2), "revenue")
    assert [(r.name, r.revenue_minor, r.units) for r in rows] == [("绿茶", 12000, 3), ("", 9001, 4)]
    assert [r.name for r in reports.top_categories(date(2026, 3, 1), date(2026, 3, 2), "units")] == ["", "绿茶"]


def test_a_daylight_saving_zone_buckets_by_the_local_offset_of_each_moment(xty_db, xty_app):
    # New York moves from UTC-5 to UTC-4 at 2026-03-08 07:00 UTC; a fixed offset would misplace these orders
    xty_app.config["SHOP_TIMEZONE"] = "America/New_York"
    with transaction():
        order(utc(2026, 3, 8, 4, 30), 100)   # 03-07 23:30 EST
        order(utc(2026, 3, 8, 5, 0), 200)    # 03-08 00:00 EST
        order(utc(2026, 3, 9, 3, 59), 400)   # 03-08 23:59 EDT
        order(utc(2026, 3, 9, 4, 30), 800)   # 03-09 00:30 EDT (03-08 23:30 on a fixed UTC-5 clock)
        customer("ny@shop.test", utc(2026, 3, 9, 4, 15))  # 03-09 00:15 EDT
    rows = reports.sales_report(date(2026, 3, 7), date(2026, 3, 9), "day").rows
    assert [(r.period.day, r.sales_minor, r.new_members) for r in rows] == [(7, 100, 0), (8, 600, 0), (9, 800, 1)]


def test_a_half_hour_zone_is_bucketed_exactly(xty_db, xty_app):
    xty_app.config["SHOP_TIMEZONE"] = "Asia/Kolkata"  # UTC+5:30
    with transaction():
        order(utc(2026, 3, 1, 18, 29), 100)  # 23:59 local on 03-01
        order(utc(2026, 3, 1, 18, 30), 200)  # 00:00 local on 03-02
    rows = reports.sales_report(date(2026, 3, 1), date(2026, 3, 2), "day").rows
    assert [r.sales_minor for r in rows] == [100, 200]


def test_orders_in_another_currency_are_left_out(xty_db):
    with transaction():
        order(utc(2026, 3, 1, 4, 0), 500, currency="USD")
        order(utc(2026, 3, 1, 4, 0), 700)
    assert reports.sales_report(date(2026, 3, 1), date(2026, 3, 1), "day").rows[0].sales_minor == 700


@pytest.mark.parametrize("start, end, granularity, message", [
    (date(2026, 3, 2), date(2026, 3, 1), "day", "before its start"),
    (date(2026, 3, 1), date(2026, 3, 1), "hour", "unknown granularity"),
    (date(2020, 1, 1), date(2026, 1, 1), "day", "at most"),
])
def test_bad_ranges_are_refused(xty_db, start, end, granularity, message):
    with pytest.raises(ReportError, match=message):
        reports.sales_report(start, end, granularity)


def test_presets_on_the_shop_s_today():
    presets = reports.presets(date(2026, 2, 10))
    assert presets == {"last_7_days": (date(2026, 2, 4), date(2026, 2, 10)),
                       "last_30_days": (date(2026, 1, 12), date(2026, 2, 10)),
                       "this_month": (date(2026, 2, 1), date(2026, 2, 28)),
                       "this_year": (date(2026, 1, 1), date(2026, 12, 31))}


def test_an_order_cancelled_after_payment_counts_as_sales_and_its_refund_as_refunds(xty_db):
    with transaction():
        order(utc(2026, 3, 1, 4, 0), 4200, status="cancelled", refunded=4200)
    row = reports.sales_report(date(2026, 3, 1), date(2026, 3, 1), "day").rows[0]
    assert (row.orders, row.sales_minor) == (1, 4200)


def test_the_page_s_top_lists_rank_like_the_single_queries(xty_db):
    seed_shop()
    lists = reports.top_lists(date(2026, 3, 1), date(2026, 3, 2))
    for kind, finder in (("products", reports.top_products), ("categories", reports.top_categories)):
        for by in ("revenue", "units"):
            assert lists[f"{kind}_by_{by}"] == finder(date(2026, 3, 1), date(2026, 3, 2), by)
    assert reports.top_lists(date(2026, 3, 1), date(2026, 3, 2), limit=1)["products_by_units"][0].name == "白瓷杯"


def test_a_renamed_product_is_listed_per_name_and_its_category_adds_both(xty_db):
    ids = seed_shop()
    with transaction():
        tea = db.session.get(Product, ids["tea"])
        tea.title = "绿茶 250g"
        order(utc(2026, 3, 2, 6, 0), 1000, lines=[(tea, 1, 1000)])
        order(utc(2026, 3, 2, 7, 0), 700, lines=[(None, 7, 100)])  # a product deleted since: no category either
    lists = reports.top_lists(date(2026, 3, 1), date(2026, 3, 2))
    assert [(r.key, r.name, r.revenue_minor, r.units) for r in lists["products_by_revenue"]] == [
        (ids["tea"], "绿茶", 12000, 3), (ids["cup"], "白瓷杯", 9001, 4), (ids["tea"], "绿茶 250g", 1000, 1),
        (None, "已删除商品", 700, 7)]
    assert [(r.name, r.revenue_minor, r.units) for r in lists["categories_by_units"]] == [
        ("", 9701, 11), ("绿茶", 13000, 4)]
