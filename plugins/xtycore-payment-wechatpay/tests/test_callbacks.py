"""parse_webhook: genuine notifications are accepted; tampered, forged, foreign and old ones are rejected."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.money import Money
from xtycore.domain.payments import EventKind
from xtycore.domain.webhooks import WebhookRequest

from xtycore_payment_wechatpay.gateway import WeChatPayGateway
from xtycore_payment_wechatpay.settings import WeChatPaySettings

from .conftest import (
    CERT_SERIAL, Callback, notification, payment_resource, refund_resource, self_signed, signed_headers,
)

GATEWAY = WeChatPayGateway()
PAYMENT_ID = "P0000000000000000000000001"


def parse(callback: Callback, settings):
    return GATEWAY.parse_webhook(WebhookRequest(body=callback.body, headers=callback.headers), settings)


def resigned(keys, body: dict) -> Callback:
    """A changed body with a valid platform signature: only the encryption can tell."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Callback(raw, signed_headers(keys.platform, raw))


def test_a_payment_notification_becomes_a_payment_succeeded_event(keys, settings):
    resource = payment_resource(PAYMENT_ID, 8800)
    callback = notification(keys.platform, "TRANSACTION.SUCCESS", resource, notice_id="EV-2026-0001")
    event = parse(callback, settings)
    assert (event.event_id, event.kind, event.payment_id, event.amount, event.gateway_reference) == (
        "EV-2026-0001", EventKind.PAYMENT_SUCCEEDED, PAYMENT_ID, Money("88.00"), resource["transaction_id"])
    assert (event.response_status, event.response_body) == (204, ""), "WeChat Pay wants 200/204 and no body"
    assert "payer" not in event.raw, "the payer's openid is not kept"
    assert parse(callback, settings).event_id == event.event_id


def test_a_callback_from_four_minutes_ago_is_accepted_and_one_from_six_is_a_replay(keys, settings):
    now = dt.datetime.now(dt.timezone.utc)
    recent = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 1),
                          sent_at=now - dt.timedelta(minutes=4))
    assert parse(recent, settings).amount == Money("0.01")
    for sent_at in (now - dt.timedelta(minutes=6), now + dt.timedelta(minutes=6)):
        old = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 1), sent_at=sent_at)
        with pytest.raises(InvalidWebhook, match="more than 300 seconds"):
            parse(old, settings)


def test_tampered_ciphertext_is_rejected_even_when_signed_again(keys, settings):
    callback = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800))
    body = json.loads(callback.body)
    sealed = bytearray(base64.b64decode(body["resource"]["ciphertext"]))
    sealed[5] ^= 0x01
    body["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(InvalidWebhook, match="does not decrypt"):
        parse(resigned(keys, body), settings)
    body = json.loads(callback.body)
    body["resource"]["associated_data"] = "refund"
    with pytest.raises(InvalidWebhook, match="does not decrypt"):
        parse(resigned(keys, body), settings)


def test_a_changed_body_or_a_foreign_signature_is_rejected(keys, settings):
    callback = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800))
    with pytest.raises(InvalidWebhook, match="does not verify"):
        parse(Callback(callback.body.replace(b"TRANSACTION.SUCCESS", b"REFUND.SUCCESS"), callback.headers), settings)
    forged = notification(keys.stranger, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800))
    with pytest.raises(InvalidWebhook, match="does not verify"):
        parse(forged, settings)
    unknown_key = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800),
                               serial="PUB_KEY_ID_0000")
    with pytest.raises(InvalidWebhook, match="no platform key"):
        parse(unknown_key, settings)
    with pytest.raises(InvalidWebhook, match="not all there"):
        parse(Callback(callback.body, {}), settings)


def test_another_merchants_or_apps_payment_or_another_apiv3_key_is_rejected(keys, settings):
    for changes, reason in (({"mchid": "1900000999"}, "merchant"), ({"appid": "wx0000000000000000"}, "AppID"),
                            ({"trade_state": "NOTPAY"}, "trade_state"), ({"amount": {"total": 1.5}}, "malformed")):
        callback = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800, **changes))
        with pytest.raises(InvalidWebhook, match=reason):
            parse(callback, settings)
    foreign = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800),
                           apiv3_key="z" * 32)
    with pytest.raises(InvalidWebhook, match="does not decrypt"):
        parse(foreign, settings)


@pytest.mark.parametrize("event_type, status, kind", [
    ("REFUND.SUCCESS", "SUCCESS", EventKind.REFUND_SUCCEEDED),
    ("REFUND.ABNORMAL", "ABNORMAL", EventKind.REFUND_FAILED),
    ("REFUND.CLOSED", "CLOSED", EventKind.REFUND_FAILED),
])
def test_refund_notifications_name_the_kernels_refund_and_the_refunded_amount(keys, settings, event_type, status,
                                                                              kind):
    resource = refund_resource(PAYMENT_ID, "R0000000000000000000000001", 3000, 8800, status)
    event = parse(notification(keys.platform, event_type, resource, summary="退款状态"), settings)
    assert (event.kind, event.payment_id, event.refund_id, event.amount, event.gateway_reference) == (
        kind, PAYMENT_ID, "R0000000000000000000000001", Money("30.00"), resource["refund_id"])
    mismatched = refund_resource(PAYMENT_ID, "R1", 3000, 8800, "PROCESSING")
    with pytest.raises(InvalidWebhook, match="refund_status"):
        parse(notification(keys.platform, event_type, mismatched), settings)


def test_an_unknown_event_type_is_rejected(keys, settings):
    callback = notification(keys.platform, "TRANSACTION.REFUNDED", payment_resource(PAYMENT_ID, 8800))
    with pytest.raises(InvalidWebhook, match="unknown event_type"):
        parse(callback, settings)


def test_a_callback_signed_under_a_platform_certificate_is_verified_by_its_serial(keys, settings):
    schema = WeChatPaySettings()
    by_certificate = schema.dump(schema.load({
        **settings, "platform_public_key": "", "platform_public_key_id": "",
        "platform_certificates": {CERT_SERIAL: self_signed(keys.platform, CERT_SERIAL)},
    }))
    callback = notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800),
                            serial=CERT_SERIAL)
    assert parse(callback, by_certificate).payment_id == PAYMENT_ID
    with pytest.raises(InvalidWebhook, match="no platform key"):
        parse(notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource(PAYMENT_ID, 8800)), by_certificate)
