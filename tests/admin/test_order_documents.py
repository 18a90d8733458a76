"""Printable packing slips and invoices: standalone A4 pages written from the order's snapshot."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from tests.admin.conftest import staff_client
from tests.admin.test_dashboard import count_statements
from tests.admin.test_orders_screen import _set, number_of, paid, refund_url, text  # noqa: F401  (fixture)
from tests.payments.conftest import shop  # noqa: F401  (fixture)
from tests.payments.test_refunds import teas  # noqa: F401  (fixture: two variants in stock)
from xtycore.domain.staff import StaffRole
from xtycore.extensions import transaction
from xtycore.models import Variant

SHOP_ADDRESS = "浙江省杭州市西湖区龙井路 88 号\n小甜园茶铺"


@pytest.fixture
def xty_config(xty_config):
    return {**xty_config, "SHOP_NAME": "小甜园茶铺", "SHOP_ADDRESS": SHOP_ADDRESS}


def documents(page: str) -> list[str]:
    """The order numbers of the documents on a page, in print order."""
    return re.findall(r'<article class="document" id="order-([^"]+)">', page)


def test_the_packing_slip_lists_what_to_pack_without_any_price(shop, paid, teas):  # noqa: F811
    (_, green_sku), (_, black_sku) = teas
    _set(shop, paid, placed_at=datetime(2026, 3, 1, 17, 30, tzinfo=timezone.utc))
    _, client = staff_client(shop.app, StaffRole.READ_ONLY)
    number = number_of(shop, paid)
    response = client.get(f"/admin/orders/{number}/packing-slip")
    page = text(response)
    assert response.status_code == 200 and documents(page) == [number]
    assert "<h1>Packing slip</h1>" in page and "小甜园茶铺" in page and SHOP_ADDRESS in page
    assert "2026-03-02 01:30" in page  # the order date on the shop's clock
    assert "张三 13800138000" in page and "龙井路 1 号" in page
    assert f'<td class="sku">{green_sku}</td><td>商品 {green_sku}</td><td>—</td><td class="number quantity">2</td>' \
        in page
    assert f'<td class="sku">{black_sku}</td>' in page and '<td class="number">3</td>' in page  # units in all
    assert "¥" not in page and "30.00" not in page and "88.00" not in page
    # a standalone page: no back-office menu, the print stylesheet, a Print button kept off the paper
    assert 'id="admin-nav"' not in page and "admin/print.css" in page and "admin/print.js" in page
    assert '<button type="button" class="print-button" data-print hidden>Print</button>' in page
    assert f'href="/admin/orders/{number}"' in page


def test_a_pickup_order_slip_names_the_pickup_location(shop, paid):  # noqa: F811
    _set(shop, paid, delivery_method="pickup", ship_province="", ship_city="", ship_district="", ship_street="",
         pickup_location={"code": "xh", "name": "西湖门店", "address": "杭州市西湖区北山街 1 号", "hours": "9-21"})
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    page = text(client.get(f"/admin/orders/{number_of(shop, paid)}/packing-slip"))
    assert "Store pickup" in page and "西湖门店 · 杭州市西湖区北山街 1 号" in page and "Deliver to" not in page


def test_the_invoice_shows_the_snapshot_amounts_taxes_and_the_refunds(shop, paid, teas):  # noqa: F811
    (green, green_sku), _ = teas
    _set(shop, paid, tax_minor=1012, tax_lines=[{"label": "增值税", "amount_minor": 1012, "rate": "13%",
                                                 "included_in_price": True}],
         promotions=[{"name": "春茶节", "explanation": "龙井每件减 5 元"}])
    with shop.app.app_context(), transaction() as session:  # the catalogue changes after the order
        session.execute(update(Variant).where(Variant.id == green).values(price_minor=9900))
    _, finance = staff_client(shop.app, StaffRole.FINANCE)
    assert finance.post(refund_url(shop, paid), data={"mode": "amount", "amount": "10.00",
                                                      "reason": "少发一包"}).status_code == 302
    _, client = staff_client(shop.app, StaffRole.READ_ONLY)
    response = client.get(f"/admin/orders/{number_of(shop, paid)}/invoice")
    page = text(response)
    assert response.status_code == 200 and "<h1>Invoice</h1>" in page
    # 2 x 30.00 less 10.00, as ordered (not the catalogue's 99.00 now)
    assert (f'<td class="sku">{green_sku}</td><td>商品 {green_sku}</td><td>—</td>\n    <td class="number">CN¥30.00</td>'
            '<td class="number">2</td>\n    <td class="number">−CN¥10.00</td>\n    <td class="number">CN¥50.00</td>'
            ) in page
    assert "CN¥99.00" not in page
    assert '<dd class="subtotal">CN¥88.00</dd>' in page and '<dd class="discount">−CN¥10.00</dd>' in page
    assert '<dd class="shipping">CN¥10.00</dd>' in page
    assert "增值税 (13%), included in prices</dt><dd class=\"tax\">CN¥10.12</dd>" in page
    assert '<dd class="grand total">CN¥88.00</dd>' in page and '<dd class="paid">CN¥88.00</dd>' in page
    assert '<dd class="refunded">−CN¥10.00</dd>' in page and '<dd class="net">CN¥78.00</dd>' in page
    assert "春茶节: 龙井每件减 5 元" in page
    assert re.search(r'<tr class="refund-succeeded"><td>[0-9-]+ [0-9:]+</td><td>少发一包</td>'
                     r'<td class="number">CN¥10.00</td></tr>', page)
    assert "not a tax invoice" in page


def test_documents_speak_the_staff_members_language(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    number = number_of(shop, paid)
    slip = text(client.get(f"/admin/orders/{number}/packing-slip?lang=zh_CN"))
    assert '<html lang="zh-CN">' in slip and "<h1>装箱单</h1>" in slip and "收货地址" in slip and ">打印</button>" in slip
    invoice = text(client.get(f"/admin/orders/{number}/invoice"))  # the choice is remembered
    assert "<h1>销售单</h1>" in invoice and '<dd class="grand total">¥88.00</dd>' in invoice
    assert "本单据不是增值税发票" in invoice
    english = text(client.get(f"/admin/orders/{number}/invoice?lang=en"))
    assert "<h1>Invoice</h1>" in english and '<dd class="grand total">CN¥88.00</dd>' in english


def test_orders_selected_on_the_list_print_one_slip_per_page_in_the_order_chosen(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    others = [number_of(shop, shop.order()) for _ in range(2)]
    listing = text(client.get("/admin/orders"))
    assert 'form="print-slips"' in listing and f'name="number" value="{others[0]}"' in listing
    chosen = [others[1], number_of(shop, paid), others[0]]
    response = client.get("/admin/orders/packing-slips?" + "&".join(f"number={n}" for n in chosen + [chosen[0]]))
    page = text(response)
    assert response.status_code == 200 and documents(page) == chosen
    assert "3 documents" in page and 'href="/admin/orders"' in page


def test_bulk_packing_slips_cost_the_same_statements_for_two_or_six_orders(shop, teas):  # noqa: F811
    (green, green_sku), (black, black_sku) = teas
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)

    def orders(count: int) -> list[str]:
        return [number_of(shop, shop.order_with_lines((green, green_sku, 3000, 2, 0), (black, black_sku, 2800, 1, 0)))
                for _ in range(count)]

    def url(numbers: list[str]) -> str:
        return "/admin/orders/packing-slips?" + "&".join(f"number={n}" for n in numbers)

    few = orders(2)
    client.get(url(few))  # caches warmed
    budget = count_statements(shop.app, client, url(few))
    many = few + orders(4)
    assert count_statements(shop.app, client, url(many)) == budget
    assert documents(text(client.get(url(many)))) == many


def test_bulk_printing_refuses_an_empty_or_oversized_selection_and_an_unknown_order(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    response = client.get("/admin/orders/packing-slips")
    assert response.status_code == 422 and "Select the orders to print first." in text(response)
    too_many = "&".join(f"number=T{index:012d}" for index in range(51))
    response = client.get("/admin/orders/packing-slips?" + too_many)
    assert response.status_code == 422 and "Print at most 50 packing slips at once." in text(response)
    response = client.get(f"/admin/orders/packing-slips?number={number_of(shop, paid)}&number=T000000000000")
    assert response.status_code == 404


@pytest.mark.parametrize("document", ["packing-slip", "invoice"])
def test_the_documents_of_an_order_that_does_not_exist_are_not_found(shop, document):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.READ_ONLY)
    assert client.get(f"/admin/orders/T000000000000/{document}").status_code == 404


def test_staff_who_cannot_see_orders_cannot_print_them(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.CATALOGUE_EDITOR)
    number = number_of(shop, paid)
    for url in (f"/admin/orders/{number}/packing-slip", f"/admin/orders/{number}/invoice",
                f"/admin/orders/packing-slips?number={number}"):
        response = client.get(url)
        assert response.status_code == 403 and number not in text(response)
