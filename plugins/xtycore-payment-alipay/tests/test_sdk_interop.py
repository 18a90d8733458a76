"""The plugin and Alipay's official Python SDK (alipay-sdk-python) agree on every signature.

Notifications are signed here by the SDK's ``sign_with_rsa2`` with the test
"Alipay" private key; requests signed by the plugin are verified with the
SDK's ``verify_with_rsa`` and the merchant public key.
"""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from rsa.pkcs1 import VerificationError

from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.request.AlipayTradePagePayRequest import AlipayTradePagePayRequest
from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa

from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.money import Money
from xtycore.domain.payments import Device, EventKind, Flow

from xtycore_payment_alipay import client, protocol
from xtycore_payment_alipay.gateway import AlipayGateway

from .conftest import (
    APP_ID, PAYMENT_ID, as_request, loaded, notify_fields, payment_request, sdk_signed, settings_for,
)

gateway = AlipayGateway()


def sdk_verifies(params: dict, public_pem: str) -> bool:
    """The SDK's check of a request: its sign content of every parameter but ``sign``, RSA2."""
    content = get_sign_content({k: v for k, v in params.items() if k != "sign"})
    try:
        return verify_with_rsa(public_pem, content.encode("utf-8"), params["sign"])
    except VerificationError:  # the SDK raises rather than answer False
        return False


def url_params(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --------------------------------------------------------------------------
# (a) notifications signed by the SDK
# --------------------------------------------------------------------------


def test_a_notification_signed_by_the_official_sdk_is_accepted(settings, alipay_keys):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), alipay_keys)
    event = gateway.parse_webhook(as_request(fields), loaded(settings))
    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert (event.payment_id, event.amount, event.gateway_reference) == (PAYMENT_ID, Money("88.00"), fields["trade_no"])
    assert event.event_id == f"{fields['notify_id']}:TRADE_SUCCESS"
    assert (event.response_status, event.response_body, event.response_content_type) == (200, "success", "text/plain")


def test_the_alipay_public_key_may_be_the_bare_base64_the_console_shows(merchant_keys, alipay_keys):
    settings = loaded(settings_for(merchant_keys, alipay_keys, alipay_public_key=alipay_keys.public_base64,
                                   app_private_key=merchant_keys.private_base64))
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("0.01")), alipay_keys)
    assert gateway.parse_webhook(as_request(fields), settings).amount == Money("0.01")


@pytest.mark.parametrize("name, forged", [
    ("total_amount", "0.01"),
    ("out_trade_no", "P0000000000000000000000002"),
    ("trade_no", "2026112722001400000000000000"),
    ("trade_status", "TRADE_FINISHED"),
    ("app_id", "2021000122600002"),
    ("notify_id", "forged"),
])
def test_a_notification_with_any_signed_field_changed_is_rejected(settings, alipay_keys, name, forged):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), alipay_keys)
    with pytest.raises(InvalidWebhook, match="signature does not verify"):
        gateway.parse_webhook(as_request({**fields, name: forged}), loaded(settings))


def test_a_notification_with_its_signature_changed_or_missing_is_rejected(settings, alipay_keys):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), alipay_keys)
    flipped = fields["sign"][:10] + ("A" if fields["sign"][10] != "A" else "B") + fields["sign"][11:]
    for sign in (flipped, "", "not base64!"):
        with pytest.raises(InvalidWebhook):
            gateway.parse_webhook(as_request({**fields, "sign": sign}), loaded(settings))
    without = {k: v for k, v in fields.items() if k != "sign"}
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(as_request(without), loaded(settings))


def test_a_notification_signed_with_another_key_is_rejected(settings, stranger_keys):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), stranger_keys)
    with pytest.raises(InvalidWebhook, match="signature does not verify"):
        gateway.parse_webhook(as_request(fields), loaded(settings))


def test_a_return_signed_by_the_sdk_verifies_and_a_tampered_one_does_not(settings, alipay_keys):
    returned = sdk_signed({
        "charset": "utf-8", "out_trade_no": PAYMENT_ID, "method": "alipay.trade.page.pay.return",
        "total_amount": "88.00", "sign_type": "RSA2", "trade_no": "2026112722001400000000000001",
        "auth_app_id": APP_ID, "version": "1.0", "app_id": APP_ID, "seller_id": settings["seller_id"],
        "timestamp": "2026-11-27 10:00:00",
    }, alipay_keys)
    assert gateway.verified_return(returned, loaded(settings))["trade_no"] == returned["trade_no"]
    with pytest.raises(InvalidWebhook):
        gateway.verified_return({**returned, "total_amount": "8.00"}, loaded(settings))


