"""Shipping an order from the back office: courier and waybill number (运单号), one transaction, audited.

Orders are paid through the sandbox gateway (tests/payments/conftest.py, the
fixtures of tests/admin/test_orders_screen.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.admin.browser import BROWSER_CONFIG, browser, fits, live_shop, shopper, staff_page  # noqa: F401  (fixtures)
from tests.admin.conftest import staff_client
from tests.admin.test_orders_browser import paid_order
from tests.admin.test_orders_screen import audit_rows, number_of, paid, text  # noqa: F401  (fixture)
from tests.payments.conftest import SANDBOX_SETTINGS, Shop, card, shop  # noqa: F401  (fixtures)
from tests.payments.test_refunds import teas  # noqa: F401  (fixture: two variants in stock)
from xtycore import signals
from xtycore.domain.staff import StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import CapabilityInstance, Order, OrderEvent, Shipment
from xtycore.services.orders import order_link_token

CLERK = "order-clerk@shop.test"


@pytest.fixture
def xty_config(xty_config, request):
    """The back office's test settings; for the browser test, as test_orders_browser runs it: CSRF checked,
    URLs of the host the browser asked for, the shop's default language (Chinese)."""
    if "live_shop" in request.fixturenames:
        return BROWSER_CONFIG
    return xty_config


def ship_url(shop, order_id) -> str:  # noqa: F811
    return f"/admin/orders/{number_of(shop, order_id)}/ship"


def shipments_of(app, order_id) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))
        return [(s.courier, s.waybill_number, s.shipped_by, s.note) for s in rows.scalars()]


