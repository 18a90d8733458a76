"""The Alipay gateway passes the payment gateway conformance suite: notifications signed by the official SDK,
the remote side a local gateway that speaks Alipay's protocol."""

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
    def settings(self, merchant_keys, alipay_keys, fake_alipay):
        return settings_for(merchant_keys, alipay_keys, gateway_url=fake_alipay.url, timeout_seconds=2)

    @pytest.fixture
    def gateway_paid(self, fake_alipay):
        """The buyer paid: the local Alipay gateway holds the trade as TRADE_SUCCESS."""
        def paid(payment_id: str, amount: Money, settings) -> None:
            fake_alipay.add_trade(payment_id, f"{amount.amount:.2f}", "TRADE_SUCCESS")

        return paid

    @pytest.fixture
    def signed_webhook(self, alipay_keys):
        def make(payment_id: str, amount: Money, sent_at: datetime | None = None) -> WebhookRequest:
            return as_request(sdk_signed(notify_fields(payment_id, amount, sent_at=sent_at), alipay_keys))

        return make
