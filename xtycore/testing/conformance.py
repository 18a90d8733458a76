"""Conformance suites: the tests every capability of a kind must pass.

A plugin author subclasses the suite of the capability's kind in a test module
and provides a few fixtures; pytest collects the subclass because its name
starts with ``Test``::

    import pytest
    from xtycore.testing.conformance import PaymentGatewayConformance

    from xtycore_payment_acme_pay import plugin
    from xtycore_payment_acme_pay.gateway import AcmePayGateway


    class TestAcmePayConformance(PaymentGatewayConformance):
        @pytest.fixture
        def capability(self):
            return AcmePayGateway()

        @pytest.fixture
        def plugin_module(self):
            return plugin

        @pytest.fixture
        def settings(self):
            return {"gateway_url": "https://pay.example/pay", ...}

        @pytest.fixture
        def signed_webhook(self, settings):
            def make(payment_id, amount):
                ...  # build the WebhookRequest the gateway would send
            return make

The suites assert what the kernel relies on, not how a plugin is written: the
object satisfies its kind's protocol, settings validate and store as JSON,
secrets are marked secret, callbacks are verified, prices are never negative,
discounts never exceed the cart. Every suite also registers the plugin through
a real application (``xty_make_app``) and checks that the capability is
offered once the plugin is enabled, and not before.

Fixtures with a default (``plugin_name``, ``payment_request``) are defined on
the suite class; override them in the subclass, not in a ``conftest.py``,
because a fixture of the class wins over one of a conftest. ``plugin_name``
is the entry-point name when the plugin is installed (it is then loaded
through its entry point, as in production) and ``conformance_under_test``
otherwise; a plugin with migrations that is tested uninstalled overrides it
with its entry-point name, which names its Alembic branch.
"""

from __future__ import annotations

import inspect
import json
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from importlib import metadata
from types import ModuleType
from typing import Any, Callable, ClassVar, Mapping, Sequence

import pytest
from marshmallow import Schema, ValidationError, fields

from xtycore.domain.couriers import Address, Parcel, Quote, ShipmentRequest
from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.money import CURRENCY_EXPONENTS, Money
from xtycore.domain.payments import (
    EventKind,
    Flow,
    PaymentAction,
    PaymentRequest,
    WebhookEvent,
)
from xtycore.domain.promotions import CartSnapshot, PromotionResult
from xtycore.domain.support import InboundMessage
from xtycore.domain.webhooks import WebhookRequest
from xtycore.kernel import get_kernel
from xtycore.plugins import ENTRY_POINT_GROUP
from xtycore.registry import KINDS, capability_problems
from xtycore.services.plugins import set_enabled

__all__ = [
    "CourierConformance",
    "PaymentGatewayConformance",
    "PromotionTypeConformance",
    "GatewayPaid",
    "SignedInbound",
    "SignedWebhook",
    "SupportChannelConformance",
    "UNDER_TEST",
]

#: What ``signed_webhook`` (payments) and ``signed_inbound`` (support) are; ``signed_webhook`` also
#: takes the keyword ``sent_at: datetime | None = None``, the moment the callback claims it was sent.
SignedWebhook = Callable[..., WebhookRequest]
#: What ``gateway_paid`` is: ``(payment_id, amount, settings)``, inside an app context.
GatewayPaid = Callable[[str, Money, Mapping[str, Any]], None]
SignedInbound = Callable[[], WebhookRequest]

#: The name the kernel registration test gives a plugin that is not installed.
UNDER_TEST = "conformance_under_test"

#: Name parts that suggest a secret; ``*_public_key`` is exempt (public keys are not secret).
SECRET_WORDS = ("key", "secret", "token", "password", "passwd", "pwd")

#: Field types that accept any value, so no value has the "wrong type" for them.
_UNTYPED_FIELDS = (fields.Raw, fields.Function, fields.Method, fields.Constant)


class _WrongType:
    """A value no typed marshmallow field accepts (not a str, number, bool, list or mapping)."""

    def __repr__(self) -> str:
        return "<a value of the wrong type>"


def suggests_secret(name: str) -> bool:
    """Whether a settings field's name suggests it holds a secret (``api_key``, ``app_secret``)."""
    parts = name.lower().split("_")
    return "public" not in parts and any(part.endswith(SECRET_WORDS) for part in parts)


def _field_key(name: str, field: fields.Field) -> str:
    return field.data_key or name


def _next_char(char: str) -> str:
    """A different character of the same class, so the value stays well-formed."""
    if char.isdigit():
        return str((int(char) + 1) % 10)
    if "a" <= char <= "z":
        return chr((ord(char) - ord("a") + 1) % 26 + ord("a"))
    if "A" <= char <= "Z":
        return chr((ord(char) - ord("A") + 1) % 26 + ord("A"))
    return "x" if char != "x" else "y"


