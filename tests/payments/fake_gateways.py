"""Gateways that exist only for these tests: a QR wallet and one that is down."""

from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields

from xtycore import hookimpl
from xtycore.domain.errors import InvalidWebhook, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus, WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest


class WalletSettings(Schema):
    app_secret = fields.String(required=True, metadata={"secret": True})


class QrWallet:
    """Answers every payment with a QR code and echoes its secret back, as careless gateways do."""

    code = "test_qr_wallet"
    name = "Test QR wallet"
    settings_schema = WalletSettings
    features = GatewayFeatures(flows=frozenset({Flow.QR}))
    down = False

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        if self.down:
            raise ConnectionError("wallet API timed out")
        return PaymentAction(
            flow=Flow.QR, qr_content=f"wallet://pay?trade={request.payment_id}",
            gateway_reference="W-" + request.payment_id,
            raw={"sign": "abcdef0123456789", "echo": f"secret={settings['app_secret']}", "code": "OK"},
        )

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("no")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("no")

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("no")

    def refund(self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("no")

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        return GatewayResult(TxStatus.PENDING)

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        raise InvalidWebhook("no callbacks in this test")


WALLET = QrWallet()


@hookimpl
def xtycore_register_payment_gateways():
    return [WALLET]
