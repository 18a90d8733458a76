"""The sandbox passes the payment gateway conformance suite, signed callbacks included."""

import time

import pytest

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest
from xtycore.testing.conformance import PaymentGatewayConformance

from xtycore_payment_sandbox import plugin, protocol
from xtycore_payment_sandbox.gateway import SandboxGateway

from .conftest import SETTINGS


class TestSandboxConformance(PaymentGatewayConformance):
    @pytest.fixture
    def capability(self):
        return SandboxGateway()

    @pytest.fixture
    def plugin_module(self):
        return plugin

    @pytest.fixture
    def settings(self):
        return dict(SETTINGS)

    @pytest.fixture
    def signed_webhook(self, settings):
        def make(payment_id: str, amount: Money) -> WebhookRequest:
            trade = {
                "trade_no": protocol.trade_number(settings["merchant_id"], payment_id),
                "merchant_id": settings["merchant_id"], "out_trade_no": payment_id,
                "amount_minor": amount.minor, "currency": amount.currency,
            }
            body, headers = protocol.callback(trade, "paid", settings["secret_key"], time.time())
            return WebhookRequest(body=body, headers=headers)

        return make
