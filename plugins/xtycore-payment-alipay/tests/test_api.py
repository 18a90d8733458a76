"""Query, close, refund and refund query against a local gateway that speaks Alipay's protocol."""

from decimal import Decimal

import pytest

from xtycore.domain.errors import GatewayUnavailable, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRef, TxStatus

from xtycore_payment_alipay.client import AlipayUnavailable
from xtycore_payment_alipay.gateway import AlipayGateway

from .conftest import PAYMENT_ID, loaded, settings_for

gateway = AlipayGateway()
REF = PaymentRef(PAYMENT_ID, Money("88.00"))


def methods(fake) -> list[str]:
    return [method for method, _ in fake.calls]


# query ---------------------------------------------------------------------------


def test_a_paid_trade_is_queried_as_succeeded_with_its_amount(fake_alipay, api_settings):
    trade = fake_alipay.add_trade(PAYMENT_ID, "88.00", "TRADE_SUCCESS")
    result = gateway.query(REF, api_settings)
    assert (result.status, result.amount, result.gateway_reference) == (TxStatus.SUCCEEDED, Money("88.00"),
                                                                        trade.trade_no)
    assert result.message == "Alipay trade TRADE_SUCCESS"


@pytest.mark.parametrize("trade_status, expected", [
    ("WAIT_BUYER_PAY", TxStatus.PENDING), ("TRADE_FINISHED", TxStatus.SUCCEEDED), ("TRADE_CLOSED", TxStatus.FAILED),
])
def test_each_trade_status_maps_to_its_outcome(fake_alipay, api_settings, trade_status, expected):
    fake_alipay.add_trade(PAYMENT_ID, "88.00", trade_status)
    assert gateway.query(REF, api_settings).status is expected


def test_a_trade_alipay_has_not_created_yet_is_pending(fake_alipay, api_settings):
    result = gateway.query(REF, api_settings)
    assert result.status is TxStatus.PENDING and "no trade yet" in result.message
    assert result.raw["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_a_paid_trade_is_captured_and_an_unpaid_one_is_not(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00", "TRADE_SUCCESS")
    assert gateway.capture(REF, Money("88.00"), api_settings).status is TxStatus.SUCCEEDED
    fake_alipay.trades[PAYMENT_ID].status = "WAIT_BUYER_PAY"
    with pytest.raises(PaymentError, match="not paid"):
        gateway.capture(REF, Money("88.00"), api_settings)


# close ---------------------------------------------------------------------------


