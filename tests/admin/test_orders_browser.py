"""The orders screens in headless Chromium: on a 375 px phone, finance staff find an order and refund part of it.

Uses the end-to-end fixtures (tests/e2e/conftest.py): a shop served over HTTP
with the first-party plugins, and the system's Chromium, in Chinese.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.browser import browser, fits, live_shop, shopper, staff_page, xty_config  # noqa: F401  (fixtures)
from tests.orders.helpers import make_product
from tests.payments.conftest import Shop
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import Variant
from xtycore.services import payments

from xtycore_payment_sandbox import trades

FINANCE = "finance@shop.test"


def paid_order(app, title: str = "白毫银针") -> tuple[str, int]:
    """A sandbox order of 2 x 30.00 of a new product ``title`` and 10.00 shipping, paid: (order number, order id)."""
    with app.app_context():
        [instance] = [i for i in get_kernel().registry.instances("payment") if i.type.code == "sandbox"]
        _, variant_id = make_product(title, price="30.00", stock=10)
        sku = db.session.get(Variant, variant_id).sku
        db.session.remove()
    shop = Shop(app, instance.id, cod_id=0)
    order_id = shop.order_with_lines((variant_id, sku, 3000, 2, 0))
    shop.start(order_id)
    payment = shop.payments(order_id)[-1]
    with app.test_request_context():
        trade = trades.open_trade({
            "merchant_id": instance.settings["merchant_id"], "out_trade_no": payment["reference"],
            "order_number": "T", "subject": "test", "amount": str(payment["amount_minor"]), "currency": "CNY",
            "notify_url": "", "return_url": "http://shop.test/",
        })
        trades.decide(trade.trade_no, "paid")
        assert payments.settle_from_query(payment["reference"]).status == "succeeded"
    return shop.order_row(order_id)["number"], order_id


def test_finance_staff_refund_part_of_an_order_on_a_phone(live_shop, staff_page, tmp_path):  # noqa: F811
    number, order_id = paid_order(live_shop.app)
    page = staff_page(FINANCE, "finance", "会计")
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="订单").click()
    page.get_by_label("订单号、邮箱或手机号").fill(number)
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()
    assert fits(page)

    form = page.locator("form.refund-form")
    form.get_by_label("金额（CNY）").fill("15.00")
    form.get_by_label("原因").fill("少发一包")
    form.get_by_role("button", name="退款").click()
    expect(page.get_by_role("status")).to_contain_text("退款已成功")
    expect(page.locator(".order-refunded")).to_contain_text("15.00")
    expect(page.locator(".refund-status")).to_have_text("部分退款")
    assert fits(page)
    page.screenshot(path=tmp_path / "order-refunded-phone.png", full_page=True)

    # more than is left: the kernel's message next to the form, nothing written
    form = page.locator("form.refund-form")
    form.get_by_label("金额（CNY）").fill("80.00")
    form.get_by_label("原因").fill("再退")
    form.get_by_role("button", name="退款").click()
    expect(page.locator("form.refund-form .form-error")).to_contain_text("refused")
    shop = Shop(live_shop.app, 0, 0)
    assert [row for row in shop.ledger(order_id) if row[0] == "refund"] == [("refund", "succeeded", 1500)]
    assert shop.order_row(order_id)["refunded_minor"] == 1500
