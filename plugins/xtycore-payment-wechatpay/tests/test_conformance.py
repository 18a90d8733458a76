"""The WeChat Pay gateway passes the payment gateway conformance suite, signed callbacks included."""

from __future__ import annotations

import datetime as dt

import pytest

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest
from xtycore.testing.conformance import PaymentGatewayConformance

from xtycore_payment_wechatpay import plugin
from xtycore_payment_wechatpay.gateway import WeChatPayGateway

from .conftest import notification, payment_resource


class TestWeChatPayConformance(PaymentGatewayConformance):
    @pytest.fixture
    def capability(self):
        return WeChatPayGateway()

    @pytest.fixture
    def plugin_module(self):
        return plugin

    @pytest.fixture
    def settings(self, keys, wechat):
        return keys.settings(wechat.url)

    @pytest.fixture
    def gateway_paid(self, wechat):
        def pay(payment_id: str, amount: Money, settings) -> None:
            wechat.open_trade(payment_id, amount.minor)
            wechat.pay(payment_id)

        return pay

    @pytest.fixture
    def signed_webhook(self, keys):
        def make(payment_id: str, amount: Money, sent_at: dt.datetime | None = None) -> WebhookRequest:
            # The resource is encrypted, so the suite's markers (payment id, amount) are not in the body's
            # plain text; the signed summary carries them, where one changed byte must fail the platform
            # signature. test_callbacks.py tampers with the ciphertext itself.
            callback = notification(
                keys.platform, "TRANSACTION.SUCCESS", payment_resource(payment_id, amount.minor),
                summary=f"支付成功 {payment_id} {amount.minor} {amount.amount}", sent_at=sent_at,
            )
            return WebhookRequest(body=callback.body, headers=callback.headers)

        return make
