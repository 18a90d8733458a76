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

import json
from dataclasses import replace
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
    "SignedInbound",
    "SignedWebhook",
    "SupportChannelConformance",
    "UNDER_TEST",
]

#: What ``signed_webhook`` (payments) and ``signed_inbound`` (support) are.
SignedWebhook = Callable[[str, Money], WebhookRequest]
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
    - ``signed_webhook``: a callable ``(payment_id: str, amount: Money) ->
      WebhookRequest`` returning a genuine "payment succeeded" callback, signed
      as the gateway signs it under ``settings``, that ``parse_webhook`` must
      accept. The payment id and the amount (minor units or decimal) must
      appear in the body, form or query, so the suite can tamper with them.

    Fixtures with a default, overridable in the subclass: ``plugin_name``
    (see the module's documentation), ``payment_request`` (88.00 in the
    first of ``features.currencies``) and, for gateways whose only flow is
    ``Flow.OFFLINE``, ``signed_webhook`` (the signed-callback tests are
    skipped: such gateways receive no callbacks).
    """

    kind = "payment"

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
