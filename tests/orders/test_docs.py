"""docs/orders.md stays true to the code: transitions, signals, routes, jobs, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from xtycore.config import DefaultConfig
from xtycore.domain.states import ORDER
from xtycore.kernel import get_kernel
from xtycore.services.orders import EVENT_SIGNALS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "orders.md").read_text(encoding="utf-8")
KEYS = ("ALLOW_GUEST_CHECKOUT", "ORDER_PAYMENT_TIMEOUT_MINUTES", "ORDER_LINK_MAX_AGE_DAYS", "CART_RETENTION_DAYS",
        "CART_MAX_LINE_QUANTITY")


@pytest.mark.parametrize(("source", "event"), list(ORDER.transitions))
def test_every_transition_of_the_order_state_machine_is_documented_with_who_triggers_it(source, event):
    target = ORDER.transitions[(source, event)]
    assert f"| `{source.value}` | `{event}` | `{target.value}` | " in DOC


def test_every_event_signal_is_documented():
    for event, (signal, _defaults) in EVENT_SIGNALS.items():
        name = signal.name.replace("-", "_")
        assert f"`{event}`" in DOC and f"`{name}`" in DOC, (event, name)


def test_every_cart_checkout_and_order_route_is_documented(xty_app):
    for rule in xty_app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("cart", "orders"):
            path = rule.rule.replace("<int:variant_id>", "<variant_id>")
            assert f"{path}`" in DOC, path


def test_the_jobs_and_configuration_keys_are_documented_with_their_defaults(xty_app):
    with xty_app.app_context():
        jobs = get_kernel().jobs.registered
    for name in ("xtycore.expire_unpaid_orders", "xtycore.prune_abandoned_carts"):
        assert name in jobs and f"| `{name}` |" in DOC
    for key in KEYS:
        assert f"| `{key}` | `{getattr(DefaultConfig, key)}` |" in DOC, key
