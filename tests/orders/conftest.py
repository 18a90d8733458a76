"""Fixtures of the order tests: a shop with the standard courier and a bank-transfer gateway."""

from __future__ import annotations

import pytest

from tests.orders.helpers import make_shop
from xtycore.services import checkout


@pytest.fixture
def xty_config():
    """argon2id at its cheapest: these tests sign customers in, they do not test hashing."""
    return {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}


@pytest.fixture(autouse=True)
def no_payments_module(monkeypatch):
    """Test up to order placement: the payments module is another part of the kernel, tested on its own.

    Tests that check what the storefront does with a PaymentAction install a fake with ``fake_payments``.
    """
    monkeypatch.setattr(checkout, "payments_module", lambda: None)


class FakePayments:
    """Stands in for xtycore.services.payments: answers start_payment with a chosen action."""

    def __init__(self, action=None, error=None):
        self.action = action
        self.error = error
        self.started: list[tuple[int, str]] = []

    def start_payment(self, order_id, return_url):
        self.started.append((order_id, return_url))
        if self.error is not None:
            raise self.error
        return self.action


@pytest.fixture
def fake_payments(monkeypatch):
    def install(action=None, error=None) -> FakePayments:
        fake = FakePayments(action, error)
        monkeypatch.setattr(checkout, "payments_module", lambda: fake)
        return fake

    return install


@pytest.fixture
def shop(xty_make_app):
    return make_shop(xty_make_app)


@pytest.fixture
def ctx(shop):
    with shop.app.app_context():
        yield shop
