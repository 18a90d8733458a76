"""The sandbox passes the payment gateway conformance suite, signed callbacks and its remote side included."""

import time
from datetime import datetime

import pytest

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest
from xtycore.testing.conformance import PaymentGatewayConformance

from xtycore_payment_sandbox import plugin, protocol, trades
from xtycore_payment_sandbox.gateway import SandboxGateway

from .conftest import SETTINGS, clear_sandbox_tables


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
        def make(payment_id: str, amount: Money, *, sent_at: datetime | None = None) -> WebhookRequest:
            trade = {
                "trade_no": protocol.trade_number(settings["merchant_id"], payment_id),
                "merchant_id": settings["merchant_id"], "out_trade_no": payment_id,
                "amount_minor": amount.minor, "currency": amount.currency,
            }
            now = sent_at.timestamp() if sent_at is not None else time.time()
            body, headers = protocol.callback(trade, "paid", settings["secret_key"], now)
            return WebhookRequest(body=body, headers=headers)

        return make

    @pytest.fixture
    def gateway_paid(self, shop):
        """The customer paid on the hosted page: the sandbox holds a paid trade for the payment."""
        def pay(payment_id: str, amount: Money, settings) -> None:
            params = {
                "merchant_id": settings["merchant_id"], "out_trade_no": payment_id, "order_number": "CONFORM",
                "subject": "conformance", "amount": str(amount.minor), "currency": amount.currency,
                "notify_url": "", "return_url": "http://shop.test/payments/return/" + payment_id,
            }
            trade = trades.open_trade(params)
            trades.decide(trade.trade_no, "paid")

        yield pay
        clear_sandbox_tables(shop.app)
