"""Fixtures of the sandbox's own tests: an app with the plugin enabled and an instance configured."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import delete

from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRequest
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.services.capabilities import create_instance

from xtycore_payment_sandbox import trades
from xtycore_payment_sandbox.models import SandboxRefund, SandboxTrade

SETTINGS = {"merchant_id": "SBX-TEST-0001", "secret_key": "sandbox-test-key-0123456789abcdefghijklmnop"}


def clear_sandbox_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(delete(SandboxRefund))
            conn.execute(delete(SandboxTrade))


@pytest.fixture
def sandbox_app(xty_make_app):
    app = xty_make_app(plugins={"payment_sandbox": None})
    yield app
    clear_sandbox_tables(app)


@pytest.fixture
def instance_id(sandbox_app):
    with sandbox_app.app_context():
        return create_instance("payment", "sandbox", display_name="测试商户", settings=SETTINGS)


@pytest.fixture
def instance(sandbox_app, instance_id):
    """The configured instance, to call inside ``with sandbox_app.app_context()``."""
    return lambda: get_kernel(sandbox_app).registry.instance(instance_id, kind="payment")


def payment_request(payment_id="P0000000000000000000000001", amount="88.00", currency="CNY"):
    return PaymentRequest(
        payment_id=payment_id, order_number="20261127-0001", amount=Money(amount, currency),
        description="小甜园 20261127-0001", return_url="http://shop.test/payments/return/" + payment_id,
        notify_url="http://shop.test/webhooks/payment/1",
    )


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class FakeShop:
    """Stands in for the shop's webhook inbox: records callbacks, answers as told."""

    answers: list = field(default_factory=list)
    received: list = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        return httpx.Response(200, json={"code": "SUCCESS"})

    def payloads(self) -> list[dict]:
        return [json.loads(r.content) for r in self.received]


@pytest.fixture
def fake_shop(monkeypatch):
    shop = FakeShop()
    monkeypatch.setattr(trades, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(shop.handler)))
    return shop
