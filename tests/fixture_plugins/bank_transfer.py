"""A bank-transfer gateway: the customer wires the money, the bank's signed notice confirms it.

There is nothing to authorise, capture or void, so ``features`` offers none of
it and those verbs refuse; refunds are wired back by staff.
"""

from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from tests.fixture_plugins.signed_json import verified_payload
from xtycore import hookimpl
from xtycore.domain.errors import InvalidWebhook, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    EventKind, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest,
    TxStatus, WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest


class BankTransferSettings(Schema):
    bank_name = fields.String(required=True, validate=validate.Length(min=1))
    account_name = fields.String(required=True, validate=validate.Length(min=1))
    account_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9 ]{8,32}$"))
    notify_secret = fields.String(required=True, validate=validate.Length(min=16), metadata={"secret": True})


class BankTransfer:
    code = "fixture_bank_transfer"
    name = "Bank transfer (对公转账)"
    settings_schema = BankTransferSettings
    features = GatewayFeatures(flows=frozenset({Flow.OFFLINE}), void=False, delayed_capture=False)

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        return PaymentAction(
            flow=Flow.OFFLINE,
            instructions=(
                f"请转账 {request.amount} 至 {settings['bank_name']} {settings['account_name']} "
                f"{settings['account_number']}，附言填写 {request.payment_id}"
            ),
            gateway_reference=request.payment_id,
        )

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("bank transfers cannot be authorised")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("bank transfers are captured when the money arrives")

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("a bank transfer cannot be voided")

    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        return GatewayResult(TxStatus.PENDING, amount, message="staff wire the refund and confirm it")

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        return GatewayResult(TxStatus.PENDING, message="the bank's notice confirms a transfer")

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        notice = verified_payload(request, settings["notify_secret"])
        return self._event(notice)

    def _event(self, notice: Mapping[str, Any]) -> WebhookEvent:
        try:
            amount = Money.from_minor(notice["amount_fen"], notice["currency"])
            reference, notice_id = notice["reference"], notice["notice_id"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"malformed bank notice: {exc!r}") from None
        if not (isinstance(reference, str) and reference and isinstance(notice_id, str) and notice_id):
            raise InvalidWebhook("the notice names no transfer")
        return WebhookEvent(
            event_id=notice_id, kind=EventKind.PAYMENT_SUCCEEDED, payment_id=reference, amount=amount,
            raw=dict(notice),
        )


@hookimpl
def xtycore_register_payment_gateways() -> list[BankTransfer]:
    return [BankTransfer()]
