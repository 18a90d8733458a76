"""Capability types by code, configured instances, secrets, no-restart changes."""

import pytest
from sqlalchemy import select

from xtycore.domain.errors import InvalidSettings, UnknownCapability
from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRequest
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance
from xtycore.services import capabilities, plugins as plugin_service

from tests.kernel.capabilities import GatewayPlugin, TestGateway

SETTINGS = {"merchant_id": "m-1", "api_key": "sk_live_1234567890abcdef"}


def payment_request():
    return PaymentRequest(
        payment_id="p1", order_number="o1", amount=Money("10.00"), description="test",
        return_url="https://shop.test/r", notify_url="https://shop.test/n",
    )


def test_an_enabled_plugins_gateway_is_in_the_registry_by_code(xty_make_app):
    gateway = TestGateway()
    app = xty_make_app(plugins={"acme": GatewayPlugin(gateway)})
    with app.app_context():
        registry = get_kernel(app).registry
        assert registry.type("payment", "test_pay").obj is gateway
        assert [t.code for t in registry.types("payment")] == ["test_pay"]


def test_a_disabled_plugins_gateway_is_not_offered(xty_make_app):
    app = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())}, enable=False)
    with app.app_context():
        registry = get_kernel(app).registry
        assert registry.types("payment") == []
        with pytest.raises(UnknownCapability):
            registry.type("payment", "test_pay")


def test_a_duplicate_code_blocks_the_second_plugin_naming_both(xty_make_app):
    app = xty_make_app(plugins={
        "first": GatewayPlugin(TestGateway("same_code")),
        "second": GatewayPlugin(TestGateway("same_code")),
    }, enable=False)
    plugins = get_kernel(app).plugins
    assert plugins.get("first").loaded
    second = plugins.get("second")
    assert not second.loaded
    assert "code 'same_code' is registered by both first and second" in second.reason


def test_a_capability_missing_verbs_blocks_its_plugin_with_the_reason(xty_make_app):
    class Half:
        code = "half"
        name = "Half a gateway"

    app = xty_make_app(plugins={"half": GatewayPlugin(Half())}, enable=False)
    record = get_kernel(app).plugins.get("half")
    assert not record.loaded
    assert "missing method create_payment()" in record.reason
    assert "settings_schema must be a marshmallow Schema class" in record.reason


def test_instances_are_validated_by_the_plugins_schema_and_bad_input_writes_nothing(xty_make_app):
    app = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())})
    with app.app_context():
        with pytest.raises(InvalidSettings) as caught:
            capabilities.create_instance("payment", "test_pay", display_name="A", settings={"merchant_id": 5})
        assert set(caught.value.errors) == {"merchant_id", "api_key"}
        assert db.session.execute(select(CapabilityInstance)).all() == []


def test_two_instances_of_one_type_keep_their_own_settings(xty_make_app):
    gateway = TestGateway()
    app = xty_make_app(plugins={"acme": GatewayPlugin(gateway)})
    with app.app_context():
        a = capabilities.create_instance("payment", "test_pay", display_name="Shop A", settings=SETTINGS)
        b = capabilities.create_instance(
            "payment", "test_pay", display_name="Shop B", settings={**SETTINGS, "merchant_id": "m-2"}
        )
        registry = get_kernel(app).registry
        assert [i.display_name for i in registry.instances("payment")] == ["Shop A", "Shop B"]
        assert registry.instance(a).call("create_payment", request=payment_request()).url.endswith("/m-1")
        assert registry.instance(b).call("create_payment", request=payment_request()).url.endswith("/m-2")
        assert gateway.calls[0][1]["api_key"] == SETTINGS["api_key"]


def test_secrets_are_stored_encrypted_and_shown_masked(xty_make_app):
    app = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())})
    with app.app_context():
        iid = capabilities.create_instance("payment", "test_pay", display_name="A", settings=SETTINGS)
        stored = db.session.get(CapabilityInstance, iid).settings
        assert SETTINGS["api_key"] not in str(stored)
        assert stored["merchant_id"] == "m-1"
        shown = get_kernel(app).registry.instance(iid).masked_settings()
        assert shown["api_key"] == "••••cdef"
        assert shown["merchant_id"] == "m-1"


def test_submitting_the_mask_keeps_the_stored_secret(xty_make_app):
    app = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())})
    with app.app_context():
        iid = capabilities.create_instance("payment", "test_pay", display_name="A", settings=SETTINGS)
        capabilities.update_instance(iid, settings={"merchant_id": "m-9", "api_key": "••••cdef"})
        instance = get_kernel(app).registry.instance(iid)
        assert instance.settings["api_key"] == SETTINGS["api_key"]
        assert instance.settings["merchant_id"] == "m-9"


def test_a_configuration_change_reaches_another_worker_without_restart(xty_make_app):
    """Two apps on one database stand for two worker processes."""
    worker_a = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())})
    worker_b = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway())}, enable=False)
    with worker_b.app_context():
        assert get_kernel(worker_b).registry.instances("payment") == []
    with worker_a.app_context():
        iid = capabilities.create_instance("payment", "test_pay", display_name="A", settings=SETTINGS)
    with worker_b.app_context():
        assert [i.id for i in get_kernel(worker_b).registry.instances("payment")] == [iid]
    with worker_a.app_context():
        capabilities.set_instance_enabled(iid, False)
    with worker_b.app_context():
        assert get_kernel(worker_b).registry.instances("payment") == []
    with worker_a.app_context():
        plugin_service.set_enabled("acme", False)
    with worker_b.app_context():
        assert not get_kernel(worker_b).plugins.is_enabled("acme")
        assert get_kernel(worker_b).registry.types("payment") == []


def test_unknown_kinds_and_types_are_refused_clearly(xty_make_app):
    app = xty_make_app()
    with app.app_context():
        with pytest.raises(UnknownCapability, match="unknown capability kind 'teleport'"):
            capabilities.create_instance("teleport", "x", display_name="x", settings={})
        with pytest.raises(UnknownCapability, match="no enabled payment type with code 'nope'"):
            capabilities.create_instance("payment", "nope", display_name="x", settings={})
