"""Starting payments, failing closed, money that arrives too late, QR codes, and masking."""

import io
import json
from urllib.parse import urlsplit

import pytest
import segno
from sqlalchemy import select

from xtycore.domain.errors import CapabilityUnavailable, PaymentDeclined, UnknownCapability
from xtycore.domain.payments import Flow
from xtycore.extensions import db, transaction
from xtycore.models import Order, PluginFailure
from xtycore.services import orders, payments
from xtycore.services.capabilities import create_instance, set_instance_enabled

from . import fake_gateways
from .conftest import SANDBOX_SETTINGS, Shop, relative
from .test_sandbox_flow import pay_on_the_hosted_page, post_callback, signed_callback

WALLET_SECRET = "wallet-secret-0123456789"


@pytest.fixture
def wallet_shop(xty_make_app):
    app = xty_make_app(plugins={"test_wallet": fake_gateways})
    with app.app_context():
        wallet_id = create_instance("payment", "test_qr_wallet", display_name="钱包", settings={
            "app_secret": WALLET_SECRET})
    fake_gateways.WALLET.down = False
    yield Shop(app, wallet_id, cod_id=0)
    fake_gateways.WALLET.down = False


def test_starting_twice_reuses_the_pending_payment_and_its_reference(shop):
    order_id = shop.order()
    first, again = shop.start(order_id), shop.start(order_id)
    [payment] = shop.payments(order_id)
    assert payment["status"] == "pending" and payment["amount_minor"] == 8800
    assert payments.REFERENCE_PATTERN.match(payment["reference"])
    assert first.gateway_reference == again.gateway_reference == payment["gateway_reference"]


def test_the_gateway_is_told_the_kernels_return_and_webhook_urls(shop):
    order_id = shop.order()
    action = shop.start(order_id)
    [payment] = shop.payments(order_id)
    assert f"return_url=http%3A%2F%2Fshop.test%2Fpayments%2Freturn%2F{payment['reference']}" in action.url
    assert f"notify_url=http%3A%2F%2Fshop.test%2Fwebhooks%2Fpayment%2F{shop.sandbox_id}" in action.url
    assert payment["return_url"] == "http://shop.test/orders/confirmation"


