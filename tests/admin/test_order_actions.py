"""Status actions on an order's page: confirm an offline payment, deliver, complete, cancel.

Each goes through the order kernel (the state machine on the locked order row)
and commits with its audit entry; what the state machine does not allow now
answers 422 with its reason, and a role without the permission 403, both
changing nothing. Orders are paid through the sandbox gateway or collected by
cash on delivery (tests/payments/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from playwright.sync_api import expect

from tests.admin.browser import BROWSER_CONFIG, browser, fits, live_shop, shopper, staff_page  # noqa: F401  (fixtures)
from tests.admin.conftest import email_of, staff_client
from tests.admin.test_orders_browser import paid_order
from tests.admin.test_orders_screen import number_of, paid, text  # noqa: F401  (fixture)
from tests.payments.conftest import shop  # noqa: F401  (fixture)
from tests.payments.test_refunds import teas  # noqa: F401  (fixture: two variants in stock)
from xtycore import signals
from xtycore.domain.staff import ROLE_PERMISSIONS, StaffRole
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment, Variant
from xtycore.models.audit import AuditEntry
from xtycore.models.payments import PaymentTransaction
from xtycore.services import orders, shipments

MANAGER, CLERK, FINANCE = StaffRole.MANAGER, StaffRole.ORDER_CLERK, StaffRole.FINANCE


@pytest.fixture
def clerk_without_refunds(monkeypatch):
    """Order clerks that fulfil but may not refund: no role is that today, and the object-level check on
    cancelling an order with money on it must hold for any role that is."""
    monkeypatch.setitem(ROLE_PERMISSIONS, CLERK, ROLE_PERMISSIONS[CLERK] - {"orders.refund"})


@pytest.fixture
def xty_config(xty_config, request):
    """The back office's test settings, or for the browser test those of tests/admin/browser.py."""
    return BROWSER_CONFIG if "live_shop" in request.fixturenames else xty_config


def state(shop, order_id) -> dict:  # noqa: F811
    """Everything a status action may change: the order, its events, payments and ledger, stock, the audit log."""
    with shop.app.app_context():
        db.session.remove()
        order = db.session.get(Order, order_id)
        events = db.session.execute(select(OrderEvent).where(OrderEvent.order_id == order_id)
                                    .order_by(OrderEvent.id)).scalars()
        payments = db.session.execute(select(Payment).where(Payment.order_id == order_id)
                                      .order_by(Payment.id)).scalars()
        ledger = db.session.execute(
            select(PaymentTransaction).join(Payment, Payment.id == PaymentTransaction.payment_id)
            .where(Payment.order_id == order_id).order_by(PaymentTransaction.id)
        ).scalars()
        audit = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return {
            "order": (order.status, order.paid_minor, order.refunded_minor),
            "events": [(e.event, e.from_status, e.to_status, e.actor, e.note) for e in events],
            "payments": [(p.status, p.captured_minor, p.refunded_minor, p.refund_pending_minor) for p in payments],
            "ledger": [(t.kind, t.status, t.amount_minor, t.requested_by, t.reason) for t in ledger],
            "stock": {v.sku: v.stock for v in db.session.execute(select(Variant)).scalars()},
            "audit": [(a.action, a.object_id, a.staff_email, a.before, a.after) for a in audit],
        }


def post(client, shop, order_id, action: str, **form):  # noqa: F811
    path = "confirm-payment" if action == "confirm" else action
    return client.post(f"/admin/orders/{number_of(shop, order_id)}/{path}", data=form)


def refused(client, shop, order_id, action: str, status: int = 422, **form) -> str:  # noqa: F811
    """Post ``action``, check that it is refused with ``status`` and changed nothing, and return the page."""
    before = state(shop, order_id)
    response = post(client, shop, order_id, action, **form)
    assert response.status_code == status
    assert state(shop, order_id) == before
    return text(response)


def offered(client, shop, order_id) -> set[str]:  # noqa: F811
    """The status actions the order page offers the signed-in staff member."""
    page = text(client.get(f"/admin/orders/{number_of(shop, order_id)}"))
    forms = set(re.findall(r'class="(?:inline )?(confirm|deliver|complete|cancel)-form"', page))
    return forms


