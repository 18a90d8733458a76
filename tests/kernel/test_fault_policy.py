"""Money paths fail closed, decorations fail open, and every failure names its plugin."""

import pytest
from sqlalchemy import select

from xtycore import signals
from xtycore.cli import main
from xtycore.domain.errors import CapabilityUnavailable, GatewayUnavailable, PaymentDeclined
from xtycore.domain.support import OutboundMessage
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import PluginFailure
from xtycore.plugins import send_signal
from xtycore.services.capabilities import create_instance

from tests.hooks.test_capability_hooks import Capabilities, Echo
from tests.kernel.capabilities import GatewayPlugin, TestGateway
from tests.kernel.test_registry import SETTINGS, payment_request


def configured_gateway(xty_make_app, error):
    app = xty_make_app(plugins={"acme": GatewayPlugin(TestGateway(fail_with=error))})
    with app.app_context():
        iid = create_instance("payment", "test_pay", display_name="A", settings=SETTINGS)
    return app, iid


def failures(app):
    with app.app_context():
        return db.session.execute(select(PluginFailure)).scalars().all()


def test_a_crashing_gateway_fails_closed_with_a_customer_safe_message(xty_make_app):
    app, iid = configured_gateway(xty_make_app, ZeroDivisionError("bug in plugin"))
    with app.app_context():
        with pytest.raises(CapabilityUnavailable) as caught:
            get_kernel(app).registry.instance(iid).call("create_payment", request=payment_request())
        assert "Nothing was charged" in caught.value.customer_message
        assert "bug in plugin" not in caught.value.customer_message
    [failure] = failures(app)
    assert (failure.plugin, failure.call, failure.policy) == ("acme", "payment:test_pay.create_payment", "closed")
    assert failure.error_type == "builtins.ZeroDivisionError"
    assert "ZeroDivisionError" in failure.traceback


def test_a_declined_payment_is_the_plugins_answer_not_a_failure(xty_make_app):
    app, iid = configured_gateway(xty_make_app, PaymentDeclined("card declined"))
    with app.app_context(), pytest.raises(PaymentDeclined):
        get_kernel(app).registry.instance(iid).call("create_payment", request=payment_request())
    assert failures(app) == []


def test_an_unreachable_gateway_propagates_and_is_recorded_for_the_admin(xty_make_app):
    app, iid = configured_gateway(xty_make_app, GatewayUnavailable("timeout after 10 s"))
    with app.app_context(), pytest.raises(GatewayUnavailable):
        get_kernel(app).registry.instance(iid).call("create_payment", request=payment_request())
    assert [f.message for f in failures(app)] == ["timeout after 10 s"]
    listing = app.test_cli_runner().invoke(main, ["plugins", "errors"])
    assert "acme payment:test_pay.create_payment (fail closed)" in listing.output
    assert "GatewayUnavailable: timeout after 10 s" in listing.output


def test_a_failing_notification_channel_fails_open(xty_make_app, monkeypatch):
    def broken_send(self, message, settings):
        raise OSError("smtp down")

    monkeypatch.setattr(Echo, "send", broken_send)
    app = xty_make_app(plugins={"caps": Capabilities()})
    with app.app_context():
        iid = create_instance("support", "echo", display_name="Echo", settings={})
        message = OutboundMessage("T-1", "a@b.c", "Hi", "body")
        assert get_kernel(app).registry.instance(iid).call("send", message=message) is None
    assert [(f.plugin, f.policy) for f in failures(app)] == [("caps", "open")]


def test_a_failed_write_path_records_the_failure_even_though_its_transaction_rolls_back(xty_make_app):
    from xtycore.extensions import transaction
    from xtycore.models import Setting

    app, iid = configured_gateway(xty_make_app, RuntimeError("boom"))
    with app.app_context():
        with pytest.raises(CapabilityUnavailable), transaction() as session:
            session.add(Setting(key="half.written", value=1))
            get_kernel(app).registry.instance(iid).call("create_payment", request=payment_request())
    with app.app_context():
        assert db.session.get(Setting, "half.written") is None
    assert len(failures(app)) == 1


def test_a_failing_signal_receiver_is_logged_and_does_not_propagate(xty_app, caplog):
    received = []

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    def working(sender, **kwargs):
        received.append(kwargs)

    signals.order_placed.connect(broken)
    signals.order_placed.connect(working)
    try:
        send_signal(signals.order_placed, xty_app, order="o-1")
    finally:
        signals.order_placed.disconnect(broken)
        signals.order_placed.disconnect(working)
    assert received == [{"order": "o-1"}]
    assert "receiver bug" in caplog.text
