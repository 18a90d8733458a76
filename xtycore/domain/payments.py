"""The payment gateway contract: what a payment plugin implements.

A gateway is a small object; the kernel owns the payment state machine,
idempotency, the webhook inbox, the refunds ledger and reconciliation.
``settings`` passed to every verb is the validated, decrypted settings mapping
of the configured instance (an Alipay account, say).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, runtime_checkable

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest

if TYPE_CHECKING:  # pragma: no cover
    from marshmallow import Schema


class Flow(str, enum.Enum):
    """How the customer completes a payment."""

    REDIRECT = "redirect"  #: send the browser to a hosted page
    QR = "qr"  #: show a QR code to scan with a wallet app
    FORM = "form"  #: post a form rendered in the page
    OFFLINE = "offline"  #: cash on delivery, bank transfer: staff confirm


class TxStatus(str, enum.Enum):
    """Outcome of one gateway operation."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class GatewayFeatures:
    """What a gateway supports; the kernel refuses, and the back office does not offer, anything else.

    - ``refunds``: ``refund`` returns money (False: the kernel never calls it
      and flags money to return for staff instead);
    - ``partial_refund``: a refund may be less than what is left to refund;
    - ``void``: ``void`` closes an unpaid or uncaptured payment;
    - ``delayed_capture``: a successful payment is only authorised; the
      kernel captures it later with ``capture`` (staff, or on shipment);
    - ``refund_query``: the gateway implements the optional verb
      ``query_refund(payment, refund_id, settings)`` (see :class:`SupportsRefundQuery`),
      which settles a refund whose answer was lost.
    """

    flows: frozenset[Flow] = frozenset({Flow.REDIRECT})
    currencies: frozenset[str] = frozenset({"CNY"})
    partial_refund: bool = True
    void: bool = False
    delayed_capture: bool = False
    refunds: bool = True
    refund_query: bool = False


class Device(str, enum.Enum):
    """The kind of browser the customer pays from (gateways have a desktop and a mobile cashier)."""

    DESKTOP = "desktop"
    MOBILE = "mobile"


#: User-Agent fragments of phones and tablets ("Mobi" is what every mobile browser sends).
MOBILE_USER_AGENT_MARKS = ("Mobi", "Android", "iPhone", "iPad", "HarmonyOS")


def device_of(user_agent: str) -> Device:
    """The device a User-Agent header names; desktop when it names none."""
    return Device.MOBILE if any(mark in user_agent for mark in MOBILE_USER_AGENT_MARKS) else Device.DESKTOP


def preferred_flow(features: GatewayFeatures, device: Device) -> Flow | None:
    """The flow the kernel asks for on ``device``, or None to leave the choice to the gateway.

    A QR code cannot be scanned by the phone that shows it: on a mobile device,
    a gateway that offers both a QR code and a redirect (WeChat Pay's Native and
    H5) is asked to redirect.
    """
    if device is Device.MOBILE and {Flow.QR, Flow.REDIRECT} <= set(features.flows):
        return Flow.REDIRECT
    return None


@dataclass(frozen=True)
class PaymentRequest:
    """What the kernel asks a gateway to collect."""

    payment_id: str  #: the kernel's idempotent payment reference, sent as out_trade_no etc.
    order_number: str
    amount: Money
    description: str
    return_url: str  #: where the customer's browser comes back to
    notify_url: str  #: the webhook inbox URL of this gateway instance
    customer_ip: str = ""
    flow: Flow | None = None  #: the flow wanted, when the gateway offers several (see :func:`preferred_flow`)
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: the customer's browser: gateways with a mobile cashier (Alipay WAP, WeChat H5) use it on phones
    device: Device = Device.DESKTOP


@dataclass(frozen=True)
class PaymentAction:
    """What the storefront does next to complete a payment."""

    flow: Flow
    url: str = ""  #: REDIRECT: the hosted page; FORM: the form's action
    qr_content: str = ""  #: QR: the text encoded in the code
    form_fields: Mapping[str, str] = field(default_factory=dict)  #: FORM fields
    instructions: str = ""  #: OFFLINE: what the customer is told
    gateway_reference: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentRef:
    """A payment as the kernel knows it, passed to capture, void, refund and query."""

    payment_id: str
    amount: Money
    gateway_reference: str = ""
    captured: Money | None = None