def cod_order(shop, teas) -> int:  # noqa: F811
    """An order of 1 x green tea at 30.00 (10.00 shipping) to pay cash on delivery; the customer chose COD."""
    (green, green_sku), _ = teas
    order_id = shop.order_with_lines((green, green_sku, 3000, 1, 0), instance_id=shop.cod_id)
    shop.start(order_id)
    return order_id


def unpaid(shop, teas) -> int:  # noqa: F811
    """An unpaid sandbox order: 2 x green at 30.00 with 10.00 off, 1 x black at 28.00, 10.00 shipping."""
    (green, green_sku), (black, black_sku) = teas
    return shop.order_with_lines((green, green_sku, 3000, 2, 1000), (black, black_sku, 2800, 1, 0))


def ship(shop, order_id) -> None:  # noqa: F811
    with shop.app.test_request_context():
        shipments.ship(order_id, courier="顺丰速运", waybill_number="SF1234567890", actor="staff:someone@shop.test")


def deliver(shop, order_id) -> None:  # noqa: F811
    with shop.app.test_request_context(), transaction():
        orders.transition(order_id, "deliver", actor="staff:someone@shop.test")


def stock_of(shop, teas) -> tuple[int, int]:  # noqa: F811
    (green, _), (black, _) = teas
    with shop.app.app_context():
        return db.session.get(Variant, green).stock, db.session.get(Variant, black).stock


# --------------------------------------------------------------------------
# confirming an offline payment
# --------------------------------------------------------------------------


def test_finance_confirms_a_cash_on_delivery_payment_and_the_order_is_paid(shop, teas):  # noqa: F811
    order_id = cod_order(shop, teas)
    _, client = staff_client(shop.app, FINANCE)
    assert offered(client, shop, order_id) == {"confirm"}
    page = text(client.get(f"/admin/orders/{number_of(shop, order_id)}"))
    assert "Confirm CN¥40.00 received (货到付款)" in page

    response = post(client, shop, order_id, "confirm")
    assert response.status_code == 302
    after = state(shop, order_id)
    actor = f"staff:{email_of(FINANCE)}"
    assert after["order"] == ("paid", 4000, 0)
    assert after["events"][-1][:4] == ("pay", "pending_payment", "paid", actor)
    assert after["payments"] == [("succeeded", 4000, 0, 0)]
    assert after["ledger"] == [("capture", "succeeded", 4000, actor, "cash collected on delivery, confirmed by staff")]
    [entry] = after["audit"][-1:]
    reference = shop.payments(order_id)[0]["reference"]
    assert entry == ("order.confirm_payment", number_of(shop, order_id), email_of(FINANCE),
                     {"status": "pending_payment", "paid": "0.00 CNY", "refunded": "0.00 CNY", "payment": reference,
                      "payment_status": "pending"},
                     {"status": "paid", "paid": "40.00 CNY", "refunded": "0.00 CNY", "payment": reference,
                      "payment_status": "succeeded"})
    page = text(client.get(response.headers["Location"]))
    assert "CN¥40.00 received: the order is paid." in page
    assert "pay: pending_payment → paid" in page  # the timeline shows the new event
    assert offered(client, shop, order_id) == set()  # finance neither ships nor cancels


def test_confirming_again_answers_422_and_changes_nothing(shop, teas):  # noqa: F811
    order_id = cod_order(shop, teas)
    _, first = staff_client(shop.app, FINANCE)
    _, second = staff_client(shop.app, MANAGER)
    first.get(f"/admin/orders/{number_of(shop, order_id)}")
    second.get(f"/admin/orders/{number_of(shop, order_id)}")  # both have the page open
    assert post(first, shop, order_id, "confirm").status_code == 302
    assert "order: cannot pay when paid" in refused(second, shop, order_id, "confirm")  # the second click


def test_a_payment_through_an_online_gateway_is_not_confirmed_by_staff(shop, teas):  # noqa: F811
    order_id = unpaid(shop, teas)
    shop.start(order_id)  # a pending sandbox payment: only the gateway settles it
    _, client = staff_client(shop.app, MANAGER)
    assert offered(client, shop, order_id) == {"cancel"}
    assert "only a pending payment through the order&#39;s offline payment method" in refused(
        client, shop, order_id, "confirm")


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_AGENT, StaffRole.READ_ONLY, StaffRole.CATALOGUE_EDITOR])
def test_confirming_a_payment_is_refused_without_orders_refund(shop, teas, role):  # noqa: F811
    order_id = cod_order(shop, teas)
    _, client = staff_client(shop.app, role)
    refused(client, shop, order_id, "confirm", 403)
    if role is not StaffRole.CATALOGUE_EDITOR:
        assert "confirm" not in offered(client, shop, order_id)


