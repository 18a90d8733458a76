"""The v3 protocol without an app: signatures checked both ways against wechatpayv3, settings validated."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from marshmallow import ValidationError
from wechatpayv3.core import Core
from wechatpayv3.utils import build_authorization, rsa_verify

from xtycore_payment_wechatpay import protocol
from xtycore_payment_wechatpay.settings import WeChatPaySettings

from .conftest import (
    APIV3_KEY, AUTH, CERT_SERIAL, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID, notification, payment_resource, pem_private,
    pem_public, self_signed, signed_headers,
)


def test_the_plugins_request_signature_verifies_with_wechatpayv3(keys):
    body = protocol.compact_json({"mchid": MCHID, "description": "小甜园 龙井"})
    header = protocol.authorization("POST", "/v3/pay/transactions/native", body, mchid=MCHID,
                                    serial_no=MERCHANT_SERIAL, key=keys.merchant, now=time.time())
    match = AUTH.match(header)
    assert match and match["mchid"] == MCHID and match["serial"] == MERCHANT_SERIAL
    signed = f"POST\n/v3/pay/transactions/native\n{match['timestamp']}"
    assert rsa_verify(signed, match["nonce"], body.decode(), match["signature"], keys.merchant.public_key())
    assert not rsa_verify(signed, match["nonce"], body.decode() + " ", match["signature"], keys.merchant.public_key())


def test_wechatpayv3s_request_signature_verifies_with_the_plugins_message(keys):
    header = build_authorization("/v3/pay/transactions/out-trade-no/P1?mchid=1900000109", "GET", MCHID,
                                 MERCHANT_SERIAL, keys.merchant, data=None, nonce_str="N0NCE")
    match = AUTH.match(header)
    message = protocol.request_message("GET", "/v3/pay/transactions/out-trade-no/P1?mchid=1900000109",
                                       match["timestamp"], "N0NCE", b"")
    assert protocol.rsa_verifies(keys.merchant.public_key(), message, match["signature"])
    assert not protocol.rsa_verifies(keys.platform.public_key(), message, match["signature"])


def test_a_callback_built_here_is_verified_and_decrypted_by_wechatpayv3(keys):
    resource = payment_resource("P0000000000000000000000001", 8800)
    callback = notification(keys.platform, "TRANSACTION.SUCCESS", resource)
    core = Core(MCHID, MERCHANT_SERIAL, pem_private(keys.merchant), APIV3_KEY,
                public_key=pem_public(keys.platform.public_key()), public_key_id=PUBLIC_KEY_ID)
    assert json.loads(core.decrypt_callback(callback.headers, callback.body)) == resource
    assert core.decrypt_callback(callback.headers, callback.body.replace(b"TRANSACTION", b"TRANSACTIOM")) is None
    notice = json.loads(callback.body)
    assert protocol.decrypt_resource(notice["resource"], APIV3_KEY) == resource


def test_answer_signatures_name_their_key_and_must_be_fresh(keys):
    platform = {PUBLIC_KEY_ID: keys.platform.public_key()}
    body = b'{"code_url":"weixin://wxpay/bizpayurl/up?pr=x"}'
    fresh = protocol.lower_headers(signed_headers(keys.platform, body))
    assert protocol.signature_problem(fresh, body, platform, time.time()) == ""
    assert "does not verify" in protocol.signature_problem(fresh, body + b" ", platform, time.time())
    assert "more than 300 seconds" in protocol.signature_problem(fresh, body, platform, time.time() + 301)
    forged = protocol.lower_headers(signed_headers(keys.stranger, body))
    assert "does not verify" in protocol.signature_problem(forged, body, platform, time.time())
    other = protocol.lower_headers(signed_headers(keys.platform, body, serial="PUB_KEY_ID_OTHER"))
    assert "no platform key" in protocol.signature_problem(other, body, platform, time.time())
    assert "not all there" in protocol.signature_problem({}, body, platform, time.time())
    probe = {**fresh, "wechatpay-signature": "WECHATPAY/SIGNTEST/" + fresh["wechatpay-signature"][19:]}
    assert "does not verify" in protocol.signature_problem(probe, body, platform, time.time()), \
        "WeChat Pay's signature probes must fail like any bad signature"


def test_a_tampered_or_foreign_resource_does_not_decrypt(keys):
    notice = json.loads(notification(keys.platform, "TRANSACTION.SUCCESS", payment_resource("P1", 1)).body)
    resource = notice["resource"]
    with pytest.raises(ValueError, match="does not decrypt"):
        protocol.decrypt_resource(resource, "b" * 32)
    with pytest.raises(ValueError, match="does not decrypt"):
        protocol.decrypt_resource({**resource, "associated_data": "refund"}, APIV3_KEY)
    with pytest.raises(ValueError, match="not AEAD_AES_256_GCM"):
        protocol.decrypt_resource({**resource, "algorithm": "AES_256_CBC"}, APIV3_KEY)


# settings -------------------------------------------------------------------


def load(keys, **changes):
    return WeChatPaySettings().load(keys.settings("https://api.mch.weixin.qq.com", **changes))


def refused(keys, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        load(keys, **changes)
    return caught.value.messages


def test_valid_settings_load_with_the_documented_defaults(keys):
    loaded = WeChatPaySettings().load({k: v for k, v in keys.settings("x").items()
                                       if k not in ("api_base_url", "timeout_seconds")})
    assert loaded["api_base_url"] == "https://api.mch.weixin.qq.com"
    assert loaded["timeout_seconds"] == 10.0 and loaded["h5_scene_type"] == "Wap"
    assert loaded["platform_certificates"] == {} and loaded["refund_notify_url"] == ""


def test_keys_that_do_not_load_are_refused_with_their_field(keys):
    assert "merchant_private_key" in refused(keys, merchant_private_key="-----BEGIN PRIVATE KEY-----\nAAAA")
    assert "platform_public_key" in refused(keys, platform_public_key="not a key")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert "1024 bits" in str(refused(keys, merchant_private_key=pem_private(small)))
    assert "merchant_private_key" in refused(keys, merchant_private_key=pem_public(keys.merchant.public_key()))


@pytest.mark.parametrize("key", ["a" * 31, "a" * 33, "密" * 11, ""])
def test_an_apiv3_key_must_be_32_bytes(keys, key):
    assert "apiv3_key" in refused(keys, apiv3_key=key)


def test_the_public_key_needs_its_id_and_some_platform_key_is_needed(keys):
    assert "platform_public_key_id" in refused(keys, platform_public_key_id="")
    assert "platform_public_key" in refused(keys, platform_public_key="")
    assert "platform_public_key" in refused(keys, platform_public_key="", platform_public_key_id="")
    assert "platform_public_key_id" in refused(keys, platform_public_key_id="KEY_1")


def test_platform_certificates_are_listed_under_their_own_serial(keys):
    cert = self_signed(keys.platform, CERT_SERIAL)
    loaded = load(keys, platform_public_key="", platform_public_key_id="",
                  platform_certificates={CERT_SERIAL.lower(): cert})
    trusted = protocol.platform_keys("", "", loaded["platform_certificates"])
    assert set(trusted) == {CERT_SERIAL}
    assert "platform_certificates" in refused(keys, platform_certificates={"ABCDEF0123456789": cert})
    assert "platform_certificates" in refused(keys, platform_certificates={CERT_SERIAL: "-----BEGIN CERTIFICATE-----"})


@pytest.mark.parametrize("field, value", [
    ("mchid", "19000x0109"), ("appid", "wx123"), ("merchant_serial_no", "not-hex"),
    ("api_base_url", "ftp://api"), ("timeout_seconds", 0), ("h5_scene_type", "Web"),
])
def test_malformed_plain_settings_are_refused(keys, field, value):
    assert field in refused(keys, **{field: value})
