"""满折: spend at least a threshold and every line is discounted by a percentage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from xtycore import hookimpl
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartSnapshot, LineDiscount, PromotionResult


class SpendPercentParams(Schema):
    threshold_minor = fields.Integer(required=True, validate=validate.Range(min=1))
    percent_off = fields.Integer(required=True, validate=validate.Range(min=1, max=90))


class SpendPercent:
    code = "fixture_spend_percent"
    name = "满折 (spend and get a percentage off)"
    params_schema = SpendPercentParams

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        threshold = Money.from_minor(params["threshold_minor"], cart.currency)
        percent = params["percent_off"]
        if not cart.lines or cart.subtotal < threshold:
            gap = threshold - cart.subtotal
            return PromotionResult(False, f"再买 {gap} 享 {100 - percent} 折 / spend {gap} more for {percent}% off")
        discount = cart.subtotal * (Decimal(percent) / 100)
        parts = discount.allocate([line.total.minor for line in cart.lines])
        return PromotionResult(
            True,
            f"满 {threshold} 享 {percent}% off，共减 {discount}",
            line_discounts=tuple(LineDiscount(line.line_id, part) for line, part in zip(cart.lines, parts)),
        )


@hookimpl
def xtycore_register_promotion_types() -> list[SpendPercent]:
    return [SpendPercent()]
