"""Capabilities with exactly one defect each: the conformance suites must catch every one."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from marshmallow import fields

from tests.fixture_plugins.bank_transfer import BankTransfer, BankTransferSettings
from tests.fixture_plugins.outbox_channel import OutboxChannel
from tests.fixture_plugins.signed_json import parse_object
from tests.fixture_plugins.spend_percent import SpendPercent
from tests.fixture_plugins.zone_courier import ZoneCourier
from xtycore import hookimpl
from xtycore.domain.couriers import Quote, ShipmentRequest
from xtycore.domain.money import Money
from xtycore.domain.payments import WebhookEvent
from xtycore.domain.promotions import CartSnapshot, PromotionResult
from xtycore.domain.support import InboundMessage
from xtycore.domain.webhooks import WebhookRequest


class TrustingBankTransfer(BankTransfer):
    """Reads the notice without checking its signature: anyone could mark an order paid."""

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        return self._event(parse_object(request.body))


class LeakySettings(BankTransferSettings):
    notify_secret = fields.String(required=True)  # not marked secret: stored in clear, shown in full


class LeakyBankTransfer(BankTransfer):
    """Stores its notification secret in clear."""

    settings_schema = LeakySettings


class MisdemoedBankTransfer(BankTransfer):
    """Offers demo settings that its own schema refuses, so `xty demo` would fail on it."""

    demo_settings = {"bank_name": "Demo bank", "account_name": "Demo shop", "account_number": "12"}


class RebatingZoneCourier(ZoneCourier):
    """Quotes a negative price above the free-shipping amount (pays the customer to ship)."""

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        fee = Money.from_minor(settings["fee_minor"], shipment.subtotal.currency)
        return [Quote(code="van", label="Own van", price=-fee)]


class GreedySpendPercent(SpendPercent):
    """Rounds the discount up past the subtotal."""

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        result = super().evaluate(cart, params)
        if not result.applies:
            return result
        return PromotionResult(True, result.explanation, order_discount=cart.subtotal + Money("0.01", cart.currency))


class TrustingOutboxChannel(OutboxChannel):
    """Reads inbound pushes without checking their signature."""

    def parse_inbound(self, request: WebhookRequest, settings: Mapping[str, Any]) -> Sequence[InboundMessage]:
        return self._messages(parse_object(request.body))


class ForgetfulPlugin:
    """A plugin whose hook forgets to return its gateway."""

    @hookimpl
    def xtycore_register_payment_gateways(self) -> list[BankTransfer]:
        return []