# --------------------------------------------------------------------------
# cancelling
# --------------------------------------------------------------------------


def test_a_clerk_cancels_an_unpaid_order_with_a_reason_and_its_stock_comes_back(shop, teas):  # noqa: F811
    order_id = unpaid(shop, teas)
    _, client = staff_client(shop.app, CLERK)
    assert offered(client, shop, order_id) == {"cancel"}
    sent = []

    def received(sender, **kwargs):
        sent.append((kwargs["order"].status, kwargs["reason"], kwargs["actor"]))

    stock = stock_of(shop, teas)
    signals.order_cancelled.connect(received)
    try:
        response = post(client, shop, order_id, "cancel", cancel_reason=" 顾客电话要求取消\r\n重复下单 ")
    finally:
        signals.order_cancelled.disconnect(received)
    assert response.status_code == 302
    actor = f"staff:{email_of(CLERK)}"
    assert sent == [("cancelled", "顾客电话要求取消\n重复下单", actor)]
    assert stock_of(shop, teas) == (stock[0] + 2, stock[1] + 1)
    after = state(shop, order_id)
    assert after["order"] == ("cancelled", 0, 0)
    assert after["events"][-1] == ("cancel", "pending_payment", "cancelled", actor, "顾客电话要求取消\n重复下单")
    assert after["ledger"] == []
    assert after["audit"][-1] == (
        "order.cancel", number_of(shop, order_id), email_of(CLERK),
        {"status": "pending_payment", "paid": "0.00 CNY", "refunded": "0.00 CNY"},
        {"status": "cancelled", "paid": "0.00 CNY", "refunded": "0.00 CNY", "reason": "顾客电话要求取消\n重复下单"})
    page = text(client.get(response.headers["Location"]))
    assert "Order cancelled; its items are back in stock." in page
    assert "cancel: pending_payment → cancelled" in page
    assert offered(client, shop, order_id) == set()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_cancelling_without_a_sensible_reason_answers_422_and_changes_nothing(shop, teas, reason):  # noqa: F811
    order_id = unpaid(shop, teas)
    _, client = staff_client(shop.app, CLERK)
    page = refused(client, shop, order_id, "cancel", cancel_reason=reason)
    assert "Say why the order is cancelled." in page or "A reason holds at most 500 characters." in page
    assert '<details class="cancel-order" open>' in page  # the confirmation stays open with what was typed


def test_a_manager_cancels_a_paid_order_and_the_money_goes_back_through_the_gateway(shop, paid, teas):  # noqa: F811
    _, client = staff_client(shop.app, MANAGER)
    assert offered(client, shop, paid) == {"cancel"}
    assert "CN¥88.00 goes back to the customer the way they paid." in text(
        client.get(f"/admin/orders/{number_of(shop, paid)}"))
    stock = stock_of(shop, teas)
    response = post(client, shop, paid, "cancel", cancel_reason="缺货")
    assert response.status_code == 302
    actor = f"staff:{email_of(MANAGER)}"
    after = state(shop, paid)
    assert after["order"] == ("cancelled", 8800, 8800)
    assert [e[:4] for e in after["events"][-2:]] == [
        ("cancel", "paid", "cancelled", actor), ("record_refund", "cancelled", "cancelled", actor)]
    assert after["ledger"][-1] == ("refund", "succeeded", 8800, actor, "order cancelled: 缺货")
    assert stock_of(shop, teas) == (stock[0] + 2, stock[1] + 1)
    cancel_entries = [a for a in after["audit"] if a[0] == "order.cancel"]
    assert cancel_entries == [("order.cancel", number_of(shop, paid), email_of(MANAGER),
                               {"status": "paid", "paid": "88.00 CNY", "refunded": "0.00 CNY"},
                               {"status": "cancelled", "paid": "88.00 CNY", "refunded": "0.00 CNY", "reason": "缺货"})]
    page = text(client.get(response.headers["Location"]))
    assert "Order cancelled; its items are back in stock and CN¥88.00 was refunded." in page