# --------------------------------------------------------------------------
# (b) requests signed by the plugin
# --------------------------------------------------------------------------


def test_the_page_pay_url_verifies_with_the_sdk_and_the_merchant_public_key(settings, merchant_keys):
    action = gateway.create_payment(payment_request(), loaded(settings))
    params = url_params(action.url)
    assert action.flow is Flow.REDIRECT and action.url.startswith(protocol.PRODUCTION_GATEWAY + "?")
    assert sdk_verifies(params, merchant_keys.public_pem)
    assert params["method"] == "alipay.trade.page.pay" and params["sign_type"] == "RSA2"
    biz = json.loads(params["biz_content"])
    assert biz == {"out_trade_no": PAYMENT_ID, "total_amount": "88.00", "subject": "小甜园 20261127-0001",
                   "product_code": "FAST_INSTANT_TRADE_PAY", "timeout_express": "30m"}
    assert params["notify_url"] == "https://shop.test/webhooks/payment/1"
    assert params["return_url"] == "https://shop.test/payments/return/" + PAYMENT_ID
    tampered = {**params, "biz_content": params["biz_content"].replace("88.00", "0.01")}
    assert not sdk_verifies(tampered, merchant_keys.public_pem)


def test_the_page_pay_url_carries_the_parameters_the_sdk_sends(settings, merchant_keys, alipay_keys):
    config = AlipayClientConfig()
    config.app_id, config.app_private_key = APP_ID, merchant_keys.private_pkcs1_pem
    config.alipay_public_key = alipay_keys.public_pem
    request = AlipayTradePagePayRequest()
    request.biz_content = {"out_trade_no": PAYMENT_ID, "total_amount": "88.00", "subject": "x",
                           "product_code": "FAST_INSTANT_TRADE_PAY"}
    request.notify_url, request.return_url = "https://shop.test/n", "https://shop.test/r"
    sdk_url = DefaultAlipayClient(config).page_execute(request, http_method="GET")
    ours = url_params(gateway.create_payment(payment_request(), loaded(settings)).url)
    assert set(url_params(sdk_url)) == set(ours)
    assert sdk_verifies(url_params(sdk_url), merchant_keys.public_pem)  # the SDK agrees with itself, too


def test_the_form_flow_posts_the_same_signed_fields(settings, merchant_keys):
    action = gateway.create_payment(payment_request(flow=Flow.FORM), loaded(settings))
    assert action.flow is Flow.FORM and action.url == protocol.PRODUCTION_GATEWAY + "?charset=utf-8"
    assert sdk_verifies(dict(action.form_fields), merchant_keys.public_pem)


@pytest.mark.parametrize("asked", [{"device": Device.MOBILE}, {"metadata": {"device": "mobile"}}])
def test_a_mobile_device_gets_the_wap_cashier(settings, merchant_keys, asked):
    action = gateway.create_payment(payment_request(**asked), loaded(settings))
    params = url_params(action.url)
    biz = json.loads(params["biz_content"])
    assert params["method"] == "alipay.trade.wap.pay" and biz["product_code"] == "QUICK_WAP_WAY"
    assert biz["quit_url"] == "https://shop.test/payments/return/" + PAYMENT_ID
    assert sdk_verifies(params, merchant_keys.public_pem)


def test_a_computer_gets_the_page_cashier(settings):
    params = url_params(gateway.create_payment(payment_request(device=Device.DESKTOP), loaded(settings)).url)
    assert params["method"] == "alipay.trade.page.pay"
    assert json.loads(params["biz_content"])["product_code"] == "FAST_INSTANT_TRADE_PAY"


def test_api_calls_are_signed_so_the_sdk_verifies_them(merchant_keys, alipay_keys, fake_alipay):
    settings = loaded(settings_for(merchant_keys, alipay_keys, gateway_url=fake_alipay.url))
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    client.call("alipay.trade.query", {"out_trade_no": PAYMENT_ID}, settings)
    [(method, params)] = fake_alipay.calls
    assert method == "alipay.trade.query"
    assert sdk_verifies(params, merchant_keys.public_pem)
    assert not sdk_verifies({**params, "app_id": "2021000122600002"}, merchant_keys.public_pem)
