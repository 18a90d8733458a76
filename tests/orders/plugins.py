"""Plugins the order tests register: promotion types, a tax, a failing courier, scripted order numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

from marshmallow import Schema, fields

from xtycore import hookimpl
from xtycore.domain.contributions import TaxLine
from xtycore.domain.couriers import CourierFeatures, Quote, ShipmentRequest
from xtycore.domain.errors import CourierError
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartSnapshot, LineDiscount, PromotionResult


class CouponParams(Schema):
    code = fields.String(required=True)
    amount_minor = fields.Integer(required=True)


class CouponOff:
    """优惠券: an order discount when the cart carries the code."""

    code = "test_coupon_off"
    name = "Coupon"
    params_schema = CouponParams

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        amount = Money.from_minor(params["amount_minor"], cart.currency)
        if params["code"] not in cart.coupon_codes:
            return PromotionResult(False, f"输入优惠券 {params['code']} 立减 {amount}")
        return PromotionResult(True, f"优惠券 {params['code']} 立减 {amount}", order_discount=amount)


class NoParams(Schema):
    pass


class FreeShipping:
    """包邮: the whole shipping fee off, whatever the cart."""

    code = "test_free_shipping"
    name = "Free shipping"
    params_schema = NoParams

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        if cart.shipping is None:
            return PromotionResult(False, "结算时免运费")
        return PromotionResult(True, "全场包邮", shipping_discount=cart.shipping)


class Generous:
    """A buggy promotion: discounts the first line by more than it costs."""

    code = "test_generous"
    name = "Too generous"
    params_schema = NoParams

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        first = cart.lines[0]
        return PromotionResult(True, "首件立减", line_discounts=(LineDiscount(first.line_id, first.total * 3),))


class Broken:
    code = "test_broken_promotion"
    name = "Broken"
    params_schema = NoParams

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        raise RuntimeError("promotion service is down")


class PromotionPlugin:
    @hookimpl
    def xtycore_register_promotion_types(self):
        return [CouponOff(), FreeShipping(), Generous(), Broken()]


class SalesTax:
    """6 % tax added on top of the lines (not included in prices), and a 13 % VAT line included in them."""

    @hookimpl
    def xtycore_compute_tax(self, lines, address, currency):
        goods = Money.sum((line.total for line in lines), currency)
        return [
            TaxLine("增值税", Money(goods.amount * 13 / 113, currency), rate="13%"),
            TaxLine("附加税", goods * Decimal("0.06"), rate="6%", included_in_price=False),
        ]


class DownSettings(Schema):
    pass


class DownCourier:
    """A courier whose service is down: its plugin raises."""

    code = "test_down_courier"
    name = "Down courier"
    settings_schema = DownSettings
    features = CourierFeatures()

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        return True

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        raise RuntimeError("courier API timed out")

    def create_waybill(self, shipment, quote_code, settings):
        raise CourierError("no waybills")

    def track(self, waybill_number, settings):
        return []

    def parse_webhook(self, request, settings):
        raise CourierError("no pushes")


class CourierPlugin:
    @hookimpl
    def xtycore_register_couriers(self):
        return [DownCourier()]


class ScriptedNumbers:
    """Order numbers from a list; a RuntimeError entry makes that call fail."""

    def __init__(self, *numbers: str | Exception) -> None:
        self.numbers: Iterator[str | Exception] = iter(numbers)

    @hookimpl
    def xtycore_order_number(self, order):
        number = next(self.numbers, None)
        if isinstance(number, Exception):
            raise number
        return number
