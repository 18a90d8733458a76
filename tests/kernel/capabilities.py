"""Minimal capability objects and plugin objects for kernel tests."""

from __future__ import annotations

from marshmallow import Schema, fields

from xtycore import hookimpl
from xtycore.domain.payments import Flow, GatewayFeatures, GatewayResult, PaymentAction, TxStatus


class TestGateway:
    __test__ = False  # not a pytest test class

    name = "Test gateway"
    features = GatewayFeatures(flows=frozenset({Flow.REDIRECT}))

    class settings_schema(Schema):
        merchant_id = fields.String(required=True)
        api_key = fields.String(required=True, metadata={"secret": True})
        sandbox = fields.Boolean(load_default=True)

    def __init__(self, code="test_pay", fail_with: Exception | None = None):
        self.code = code
        self.fail_with = fail_with
        self.calls: list[tuple[str, dict]] = []

    def create_payment(self, request, settings):
        self.calls.append(("create_payment", dict(settings)))
        if self.fail_with is not None:
            raise self.fail_with
        return PaymentAction(flow=Flow.REDIRECT, url=f"https://pay.test/{settings['merchant_id']}")

    def authorize(self, payment, settings):
        return GatewayResult(TxStatus.SUCCEEDED)

    def capture(self, payment, amount, settings):
        return GatewayResult(TxStatus.SUCCEEDED, amount)

    def void(self, payment, settings):
        return GatewayResult(TxStatus.SUCCEEDED)

    def refund(self, payment, amount, refund_id, settings):
        return GatewayResult(TxStatus.SUCCEEDED, amount)

    def query(self, payment, settings):
        return GatewayResult(TxStatus.PENDING)

    def parse_webhook(self, request, settings):
        from xtycore.domain.errors import InvalidWebhook

        raise InvalidWebhook("test gateway accepts no callbacks")


class GatewayPlugin:
    """A plugin object registering the given gateways."""

    def __init__(self, *gateways):
        self.gateways = gateways

    @hookimpl
    def xtycore_register_payment_gateways(self):
        return list(self.gateways)
