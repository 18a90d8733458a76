"""货到付款 Cash on delivery: the courier collects the money, staff confirm it.

Nothing calls back, so there is no webhook: the payment stays pending until
staff run ``xty payments confirm ORDER_NUMBER``, which captures through this
gateway and marks the order paid. Refunds are handed back in cash or by
transfer and recorded here. The merchant may limit COD to orders up to an
amount and to some provinces.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates

from xtycore.domain.errors import InvalidWebhook, PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import (
    Flow, GatewayFeatures, GatewayResult, PaymentAction, PaymentRef, PaymentRequest, TxStatus, WebhookEvent,
)
from xtycore.domain.webhooks import WebhookRequest

DEFAULT_INSTRUCTIONS = "货到付款：请在签收时向快递员支付 {amount} 元（订单 {order_number}）。"
PLACEHOLDERS = {"amount", "currency", "order_number"}
_SUFFIXES = re.compile(r"(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$")


def province_key(name: str) -> str:
    """Compare provinces by their core name: 广东省 = 广东, 广西壮族自治区 = 广西."""
    return _SUFFIXES.sub("", name.strip())


class CodSettings(Schema):
    instructions = fields.String(
        load_default=DEFAULT_INSTRUCTIONS, validate=validate.Length(min=1, max=500),
        metadata={"label": "付款说明 Instructions",
                  "help": "Shown to the customer; {amount}, {currency} and {order_number} are filled in."},
    )
    max_order_minor = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1),
        metadata={"label": "最高订单金额（分） Largest order, in fen", "help": "Empty: no limit."},
    )
    eligible_provinces = fields.List(
        fields.String(validate=validate.Length(min=1)), load_default=list,
        metadata={"label": "可用省份 Provinces", "help": "Empty: every province."},
    )

    @validates("instructions")
    def _known_placeholders(self, value: str, **kwargs: Any) -> None:
        try:
            names = {name for _, name, _, _ in Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValidationError(f"not a valid template: {exc}") from None
        unknown = names - PLACEHOLDERS
        if unknown:
            raise ValidationError(f"unknown placeholders {sorted(unknown)}; use {sorted(PLACEHOLDERS)}")


class CashOnDelivery:
    code = "cod"
    name = "货到付款 Cash on delivery"
    settings_schema = CodSettings
    features = GatewayFeatures(
        flows=frozenset({Flow.OFFLINE}), currencies=frozenset({"CNY"}),
        partial_refund=True, void=True, delayed_capture=False,
    )
    demo_settings = {"instructions": DEFAULT_INSTRUCTIONS, "max_order_minor": 200000, "eligible_provinces": []}

    def ineligibility(self, request: PaymentRequest, settings: Mapping[str, Any]) -> str:
        """Why COD cannot take this payment; empty when it can."""
        if request.amount.currency not in self.features.currencies:
            return f"cash on delivery is in {', '.join(sorted(self.features.currencies))} only"
        limit = settings.get("max_order_minor")
        if limit is not None and request.amount.minor > limit:
            return f"cash on delivery takes orders up to {Money.from_minor(limit, request.amount.currency)}"
        provinces = {province_key(p) for p in settings.get("eligible_provinces") or ()}
        if provinces and province_key(request.metadata.get("province", "")) not in provinces:
            return "cash on delivery does not deliver to this province"
        return ""

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        reason = self.ineligibility(request, settings)
        if reason:
            raise PaymentDeclined(reason, customer_message="该订单不支持货到付款，请选择其他支付方式。")
        instructions = settings.get("instructions") or DEFAULT_INSTRUCTIONS
        return PaymentAction(
            flow=Flow.OFFLINE,
            instructions=instructions.format(
                amount=request.amount.amount, currency=request.amount.currency, order_number=request.order_number
            ),
            gateway_reference=request.payment_id,
        )

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        raise PaymentError("cash on delivery has nothing to authorise: staff confirm the cash on delivery")

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        """Staff confirmed the courier collected ``amount``: the whole order, in cash."""
        if amount != payment.amount:
            raise PaymentError(f"the courier collects the whole order ({payment.amount}), not {amount}")
        return GatewayResult(
            TxStatus.SUCCEEDED, amount, gateway_reference=payment.gateway_reference or payment.payment_id,
            message="cash collected on delivery, confirmed by staff",
        )

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        if payment.captured:
            raise PaymentError("the cash was already collected: refund it instead")
        return GatewayResult(TxStatus.SUCCEEDED, Money.zero(payment.amount.currency), message="nothing was collected")

    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        """Record a refund staff hand back in cash or by transfer; never more than was collected."""
        captured = payment.captured or Money.zero(payment.amount.currency)
        if amount <= Money.zero(amount.currency):
            raise PaymentError("a refund must be a positive amount")
        if amount > captured:
            raise PaymentDeclined(f"refund of {amount} refused: only {captured} was collected")
        return GatewayResult(
            TxStatus.SUCCEEDED, amount, gateway_reference=refund_id,
            message="offline refund recorded: staff return the money in cash or by transfer",
        )

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """The state the kernel stored: collected once staff confirmed it, pending before."""
        if payment.captured:
            return GatewayResult(TxStatus.SUCCEEDED, payment.captured, message="collected on delivery")
        return GatewayResult(TxStatus.PENDING, message="waiting for the courier to collect the cash")

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        raise InvalidWebhook("cash on delivery sends no callbacks: staff confirm payments with `xty payments confirm`")
