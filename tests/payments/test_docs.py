"""docs/payments.md stays true to the code: routes, commands, statuses, functions, the sandbox protocol."""

import inspect
import re
from pathlib import Path

import pytest

from xtycore.domain.payment_states import PAYMENT, PaymentStatus
from xtycore.models.payments import WEBHOOK_STATUSES
from xtycore.payments_cli import payments_group
from xtycore.services import payments, refunds

from xtycore_payment_sandbox import protocol, trades
from xtycore_payment_sandbox.gateway import SandboxGateway, SandboxSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "payments.md").read_text(encoding="utf-8")


def test_every_payment_route_is_documented(xty_app):
    rules = [r.rule for r in xty_app.url_map.iter_rules() if r.endpoint.startswith("payments.")]
    assert len(rules) == 5
    for rule in rules:
        assert re.sub(r"<(?:int:)?", "<", rule) in DOC, rule


@pytest.mark.parametrize("name", sorted(payments_group.commands))
def test_every_payments_command_is_documented(name):
    assert f"**`xty payments {name}" in DOC
    for param in payments_group.commands[name].params:
        if param.param_type_name == "option":
            assert f"`{param.opts[0]}`" in DOC, param.opts[0]


def test_every_payment_status_and_transition_is_documented():
    for status in PaymentStatus:
        assert f"| `{status.value}` |" in DOC
    assert len(PAYMENT.transitions) == 6, "the prose lists the six transitions"


def test_every_webhook_outcome_is_documented():
    for status in WEBHOOK_STATUSES:
        if status != "received":  # the moment before verification, never final
            assert f"`{status}`" in DOC, status


@pytest.mark.parametrize("name", [
    "start_payment", "settle_from_query", "apply_webhook", "confirm_offline", "payment_by_reference",
    "pending_payment", "list_payments", "payment_ref", "notify_url", "masked", "order_payment",
])
def test_every_public_payments_function_is_named_with_its_signature(name):
    params = [p for p in inspect.signature(getattr(payments, name)).parameters]
    assert f"`{name}(" in DOC
    assert all(p in DOC for p in params), (name, params)


@pytest.mark.parametrize("name", [
    "refund", "refund_order", "capture", "void", "available_actions", "reconcile", "settle_pending_refund",
])
def test_every_public_ledger_function_is_named_with_its_signature(name):
    params = [p for p in inspect.signature(getattr(refunds, name)).parameters]
    assert f"`{name}(" in DOC
    assert all(p in DOC for p in params), (name, params)


def test_every_feature_ledger_kind_setting_and_signal_is_documented():
    from dataclasses import fields

    from xtycore.config import DefaultConfig
    from xtycore.domain.payment_states import LedgerStatus
    from xtycore.domain.payments import GatewayFeatures, TxKind

    for feature in fields(GatewayFeatures):
        assert f"`{feature.name}`" in DOC, feature.name
    for kind in TxKind:
        assert f"`{kind.value}`" in DOC, kind
    for status in LedgerStatus:
        assert f"`{status.value}`" in DOC, status
    for key in ("REFUND_RESTOCK", "LATE_PAYMENT_POLICY", "REFUND_ON_CANCEL", "PAYMENT_CAPTURE_ON_SHIPMENT",
                "PAYMENT_RECONCILE_AFTER_MINUTES"):
        assert f"`{key}`" in DOC and hasattr(DefaultConfig, key), key
    for value in (*refunds.RESTOCK_POLICIES, *refunds.LATE_PAYMENT_POLICIES):
        assert f"`{value}`" in DOC, value
    for signal in ("refund_succeeded", "refund_failed", "payment_captured"):
        assert f"`{signal}`" in DOC, signal


def test_every_conformance_fixture_is_documented():
    from xtycore.testing.conformance import PaymentGatewayConformance

    for fixture in ("capability", "plugin_module", "settings", "signed_webhook", "gateway_paid", "plugin_name",
                    "payment_request"):
        assert f"`{fixture}`" in DOC, fixture
    assert "`sent_at`" in DOC and "`callbacks_have_timestamps`" in DOC
    assert PaymentGatewayConformance.callbacks_have_timestamps is True


def test_the_sandbox_protocol_is_documented_field_by_field():
    for field in (*protocol.CALLBACK_FIELDS, *protocol.LINK_FIELDS, "sign"):
        assert f'"{field}"' in DOC or f"`{field}`" in DOC, field
    assert f"`{protocol.SIGNATURE_HEADER}`" in DOC
    for event in protocol.EVENTS.values():
        assert f"`{event}`" in DOC
    for name in SandboxSettings().fields:
        assert f"`{name}`" in DOC, name


def test_the_documented_retry_delays_are_the_sandboxs():
    def spoken(seconds):
        if seconds < 60:
            return f"{seconds} s"
        return f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"

    words = [spoken(s) for s in trades.RETRY_DELAYS]
    assert ", ".join(words[:-1]) + f" and {words[-1]}" in " ".join(DOC.split())


def test_the_parse_webhook_excerpt_is_the_sandboxs_code():
    excerpt = DOC.split("def parse_webhook(self, request, settings):", 1)[1].split("```", 1)[0]
    source = inspect.getsource(SandboxGateway.parse_webhook)
    lines = [line.strip() for line in excerpt.splitlines() if line.strip()]
    position = 0
    for line in lines:
        found = source.find(line, position)
        assert found >= 0, f"not in SandboxGateway.parse_webhook (in this order): {line}"
        position = found + len(line)