def test_a_paid_order_cannot_start_another_payment(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    with pytest.raises(payments.OrderNotPayable, match="is paid"):
        shop.start(order_id)
    assert len(shop.payments(order_id)) == 1


def test_a_failing_gateway_fails_closed_and_leaves_the_payment_pending(wallet_shop):
    fake_gateways.WALLET.down = True
    order_id = wallet_shop.order()
    with pytest.raises(CapabilityUnavailable, match="wallet API timed out"):
        wallet_shop.start(order_id)
    [payment] = wallet_shop.payments(order_id)
    assert payment["status"] == "pending" and payment["flow"] == "" and payment["gateway_reference"] == ""
    assert wallet_shop.order_row(order_id)["status"] == "pending_payment"
    with wallet_shop.app.app_context():
        [failure] = db.session.execute(select(PluginFailure)).scalars()
        assert failure.plugin == "test_wallet" and failure.call == "payment:test_qr_wallet.create_payment"
    fake_gateways.WALLET.down = False
    assert wallet_shop.start(order_id).flow is Flow.QR
    assert [p["reference"] for p in wallet_shop.payments(order_id)] == [payment["reference"]]


def test_a_disabled_payment_method_cannot_start_a_payment(shop):
    order_id = shop.order()
    with shop.app.app_context():
        set_instance_enabled(shop.sandbox_id, False)
    with pytest.raises(UnknownCapability, match="no enabled payment instance"):
        shop.start(order_id)
    assert shop.payments(order_id) == []


def test_a_declined_start_fails_the_payment_and_tells_the_customer(shop):
    order_id = shop.order(instance_id=shop.cod_id, total_minor=100001)
    with pytest.raises(PaymentDeclined) as declined:
        shop.start(order_id)
    assert declined.value.customer_message == "该订单不支持货到付款，请选择其他支付方式。"
    [payment] = shop.payments(order_id)
    assert payment["status"] == "failed" and "1000.00" in payment["failure_reason"]
    assert [ref for ref, _ in shop.failed] == [payment["reference"]]


def test_money_that_arrives_after_the_order_was_cancelled_is_recorded_and_flagged(shop, caplog):
    order_id = shop.order()
    shop.start(order_id)
    with shop.app.app_context():
        orders.cancel(order_id, actor="tests", reason="too slow")
    response = post_callback(shop, *signed_callback(shop, order_id))
    assert response.status_code == 200, "the gateway must stop retrying: the money is recorded"
    [payment] = shop.payments(order_id)
    assert payment["status"] == "succeeded" and payment["captured_minor"] == 8800
    assert "refund it" in payment["attention"]
    assert shop.order_row(order_id)["status"] == "cancelled" and shop.order_row(order_id)["paid_minor"] == 0
    assert "which refused it" in caplog.text


def test_a_second_payment_for_an_order_already_paid_is_recorded_and_refunded_automatically(shop, callbacks):
    order_id = shop.order()
    first_action = shop.start(order_id)
    with shop.app.app_context():
        other = create_instance("payment", "sandbox", display_name="另一个沙箱", settings={
            **SANDBOX_SETTINGS, "merchant_id": "SHOP-OTHER"})
        with transaction():  # the customer switched payment method before paying
            db.session.get(Order, order_id).payment_instance_id = other
    second_action = shop.start(order_id)
    client = shop.client()
    for action in (first_action, second_action):  # and then paid on both pages
        client.get(relative(action.url))
        client.post(urlsplit(action.url).path, data={"action": "pay"})
    first, second = shop.payments(order_id)
    assert (first["status"], second["status"]) == ("succeeded", "succeeded")
    # LATE_PAYMENT_POLICY = "refund" (the default): the sandbox refunds, so staff have nothing to do
    assert first["attention"] == "" and second["attention"] == ""
    assert (first["refunded_minor"], second["refunded_minor"]) == (0, 8800)
    assert (first["paid_order"], second["paid_order"]) == (True, False)
    assert shop.order_row(order_id)["paid_minor"] == 8800 and shop.pay_events(order_id) == 1


def test_a_qr_payment_gets_a_png_made_locally_from_the_gateways_content(wallet_shop):
    order_id = wallet_shop.order()
    action = wallet_shop.start(order_id)
    assert action.flow is Flow.QR
    [payment] = wallet_shop.payments(order_id)
    client = wallet_shop.client()
    image = client.get(f"/payments/{payment['reference']}/qr.png")
    expected = io.BytesIO()
    segno.make(action.qr_content, error="m").save(expected, kind="png", scale=8, border=4)
    assert image.status_code == 200 and image.content_type == "image/png"
    assert image.data == expected.getvalue() and image.data.startswith(b"\x89PNG")
    page = client.get(f"/payments/{payment['reference']}").get_data(as_text=True)
    from xtycore.domain.payment_states import PaymentStatus
    from xtycore.web.payments import STATUS_LABELS

    with wallet_shop.app.test_request_context():
        pending = str(STATUS_LABELS[PaymentStatus.PENDING])  # in the shop's language
    assert f"/payments/{payment['reference']}/qr.png" in page
    assert pending in page


def test_there_is_no_qr_image_for_an_unknown_or_non_qr_payment(shop, wallet_shop):
    order_id = shop.order()
    shop.start(order_id)
    reference = shop.payments(order_id)[0]["reference"]
    assert shop.client().get(f"/payments/{reference}/qr.png").status_code == 404
    assert wallet_shop.client().get("/payments/P0000000000000000000000000/qr.png").status_code == 404


def test_gateway_answers_are_stored_with_secret_settings_and_signatures_masked(wallet_shop):
    order_id = wallet_shop.order()
    wallet_shop.start(order_id)
    [payment] = wallet_shop.payments(order_id)
    data = payment["responses"][0]["data"]
    assert WALLET_SECRET not in json.dumps(payment["responses"])
    assert data["echo"] == "secret=••••6789" and data["sign"] == "••••6789" and data["code"] == "OK"


def test_masked_hides_secret_looking_keys_and_known_secrets_anywhere():
    masked = payments.masked({"api_key": "k" * 12, "nested": [{"token": "t" * 12, "note": "uses abcdefghijk"}],
                              "public_key": "pub", "amount": 1}, hidden=["abcdefghijk"])
    assert masked == {"api_key": "••••kkkk", "nested": [{"token": "••••tttt", "note": "uses ••••hijk"}],
                      "public_key": "pub", "amount": 1}


def test_pending_payment_names_the_reference_the_storefront_shows(shop):
    order_id = shop.order()
    shop.start(order_id)
    with shop.app.app_context():
        assert payments.pending_payment(order_id).reference == shop.payments(order_id)[0]["reference"]