def test_with_refund_on_cancel_off_the_page_says_the_money_is_still_to_refund(shop, paid, monkeypatch):  # noqa: F811
    monkeypatch.setitem(shop.app.config, "REFUND_ON_CANCEL", False)
    _, client = staff_client(shop.app, MANAGER)
    assert "REFUND_ON_CANCEL is off" in text(client.get(f"/admin/orders/{number_of(shop, paid)}"))
    response = post(client, shop, paid, "cancel", cancel_reason="客户改主意")
    assert response.status_code == 302
    after = state(shop, paid)
    assert after["order"] == ("cancelled", 8800, 0)
    assert [row[0] for row in after["ledger"]] == ["capture"]
    page = text(client.get(response.headers["Location"]))
    assert "Order cancelled, but CN¥88.00 was not refunded: refund it from the payment below." in page


@pytest.mark.parametrize("role", [CLERK, FINANCE, StaffRole.SUPPORT_AGENT, StaffRole.READ_ONLY])
def test_cancelling_a_paid_order_takes_orders_fulfil_and_orders_refund(shop, paid, role, clerk_without_refunds):  # noqa: F811,E501
    _, client = staff_client(shop.app, role)
    assert "Nothing was changed" in refused(client, shop, paid, "cancel", 403, cancel_reason="缺货")
    assert "cancel" not in offered(client, shop, paid)


def test_money_found_on_the_locked_row_refuses_a_clerks_cancel_and_rolls_it_back(
    shop, teas, monkeypatch, clerk_without_refunds  # noqa: F811
):
    """The order was unpaid when the clerk's request read it, and is paid by the time the row is locked."""
    order_id = unpaid(shop, teas)
    _, client = staff_client(shop.app, CLERK)
    locked_order = orders.locked_order

    def paid_meanwhile(order_id: int):
        order = locked_order(order_id)
        order.paid_minor = order.total_minor  # what a payment committed just before the lock would show
        return order

    monkeypatch.setattr(orders, "locked_order", paid_meanwhile)
    assert "Nothing was changed" in refused(client, shop, order_id, "cancel", 403, cancel_reason="重复下单")
    assert state(shop, order_id)["order"] == ("pending_payment", 0, 0)


def test_a_clerk_cancels_a_cash_on_delivery_order_before_the_cash_is_collected(
    shop, teas, clerk_without_refunds  # noqa: F811
):
    """Only money paid makes cancelling need orders.refund: a pending COD payment holds none."""
    order_id = cod_order(shop, teas)
    _, client = staff_client(shop.app, CLERK)
    assert post(client, shop, order_id, "cancel", cancel_reason="客户拒收").status_code == 302
    assert state(shop, order_id)["order"] == ("cancelled", 0, 0)


def test_a_second_cancel_answers_422_with_the_state_machines_reason(shop, teas):  # noqa: F811
    order_id = unpaid(shop, teas)
    _, first = staff_client(shop.app, CLERK)
    _, second = staff_client(shop.app, MANAGER)
    assert post(first, shop, order_id, "cancel", cancel_reason="重复下单").status_code == 302
    assert "order: cannot cancel when cancelled" in refused(second, shop, order_id, "cancel", cancel_reason="重复下单")


def test_a_shipped_order_cannot_be_cancelled(shop, paid):  # noqa: F811
    ship(shop, paid)
    _, client = staff_client(shop.app, MANAGER)
    assert "cancel" not in offered(client, shop, paid)
    page = refused(client, shop, paid, "cancel", cancel_reason="客户不要了")
    assert "order: cannot cancel when shipped; allowed: deliver, refund, record_refund" in page


# --------------------------------------------------------------------------
# delivering and completing
# --------------------------------------------------------------------------


