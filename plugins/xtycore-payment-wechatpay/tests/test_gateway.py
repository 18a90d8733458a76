"""The gateway's verbs against the local WeChat Pay API v3: orders, queries, close, refunds, untrusted answers."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from xtycore.domain.errors import GatewayUnavailable, PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import Flow, PaymentRef, TxStatus

from xtycore_payment_wechatpay.gateway import WeChatPayGateway

from .conftest import pem_private, payment_request

GATEWAY = WeChatPayGateway()
PAYMENT_ID = "P0000000000000000000000001"
REF = PaymentRef(payment_id=PAYMENT_ID, amount=Money("88.00"))


def sent(wechat, index: int = -1) -> dict:
    request = wechat.requests[index]
    assert request["problem"] == "", request["problem"]
    return json.loads(request["body"]) if request["body"] else {}


def paid_trade(wechat, settings) -> None:
    GATEWAY.create_payment(payment_request(PAYMENT_ID), settings)
    wechat.pay(PAYMENT_ID)


def test_a_native_order_is_a_qr_code_of_the_code_url_in_fen(wechat, settings):
    action = GATEWAY.create_payment(payment_request(PAYMENT_ID, "88.00"), settings)
    assert action.flow is Flow.QR and action.qr_content.startswith("weixin://wxpay/bizpayurl/up?pr=")
    body = sent(wechat)
    assert wechat.requests[-1]["target"] == "/v3/pay/transactions/native"
    assert body["amount"] == {"total": 8800, "currency": "CNY"} and isinstance(body["amount"]["total"], int)
    assert (body["out_trade_no"], body["notify_url"]) == (PAYMENT_ID, "https://shop.test/webhooks/payment/1")
    assert (body["mchid"], body["appid"], body["description"]) == ("1900000109", "wxd678efh567hg6787",
                                                                   "小甜园 20261127-0001")
    again = GATEWAY.create_payment(payment_request(PAYMENT_ID, "88.00"), settings)
    assert again.qr_content == action.qr_content, "asking again for the same payment shows the same code"


def test_an_h5_order_redirects_to_the_h5_url_coming_back_to_the_return_url(wechat, settings):
    action = GATEWAY.create_payment(payment_request(PAYMENT_ID, "0.01", flow=Flow.REDIRECT), settings)
    assert action.flow is Flow.REDIRECT and action.url.startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/")
    query = parse_qs(urlsplit(action.url).query)
    assert query["redirect_url"] == [f"https://shop.test/payments/return/{PAYMENT_ID}"]
    body = sent(wechat)
    assert wechat.requests[-1]["target"] == "/v3/pay/transactions/h5"
    assert body["scene_info"] == {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}}
    assert body["amount"]["total"] == 1
    assert wechat.trades[PAYMENT_ID]["trade_type"] == "H5"


def test_a_long_description_is_cut_to_127_bytes_between_characters(wechat, settings):
    GATEWAY.create_payment(payment_request(PAYMENT_ID, description="西湖龙井" * 40), settings)
    description = sent(wechat)["description"]
    assert len(description.encode()) <= 127 and description == "西湖龙井" * 10 + "西湖"


def test_orders_wechat_pay_cannot_take_are_refused_before_asking(wechat, settings):
    with pytest.raises(PaymentError, match="IP address"):
        GATEWAY.create_payment(payment_request(PAYMENT_ID, flow=Flow.REDIRECT, customer_ip=""), settings)
    with pytest.raises(PaymentError, match="CNY"):
        GATEWAY.create_payment(payment_request(PAYMENT_ID, "88.00", currency="USD"), settings)
    with pytest.raises(PaymentError, match="form"):
        GATEWAY.create_payment(payment_request(PAYMENT_ID, flow=Flow.FORM), settings)
    assert wechat.requests == []


def test_an_error_answer_declines_with_wechats_message_and_a_server_error_is_an_outage(wechat, settings):
    wechat.errors = [(400, {"code": "PARAM_ERROR", "message": "appid和mch_id不匹配"}),
                     (500, {"code": "SYSTEM_ERROR", "message": "系统错误"})]
    with pytest.raises(PaymentDeclined, match="PARAM_ERROR") as declined:
        GATEWAY.create_payment(payment_request(PAYMENT_ID), settings)
    assert declined.value.customer_message == "微信支付未能创建订单：appid和mch_id不匹配"
    with pytest.raises(GatewayUnavailable, match="SYSTEM_ERROR"):
        GATEWAY.create_payment(payment_request(PAYMENT_ID), settings)


def test_an_answer_whose_platform_signature_fails_is_never_trusted(wechat, settings):
    paid_trade(wechat, settings)
    wechat.sign_with_stranger = True
    with pytest.raises(GatewayUnavailable, match="not trusted: the Wechatpay-Signature does not verify"):
        GATEWAY.query(REF, settings)
    with pytest.raises(GatewayUnavailable, match="not trusted"):
        GATEWAY.create_payment(payment_request("P0000000000000000000000002"), settings)
    assert GatewayUnavailable.record_as_failure, "the fault policy records it for the admin"


def test_a_refused_request_signature_is_a_configuration_outage_not_a_declined_payment(wechat, settings, keys):
    wrong_key = {**settings, "merchant_private_key": pem_private(keys.stranger)}
    with pytest.raises(GatewayUnavailable, match="refused our signature"):
        GATEWAY.create_payment(payment_request(PAYMENT_ID), wrong_key)
    with pytest.raises(GatewayUnavailable, match="SIGN_ERROR"):
        GATEWAY.query(REF, wrong_key)
    assert "merchant's public key" in wechat.requests[-1]["problem"] and wechat.trades == {}


def test_no_answer_at_all_is_an_outage(settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(GatewayUnavailable, match="no answer"):
        GATEWAY.query(REF, {**settings, "api_base_url": f"http://127.0.0.1:{port}"})


def test_the_query_maps_trade_states_and_reports_the_paid_amount(wechat, settings):
    missing = GATEWAY.query(REF, settings)
    assert (missing.status, missing.message) == (TxStatus.FAILED, "ORDER_NOT_EXIST: 订单不存在")
    GATEWAY.create_payment(payment_request(PAYMENT_ID), settings)
    assert GATEWAY.query(REF, settings).status is TxStatus.PENDING
    assert wechat.requests[-1]["target"] == f"/v3/pay/transactions/out-trade-no/{PAYMENT_ID}?mchid=1900000109"
    trade = wechat.pay(PAYMENT_ID)
    result = GATEWAY.query(REF, settings)
    assert (result.status, result.amount, result.gateway_reference) == (
        TxStatus.SUCCEEDED, Money("88.00"), trade["transaction_id"])
    assert GATEWAY.capture(REF, Money("88.00"), settings).status is TxStatus.SUCCEEDED
    for state, status in (("PAYERROR", TxStatus.FAILED), ("USERPAYING", TxStatus.PENDING),
                          ("REFUND", TxStatus.SUCCEEDED)):
        wechat.trades[PAYMENT_ID]["trade_state"] = state
        assert GATEWAY.query(REF, settings).status is status


def test_an_answer_about_another_trade_is_not_trusted(wechat, settings):
    paid_trade(wechat, settings)
    wechat.trades[PAYMENT_ID]["mchid"] = "1900000999"
    with pytest.raises(GatewayUnavailable, match="another trade"):
        GATEWAY.query(REF, settings)


def test_void_closes_an_unpaid_trade_and_refuses_a_paid_one(wechat, settings):
    GATEWAY.create_payment(payment_request(PAYMENT_ID), settings)
    with pytest.raises(PaymentError, match="not been paid"):
        GATEWAY.capture(REF, Money("88.00"), settings)
    result = GATEWAY.void(REF, settings)
    assert result.status is TxStatus.SUCCEEDED and "closed" in result.message
    assert sent(wechat) == {"mchid": "1900000109"}
    assert wechat.requests[-1]["target"] == f"/v3/pay/transactions/out-trade-no/{PAYMENT_ID}/close"
    assert GATEWAY.query(REF, settings).status is TxStatus.FAILED
    other = PaymentRef(payment_id="P0000000000000000000000002", amount=Money("88.00"))
    GATEWAY.create_payment(payment_request(other.payment_id), settings)
    wechat.pay(other.payment_id)
    with pytest.raises(PaymentError, match="ORDERPAID"):
        GATEWAY.void(other, settings)


def test_full_and_partial_refunds_are_refunded_once_each(wechat, settings):
    paid_trade(wechat, settings)
    part = GATEWAY.refund(REF, Money("30.00"), "R0000000000000000000000001", settings)
    assert (part.status, part.amount) == (TxStatus.SUCCEEDED, Money("30.00"))
    assert sent(wechat) == {"out_trade_no": PAYMENT_ID, "out_refund_no": "R0000000000000000000000001",
                            "amount": {"refund": 3000, "total": 8800, "currency": "CNY"}}
    repeated = GATEWAY.refund(REF, Money("30.00"), "R0000000000000000000000001", settings)
    assert repeated.gateway_reference == part.gateway_reference and len(wechat.refunds) == 1
    rest = GATEWAY.refund(REF, Money("58.00"), "R0000000000000000000000002", settings)
    assert (rest.status, rest.amount) == (TxStatus.SUCCEEDED, Money("58.00"))
    too_much = GATEWAY.refund(REF, Money("0.01"), "R0000000000000000000000003", settings)
    assert (too_much.status, too_much.message) == (TxStatus.FAILED, "NOT_ENOUGH: 可退款余额不足")
    with pytest.raises(PaymentDeclined):
        GATEWAY.refund(REF, Money("88.01"), "R0000000000000000000000004", settings)


def test_a_refund_sends_the_configured_notify_url_and_a_processing_refund_is_pending(wechat, settings):
    paid_trade(wechat, settings)
    wechat.refund_status = "PROCESSING"
    result = GATEWAY.refund(REF, Money("88.00"), "R0000000000000000000000001",
                            {**settings, "refund_notify_url": "https://shop.test/webhooks/payment/1"})
    assert result.status is TxStatus.PENDING
    assert sent(wechat)["notify_url"] == "https://shop.test/webhooks/payment/1"
    wechat.refunds["R0000000000000000000000001"]["status"] = "SUCCESS"
    settled = GATEWAY.query_refund(REF, "R0000000000000000000000001", settings)
    assert (settled.status, settled.amount) == (TxStatus.SUCCEEDED, Money("88.00"))
    with pytest.raises(PaymentError, match="RESOURCE_NOT_EXISTS"):
        GATEWAY.query_refund(REF, "R0000000000000000000000009", settings)
    other = PaymentRef(payment_id="P0000000000000000000000002", amount=Money("88.00"))
    with pytest.raises(GatewayUnavailable, match="another refund"):
        GATEWAY.query_refund(other, "R0000000000000000000000001", settings)


def test_a_refund_whose_answer_times_out_is_settled_by_the_refund_query_not_sent_again(wechat, settings):
    paid_trade(wechat, settings)
    wechat.refund_stall = 3.0  # longer than the settings' 2 s timeout
    result = GATEWAY.refund(REF, Money("20.00"), "R0000000000000000000000001", settings)
    assert (result.status, result.amount) == (TxStatus.SUCCEEDED, Money("20.00"))
    assert "answer was lost" in result.message
    asked = [(r["method"], r["target"]) for r in wechat.requests[1:]]
    assert asked == [("POST", "/v3/refund/domestic/refunds"),
                     ("GET", "/v3/refund/domestic/refunds/R0000000000000000000000001")]
    assert len(wechat.refunds) == 1


def test_a_refund_wechat_cannot_confirm_is_left_to_the_kernel_to_ask_again(wechat, settings):
    paid_trade(wechat, settings)
    wechat.errors = [(500, {"code": "SYSTEM_ERROR", "message": "系统超时"})]
    with pytest.raises(GatewayUnavailable, match="RESOURCE_NOT_EXISTS.*do not send it again"):
        GATEWAY.refund(REF, Money("20.00"), "R0000000000000000000000001", settings)
    wechat.sign_with_stranger = True
    with pytest.raises(GatewayUnavailable, match="not trusted"):
        GATEWAY.refund(REF, Money("20.00"), "R0000000000000000000000002", settings)
    assert [r["method"] for r in wechat.requests[1:]] == ["POST", "GET", "POST", "GET"]
    wechat.sign_with_stranger = False
    later = GATEWAY.query_refund(REF, "R0000000000000000000000002", settings)
    assert later.status is TxStatus.SUCCEEDED, "the second refund was made; only its answer was untrusted"
