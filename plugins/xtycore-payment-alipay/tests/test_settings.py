"""Settings are checked when the merchant saves them: keys that do not load get a clear field error."""

import pytest
from marshmallow import ValidationError

from xtycore_payment_alipay import protocol
from xtycore_payment_alipay.settings import AlipaySettings

from .conftest import new_key_pair, settings_for


def refused(settings: dict) -> dict:
    with pytest.raises(ValidationError) as error:
        AlipaySettings().load(settings)
    return error.value.messages


def test_defaults_are_production_rsa2_utf8_and_a_one_hour_notification_window(settings):
    loaded = AlipaySettings().load(settings)
    assert loaded["gateway_url"] == protocol.PRODUCTION_GATEWAY
    assert (loaded["sign_type"], loaded["charset"], loaded["notify_window_hours"]) == ("RSA2", "utf-8", 1)
    assert (loaded["timeout_seconds"], loaded["pay_timeout_minutes"]) == (15, 30)


def test_the_sandbox_gateway_can_be_chosen_and_another_remote_one_cannot(settings):
    assert AlipaySettings().load({**settings, "gateway_url": protocol.SANDBOX_GATEWAY})["gateway_url"] == \
        protocol.SANDBOX_GATEWAY
    assert "gateway_url" in refused({**settings, "gateway_url": "https://alipay.example.com/gateway.do"})


@pytest.mark.parametrize("garbage", ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                                     "TUlJQm9nSUJBQUtDQVFFQQ=="])
def test_a_private_key_that_does_not_load_is_a_clear_field_error(settings, garbage):
    [message] = refused({**settings, "app_private_key": garbage})["app_private_key"]
    assert message.startswith("the application private key ")
    assert garbage not in message or not garbage  # the key itself is never echoed


def test_a_public_key_that_does_not_load_is_a_clear_field_error(settings, merchant_keys):
    [message] = refused({**settings, "alipay_public_key": "garbage"})["alipay_public_key"]
    assert message.startswith("the Alipay public key ")
    [message] = refused({**settings, "alipay_public_key": merchant_keys.private_pem})["alipay_public_key"]
    assert "does not load as an RSA public key" in message


def test_the_application_public_key_pasted_as_alipays_is_refused(merchant_keys):
    messages = refused(settings_for(merchant_keys, merchant_keys))
    assert "this is the application public key" in messages["alipay_public_key"][0]


def test_a_key_shorter_than_rsa2_needs_is_refused(settings):
    short = new_key_pair(bits=1024)
    [message] = refused({**settings, "app_private_key": short.private_pem})["app_private_key"]
    assert "1024-bit" in message and "2048" in message


@pytest.mark.parametrize("name, value", [
    ("app_id", "20210001"), ("seller_id", "1234567890123456"), ("sign_type", "RSA"), ("charset", "gbk"),
    ("notify_window_hours", 0), ("timeout_seconds", 600),
])
def test_values_alipay_would_not_accept_are_refused(settings, name, value):
    assert name in refused({**settings, name: value})


def test_the_private_key_is_secret_and_the_public_key_is_not():
    fields = AlipaySettings().fields
    assert fields["app_private_key"].metadata["secret"] is True
    assert not fields["alipay_public_key"].metadata.get("secret")