def test_a_clerk_marks_a_shipped_order_delivered_then_completed(shop, paid):  # noqa: F811
    ship(shop, paid)
    _, client = staff_client(shop.app, CLERK)
    actor, number = f"staff:{email_of(CLERK)}", number_of(shop, paid)
    assert offered(client, shop, paid) == {"deliver"}
    response = post(client, shop, paid, "deliver")
    assert response.status_code == 302
    assert "Order marked delivered." in text(client.get(response.headers["Location"]))
    assert offered(client, shop, paid) == {"complete"}
    assert post(client, shop, paid, "complete").status_code == 302
    after = state(shop, paid)
    assert after["order"] == ("completed", 8800, 0)
    assert [e[:4] for e in after["events"][-2:]] == [
        ("deliver", "shipped", "delivered", actor), ("complete", "delivered", "completed", actor)]
    money = {"paid": "88.00 CNY", "refunded": "0.00 CNY"}
    assert after["audit"][-2:] == [
        ("order.deliver", number, email_of(CLERK), {"status": "shipped", **money}, {"status": "delivered", **money}),
        ("order.complete", number, email_of(CLERK), {"status": "delivered", **money}, {"status": "completed", **money}),
    ]
    page = text(client.get(f"/admin/orders/{number}"))
    assert "deliver: shipped → delivered" in page and "complete: delivered → completed" in page
    assert offered(client, shop, paid) == set()


@pytest.mark.parametrize("event, status", [("deliver", "paid"), ("complete", "paid"), ("complete", "shipped"),
                                           ("deliver", "delivered")])
def test_deliver_and_complete_answer_422_when_the_state_machine_does_not_allow_them(
        shop, paid, event, status):  # noqa: F811
    if status != "paid":
        ship(shop, paid)
    if status == "delivered":
        deliver(shop, paid)
    _, client = staff_client(shop.app, MANAGER)
    assert f"order: cannot {event} when {status}" in refused(client, shop, paid, event)


@pytest.mark.parametrize("role", [FINANCE, StaffRole.SUPPORT_AGENT, StaffRole.READ_ONLY])
def test_deliver_and_complete_are_refused_without_orders_fulfil(shop, paid, role):  # noqa: F811
    ship(shop, paid)
    _, client = staff_client(shop.app, role)
    refused(client, shop, paid, "deliver", 403)
    deliver(shop, paid)
    refused(client, shop, paid, "complete", 403)
    assert offered(client, shop, paid) == set()


def test_the_status_actions_speak_chinese(shop, paid):  # noqa: F811
    ship(shop, paid)
    _, client = staff_client(shop.app, MANAGER)
    page = text(client.get(f"/admin/orders/{number_of(shop, paid)}?lang=zh_CN"))
    assert "订单状态" in page and "标记为已送达" in page
    response = client.post(f"/admin/orders/{number_of(shop, paid)}/complete?lang=zh_CN")
    assert response.status_code == 422 and "订单当前状态不允许此操作（order: cannot complete when shipped" in text(response)
    response = client.post(f"/admin/orders/{number_of(shop, paid)}/deliver?lang=zh_CN")
    assert "订单已标记为已送达。" in text(client.get(response.headers["Location"]))


def test_an_unknown_order_answers_404(shop):  # noqa: F811
    _, client = staff_client(shop.app, MANAGER)
    for path in ("deliver", "complete", "cancel", "confirm-payment"):
        assert client.post(f"/admin/orders/NOPE/{path}", data={"cancel_reason": "x"}).status_code == 404


def test_a_manager_cancels_a_paid_order_on_a_phone(live_shop, staff_page, tmp_path):  # noqa: F811
    number, order_id = paid_order(live_shop.app)
    page = staff_page("manager@shop.test", "manager", "王店长")
    page.goto(live_shop(f"/admin/orders/{number}"))
    assert page.evaluate("window.innerWidth") == 375
    page.get_by_text("取消订单…").click()
    form = page.locator("form.cancel-form")
    expect(form).to_contain_text("¥70.00 将按原支付方式退还给顾客。")
    form.get_by_label("原因").fill("缺货，电话联系过顾客")
    assert fits(page)
    form.get_by_role("button", name="取消订单", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("订单已取消，商品已退回库存，已退款 ¥70.00。")
    expect(page.locator(".order-status")).to_have_text("已取消")
    expect(page.locator("table.timeline")).to_contain_text("缺货，电话联系过顾客")
    assert fits(page)
    page.screenshot(path=tmp_path / "order-cancelled-phone.png", full_page=True)
    with live_shop.app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_minor) == ("cancelled", 7000)
