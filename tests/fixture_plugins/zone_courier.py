"""The shop's own delivery vans (同城配送): a flat fee inside the provinces it serves.

Waybill numbers are made here, because there is no carrier to ask; the
drivers' app pushes signed tracking events, so ``track`` has nothing to poll.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Mapping, Sequence

from marshmallow import Schema, fields, validate

from tests.fixture_plugins.signed_json import verified_payload
from xtycore import hookimpl
from xtycore.domain.couriers import (
    CourierFeatures, Quote, ShipmentRequest, TrackingEvent, TrackingStatus, TrackingUpdate, Waybill,
)
from xtycore.domain.errors import InvalidWebhook, NotDeliverable
from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest


class ZoneCourierSettings(Schema):
    provinces = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    fee_minor = fields.Integer(required=True, validate=validate.Range(min=0))
    free_over_minor = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    driver_app_secret = fields.String(required=True, validate=validate.Length(min=16), metadata={"secret": True})


class ZoneCourier:
    code = "fixture_zone_courier"
    name = "Own delivery (同城配送)"
    settings_schema = ZoneCourierSettings
    features = CourierFeatures(waybills=True, webhooks=True)

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        destination = shipment.destination
        return destination.country == "CN" and destination.province in settings["provinces"]

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        if not self.is_eligible(shipment, settings):
            return []
        currency = shipment.subtotal.currency
        free_over = settings["free_over_minor"]
        free = free_over is not None and shipment.subtotal.minor >= free_over
        fee = Money.zero(currency) if free else Money.from_minor(settings["fee_minor"], currency)
        return [Quote(code="van", label="Own van, next day", price=fee, eta_days=(1, 1))]

    def create_waybill(self, shipment: ShipmentRequest, quote_code: str, settings: Mapping[str, Any]) -> Waybill:
        if not self.is_eligible(shipment, settings):
            raise NotDeliverable(f"no van serves {shipment.destination.province}")
        digest = hashlib.sha256(shipment.reference.encode()).hexdigest()[:10].upper()
        return Waybill(number=f"ZD{digest}", carrier_code=self.code)

    def track(self, waybill_number: str, settings: Mapping[str, Any]) -> Sequence[TrackingEvent]:
        return []

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> TrackingUpdate:
        push = verified_payload(request, settings["driver_app_secret"])
        try:
            events = [
                TrackingEvent(
                    time=datetime.fromisoformat(e["time"]),
                    status=TrackingStatus(e["status"]),
                    description=str(e["description"]),
                )
                for e in push["events"]
            ]
            waybill = push["waybill"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"malformed driver push: {exc!r}") from None
        if any(e.time.tzinfo is None for e in events):
            raise InvalidWebhook("event times need a UTC offset")
        if not isinstance(waybill, str) or not waybill:
            raise InvalidWebhook("the push names no waybill")
        return TrackingUpdate(waybill_number=waybill, events=sorted(events, key=lambda e: e.time))


@hookimpl
def xtycore_register_couriers() -> list[ZoneCourier]:
    return [ZoneCourier()]