def tampered(request: WebhookRequest, markers: Sequence[str]) -> WebhookRequest:
    """The request with one character of the first marker found in it changed.

    The change is made wherever the marker occurs (raw body, form, query), so
    a parser that reads decoded fields instead of the body sees it too; only a
    signature check can tell the copy from the original.
    """
    for marker in markers:
        if not marker:
            continue
        changed = marker[:-1] + _next_char(marker[-1])
        found = False
        body = request.body
        if marker.encode() in body:
            body = body.replace(marker.encode(), changed.encode(), 1)
            found = True
        parts: dict[str, dict[str, str]] = {}
        for attr in ("form", "query"):
            mapping = dict(getattr(request, attr))
            for key, value in mapping.items():
                if isinstance(value, str) and marker in value:
                    mapping[key] = value.replace(marker, changed, 1)
                    found = True
            parts[attr] = mapping
        if found:
            return replace(request, body=body, **parts)
    pytest.fail(f"none of {markers!r} occurs in the signed request, so it cannot be tampered with")


def garbage_requests() -> dict[str, WebhookRequest]:
    """Callbacks no capability may accept: unsigned, forged, malformed."""
    forged = "0" * 64
    return {
        "empty": WebhookRequest(body=b"", headers={}),
        "not-json": WebhookRequest(body=b"definitely not json", headers={"X-Signature": forged}),
        "binary": WebhookRequest(body=b"\x00\xff\xfe" * 20, headers={"Content-Type": "application/json"}),
        "empty-object": WebhookRequest(body=b"{}", headers={"Content-Type": "application/json"}),
        "json-list": WebhookRequest(body=b"[1, 2, 3]", headers={"X-Signature": forged}),
        "forged-form": WebhookRequest(
            body=b"sign=forged&out_trade_no=1&total_amount=1.00",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            form={"sign": "forged", "out_trade_no": "1", "total_amount": "1.00"},
        ),
    }


def _installed_names(plugin: Any) -> list[str]:
    """Entry-point names that load ``plugin`` (a module), sorted."""
    if not isinstance(plugin, ModuleType):
        return []
    return sorted(
        ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.value.split(":")[0] == plugin.__name__
    )


