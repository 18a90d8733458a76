"""The reports screen: figures, charts, the date-range picker, CSV downloads and who may see them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.admin.conftest import staff_client
from tests.reports.shop import seed_shop
from xtycore import hookimpl
from xtycore.domain.contributions import ReportPoint, ReportSeries
from xtycore.domain.money import Money
from xtycore.domain.staff import StaffRole

RANGE = "from=2026-03-01&to=2026-03-02&granularity=day"


@pytest.fixture
def shop(xty_app):
    with xty_app.app_context():
        seed_shop()
    return xty_app


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_shows_totals_charts_with_tables_and_top_lists(shop):
    _id, client = staff_client(shop, StaffRole.FINANCE)
    html = text_of(client.get(f"/admin/reports?{RANGE}"))
    assert re.search(r'id="total-sales">[^<]*230\.01<', html)
    assert re.search(r'id="total-orders">3<', html)
    assert re.search(r'id="total-refunds">[^<]*30\.00<', html)
    assert re.search(r'id="total-net">[^<]*200\.01<', html)
    assert re.search(r'id="total-members">1<', html)
    # a server-drawn, labelled chart per series, with its numbers in a table below it
    sales_chart = html.split('id="chart-sales"')[1].split("</table>")[0]
    assert 'role="img"' in sales_chart and "<title" in sales_chart and "aria-label=" in sales_chart
    assert sales_chart.count("<rect") == 2
    assert re.search(r'<th scope="row">2026-03-01</th><td class="number">[^<]*150\.01</td>', sales_chart)
    assert re.search(r'<th scope="row">2026-03-02</th><td class="number">[^<]*80\.00</td>', sales_chart)
    assert html.count("<script") == 1  # only the layout's menu script: the charts need none
    top_revenue = html.split('id="table-products_by_revenue"')[1].split("</table>")[0]
    assert top_revenue.index("绿茶") < top_revenue.index("白瓷杯")
    top_units = html.split('id="table-products_by_units"')[1].split("</table>")[0]
    assert top_units.index("白瓷杯") < top_units.index("绿茶")


def test_money_axis_labels_are_in_the_shop_currency(shop):
    _id, client = staff_client(shop, StaffRole.OWNER)
    html = text_of(client.get(f"/admin/reports?{RANGE}&lang=zh_CN"))
    chart = html.split('id="chart-sales"')[1].split("</svg>")[0]
    assert re.search(r'text-anchor="end"[^>]*>¥0\.00<', chart)
    assert "¥200.00" in chart  # the top tick above ¥150.01


def test_presets_and_the_default_range(shop):
    _id, client = staff_client(shop, StaffRole.OWNER)
    for preset in ("last_7_days", "last_30_days", "this_month", "this_year"):
        assert client.get(f"/admin/reports?preset={preset}&granularity=month").status_code == 200
    assert 'aria-current="page"' in text_of(client.get("/admin/reports"))  # last 30 days


@pytest.mark.parametrize("query, message", [
    ("from=2026-03-05&to=2026-03-01", "The end of the range is before its start."),
    ("from=yesterday&to=2026-03-01", "From is not a date (YYYY-MM-DD)."),
    ("from=2026-03-01&to=2026-03-02&granularity=hour", "Unknown granularity hour."),
    ("preset=forever", "Unknown range forever."),
    ("from=2000-01-01&to=2026-03-01", "A day-by-day report covers at most 2000 days"),
])
def test_bad_ranges_get_a_clear_message(shop, query, message):
    _id, client = staff_client(shop, StaffRole.OWNER)
    response = client.get(f"/admin/reports?{query}")
    assert response.status_code == 400
    assert message in text_of(response)
    assert client.get(f"/admin/reports/sales.csv?{query}").status_code == 400


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_sales_csv_has_a_bom_and_decimal_amounts(shop):
    _id, client = staff_client(shop, StaffRole.READ_ONLY)
    response = client.get(f"/admin/reports/sales.csv?{RANGE}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sales-2026-03-01-2026-03-02.csv"' in response.headers["Content-Disposition"]
    assert read_csv(response) == [
        ["Period", "Orders", "Sales", "Average order value", "Refunds", "Net sales (sales - refunds)", "New members"],
        ["2026-03-01", "2", "150.01", "75.01", "0.00", "150.01", "1"],
        ["2026-03-02", "1", "80.00", "80.00", "30.00", "50.00", "0"],
    ]


def test_top_lists_as_csv_keep_chinese_names(shop):
    _id, client = staff_client(shop, StaffRole.OWNER)
    assert read_csv(client.get(f"/admin/reports/products.csv?{RANGE}&by=units")) == [
        ["Name", "Revenue", "Units"], ["白瓷杯", "90.01", "4"], ["绿茶", "120.00", "3"]]
    assert read_csv(client.get(f"/admin/reports/categories.csv?{RANGE}"))[1] == ["绿茶", "120.00", "3"]
    assert client.get(f"/admin/reports/products.csv?{RANGE}&by=stars").status_code == 400
    assert client.get(f"/admin/reports/nothing.csv?{RANGE}").status_code == 404


@pytest.mark.parametrize("role", [StaffRole.CATALOGUE_EDITOR, StaffRole.ORDER_CLERK, StaffRole.SUPPORT_AGENT])
def test_staff_without_reports_view_get_403(shop, role):
    _id, client = staff_client(shop, role)
    assert client.get(f"/admin/reports?{RANGE}").status_code == 403
    assert client.get(f"/admin/reports/sales.csv?{RANGE}").status_code == 403
    assert "/admin/reports" not in text_of(client.get("/admin/"))


def test_the_menu_links_reports_for_who_may_see_them(shop):
    _id, client = staff_client(shop, StaffRole.FINANCE)
    assert 'href="/admin/reports"' in text_of(client.get("/admin/"))


class WishlistReports:
    def __init__(self, fail: bool = False):
        self.fail = fail

    @hookimpl
    def xtycore_report_series(self):
        def adds(start, end, granularity):
            if self.fail:
                raise RuntimeError("wishlist store unreachable")
            return [ReportPoint(start, 3), ReportPoint(start, 4), ReportPoint(end, 1)]

        def gifts(start, end, granularity):
            return [ReportPoint(end, Money("12.50"))]

        return [ReportSeries("acme.wishlist_adds", "心愿单加入", "count", adds),
                ReportSeries("acme.gift_wrap", "Gift wrap", "money", gifts)]


def test_plugin_series_are_charted_summed_per_period_and_exported(xty_make_app):
    app = xty_make_app(plugins={"acme": WishlistReports()})
    _id, client = staff_client(app, StaffRole.OWNER)
    html = text_of(client.get(f"/admin/reports?{RANGE}"))
    chart = html.split('id="chart-acme.wishlist_adds"')[1].split("</table>")[0]
    assert '<th scope="row">2026-03-01</th><td class="number">7</td>' in chart
    assert '<th scope="row">2026-03-02</th><td class="number">1</td>' in chart
    assert read_csv(client.get(f"/admin/reports/acme.wishlist_adds.csv?{RANGE}")) == [
        ["Period", "心愿单加入"], ["2026-03-01", "7"], ["2026-03-02", "1"]]
    assert read_csv(client.get(f"/admin/reports/acme.gift_wrap.csv?{RANGE}"))[2] == ["2026-03-02", "12.50"]


def test_a_failing_plugin_series_is_named_and_the_rest_still_shows(xty_make_app):
    app = xty_make_app(plugins={"acme": WishlistReports(fail=True)})
    _id, client = staff_client(app, StaffRole.OWNER)
    response = client.get(f"/admin/reports?{RANGE}")
    assert response.status_code == 200
    assert "These plugin series could not be computed: 心愿单加入" in text_of(response)
    assert 'id="chart-sales"' in text_of(response)
    assert client.get(f"/admin/reports/acme.wishlist_adds.csv?{RANGE}").status_code == 503