def test_an_unpaid_trade_is_closed(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00", "WAIT_BUYER_PAY")
    result = gateway.void(REF, api_settings)
    assert result.status is TxStatus.SUCCEEDED and fake_alipay.trades[PAYMENT_ID].status == "TRADE_CLOSED"


def test_closing_a_paid_trade_fails_with_alipays_reason(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00", "TRADE_SUCCESS")
    result = gateway.void(REF, api_settings)
    assert result.status is TxStatus.FAILED
    assert result.message == "Alipay refused the close: ACQ.TRADE_STATUS_ERROR: 交易状态不合法"
    assert fake_alipay.trades[PAYMENT_ID].status == "TRADE_SUCCESS"


# refunds -------------------------------------------------------------------------


def test_a_full_refund_returns_the_whole_amount_and_closes_the_trade(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    result = gateway.refund(REF, Money("88.00"), "R-0001", api_settings)
    assert (result.status, result.amount) == (TxStatus.SUCCEEDED, Money("88.00"))
    trade = fake_alipay.trades[PAYMENT_ID]
    assert trade.refunds == {"R-0001": Decimal("88.00")} and trade.status == "TRADE_CLOSED"


def test_partial_refunds_add_up_and_no_more_than_was_paid_is_refunded(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    assert gateway.refund(REF, Money("30.00"), "R-0001", api_settings).status is TxStatus.SUCCEEDED
    assert gateway.refund(REF, Money("50.50"), "R-0002", api_settings).status is TxStatus.SUCCEEDED
    over = gateway.refund(REF, Money("7.51"), "R-0003", api_settings)
    assert over.status is TxStatus.FAILED and over.message.endswith("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL: 退款金额超限")
    assert fake_alipay.trades[PAYMENT_ID].refunded == Decimal("80.50")
    assert fake_alipay.trades[PAYMENT_ID].status == "TRADE_SUCCESS"


def test_the_same_refund_id_again_moves_no_money_twice(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    gateway.refund(REF, Money("10.00"), "R-0001", api_settings)
    again = gateway.refund(REF, Money("10.00"), "R-0001", api_settings)
    assert (again.status, again.amount) == (TxStatus.SUCCEEDED, Money("10.00"))
    assert fake_alipay.trades[PAYMENT_ID].refunded == Decimal("10.00")
    assert methods(fake_alipay)[-1] == "alipay.trade.fastpay.refund.query"  # fund_change=N is settled by asking


@pytest.mark.parametrize("prepare, reason", [
    (lambda fake: None, "ACQ.TRADE_NOT_EXIST: 交易不存在"),
    (lambda fake: (fake.add_trade(PAYMENT_ID, "88.00"), setattr(fake, "seller_balance", Decimal("1.00"))),
     "ACQ.SELLER_BALANCE_NOT_ENOUGH: 卖家余额不足"),
    (lambda fake: fake.add_trade(PAYMENT_ID, "88.00", "WAIT_BUYER_PAY"), "ACQ.TRADE_STATUS_ERROR: 交易状态不合法"),
])
def test_a_refund_alipay_refuses_fails_with_alipays_sub_msg(fake_alipay, api_settings, prepare, reason):
    prepare(fake_alipay)
    result = gateway.refund(REF, Money("10.00"), "R-0001", api_settings)
    assert result.status is TxStatus.FAILED and result.message == f"Alipay refused the refund: {reason}"


def test_a_refund_whose_answer_times_out_is_settled_by_the_refund_query_never_by_retrying(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    fake_alipay.refund_answers_lost = 1
    with pytest.raises(GatewayUnavailable) as unknown:
        gateway.refund(REF, Money("20.00"), "R-0001", api_settings)
    assert unknown.value.timed_out and unknown.value.record_as_failure
    settled = gateway.query_refund(REF, "R-0001", api_settings)
    assert (settled.status, settled.amount) == (TxStatus.SUCCEEDED, Money("20.00"))
    assert methods(fake_alipay) == ["alipay.trade.refund", "alipay.trade.fastpay.refund.query"]
    assert fake_alipay.trades[PAYMENT_ID].refunded == Decimal("20.00")


def test_the_refund_query_says_so_when_alipay_made_no_such_refund(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    with pytest.raises(PaymentError, match="no refund 'R-0009'"):
        gateway.query_refund(REF, "R-0009", api_settings)


# answers that are not trusted -----------------------------------------------------------


@pytest.mark.parametrize("fault, words", [
    ("sign_with_wrong_key", "signature does not verify"), ("answer_unsigned", "not signed"),
])
def test_an_answer_without_a_valid_alipay_signature_is_never_trusted(fake_alipay, api_settings, fault, words):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    setattr(fake_alipay, fault, True)
    for ask in (lambda: gateway.query(REF, api_settings),
                lambda: gateway.refund(REF, Money("88.00"), "R-0001", api_settings)):
        with pytest.raises(AlipayUnavailable, match=words):
            ask()


def test_a_system_error_leaves_the_outcome_unknown(fake_alipay, api_settings):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    fake_alipay.system_error = True
    with pytest.raises(AlipayUnavailable, match="outcome unknown .ACQ.SYSTEM_ERROR"):
        gateway.refund(REF, Money("88.00"), "R-0001", api_settings)


def test_requests_signed_with_a_key_alipay_does_not_know_are_refused(
    fake_alipay, stranger_keys, alipay_keys
):
    settings = loaded(settings_for(stranger_keys, alipay_keys, gateway_url=fake_alipay.url))
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    with pytest.raises(PaymentError, match="isv.invalid-signature"):
        gateway.query(REF, settings)
    assert gateway.void(REF, settings).status is TxStatus.FAILED


def test_an_unreachable_gateway_is_a_recorded_outage(merchant_keys, alipay_keys, fake_alipay):
    settings = loaded(settings_for(merchant_keys, alipay_keys, gateway_url=fake_alipay.url))
    fake_alipay.stop()
    with pytest.raises(GatewayUnavailable) as down:
        gateway.query(REF, settings)
    assert down.value.record_as_failure and "alipay.trade.query" in str(down.value)