class _CapabilityConformance:
    """Tests shared by every kind: protocol, settings schema, kernel registration."""

    #: The capability kind, a key of :data:`xtycore.registry.KINDS`.
    kind: ClassVar[str]
    #: Fields whose names look secret but are not (a ``sort_key``, say).
    not_secret_fields: ClassVar[frozenset[str]] = frozenset()

    # helpers ---------------------------------------------------------------
    def schema(self, capability: Any) -> Schema:
        return getattr(capability, KINDS[self.kind].schema_attr)()

    def as_the_kernel_passes(self, capability: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Settings as a verb receives them: validated, then dumped to the JSON values the kernel stores."""
        schema = self.schema(capability)
        return schema.dump(schema.load(dict(settings)))

    # tests -----------------------------------------------------------------
    def test_the_capability_satisfies_its_kinds_protocol(self, capability):
        assert capability_problems(KINDS[self.kind], capability) == []

    def test_valid_settings_load_and_survive_dump_and_load_again(self, capability, settings):
        schema = self.schema(capability)
        # demo_settings, when a capability has them, are what `xty demo` configures
        for given in (settings, getattr(capability, "demo_settings", None) or settings):
            loaded = schema.load(dict(given))
            dumped = schema.dump(loaded)
            assert json.loads(json.dumps(dumped)) == dumped, "settings are stored as JSON"
            assert schema.load(dumped) == loaded

    def test_every_field_named_like_a_secret_is_marked_secret(self, capability):
        schema = self.schema(capability)
        unmarked = sorted(
            name for name, field in schema.fields.items()
            if suggests_secret(name) and name not in self.not_secret_fields
            and not field.metadata.get("secret")
        )
        assert unmarked == [], 'mark them with metadata={"secret": True} (or list them in not_secret_fields)'

    def test_empty_settings_are_refused_when_fields_are_required(self, capability):
        schema = self.schema(capability)
        required = {_field_key(n, f) for n, f in schema.fields.items() if f.required and not f.dump_only}
        if not required:
            pytest.skip("the schema has no required fields, so {} is valid")
        with pytest.raises(ValidationError) as refused:
            schema.load({})
        assert required <= set(refused.value.messages)

    def test_a_required_setting_of_the_wrong_type_is_refused(self, capability, settings):
        schema = self.schema(capability)
        typed = [
            _field_key(n, f) for n, f in schema.fields.items()
            if f.required and not f.dump_only and not isinstance(f, _UNTYPED_FIELDS)
        ]
        if not typed:
            pytest.skip("the schema has no required typed fields")
        for key in typed:
            with pytest.raises(ValidationError) as refused:
                schema.load({**settings, key: _WrongType()})
            assert key in refused.value.messages

    @pytest.fixture
    def plugin_name(self, plugin_module) -> str:
        """The name to register ``plugin_module`` under: its entry-point name when installed.

        Override it with the entry-point name when the plugin has migrations
        and is not installed while testing: its Alembic branch is named after it.
        """
        installed = _installed_names(plugin_module)
        return installed[0] if installed else UNDER_TEST

    def test_the_plugin_registers_the_capability_through_the_kernel(
        self, capability, plugin_module, plugin_name, xty_make_app
    ):
        # an installed plugin is tested as installed: found through its entry point
        installed = plugin_name in _installed_names(plugin_module)
        app = xty_make_app(plugins={plugin_name: None if installed else plugin_module}, enable=False)
        kernel = get_kernel(app)
        record = kernel.plugins.get(plugin_name)
        assert record is not None and record.loaded, f"the plugin is blocked: {record and record.reason}"
        with app.app_context():
            offered = {t.code for t in kernel.registry.types(self.kind)}
            assert capability.code not in offered, "an installed plugin must stay off until enabled"
            set_enabled(plugin_name, True, actor="conformance")
        with app.app_context():
            offered_now = {t.code: t for t in kernel.registry.types(self.kind)}
        assert capability.code in offered_now, f"no {self.kind} type {capability.code!r} once enabled"
        assert offered_now[capability.code].plugin == plugin_name
        assert type(offered_now[capability.code].obj) is type(capability)


class PaymentGatewayConformance(_CapabilityConformance):
    """Conformance of a payment gateway (:class:`xtycore.domain.payments.PaymentGateway`).

    Fixtures the subclass provides:

    - ``capability``: the gateway object;
    - ``plugin_module``: the plugin (the module the entry point names);
    - ``settings``: a valid settings mapping, as the merchant would submit it;
    - ``signed_webhook``: a callable ``(payment_id: str, amount: Money, *,
      sent_at: datetime | None = None) -> WebhookRequest`` returning a
      genuine "payment succeeded" callback, signed as the gateway signs it
      under ``settings``, that ``parse_webhook`` must accept. The payment id
      and the amount (minor units or decimal) must appear in the body, form
      or query, so the suite can tamper with them; ``sent_at`` (None: now) is
      the time the callback claims to be sent, so the suite can replay one
      from outside the gateway's window. A gateway whose callbacks carry no
      time sets the class attribute ``callbacks_have_timestamps = False`` (its
      replays are then caught by the inbox on their ``event_id`` alone);
    - ``gateway_paid``: a callable ``(payment_id: str, amount: Money,
      settings) -> None``, called inside an application context, that makes
      the gateway's remote side hold ``amount`` paid for ``payment_id`` (the
      customer paid), so that ``query`` answers SUCCEEDED and ``capture`` and
      ``refund`` work against it: a local test server that speaks the
      gateway's protocol, the sandbox's own trades, or nothing for a gateway
      whose money is collected offline. The tests that settle, capture and
      refund payments through a real application are skipped without it.

    Fixtures with a default, overridable in the subclass: ``plugin_name``
    (see the module's documentation), ``payment_request`` (88.00 in the
    first of ``features.currencies``) and, for gateways whose only flow is
    ``Flow.OFFLINE``, ``signed_webhook`` (the signed-callback tests are
    skipped: such gateways receive no callbacks).

    What the application-backed tests prove: a callback delivered twice is
    applied once; a callback with its signature tampered with, or for the
    wrong amount, changes nothing; concurrent captures (or settlements) make
    one; a refund repeated with the same idempotency key reaches the gateway
    once; a refund above what was captured is refused without writing or
    calling anything.
    """

    kind = "payment"
    #: False for gateways whose callbacks carry no timestamp (the replay test is then skipped).
    callbacks_have_timestamps: ClassVar[bool] = True
    #: How many requests the concurrency test sends at once.
    concurrent_requests: ClassVar[int] = 5

    @pytest.fixture
    def gateway_paid(self, capability):
        """Default: skip the tests that need the gateway's remote side; a gateway overrides it."""
        if set(capability.features.flows) == {Flow.OFFLINE}:
            return lambda payment_id, amount, settings: None  # the money is collected offline: nothing remote
        pytest.skip("provide a gateway_paid fixture: (payment_id, amount, settings) -> None")

    @pytest.fixture
    def payment_request(self, capability) -> PaymentRequest:
        currency = sorted(capability.features.currencies)[0]
        return PaymentRequest(
            payment_id="conformance-0001",
            order_number="20260101-CONFORM1",
            amount=Money("88.00", currency),
            description="Conformance order",
            return_url="https://shop.test/checkout/return/conformance-0001",
            notify_url="https://shop.test/webhooks/payment/1",
            customer_ip="203.0.113.7",
        )

    @pytest.fixture
    def signed_webhook(self, capability):
        """Default for gateways that receive no callbacks; others must override it.

        A gateway whose only flow is offline (cash on delivery, bank transfer)
        is confirmed by staff, so the signed-callback tests do not apply to it;
        the garbage-webhook tests still prove it refuses every callback.
        """
        if set(capability.features.flows) == {Flow.OFFLINE}:
            pytest.skip("an offline-only gateway receives no callbacks to sign")
        pytest.fail("provide a signed_webhook fixture: (payment_id, amount) -> WebhookRequest")

    def _amount(self, capability) -> Money:
        return Money("88.00", sorted(capability.features.currencies)[0])

    def _parse(self, capability, settings, request: WebhookRequest):
        return capability.parse_webhook(request, self.as_the_kernel_passes(capability, settings))

    def test_features_declare_flows_and_known_currencies(self, capability):
        features = capability.features
        assert features.flows and all(isinstance(flow, Flow) for flow in features.flows)
        assert features.currencies and set(features.currencies) <= set(CURRENCY_EXPONENTS)

    def test_create_payment_returns_an_action_in_a_declared_flow(self, capability, settings, payment_request):
        action = capability.create_payment(payment_request, self.as_the_kernel_passes(capability, settings))
        assert isinstance(action, PaymentAction)
        assert action.flow in capability.features.flows
        needs = {
            Flow.REDIRECT: action.url.startswith(("https://", "http://")),
            Flow.FORM: bool(action.url and action.form_fields),
            Flow.QR: bool(action.qr_content),
            Flow.OFFLINE: bool(action.instructions),
        }
        assert needs[action.flow], f"a {action.flow.value} action without what that flow needs: {action!r}"

    def test_a_signed_webhook_parses_to_its_payment_and_amount(self, capability, settings, signed_webhook):
        amount = self._amount(capability)
        event = self._parse(capability, settings, signed_webhook("conformance-0001", amount))
        assert isinstance(event, WebhookEvent)
        assert isinstance(event.kind, EventKind)
        assert event.payment_id == "conformance-0001"
        assert event.amount == amount
        assert isinstance(event.event_id, str) and event.event_id

    def test_the_same_webhook_parses_to_the_same_event_id(self, capability, settings, signed_webhook):
        request = signed_webhook("conformance-0001", self._amount(capability))
        first = self._parse(capability, settings, request)
        again = self._parse(capability, settings, request)
        assert first.event_id == again.event_id, "the webhook inbox deduplicates on event_id"

    def test_a_webhook_with_one_byte_of_the_payment_id_changed_is_rejected(
        self, capability, settings, signed_webhook
    ):
        genuine = signed_webhook("conformance-0001", self._amount(capability))
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, tampered(genuine, ["conformance-0001"]))

    def test_a_webhook_with_one_byte_of_the_amount_changed_is_rejected(
        self, capability, settings, signed_webhook
    ):
        amount = self._amount(capability)
        genuine = signed_webhook("conformance-0001", amount)
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, tampered(genuine, [str(amount.minor), str(amount.amount)]))

    @pytest.mark.parametrize("garbage", sorted(garbage_requests()))
    def test_garbage_webhooks_are_rejected_as_invalid(self, capability, settings, garbage):
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, garbage_requests()[garbage])

    def test_a_webhook_with_its_signature_tampered_with_is_rejected(self, capability, settings, signed_webhook):
        genuine = signed_webhook("conformance-0001", self._amount(capability))
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, tampered_signature(genuine))

    def test_a_webhook_replayed_from_outside_the_window_is_rejected(self, capability, settings, signed_webhook):
        if not self.callbacks_have_timestamps:
            # nothing dates the callback: a replay is caught by the inbox, on the same event_id
            replay = signed_webhook("conformance-0001", self._amount(capability))
            assert self._parse(capability, settings, replay).event_id == self._parse(
                capability, settings, replay).event_id
            return
        if "sent_at" not in inspect.signature(signed_webhook).parameters:
            pytest.skip("signed_webhook takes no sent_at keyword (the time the callback claims), so no replay "
                        "can be made: add it, or set callbacks_have_timestamps = False")
        amount = self._amount(capability)
        fresh = signed_webhook("conformance-0001", amount, sent_at=datetime.now(timezone.utc))
        assert self._parse(capability, settings, fresh).payment_id == "conformance-0001"
        old = signed_webhook("conformance-0001", amount, sent_at=datetime.now(timezone.utc) - timedelta(days=1))
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, old)

    # through a real application -------------------------------------------------

    @pytest.fixture
    def shop(self, capability, plugin_module, plugin_name, settings, xty_make_app):
        installed = plugin_name in _installed_names(plugin_module)
        app = xty_make_app(plugins={plugin_name: None if installed else plugin_module})
        from xtycore.services.capabilities import create_instance

        with app.app_context():
            if capability.code not in {t.code for t in get_kernel(app).registry.types(self.kind)}:
                pytest.skip("the plugin does not offer the capability (the registration test says why)")
            instance_id = create_instance("payment", capability.code, display_name="Conformance",
                                          settings=dict(settings))
        return _Shop(app, instance_id, self._amount(capability))

    def test_a_callback_delivered_twice_is_applied_once(self, shop, signed_webhook):
        payment = shop.payment()
        request = signed_webhook(payment.reference, shop.amount)
        with shop.app.test_request_context():
            first = shop.payments.apply_webhook(shop.instance_id, request)
            again = shop.payments.apply_webhook(shop.instance_id, request)
        assert first == again and 200 <= first.status < 300
        assert shop.statuses(payment) == ("succeeded", "paid")
        assert sorted(shop.webhook_statuses()) == ["applied", "duplicate"]
        assert shop.ledger(payment) == [("capture", "succeeded", shop.amount.minor)] or shop.ledger(payment) == [
            ("authorization", "succeeded", shop.amount.minor)]

    def test_a_callback_with_a_tampered_signature_or_the_wrong_amount_changes_nothing(
        self, capability, shop, signed_webhook
    ):
        payment = shop.payment()
        wrong = Money.from_minor(shop.amount.minor + 1, shop.amount.currency)
        with shop.app.test_request_context():
            forged = shop.payments.apply_webhook(
                shop.instance_id, tampered_signature(signed_webhook(payment.reference, shop.amount)))
            mismatched = shop.payments.apply_webhook(shop.instance_id, signed_webhook(payment.reference, wrong))
        assert (forged.status, mismatched.status) == (400, 400)
        assert shop.statuses(payment) == ("pending", "pending_payment")
        assert shop.webhook_statuses() == ["rejected", "rejected"]
        assert shop.ledger(payment) == []

    @pytest.fixture
    def signed_or_none(self, request):
        """``signed_webhook``, or None for a gateway that receives no callbacks."""
        try:
            return request.getfixturevalue("signed_webhook")
        except pytest.skip.Exception:
            return None

    def test_concurrent_captures_make_one(self, capability, shop, signed_or_none, request, monkeypatch):
        """Delayed capture: N staff captures at once make one gateway capture. Otherwise N settlements at once
        (the same callback, staff confirmations for offline gateways, or returns from the gateway) settle once."""
        payment = shop.payment()
        features = capability.features
        verb = "capture"
        if features.delayed_capture or not (signed_or_none or Flow.OFFLINE in features.flows):
            gateway_paid = request.getfixturevalue("gateway_paid")
            with shop.app.app_context():
                gateway_paid(payment.reference, shop.amount, shop.settings())
        if features.delayed_capture:
            shop.settle(payment, signed_or_none)
            run = lambda: shop.refunds.capture(payment.id, actor="staff:conformance")  # noqa: E731
        elif signed_or_none is not None:
            callback = signed_or_none(payment.reference, shop.amount)
            verb, run = "parse_webhook", lambda: shop.payments.apply_webhook(shop.instance_id, callback)  # noqa: E731
        elif Flow.OFFLINE in features.flows:
            run = lambda: shop.payments.confirm_offline(payment.order_number, actor="conformance")  # noqa: E731
        else:
            verb, run = "query", lambda: shop.payments.settle_from_query(payment.reference)  # noqa: E731
        calls = _count_calls(monkeypatch, capability, verb)
        errors = shop.at_once(run, self.concurrent_requests)
        assert errors == []
        assert shop.statuses(payment) == ("succeeded", "paid")
        captures = [entry for entry in shop.ledger(payment) if entry[0] == "capture"]
        assert captures == [("capture", "succeeded", shop.amount.minor)]
        if features.delayed_capture:
            assert calls == [verb], "one gateway capture, whatever the number of requests"
        assert shop.pay_events(payment) == 1

    def test_a_refund_repeated_with_the_same_key_reaches_the_gateway_once(
        self, capability, shop, gateway_paid, signed_or_none, monkeypatch
    ):
        if not capability.features.refunds:
            pytest.skip("the gateway declares no refunds")
        payment = shop.paid(gateway_paid, signed_or_none)
        part = shop.amount if not capability.features.partial_refund else Money.from_minor(
            shop.amount.minor // 2, shop.amount.currency)
        calls = _count_calls(monkeypatch, capability, "refund")
        ask = {"amount": part, "reason": "conformance", "actor": "staff:conformance",
               "idempotency_key": "conformance-refund-1"}
        with shop.app.test_request_context():
            first = shop.refunds.refund(payment.id, **ask)
            again = shop.refunds.refund(payment.id, **ask)
        assert calls == ["refund"]
        assert (first.transaction_id, first.created, again.created) == (again.transaction_id, True, False)
        assert first.status.value in ("succeeded", "pending")
        assert [e for e in shop.ledger(payment) if e[0] == "refund"] == [("refund", first.status.value, part.minor)]

    def test_a_refund_above_the_captured_amount_is_refused_and_nothing_is_written(
        self, capability, shop, gateway_paid, signed_or_none, monkeypatch
    ):
        if not capability.features.refunds:
            pytest.skip("the gateway declares no refunds")
        from xtycore.services.refunds import RefundRefused

        payment = shop.paid(gateway_paid, signed_or_none)
        calls = _count_calls(monkeypatch, capability, "refund")
        before = shop.ledger(payment)
        with shop.app.test_request_context(), pytest.raises(RefundRefused, match="refused"):
            shop.refunds.refund(payment.id, amount=Money.from_minor(shop.amount.minor + 1, shop.amount.currency),
                                reason="conformance", actor="staff:conformance")
        assert calls == [] and shop.ledger(payment) == before
        assert shop.amounts(payment) == (shop.amount.minor, 0, 0)


def tampered_signature(request: WebhookRequest) -> WebhookRequest:
    """The request with one character of its signature changed (headers, form or query fields named *sign*)."""
    def changed(value: str) -> str:
        return value[:-1] + _next_char(value[-1])

    headers = {k: changed(v) if "sign" in k.lower() and v else v for k, v in request.headers.items()}
    form = {k: changed(v) if "sign" in k.lower() and k.lower() != "sign_type" and v else v
            for k, v in request.form.items()}
    query = {k: changed(v) if "sign" in k.lower() and k.lower() != "sign_type" and v else v
             for k, v in request.query.items()}
    if (headers, form, query) == (dict(request.headers), dict(request.form), dict(request.query)):
        pytest.fail("the signed request has no header or field named like a signature to tamper with")
    body = request.body
    for key, value in request.form.items():
        if form[key] != value and value.encode() in body:
            body = body.replace(value.encode(), form[key].encode(), 1)
    return replace(request, headers=headers, form=form, query=query, body=body)


def _count_calls(monkeypatch, capability, verb: str) -> list[str]:
    """Record each call of a gateway verb on the capability's class (every instance of it)."""
    calls: list[str] = []
    original = getattr(type(capability), verb)
    lock = threading.Lock()

    def counted(self, *args, **kwargs):
        with lock:
            calls.append(verb)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(capability), verb, counted)
    return calls


