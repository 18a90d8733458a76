"""The Alipay gateway passes the payment gateway conformance suite, notifications signed by the official SDK."""

from datetime import datetime

import pytest

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest
from xtycore.testing.conformance import PaymentGatewayConformance

from xtycore_payment_alipay import plugin
from xtycore_payment_alipay.gateway import AlipayGateway

from .conftest import as_request, notify_fields, sdk_signed, settings_for


class TestAlipayConformance(PaymentGatewayConformance):
    @pytest.fixture
    def capability(self):
        return AlipayGateway()

    @pytest.fixture
    def plugin_module(self):
        return plugin

    @pytest.fixture
    def settings(self, merchant_keys, alipay_keys):
        return settings_for(merchant_keys, alipay_keys)

    @pytest.fixture
    def signed_webhook(self, alipay_keys):
        def make(payment_id: str, amount: Money, sent_at: datetime | None = None) -> WebhookRequest:
            return as_request(sdk_signed(notify_fields(payment_id, amount, sent_at=sent_at), alipay_keys))

        return make
