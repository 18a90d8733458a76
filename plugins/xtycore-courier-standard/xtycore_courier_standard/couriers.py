"""Flat rate, table rate (by province and weight) and store pickup.

None of these talks to a carrier: the merchant hands parcels to the carrier
of their choice and types the waybill number on the shipment, so the
features declare no electronic waybills, tracking or pushes, and the kernel
offers only manual entry. Free shipping over an amount (满99包邮) is a setting
of flat and table rates.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from xtycore.domain.couriers import (
    CourierFeatures, PickupLocation, Quote, ShipmentRequest, TrackingEvent, TrackingUpdate, Waybill,
)
from xtycore.domain.errors import CourierError, InvalidWebhook
from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest

_SUFFIXES = re.compile(r"(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$")


def province_key(name: str) -> str:
    """Compare provinces by their core name: 广东省 = 广东, 广西壮族自治区 = 广西."""
    return _SUFFIXES.sub("", name.strip())


def _free(subtotal: Money, settings: Mapping[str, Any]) -> bool:
    threshold = settings.get("free_over_minor")
    return threshold is not None and subtotal.minor >= threshold


class _Manual:
    """The verbs shared by methods that involve no carrier API."""

    features = CourierFeatures()

    def create_waybill(self, shipment: ShipmentRequest, quote_code: str, settings: Mapping[str, Any]) -> Waybill:
        raise CourierError(
            f"{self.name} issues no electronic waybills: enter the carrier's waybill number on the shipment"
        )

    def track(self, waybill_number: str, settings: Mapping[str, Any]) -> Sequence[TrackingEvent]:
        return []

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> TrackingUpdate:
        raise InvalidWebhook(f"{self.name} receives no tracking pushes")


class FlatRateSettings(Schema):
    label = fields.String(load_default="快递配送")
    price_minor = fields.Integer(required=True, validate=validate.Range(min=0))
    free_over_minor = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    excluded_provinces = fields.List(fields.String(), load_default=list)
    eta_min_days = fields.Integer(load_default=2, validate=validate.Range(min=0))
    eta_max_days = fields.Integer(load_default=5, validate=validate.Range(min=0))


class FlatRate(_Manual):
    code = "flat_rate"
    name = "Flat rate"
    settings_schema = FlatRateSettings
    demo_display_name = "快递配送"
    demo_settings = {"label": "顺丰标快", "price_minor": 1200, "free_over_minor": 9900,
                     "excluded_provinces": ["西藏", "新疆"]}

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        excluded = {province_key(p) for p in settings.get("excluded_provinces", [])}
        return province_key(shipment.destination.province) not in excluded

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        if not self.is_eligible(shipment, settings):
            return []
        currency = shipment.subtotal.currency
        price = Money.zero(currency) if _free(shipment.subtotal, settings) else Money.from_minor(
            settings["price_minor"], currency)
        eta = (settings.get("eta_min_days", 2), settings.get("eta_max_days", 5))
        return [Quote("standard", settings.get("label", "快递配送"), price, eta_days=eta)]


class ZoneSchema(Schema):
    name = fields.String(required=True)
    #: province names; "*" matches every province not named by another zone
    provinces = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    first_weight_grams = fields.Integer(required=True, validate=validate.Range(min=1))
    first_price_minor = fields.Integer(required=True, validate=validate.Range(min=0))
    step_grams = fields.Integer(required=True, validate=validate.Range(min=1))
    step_price_minor = fields.Integer(required=True, validate=validate.Range(min=0))


class TableRateSettings(Schema):
    label = fields.String(load_default="快递配送")
    zones = fields.List(fields.Nested(ZoneSchema), required=True, validate=validate.Length(min=1))
    free_over_minor = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))

    @validates_schema
    def provinces_in_one_zone(self, data, **kwargs):
        seen: dict[str, str] = {}
        for zone in data.get("zones", []):
            for province in zone["provinces"]:
                key = province_key(province)
                if key in seen:
                    raise ValidationError(f"{province} is in zones {seen[key]} and {zone['name']}", "zones")
                seen[key] = zone["name"]


class TableRate(_Manual):
    """首重 + 续重: a first-weight price and a price per additional step, by province zone."""

    code = "table_rate"
    name = "Table rate by province and weight"
    settings_schema = TableRateSettings
    demo_display_name = "按地区计重快递"
    demo_settings = {
        "label": "中通快递",
        "free_over_minor": 19900,
        "zones": [
            {"name": "江浙沪", "provinces": ["上海", "江苏", "浙江"], "first_weight_grams": 1000,
             "first_price_minor": 600, "step_grams": 1000, "step_price_minor": 200},
            {"name": "其他地区", "provinces": ["*"], "first_weight_grams": 1000,
             "first_price_minor": 1000, "step_grams": 1000, "step_price_minor": 500},
        ],
    }

    @staticmethod
    def zone_for(province: str, settings: Mapping[str, Any]) -> Mapping[str, Any] | None:
        key = province_key(province)
        fallback = None
        for zone in settings["zones"]:
            keys = {province_key(p) for p in zone["provinces"]}
            if key in keys:
                return zone
            if "*" in keys:
                fallback = zone
        return fallback

    @staticmethod
    def price_minor(weight_grams: int, zone: Mapping[str, Any]) -> int:
        extra = max(0, weight_grams - zone["first_weight_grams"])
        steps = -(-extra // zone["step_grams"])  # ceiling division: a started step is charged
        return zone["first_price_minor"] + steps * zone["step_price_minor"]

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        return self.zone_for(shipment.destination.province, settings) is not None

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        zone = self.zone_for(shipment.destination.province, settings)
        if zone is None:
            return []
        currency = shipment.subtotal.currency
        minor = 0 if _free(shipment.subtotal, settings) else self.price_minor(shipment.weight_grams, zone)
        label = settings.get("label", "快递配送")
        return [Quote("standard", label, Money.from_minor(minor, currency), description=zone["name"])]


class StoreSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]{1,32}$"))
    name = fields.String(required=True)
    address = fields.String(required=True)
    hours = fields.String(load_default="")


class StorePickupSettings(Schema):
    stores = fields.List(fields.Nested(StoreSchema), required=True, validate=validate.Length(min=1))


class StorePickup(_Manual):
    """到店自提: free, the customer collects from one of the merchant's stores."""

    code = "store_pickup"
    name = "Store pickup"
    settings_schema = StorePickupSettings
    demo_display_name = "到店自提"
    features = CourierFeatures(pickup=True)
    demo_settings = {"stores": [{"code": "xihu", "name": "西湖门店", "address": "杭州市西湖区龙井路 1 号",
                                 "hours": "09:00–21:00"}]}

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        return bool(settings.get("stores"))

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        zero = Money.zero(shipment.subtotal.currency)
        return [
            Quote(store["code"], f"到店自提 · {store['name']}", zero,
                  description=f"{store['address']} {store.get('hours', '')}".strip(),
                  location=PickupLocation(store["name"], store["address"], store.get("hours", "")))
            for store in settings["stores"]
        ]
