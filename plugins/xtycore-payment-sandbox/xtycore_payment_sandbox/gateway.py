"""The sandbox gateway: test payments on a hosted page this plugin serves itself.

No money moves. The customer is sent to ``/sandbox-pay/<trade>`` and presses
Pay or Decline; the sandbox then calls the shop back with a signed callback
(see :mod:`xtycore_payment_sandbox.protocol`), exactly as a real gateway
would, so the whole payment lifecycle can be demonstrated and tested.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates

from xtycore.domain.errors import PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    EventKind, Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus,
    WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest
from xtycore.kernel import get_kernel

from xtycore_payment_sandbox import protocol, trades

NAME = "Sandbox (test payments)"
TRADE_STATUS = {"open": TxStatus.PENDING, "paid": TxStatus.SUCCEEDED, "declined": TxStatus.FAILED,
                "closed": TxStatus.FAILED}
EVENT_KINDS = {"trade.paid": EventKind.PAYMENT_SUCCEEDED, "trade.declined": EventKind.PAYMENT_FAILED,
               "refund.succeeded": EventKind.REFUND_SUCCEEDED}
REFUND_STATUS = {"processing": TxStatus.PENDING, "succeeded": TxStatus.SUCCEEDED}
FINISH_REFUND_JOB = "payment_sandbox.finish_refund"


class SandboxSettings(Schema):
    merchant_id = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,32}$"),
        metadata={"label": "Merchant id", "help": "Any name of 4 to 32 letters, digits, _ or -."},
    )
    secret_key = fields.String(
        required=True, validate=validate.Length(min=32, max=200),
        metadata={"secret": True, "label": "Secret key", "help": "Signs payment links and callbacks."},
    )
    gateway_url = fields.String(
        load_default="",
        metadata={"label": "Hosted page base URL",
                  "help": "Empty: the test page of this shop (the origin of the webhook URL)."},
    )
    link_ttl_seconds = fields.Integer(load_default=7200, validate=validate.Range(min=60, max=86400))
    refund_mode = fields.String(
        load_default="instant", validate=validate.OneOf(["instant", "async"]),
        metadata={"label": "Refunds", "help": "instant: answered at once; async: processing, then a callback."},
    )

    @validates("gateway_url")
    def _http_url(self, value: str, **kwargs: Any) -> None:
        if value and not value.startswith(("http://", "https://")):
            raise ValidationError("must be empty or an http(s) URL")


class SandboxGateway:
    code = trades.GATEWAY_CODE
    name = NAME
    demo_display_name = "沙箱支付（测试用，不会真的扣款）"
    settings_schema = SandboxSettings
    features = GatewayFeatures(
        flows=frozenset({Flow.REDIRECT}), currencies=frozenset({"CNY", "HKD", "USD"}),
        partial_refund=True, void=True, delayed_capture=False, refunds=True, refund_query=True,
    )

    @property
    def demo_settings(self) -> dict[str, Any]:
        """Fresh for every demo shop: a sandbox key is still a key, so none is shipped."""
        return {"merchant_id": "SANDBOX-DEMO", "secret_key": secrets.token_urlsafe(36)}

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        if request.amount.currency not in self.features.currencies:
            raise PaymentError(f"the sandbox takes {sorted(self.features.currencies)}, not {request.amount.currency}")
        params = {
            "merchant_id": settings["merchant_id"],
            "out_trade_no": request.payment_id,
            "order_number": request.order_number,
            "subject": request.description,
            "amount": request.amount.minor,
            "currency": request.amount.currency,
            "notify_url": request.notify_url,
            "return_url": request.return_url,
            "expires": int(time.time()) + settings.get("link_ttl_seconds", 7200),
        }
        base = settings.get("gateway_url") or protocol.origin(request.notify_url)
        return PaymentAction(
            flow=Flow.REDIRECT,
            url=protocol.signed_link(base, params, settings["secret_key"]),
            gateway_reference=protocol.trade_number(settings["merchant_id"], request.payment_id),
            raw={"trade_no": protocol.trade_number(settings["merchant_id"], request.payment_id),
                 "expires": params["expires"]},
        )

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("the sandbox captures when the customer pays; there is no separate authorisation")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        trade = trades.find(settings["merchant_id"], payment.payment_id)
        if trade is None or trade.status != "paid":
            raise PaymentError("the sandbox captures when the customer pays; this trade is not paid")
        if amount != Money.from_minor(trade.amount_minor, trade.currency):
            raise PaymentError(f"trade {trade.trade_no} captured its full amount, not {amount}")
        return self._result(trade, message="captured when the customer paid")

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        try:
            trade = trades.close(
                settings["merchant_id"], payment.payment_id, payment.amount.minor, payment.amount.currency
            )
        except trades.TradeError as exc:
            raise PaymentError(str(exc)) from None
        return self._result(trade, message=f"trade {trade.status}")

    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        instant = settings.get("refund_mode", "instant") == "instant"
        try:
            trade, made = trades.refund(
                settings["merchant_id"], payment.payment_id, amount.minor, amount.currency, refund_id, instant=instant
            )
        except trades.TradeError as exc:
            raise PaymentError(str(exc)) from None
        if made.status == "processing":
            get_kernel().jobs.enqueue(FINISH_REFUND_JOB, refund_row_id=made.id)
        return self._refund_result(trade, made)

    def query_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        found = trades.find_refund(settings["merchant_id"], payment.payment_id, refund_id)
        if found is None:
            raise PaymentError(f"the sandbox has no refund {refund_id!r} of {payment.payment_id}")
        return self._refund_result(*found)

    @staticmethod
    def _refund_result(trade, made) -> GatewayResult:
        return GatewayResult(
            REFUND_STATUS[made.status], Money.from_minor(made.amount_minor, trade.currency),
            gateway_reference=f"{trade.trade_no}/{made.refund_id}",
            message=f"refund {made.status}; {trade.refunded_minor} of {trade.amount_minor} refunded in all",
            raw={"trade_no": trade.trade_no, "refund_status": made.status, "refunded_minor": trade.refunded_minor},
        )

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        trade = trades.find(settings["merchant_id"], payment.payment_id)
        if trade is None:
            return GatewayResult(TxStatus.PENDING, message="no trade yet: the customer has not opened the page")
        return self._result(trade, message=f"trade {trade.status}")

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        payload = protocol.verified_callback(
            request.body, request.header(protocol.SIGNATURE_HEADER), settings["merchant_id"],
            settings["secret_key"], time.time(),
        )  # signature over the raw body, fields and types, merchant id, five-minute window
        return WebhookEvent(
            event_id=payload["event_id"],
            kind=EVENT_KINDS[payload["event"]],
            payment_id=payload["out_trade_no"],
            amount=Money.from_minor(payload["amount"], payload["currency"]),
            gateway_reference=payload["trade_no"],
            refund_id=payload.get("refund_id", ""),
            response_body='{"code":"SUCCESS"}',
            response_status=200,
            response_content_type="application/json",
            raw=payload,
        )

    @staticmethod
    def _result(trade, *, message: str) -> GatewayResult:
        return GatewayResult(
            TRADE_STATUS[trade.status], Money.from_minor(trade.amount_minor, trade.currency),
            gateway_reference=trade.trade_no, message=message,
            raw={"trade_no": trade.trade_no, "trade_status": trade.status, "refunded_minor": trade.refunded_minor},
        )