@dataclass(frozen=True)
class GatewayResult:
    """The answer of a gateway operation (authorize, capture, void, refund, query)."""

    status: TxStatus
    amount: Money | None = None
    gateway_reference: str = ""
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


class TxKind(str, enum.Enum):
    """The kind of a money movement in the kernel's transactions ledger."""

    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class EventKind(str, enum.Enum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_CLOSED = "payment.closed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"


@dataclass(frozen=True)
class WebhookEvent:
    """A verified callback.

    ``event_id`` is unique per gateway event and makes applying it idempotent;
    ``response_body`` and ``response_status`` are what the gateway expects back.
    """

    event_id: str
    kind: EventKind
    payment_id: str
    amount: Money  #: the payment's amount; for a refund event, the refund's amount
    gateway_reference: str = ""
    refund_id: str = ""  #: refund events: the kernel's ``refund_id`` the refund was requested with
    response_body: str = "success"
    response_status: int = 200
    response_content_type: str = "text/plain"
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentGateway(Protocol):
    """A payment gateway type, registered by ``xtycore_register_payment_gateways``."""

    code: ClassVar[str] | str
    name: ClassVar[str] | str
    settings_schema: ClassVar[type[Schema]] | type[Schema]
    features: GatewayFeatures

    def create_payment(self, request: PaymentRequest, settings: Mapping[str, Any]) -> PaymentAction:
        """Start collecting ``request.amount``; return what the customer does next."""

    def authorize(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """Hold funds without capturing (gateways with ``delayed_capture``)."""

    def capture(self, payment: PaymentRef, amount: Money, settings: Mapping[str, Any]) -> GatewayResult:
        """Capture ``amount`` of an authorised payment."""

    def void(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """Cancel an uncaptured payment (close the trade)."""

    def refund(
        self, payment: PaymentRef, amount: Money, refund_id: str, settings: Mapping[str, Any]
    ) -> GatewayResult:
        """Refund ``amount``; ``refund_id`` is the kernel's idempotency key for this refund.

        Return ``SUCCEEDED`` when the money went back, ``PENDING`` when the
        gateway accepted the refund but has not finished it (a refund callback
        or ``query_refund`` settles it), ``FAILED`` or raise
        :class:`~xtycore.domain.errors.PaymentDeclined` when it was refused.
        Raise :class:`~xtycore.domain.errors.GatewayUnavailable` when the
        answer is unknown (a timeout): the kernel keeps the refund pending and
        never sends it again blindly.
        """

    def query(self, payment: PaymentRef, settings: Mapping[str, Any]) -> GatewayResult:
        """Ask the gateway for the payment's current state (reconciliation)."""

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> WebhookEvent:
        """Verify and decode a callback; raise :class:`~xtycore.domain.errors.InvalidWebhook`."""


@runtime_checkable
class SupportsRefundQuery(Protocol):
    """The optional verb of gateways that declare ``GatewayFeatures(refund_query=True)``.

    Not part of :class:`PaymentGateway`: a gateway without it stays valid, and
    the kernel settles its ambiguous refunds through staff instead.
    """

    def query_refund(self, payment: PaymentRef, refund_id: str, settings: Mapping[str, Any]) -> GatewayResult:
        """How the refund the kernel requested as ``refund_id`` stands: PENDING, SUCCEEDED (with its amount)
        or FAILED; raise :class:`~xtycore.domain.errors.PaymentError` when the gateway knows no such refund."""


@runtime_checkable
class SupportsRejectionReply(Protocol):
    """An optional method of gateways whose documentation says how a refused callback is answered.

    The webhook inbox refuses a callback with 400 (it fails verification or
    does not match its payment) or 503 (the plugin failed: try again later),
    in plain text by default. A gateway with this method words the body itself.
    """

    def rejection_reply(self, status: int) -> tuple[str, str]:
        """``(body, content_type)`` for a refusal with HTTP ``status``, e.g. WeChat Pay's
        ``('{"code": "FAIL", "message": "失败"}', "application/json")``."""
