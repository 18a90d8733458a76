"""An order paid through Alipay end to end in a real shop: start, notification, return, duplicates."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from xtycore.domain.money import Money
from xtycore.domain.states import OrderStatus
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderEvent, Payment, PaymentWebhook, PluginFailure
from xtycore.models.payments import PaymentTransaction
from xtycore.services import payments, refunds
from xtycore.services.capabilities import create_instance

from .conftest import FORM_HEADERS, notify_fields, sdk_signed, settings_for


@pytest.fixture
def shop(xty_make_app, merchant_keys, alipay_keys, fake_alipay):
    app = xty_make_app(plugins={"payment_alipay": None})
    with app.app_context():
        instance_id = create_instance(
            "payment", "alipay", display_name="支付宝",
            settings=settings_for(merchant_keys, alipay_keys, gateway_url=fake_alipay.url, timeout_seconds=3),
        )
    return app, instance_id


def place_order(app, instance_id: int, total_minor: int = 8800) -> int:
    """A placed, unpaid order paid through Alipay (no lines: stock is not what these tests are about)."""
    with app.app_context(), transaction() as session:
        order = Order(
            number=f"A{secrets.token_hex(6).upper()}", status=OrderStatus.PENDING_PAYMENT.value, currency="CNY",
            subtotal_minor=total_minor, total_minor=total_minor, paid_minor=0, ship_recipient="李四",
            ship_mobile="13900139000", ship_province="浙江省", ship_city="杭州市", ship_district="西湖区",
            ship_street="龙井路 2 号", courier_quote_code="standard", courier_label="快递",
            payment_instance_id=instance_id, checkout_token=secrets.token_hex(16),
        )
        session.add(order)
        session.flush()
        return order.id


def start(app, order_id: int):
    with app.test_request_context():
        return payments.start_payment(order_id, "http://localhost/orders/confirmation")


def state(app, order_id: int) -> dict:
    with app.app_context():
        order = db.session.get(Order, order_id)
        [payment] = db.session.execute(select(Payment).where(Payment.order_id == order_id)).scalars()
        pays = db.session.execute(select(func.count()).select_from(OrderEvent).where(
            OrderEvent.order_id == order_id, OrderEvent.event == "pay")).scalar_one()
        return {"order": order.status, "paid_minor": order.paid_minor, "payment": payment.status,
                "reference": payment.reference, "gateway_reference": payment.gateway_reference, "pays": pays,
                "responses": payment.responses}


def webhook_statuses(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(PaymentWebhook.status).order_by(PaymentWebhook.id)).scalars())


def test_a_signed_notification_pays_the_order_once_and_is_answered_success(shop, alipay_keys, merchant_keys):
    app, instance_id = shop
    order_id = place_order(app, instance_id)
    action = start(app, order_id)
    reference = state(app, order_id)["reference"]
    params = dict(parse_qsl(urlsplit(action.url).query))
    assert params["method"] == "alipay.trade.page.pay"
    assert urlsplit(params["notify_url"]).path == f"/webhooks/payment/{instance_id}"
    assert json.loads(params["biz_content"])["out_trade_no"] == reference
    assert json.loads(params["biz_content"])["total_amount"] == "88.00"
    assert merchant_keys.private_pem not in json.dumps(state(app, order_id)["responses"])

    fields = sdk_signed(notify_fields(reference, Money("88.00")), alipay_keys)
    client = app.test_client()
    forged = client.post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS,
                         data=urlencode({**fields, "total_amount": "0.01"}))
    assert forged.status_code == 400 and forged.get_data(as_text=True) != "success"  # Alipay will retry
    assert state(app, order_id)["order"] == "pending_payment"

    answer = client.post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS, data=urlencode(fields))
    assert (answer.status_code, answer.get_data(as_text=True), answer.mimetype) == (200, "success", "text/plain")
    paid = state(app, order_id)
    assert (paid["order"], paid["paid_minor"], paid["payment"], paid["pays"]) == ("paid", 8800, "succeeded", 1)
    assert paid["gateway_reference"] == fields["trade_no"]

    again = client.post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS, data=urlencode(fields))
    assert (again.status_code, again.get_data(as_text=True)) == (200, "success")
    assert state(app, order_id)["pays"] == 1
    assert webhook_statuses(app) == ["rejected", "applied", "duplicate"]


def test_a_notification_for_another_amount_is_refused_and_changes_nothing(shop, alipay_keys):
    app, instance_id = shop
    order_id = place_order(app, instance_id)
    start(app, order_id)
    fields = sdk_signed(notify_fields(state(app, order_id)["reference"], Money("8.80")), alipay_keys)
    answer = app.test_client().post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS, data=urlencode(fields))
    assert answer.status_code == 400
    assert state(app, order_id)["order"] == "pending_payment" and webhook_statuses(app) == ["rejected"]


def test_coming_back_from_alipay_settles_by_asking_alipay_not_by_the_return_parameters(shop, fake_alipay):
    app, instance_id = shop
    order_id = place_order(app, instance_id)
    start(app, order_id)
    reference = state(app, order_id)["reference"]
    client = app.test_client()
    # parameters on the return URL are never read: without a paid trade at Alipay nothing changes
    back = client.get(f"/payments/return/{reference}?trade_status=TRADE_SUCCESS&total_amount=88.00")
    assert back.status_code == 303 and state(app, order_id)["payment"] == "pending"
    trade = fake_alipay.add_trade(reference, "88.00", "TRADE_SUCCESS")
    back = client.get(f"/payments/return/{reference}")
    assert back.status_code == 303 and back.headers["Location"] == "http://localhost/orders/confirmation"
    paid = state(app, order_id)
    assert (paid["order"], paid["payment"], paid["gateway_reference"]) == ("paid", "succeeded", trade.trade_no)
    assert [method for method, _ in fake_alipay.calls] == ["alipay.trade.query", "alipay.trade.query"]


@pytest.mark.parametrize("fault, words", [
    ("outage", "Connection refused"), ("forged answer", "signature does not verify"),
])
def test_when_alipay_cannot_be_asked_the_customer_still_lands_on_the_order_page_and_staff_see_why(
    shop, fake_alipay, fault, words
):
    app, instance_id = shop
    order_id = place_order(app, instance_id)
    start(app, order_id)
    if fault == "outage":
        fake_alipay.stop()
    else:
        fake_alipay.add_trade(state(app, order_id)["reference"], "88.00", "TRADE_SUCCESS")
        fake_alipay.sign_with_wrong_key = True  # an answer the shop must not trust
    back = app.test_client().get(f"/payments/return/{state(app, order_id)['reference']}")
    assert back.status_code == 303 and back.headers["Location"] == "http://localhost/orders/confirmation"
    assert state(app, order_id)["payment"] == "pending"
    with app.app_context():
        [failure] = db.session.execute(select(PluginFailure)).scalars()
        assert (failure.plugin, failure.call) == ("payment_alipay", "payment:alipay.query")
        assert failure.error_type.endswith("AlipayUnavailable") and words in failure.message


def test_staff_refunds_go_to_alipay_and_lost_answers_are_settled_by_notification_or_refund_query(
    shop, fake_alipay, alipay_keys
):
    app, instance_id = shop
    order_id = place_order(app, instance_id)
    start(app, order_id)
    reference = state(app, order_id)["reference"]
    fields = sdk_signed(notify_fields(reference, Money("88.00")), alipay_keys)
    client = app.test_client()
    assert client.post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS,
                       data=urlencode(fields)).get_data(as_text=True) == "success"
    fake_alipay.add_trade(reference, "88.00", "TRADE_SUCCESS")
    with app.app_context():
        payment_id = db.session.execute(select(Payment.id).where(Payment.reference == reference)).scalar_one()
    with app.test_request_context():
        first = refunds.refund(payment_id, amount=Money("30.00"), reason="退一件", actor="staff:test")
    assert (first.status.value, first.amount) == ("succeeded", Money("30.00"))

    fake_alipay.refund_answers_lost = 1
    with app.test_request_context():
        lost = refunds.refund(payment_id, amount=Money("20.00"), reason="再退一件", actor="staff:test")
    assert lost.status.value == "pending"
    with app.app_context():
        key = db.session.get(PaymentTransaction, lost.transaction_id).idempotency_key
    # Alipay made the refund; its notification names it (refund_fee: 50.00 refunded on the trade so far)
    refund_notify = sdk_signed(notify_fields(reference, Money("88.00"), trade_no=fields["trade_no"],
                                             refund_fee="50.00", gmt_refund="2026-11-27 10:00:00.123",
                                             out_biz_no=key), alipay_keys)
    answer = client.post(f"/webhooks/payment/{instance_id}", headers=FORM_HEADERS, data=urlencode(refund_notify))
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")
    with app.app_context():
        rows = db.session.execute(select(PaymentTransaction.status, PaymentTransaction.amount_minor).where(
            PaymentTransaction.payment_id == payment_id, PaymentTransaction.kind == "refund"
        ).order_by(PaymentTransaction.id)).all()
        payment = db.session.get(Payment, payment_id)
        assert [tuple(row) for row in rows] == [("succeeded", 3000), ("succeeded", 2000)]
        assert (payment.refunded_minor, payment.refund_pending_minor) == (5000, 0)

    fake_alipay.refund_answers_lost = 1  # and one whose notification never comes: reconciliation asks Alipay
    with app.test_request_context():
        unanswered = refunds.refund(payment_id, amount=Money("8.00"), reason="运费", actor="staff:test")
        assert unanswered.status.value == "pending"
        settled = refunds.settle_pending_refund(unanswered.transaction_id)
    assert (settled.status.value, settled.amount) == ("succeeded", Money("8.00"))
    refund_calls = [params for method, params in fake_alipay.calls if method == "alipay.trade.refund"]
    assert len(refund_calls) == 3, "a refund whose answer was lost is never sent again"
    assert fake_alipay.trades[reference].refunded == Decimal("58.00")
