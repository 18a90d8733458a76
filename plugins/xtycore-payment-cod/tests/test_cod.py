"""Cash on delivery: instructions, eligibility, staff capture, offline refunds, no callbacks."""

import pytest
from marshmallow import ValidationError

from xtycore.domain.errors import InvalidWebhook, PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import Flow, PaymentRef, PaymentRequest, TxStatus
from xtycore.domain.webhooks import WebhookRequest
from xtycore.testing.conformance import PaymentGatewayConformance

from xtycore_payment_cod import plugin
from xtycore_payment_cod.gateway import DEFAULT_INSTRUCTIONS, CashOnDelivery

COD = CashOnDelivery()


def settings(**changes):
    return COD.settings_schema().load({**COD.demo_settings, **changes})


def request(amount="88.00", province="浙江省", currency="CNY"):
    return PaymentRequest(
        payment_id="P0000000000000000000000001", order_number="20261127-0001", amount=Money(amount, currency),
        description="order", return_url="https://shop.test/r", notify_url="https://shop.test/webhooks/payment/1",
        metadata={"province": province} if province else {},
    )


def ref(captured=None, amount="88.00"):
    return PaymentRef("P0000000000000000000000001", Money(amount), captured=Money(captured) if captured else None)


class TestCashOnDeliveryConformance(PaymentGatewayConformance):
    @pytest.fixture
    def capability(self):
        return CashOnDelivery()

    @pytest.fixture
    def plugin_module(self):
        return plugin

    @pytest.fixture
    def settings(self):
        return dict(COD.demo_settings)


def test_create_payment_tells_the_customer_what_to_pay_on_delivery():
    action = COD.create_payment(request(), settings())
    assert action.flow is Flow.OFFLINE
    assert action.instructions == DEFAULT_INSTRUCTIONS.format(amount="88.00", currency="CNY",
                                                              order_number="20261127-0001")
    assert action.gateway_reference == "P0000000000000000000000001"


def test_the_merchant_words_the_instructions():
    action = COD.create_payment(request(), settings(instructions="到付 {amount} {currency}，单号 {order_number}"))
    assert action.instructions == "到付 88.00 CNY，单号 20261127-0001"


def test_instructions_with_an_unknown_placeholder_are_refused():
    with pytest.raises(ValidationError, match="unknown placeholders"):
        settings(instructions="请付 {total}")


def test_an_order_above_the_limit_is_declined_with_a_message_for_the_customer():
    with pytest.raises(PaymentDeclined) as declined:
        COD.create_payment(request(amount="2000.01"), settings(max_order_minor=200000))
    assert "2000.00" in str(declined.value)
    assert declined.value.customer_message == "该订单不支持货到付款，请选择其他支付方式。"
    assert COD.create_payment(request(amount="2000.00"), settings(max_order_minor=200000)).instructions


def test_only_listed_provinces_get_cash_on_delivery_matched_by_their_core_name():
    only = settings(eligible_provinces=["浙江", "上海市"])
    assert COD.create_payment(request(province="浙江省"), only).instructions
    assert COD.create_payment(request(province="上海"), only).instructions
    for province in ("西藏自治区", ""):
        with pytest.raises(PaymentDeclined, match="province"):
            COD.create_payment(request(province=province), only)


def test_no_limits_means_any_amount_anywhere():
    assert COD.create_payment(request(amount="99999.00", province=""), settings(max_order_minor=None)).instructions


def test_only_yuan_is_collected_on_delivery():
    with pytest.raises(PaymentDeclined, match="CNY"):
        COD.create_payment(request(currency="USD"), settings())


def test_staff_capture_records_the_whole_amount_collected():
    result = COD.capture(ref(), Money("88.00"), settings())
    assert result.status is TxStatus.SUCCEEDED and result.amount == Money("88.00")


def test_capturing_part_of_the_order_is_refused():
    with pytest.raises(PaymentError, match="whole order"):
        COD.capture(ref(), Money("80.00"), settings())


def test_query_answers_from_what_the_kernel_stored():
    assert COD.query(ref(), settings()).status is TxStatus.PENDING
    collected = COD.query(ref(captured="88.00"), settings())
    assert collected.status is TxStatus.SUCCEEDED and collected.amount == Money("88.00")


def test_a_refund_is_recorded_up_to_what_was_collected():
    assert COD.refund(ref(captured="88.00"), Money("30.00"), "R1", settings()).status is TxStatus.SUCCEEDED
    assert COD.refund(ref(captured="88.00"), Money("88.00"), "R2", settings()).amount == Money("88.00")
    with pytest.raises(PaymentDeclined, match="only 88.00 CNY was collected"):
        COD.refund(ref(captured="88.00"), Money("88.01"), "R3", settings())
    with pytest.raises(PaymentDeclined):
        COD.refund(ref(), Money("1.00"), "R4", settings())


def test_void_cancels_an_uncollected_payment_but_not_a_collected_one():
    assert COD.void(ref(), settings()).status is TxStatus.SUCCEEDED
    with pytest.raises(PaymentError, match="refund it instead"):
        COD.void(ref(captured="88.00"), settings())


def test_every_callback_is_rejected_because_nothing_calls_back():
    with pytest.raises(InvalidWebhook, match="no callbacks"):
        COD.parse_webhook(WebhookRequest(b'{"out_trade_no":"P1"}', {"Content-Type": "application/json"}), settings())