class _Shop:
    """An application with the gateway configured, and orders with a payment to play with."""

    def __init__(self, app: Any, instance_id: int, amount: Money) -> None:
        from xtycore.services import payments, refunds

        self.app, self.instance_id, self.amount = app, instance_id, amount
        self.payments, self.refunds = payments, refunds

    def settings(self) -> Mapping[str, Any]:
        return get_kernel(self.app).registry.instance(self.instance_id, kind="payment").settings

    def payment(self) -> Any:
        """A placed order and its pending payment (a detached snapshot: ``id``, ``reference``, ``order_number``)."""
        from xtycore.domain.states import OrderStatus
        from xtycore.extensions import transaction
        from xtycore.models import Order, Payment

        with self.app.app_context(), transaction() as session:
            order = Order(
                number=f"CF{secrets.token_hex(6).upper()}", status=OrderStatus.PENDING_PAYMENT.value,
                currency=self.amount.currency, subtotal_minor=self.amount.minor, total_minor=self.amount.minor,
                paid_minor=0, ship_recipient="张三", ship_mobile="13800138000", ship_province="浙江省",
                ship_city="杭州市", ship_district="西湖区", ship_street="龙井路 1 号", courier_quote_code="standard",
                courier_label="快递", payment_instance_id=self.instance_id, checkout_token=secrets.token_hex(16),
            )
            session.add(order)
            session.flush()
            payment = Payment(
                order_id=order.id, instance_id=self.instance_id, gateway_code=get_kernel(self.app).registry.instance(
                    self.instance_id, kind="payment").type.code,
                reference=self.payments.new_reference(), amount_minor=self.amount.minor,
                currency=self.amount.currency, status="pending", responses=[],
            )
            session.add(payment)
            session.flush()
            return _Snapshot(payment.id, payment.reference, order.number, order.id)

    def settle(self, payment: "_Snapshot", signed: Callable[..., WebhookRequest] | None) -> None:
        """The payment succeeds as the gateway says it does: its signed callback, staff confirming an
        offline payment, or (no callbacks) the answer to ``query``."""
        with self.app.test_request_context():
            instance = get_kernel(self.app).registry.instance(self.instance_id, kind="payment")
            if signed is not None:
                self.payments.apply_webhook(self.instance_id, signed(payment.reference, self.amount))
            elif Flow.OFFLINE in instance.type.obj.features.flows:
                self.payments.confirm_offline(payment.order_number, actor="conformance")
            else:
                self.payments.settle_from_query(payment.reference)
        assert self.statuses(payment)[0] == "succeeded", "the payment did not succeed"

    def paid(self, gateway_paid: GatewayPaid, signed: Callable[..., WebhookRequest] | None) -> "_Snapshot":
        """A payment the customer paid (the gateway's remote side holds the money) and the kernel captured."""
        payment = self.payment()
        with self.app.app_context():
            gateway_paid(payment.reference, self.amount, self.settings())
        self.settle(payment, signed)
        if self.amounts(payment)[0] == 0:  # delayed capture: capture it now
            with self.app.test_request_context():
                self.refunds.capture(payment.id, actor="staff:conformance")
        assert self.amounts(payment)[0] == self.amount.minor
        return payment

    def at_once(self, run: Callable[[], Any], count: int) -> list[BaseException]:
        barrier, errors = threading.Barrier(count), []

        def one() -> None:
            with self.app.test_request_context():
                barrier.wait(timeout=60)
                try:
                    run()
                except BaseException as exc:  # collected: the test asserts there are none
                    errors.append(exc)
                finally:
                    from xtycore.extensions import db

                    db.session.remove()

        threads = [threading.Thread(target=one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return errors

    def _read(self, fn: Callable[..., Any]) -> Any:
        from xtycore.extensions import db

        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.remove()

    def statuses(self, payment: "_Snapshot") -> tuple[str, str]:
        from xtycore.models import Order, Payment

        return self._read(lambda s: (s.get(Payment, payment.id).status, s.get(Order, payment.order_id).status))

    def amounts(self, payment: "_Snapshot") -> tuple[int, int, int]:
        from xtycore.models import Payment

        def read(session):
            row = session.get(Payment, payment.id)
            return row.captured_minor, row.refunded_minor, row.refund_pending_minor

        return self._read(read)

    def ledger(self, payment: "_Snapshot") -> list[tuple[str, str, int]]:
        from sqlalchemy import select

        from xtycore.models.payments import PaymentTransaction

        return self._read(lambda s: [
            (t.kind, t.status, t.amount_minor) for t in s.execute(
                select(PaymentTransaction).where(PaymentTransaction.payment_id == payment.id)
                .order_by(PaymentTransaction.id)).scalars()
        ])

    def webhook_statuses(self) -> list[str]:
        from sqlalchemy import select

        from xtycore.models import PaymentWebhook

        return self._read(lambda s: list(s.execute(
            select(PaymentWebhook.status).where(PaymentWebhook.instance_id == self.instance_id)
            .order_by(PaymentWebhook.id)).scalars()))

    def pay_events(self, payment: "_Snapshot") -> int:
        from sqlalchemy import func, select

        from xtycore.models import OrderEvent

        return self._read(lambda s: s.execute(
            select(func.count()).select_from(OrderEvent)
            .where(OrderEvent.order_id == payment.order_id, OrderEvent.event == "pay")).scalar_one())


@dataclass(frozen=True)
class _Snapshot:
    id: int
    reference: str
    order_number: str
    order_id: int


class CourierConformance(_CapabilityConformance):
    """Conformance of a courier (:class:`xtycore.domain.couriers.Courier`).

    Fixtures the subclass provides:

    - ``capability``: the courier object;
    - ``plugin_module``: the plugin (the module the entry point names);
    - ``settings``: a valid settings mapping, as the merchant would submit it;
    - ``shipment``: a :class:`~xtycore.domain.couriers.ShipmentRequest` the
      courier serves under ``settings`` (eligible, with at least one quote).

    Fixture with a default, overridable in the subclass: ``plugin_name``.
    """

    kind = "courier"

    def test_the_served_shipment_is_eligible(self, capability, settings, shipment):
        assert capability.is_eligible(shipment, self.as_the_kernel_passes(capability, settings)) is True

    def test_eligibility_is_a_bool_even_for_an_unusual_shipment(self, capability, settings, shipment):
        unusual = ShipmentRequest(
            reference="conformance-heavy",
            origin=None,
            destination=Address("", "", "", "Base Marambio", "Penguin", "000", country="AQ"),
            parcels=[Parcel("ANVIL", "Anvil", 40, 25_000, Money.from_minor(1, shipment.subtotal.currency))],
            subtotal=Money.from_minor(40, shipment.subtotal.currency),
        )
        assert isinstance(capability.is_eligible(unusual, self.as_the_kernel_passes(capability, settings)), bool)

    def test_quotes_are_priced_in_the_shipments_currency_and_never_negative(
        self, capability, settings, shipment
    ):
        quotes = list(capability.quote(shipment, self.as_the_kernel_passes(capability, settings)))
        assert quotes, "the served shipment gets at least one quote"
        currency = shipment.subtotal.currency
        for quote in quotes:
            assert isinstance(quote, Quote)
            assert quote.price.currency == currency
            assert quote.price >= Money.zero(currency)
            assert quote.code and quote.label
        assert len({q.code for q in quotes}) == len(quotes), "quote codes are unique within a courier"

    def test_quoting_is_deterministic(self, capability, settings, shipment):
        passed = self.as_the_kernel_passes(capability, settings)
        assert list(capability.quote(shipment, passed)) == list(capability.quote(shipment, passed))

    @pytest.mark.parametrize("garbage", sorted(garbage_requests()))
    def test_garbage_tracking_pushes_are_rejected_as_invalid(self, capability, settings, garbage):
        with pytest.raises(InvalidWebhook):
            capability.parse_webhook(garbage_requests()[garbage], self.as_the_kernel_passes(capability, settings))


class PromotionTypeConformance(_CapabilityConformance):
    """Conformance of a promotion type (:class:`xtycore.domain.promotions.PromotionType`).

    Fixtures the subclass provides:

    - ``capability``: the promotion type object;
    - ``plugin_module``: the plugin (the module the entry point names);
    - ``settings``: valid merchant parameters for ``params_schema``;
    - ``qualifying_cart``: a :class:`~xtycore.domain.promotions.CartSnapshot`
      the promotion applies to under ``settings``;
    - ``non_qualifying_cart``: one it does not apply to.

    Fixture with a default, overridable in the subclass: ``plugin_name``.
    """

    kind = "promotion"

    def _evaluate(self, capability, settings, cart: CartSnapshot) -> PromotionResult:
        result = capability.evaluate(cart, self.as_the_kernel_passes(capability, settings))
        assert isinstance(result, PromotionResult)
        return result

    def _carts(self, qualifying_cart, non_qualifying_cart) -> list[CartSnapshot]:
        empty = CartSnapshot(lines=(), currency=qualifying_cart.currency)
        return [qualifying_cart, non_qualifying_cart, empty]

    def test_evaluate_is_deterministic(self, capability, settings, qualifying_cart, non_qualifying_cart):
        for cart in (qualifying_cart, non_qualifying_cart):
            assert self._evaluate(capability, settings, cart) == self._evaluate(capability, settings, cart)

    def test_both_carts_get_an_explanation(self, capability, settings, qualifying_cart, non_qualifying_cart):
        for cart in (qualifying_cart, non_qualifying_cart):
            explanation = self._evaluate(capability, settings, cart).explanation
            assert isinstance(explanation, str) and explanation.strip()

    def test_the_qualifying_cart_gets_the_promotion(self, capability, settings, qualifying_cart):
        result = self._evaluate(capability, settings, qualifying_cart)
        assert result.applies is True
        discount = _total_discount(result, qualifying_cart.currency)
        assert discount > Money.zero(qualifying_cart.currency) or result.shipping_discount or result.gift_skus

    def test_the_non_qualifying_cart_gets_nothing(self, capability, settings, non_qualifying_cart):
        result = self._evaluate(capability, settings, non_qualifying_cart)
        assert result.applies is False
        assert not _total_discount(result, non_qualifying_cart.currency)
        assert not result.shipping_discount and not result.gift_skus

    def test_the_discount_never_exceeds_the_subtotal(
        self, capability, settings, qualifying_cart, non_qualifying_cart
    ):
        for cart in self._carts(qualifying_cart, non_qualifying_cart):
            result = self._evaluate(capability, settings, cart)
            zero = Money.zero(cart.currency)
            assert zero <= _total_discount(result, cart.currency) <= cart.subtotal
            lines = {line.line_id: line for line in cart.lines}
            for line_discount in result.line_discounts:
                assert line_discount.line_id in lines, "a line discount names a line of the cart"
                assert zero <= line_discount.amount <= lines[line_discount.line_id].total


def _total_discount(result: PromotionResult, currency: str) -> Money:
    total = result.order_discount or Money.zero(currency)
    return total + Money.sum((d.amount for d in result.line_discounts), currency)


class SupportChannelConformance(_CapabilityConformance):
    """Conformance of a support channel (:class:`xtycore.domain.support.SupportChannel`).

    Fixtures the subclass provides:

    - ``capability``: the channel object;
    - ``plugin_module``: the plugin (the module the entry point names);
    - ``settings``: a valid settings mapping, as the merchant would submit it;
    - ``signed_inbound``: a callable ``() -> WebhookRequest`` returning a
      genuine inbound push carrying at least one message, signed as the
      channel signs it under ``settings``. The first message's id, text or
      sender must appear in the body, form or query, so the suite can tamper
      with it.

    Fixture with a default, overridable in the subclass: ``plugin_name``.
    """

    kind = "support"

    def _parse(self, capability, settings, request: WebhookRequest) -> list[InboundMessage]:
        return list(capability.parse_inbound(request, self.as_the_kernel_passes(capability, settings)))

    def test_a_signed_inbound_push_parses_to_messages(self, capability, settings, signed_inbound):
        messages = self._parse(capability, settings, signed_inbound())
        assert messages, "the signed push carries at least one message"
        for message in messages:
            assert isinstance(message, InboundMessage)
            assert message.channel_message_id, "replies are deduplicated on channel_message_id"
            assert isinstance(message.sender, str) and message.sender
            assert message.received_at.tzinfo is not None, "received_at is an aware datetime"

    def test_an_inbound_push_with_one_byte_changed_is_rejected(self, capability, settings, signed_inbound):
        genuine = signed_inbound()
        first = self._parse(capability, settings, genuine)[0]
        markers = [first.channel_message_id, first.body, first.sender]
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, tampered(genuine, markers))

    @pytest.mark.parametrize("garbage", sorted(garbage_requests()))
    def test_garbage_inbound_pushes_are_rejected_as_invalid(self, capability, settings, garbage):
        with pytest.raises(InvalidWebhook):
            self._parse(capability, settings, garbage_requests()[garbage])
