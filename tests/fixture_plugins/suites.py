"""The conformance suites bound to the example plugins: fixtures written once, reused.

The names do not start with ``Test``, so pytest collects them only where a
test module subclasses them: ``tests/scaffold/test_conformance_*.py`` for the
plugins as they are, and the generated module of
``tests/scaffold/test_conformance_catches_defects.py`` for the broken variants.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fixture_plugins import bank_transfer, outbox_channel, spend_percent, zone_courier
from tests.fixture_plugins.signed_json import signed_request
from xtycore import hookimpl
from xtycore.domain.couriers import Address, Parcel, ShipmentRequest
from xtycore.domain.money import Money
from xtycore.domain.promotions import CartLine, CartSnapshot
from xtycore.domain.webhooks import WebhookRequest
from xtycore.registry import KINDS
from xtycore.testing.conformance import (
    CourierConformance,
    PaymentGatewayConformance,
    PromotionTypeConformance,
    SupportChannelConformance,
)

CHINA = timezone(timedelta(hours=8))


def plugin_offering(capability: Any, kind: str) -> SimpleNamespace:
    """A plugin object whose one hook registers ``capability`` (for variants without a module)."""

    def register() -> list[Any]:
        return [capability]

    return SimpleNamespace(**{KINDS[kind].hook: hookimpl(register)})


BANK_SETTINGS = {
    "bank_name": "招商银行杭州分行",
    "account_name": "小甜园商贸有限公司",
    "account_number": "5719 0000 1234 5678",
    "notify_secret": "bank-notify-secret-0123",
}


def bank_notice(payment_id: str, amount: Money, secret: str) -> WebhookRequest:
    """The bank's signed notice that a transfer for ``payment_id`` arrived."""
    notice = {
        "notice_id": f"N-{payment_id}",
        "reference": payment_id,
        "amount_fen": amount.minor,
        "currency": amount.currency,
    }
    return signed_request(notice, secret)


class BankTransferSuite(PaymentGatewayConformance):
    @pytest.fixture
    def capability(self):
        return bank_transfer.BankTransfer()

    @pytest.fixture
    def plugin_module(self):
        return bank_transfer

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        return dict(BANK_SETTINGS)

    @pytest.fixture
    def signed_webhook(self, settings):
        return lambda payment_id, amount: bank_notice(payment_id, amount, settings["notify_secret"])


class ZoneCourierSuite(CourierConformance):
    @pytest.fixture
    def capability(self):
        return zone_courier.ZoneCourier()

    @pytest.fixture
    def plugin_module(self):
        return zone_courier

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        return {
            "provinces": ["浙江省", "上海市"],
            "fee_minor": 800,
            "free_over_minor": 9900,
            "driver_app_secret": "driver-app-secret-0123",
        }

    @pytest.fixture
    def shipment(self) -> ShipmentRequest:
        return ShipmentRequest(
            reference="SO-1001",
            origin=None,
            destination=Address("浙江省", "杭州市", "西湖区", "文三路 90 号", "张三", "13800000000"),
            parcels=[Parcel("TEA-1", "龙井 250g", 2, 300, Money("45.00"))],
            subtotal=Money("90.00"),
        )


class SpendPercentSuite(PromotionTypeConformance):
    @pytest.fixture
    def capability(self):
        return spend_percent.SpendPercent()

    @pytest.fixture
    def plugin_module(self):
        return spend_percent

    @pytest.fixture
    def settings(self) -> dict[str, Any]:
        return {"threshold_minor": 20000, "percent_off": 15}

    @pytest.fixture
    def qualifying_cart(self) -> CartSnapshot:
        return CartSnapshot(
            lines=(
                CartLine("l1", "TEA-1", "p1", 3, Money("45.00")),
                CartLine("l2", "CUP-1", "p2", 1, Money("66.66")),
            )
        )

    @pytest.fixture
    def non_qualifying_cart(self) -> CartSnapshot:
        return CartSnapshot(lines=(CartLine("l1", "TEA-1", "p1", 1, Money("45.00")),))


class OutboxChannelSuite(SupportChannelConformance):
    @pytest.fixture
    def capability(self):
        return outbox_channel.OutboxChannel()

    @pytest.fixture
    def plugin_module(self):
        return outbox_channel

    @pytest.fixture
    def settings(self, tmp_path) -> dict[str, Any]:
        return {"outbox_dir": str(tmp_path), "robot_secret": "mail-robot-secret-0123"}

    @pytest.fixture
    def signed_inbound(self, settings):
        def make() -> WebhookRequest:
            push = {
                "messages": [
                    {
                        "id": "MSG-20260101-0001",
                        "from": "zhangsan@example.cn",
                        "body": "Where is my order?",
                        "received_at": datetime(2026, 1, 1, 9, 30, tzinfo=CHINA).isoformat(),
                        "ticket": "T-1001",
                    }
                ]
            }
            return signed_request(push, settings["robot_secret"])

        return make
