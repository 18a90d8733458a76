"""Gateways that exist only for these tests: a QR wallet, and a card gateway that authorises and captures later.

The card gateway's remote side is a file (``calls_file``): every capture,
void and refund it is asked for is appended to it as a JSON line, so tests in
several processes can count what reached the gateway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any, Mapping

from marshmallow import Schema, fields

from xtycore import hookimpl
from xtycore.domain.errors import GatewayUnavailable, InvalidWebhook, PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    EventKind, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus, WebhookEvent,
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


class CardSettings(Schema):
    calls_file = fields.String(required=True)
    #: how refunds answer: succeed, pending (a callback or query settles them), timeout (done, answer lost), decline
    refund_answer = fields.String(load_default="succeed")


def _calls(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _append(path: str, entry: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:  # one write per line: appends from processes do not mix
        handle.write(json.dumps(entry) + "\n")


class CardGateway:
    """Authorises when the customer pays; captures, voids and refunds on request; writes each to its file."""

    code = "test_card"
    name = "Test card (delayed capture)"
    settings_schema = CardSettings
    features = GatewayFeatures(
        flows=frozenset({Flow.REDIRECT}), currencies=frozenset({"CNY"}), partial_refund=True, void=True,
        delayed_capture=True, refunds=True, refund_query=True,
    )

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        return PaymentAction(flow=Flow.REDIRECT, url=f"https://card.test/pay/{request.payment_id}",
                             gateway_reference="C-" + request.payment_id)

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        return GatewayResult(TxStatus.SUCCEEDED, payment.amount)

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        _append(settings["calls_file"], {"verb": "capture", "payment": payment.payment_id, "amount": amount.minor})
        return GatewayResult(TxStatus.SUCCEEDED, amount, gateway_reference="CAP-" + payment.payment_id)

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        _append(settings["calls_file"], {"verb": "void", "payment": payment.payment_id})
        return GatewayResult(TxStatus.SUCCEEDED, payment.amount)

    def refund(self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        answer = settings["refund_answer"]
        if answer == "decline":
            raise PaymentDeclined("the card issuer refused the refund")
        _append(settings["calls_file"], {"verb": "refund", "payment": payment.payment_id, "refund_id": refund_id,
                                         "amount": amount.minor})
        if answer == "timeout":
            raise GatewayUnavailable("the card gateway did not answer in time")
        status = TxStatus.PENDING if answer == "pending" else TxStatus.SUCCEEDED
        return GatewayResult(status, amount, gateway_reference="REF-" + refund_id)

    def query_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        for call in _calls(settings["calls_file"]):
            if call["verb"] == "refund" and call["refund_id"] == refund_id:
                return GatewayResult(TxStatus.SUCCEEDED, Money.from_minor(call["amount"], payment.amount.currency))
        raise PaymentError(f"no refund {refund_id}")

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        return GatewayResult(TxStatus.SUCCEEDED, payment.amount, gateway_reference="C-" + payment.payment_id)

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        """Refund callbacks: JSON signed with HMAC-SHA256 keyed with the calls file's path (a test key)."""
        if not hmac.compare_digest(card_signature(request.body, settings["calls_file"]),
                                   request.header("X-Card-Signature")):
            raise InvalidWebhook("the card callback's signature does not verify")
        try:
            data = json.loads(request.body)
            return WebhookEvent(
                event_id=data["event_id"], kind=EventKind(data["kind"]), payment_id=data["payment_id"],
                amount=Money.from_minor(data["amount"], "CNY"), refund_id=data.get("refund_id", ""),
                response_body="OK",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"malformed card callback: {exc!r}") from None


def card_signature(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def card_callback(calls_file: str, **data: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    return body, {"X-Card-Signature": card_signature(body, calls_file), "Content-Type": "application/json"}


CARD = CardGateway()


def calls(path: str, verb: str | None = None) -> list[dict]:
    """What reached the card gateway (of one verb)."""
    return [c for c in _calls(path) if verb is None or c["verb"] == verb]


@hookimpl
def xtycore_register_payment_gateways():
    return [WALLET, CARD]