def state(app, order_id) -> tuple:
    """What shipping changes: the order's status, its events, every shipment, the audit log."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        events = db.session.execute(select(OrderEvent.event).where(OrderEvent.order_id == order_id)).scalars().all()
        shipments = db.session.execute(select(Shipment.id)).scalars().all()
        return order.status, sorted(events), sorted(shipments), audit_rows(app)


def customer_page(shop, order_id) -> str:  # noqa: F811
    with shop.app.app_context(), shop.app.test_request_context():
        token = order_link_token(db.session.get(Order, order_id))
    return text(shop.client().get(f"/orders/{token}"))


def test_an_order_clerk_ships_a_paid_order_with_a_waybill(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    sent = []

    def received(sender, **kwargs):
        sent.append((kwargs["order"].status, kwargs["shipment"].waybill_number))

    signals.order_shipped.connect(received)
    try:
        response = client.post(ship_url(shop, paid), data={
            "courier": "other", "courier_other": "顺丰速运", "waybill_number": " SF1234567890 ", "note": "两箱",
        })
    finally:
        signals.order_shipped.disconnect(received)
    assert response.status_code == 302
    assert sent == [("shipped", "SF1234567890")]  # after the commit, with the shipment
    assert shop.order_row(paid)["status"] == "shipped"
    assert shipments_of(shop.app, paid) == [("顺丰速运", "SF1234567890", f"staff:{CLERK}", "两箱")]
    with shop.app.app_context():
        event = db.session.execute(
            select(OrderEvent).where(OrderEvent.order_id == paid, OrderEvent.event == "ship")
        ).scalar_one()
        assert (event.from_status, event.to_status, event.actor) == ("paid", "shipped", f"staff:{CLERK}")
        assert event.note == "顺丰速运 SF1234567890"  # the staff note stays in the back office
    [entry] = [row for row in audit_rows(shop.app) if row[0] == "order.ship"]
    assert entry[1:4] == ("order", number_of(shop, paid), CLERK)
    assert entry[4]["status"] == "shipped" and entry[4]["waybill_number"] == "SF1234567890"

    detail = text(client.get(f"/admin/orders/{number_of(shop, paid)}"))
    assert "SF1234567890" in detail and 'class="ship-form"' not in detail
    page = customer_page(shop, paid)
    assert "SF1234567890" in page and "顺丰速运" in page and "两箱" not in page

    # a second shipment for a shipped order is refused; nothing is written
    before = state(shop.app, paid)
    again = client.post(ship_url(shop, paid),
                        data={"courier": "other", "courier_other": "中通快递", "waybill_number": "ZT000000001"})
    assert again.status_code == 422 and "Only a paid order" in text(again)
    assert state(shop.app, paid) == before


def test_the_form_offers_the_enabled_couriers_and_other(shop, paid):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    with shop.app.app_context(), transaction() as session:
        session.add(CapabilityInstance(kind="courier", type_code="manual", display_name="中通快递", enabled=True))
        session.add(CapabilityInstance(kind="courier", type_code="manual", display_name="停用快递", enabled=False))
    page = text(client.get(f"/admin/orders/{number_of(shop, paid)}"))
    assert '<option value="中通快递"' in page and '<option value="other"' in page and "停用快递" not in page
    response = client.post(ship_url(shop, paid), data={"courier": "中通快递", "waybill_number": "ZT-778899"})
    assert response.status_code == 302
    assert shipments_of(shop.app, paid)[0][:2] == ("中通快递", "ZT-778899")


def test_an_unpaid_order_cannot_be_shipped(shop):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    order_id = shop.order()
    before = state(shop.app, order_id)
    response = client.post(ship_url(shop, order_id), data={"courier": "other", "courier_other": "顺丰速运",
                                                           "waybill_number": "SF1234567890"})
    assert response.status_code == 422
    assert 'role="alert">Only a paid order that has not shipped yet can be shipped.' in text(response)
    assert state(shop.app, order_id) == before


def test_a_waybill_a_courier_has_used_is_refused(shop, teas):  # noqa: F811
    (green, green_sku), _ = teas
    first, second = (shop.order_with_lines((green, green_sku, 3000, 1, 0)) for _ in range(2))
    for order_id in (first, second):
        shop.pay_sandbox(order_id)
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    form = {"courier": "other", "courier_other": "顺丰速运", "waybill_number": "SF1234567890"}
    assert client.post(ship_url(shop, first), data=form).status_code == 302
    before = state(shop.app, second)
    response = client.post(ship_url(shop, second), data=form)
    assert response.status_code == 422
    assert "顺丰速运 waybill SF1234567890 is already recorded" in text(response)
    assert state(shop.app, second) == before and shop.order_row(second)["status"] == "paid"
    # the same number with another courier is another waybill
    other = {**form, "courier_other": "中通快递"}
    assert client.post(ship_url(shop, second), data=other).status_code == 302


@pytest.mark.parametrize("form, message", [
    ({"courier": "other", "courier_other": "顺丰速运", "waybill_number": "SF12"},
     "A waybill number is 6 to 40 letters, digits or hyphens."),
    ({"courier": "other", "courier_other": "顺丰速运", "waybill_number": "SF 123 456"},
     "A waybill number is 6 to 40 letters, digits or hyphens."),
    ({"courier": "other", "courier_other": "顺丰速运", "waybill_number": "S" * 41},
     "A waybill number is 6 to 40 letters, digits or hyphens."),
    ({"courier": "other", "courier_other": "顺丰速运", "waybill_number": ""}, "Enter the waybill number."),
    ({"courier": "other", "courier_other": " ", "waybill_number": "SF1234567890"}, "Choose or enter the courier."),
])
def test_bad_input_is_refused_next_to_the_form_and_nothing_is_written(shop, paid, form, message):  # noqa: F811
    _, client = staff_client(shop.app, StaffRole.ORDER_CLERK)
    before = state(shop.app, paid)
    response = client.post(ship_url(shop, paid), data=form)
    assert response.status_code == 422
    assert f'<p class="form-error" role="alert">{message}</p>' in text(response)
    assert state(shop.app, paid) == before


def test_a_pickup_order_ships_without_a_waybill(shop, paid):  # noqa: F811
    with shop.app.app_context(), transaction() as session:
        session.get(Order, paid).delivery_method = "pickup"
    _, client = staff_client(shop.app, StaffRole.OWNER)
    assert client.post(ship_url(shop, paid), data={"courier": "", "waybill_number": ""}).status_code == 302
    assert shipments_of(shop.app, paid) == [("到店自提", None, "staff:owner@shop.test", "")]
    assert shop.order_row(paid)["status"] == "shipped"


@pytest.mark.parametrize("role", [StaffRole.READ_ONLY, StaffRole.SUPPORT_AGENT, StaffRole.FINANCE])
def test_roles_without_fulfilment_are_refused_and_nothing_changes(shop, paid, role):  # noqa: F811
    _, client = staff_client(shop.app, role)
    before = state(shop.app, paid)
    response = client.post(ship_url(shop, paid), data={"courier": "other", "courier_other": "顺丰速运",
                                                       "waybill_number": "SF1234567890"})
    assert response.status_code == 403
    assert state(shop.app, paid) == before
    assert 'class="ship-form"' not in text(client.get(f"/admin/orders/{number_of(shop, paid)}"))


def test_an_order_clerk_ships_one_order_and_refunds_part_of_another_on_a_phone(live_shop, staff_page, tmp_path):  # noqa: F811,E501
    number, order_id = paid_order(live_shop.app)
    other_number, other_id = paid_order(live_shop.app, "白牡丹")
    page = staff_page(CLERK, "order_clerk", "小李")
    page.goto(live_shop(f"/admin/orders/{number}"))
    expect(page.get_by_role("heading", name=number)).to_be_visible()
    assert page.evaluate("window.innerWidth") == 375

    form = page.locator("form.ship-form")
    form.get_by_label("快递公司", exact=True).select_option("other")
    form.get_by_label("其他快递公司").fill("顺丰速运")
    form.get_by_label("运单号").fill("SF12")
    form.get_by_role("button", name="确认发货").click()
    expect(page.locator("#shipments .form-error")).to_have_text("运单号为 6 到 40 位字母、数字或连字符。")
    assert shipments_of(live_shop.app, order_id) == []

    form = page.locator("form.ship-form")
    form.get_by_label("运单号").fill("SF1234567890")
    form.get_by_role("button", name="确认发货").click()
    expect(page.get_by_role("status")).to_contain_text("订单已发货：顺丰速运 SF1234567890")
    expect(page.locator(".order-status")).to_have_text("已发货")
    expect(page.locator("#shipments .waybill")).to_have_text("SF1234567890")
    assert fits(page)
    page.screenshot(path=tmp_path / "order-shipped-phone.png", full_page=True)
    assert shipments_of(live_shop.app, order_id) == [("顺丰速运", "SF1234567890", f"staff:{CLERK}", "")]

    # after-sales: one of the other order's two packs arrived broken; the clerk refunds its price
    page.goto(live_shop(f"/admin/orders/{other_number}"))
    expect(page.get_by_role("heading", name=other_number)).to_be_visible()
    form = page.locator("form.refund-form")
    form.get_by_label("金额（CNY）").fill("30.00")
    form.get_by_label("原因").fill("一包破损")
    form.get_by_role("button", name="退款").click()
    expect(page.get_by_role("status")).to_contain_text("退款已成功")
    expect(page.locator(".refund-status")).to_have_text("部分退款")
    assert fits(page)
    page.screenshot(path=tmp_path / "order-refunded-by-clerk-phone.png", full_page=True)
    books = Shop(live_shop.app, 0, 0)
    assert [row for row in books.ledger(other_id) if row[0] == "refund"] == [("refund", "succeeded", 3000)]
    assert books.order_row(other_id)["refunded_minor"] == 3000
    assert books.order_row(other_id)["status"] == "paid"  # a partial refund keeps the order to be shipped
