"""Fixtures of the review tests: a shop with a courier and a payment method, cheap password hashing."""

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
    """Orders are paid with services.orders.mark_paid here; no gateway is asked."""
    monkeypatch.setattr(checkout, "payments_module", lambda: None)


@pytest.fixture
def shop(xty_make_app):
    return make_shop(xty_make_app)


@pytest.fixture
def ctx(shop):
    with shop.app.app_context():
        yield shop
