"""The courier contract: quotes, electronic waybills (电子面单) and tracking (物流轨迹)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

from xtycore.domain.money import Money
from xtycore.domain.webhooks import WebhookRequest

if TYPE_CHECKING:  # pragma: no cover
    from marshmallow import Schema


@dataclass(frozen=True)
class Address:
    """A Chinese postal address: 省 / 市 / 区, street, recipient and mobile."""

    province: str
    city: str
    district: str
    street: str
    recipient: str
    mobile: str
    postcode: str = ""
    country: str = "CN"


@dataclass(frozen=True)
class Parcel:
    sku: str
    name: str
    quantity: int
    weight_grams: int
    unit_price: Money


@dataclass(frozen=True)
class ShipmentRequest:
    """What is being sent, from where, to where.

    ``destination`` is None when the customer collects the order: the kernel
    then asks only couriers whose features declare ``pickup``, and never asks
    those with an address.
    """

    reference: str  #: the kernel's shipment or order reference
    origin: Address | None
    destination: Address | None
    parcels: Sequence[Parcel]
    subtotal: Money

    @property
    def weight_grams(self) -> int:
        return sum(p.weight_grams * p.quantity for p in self.parcels)


@dataclass(frozen=True)
class PickupLocation:
    """Where a pickup quote's customer collects the order (a shop, a locker, a counter)."""

    name: str
    address: str
    hours: str = ""  #: opening hours as the merchant writes them, e.g. "09:00–21:00"


@dataclass(frozen=True)
class Quote:
    """A shipping option offered at checkout.

    A pickup courier (``features.pickup``) quotes one option per location and
    sets ``location``, which checkout lists with its address and hours and the
    order records instead of a delivery address; other couriers leave it None.
    """

    code: str  #: the option within this courier, e.g. "standard", "pickup"
    label: str
    price: Money
    eta_days: tuple[int, int] | None = None
    description: str = ""
    location: PickupLocation | None = None


@dataclass(frozen=True)
class Waybill:
    """An electronic waybill (电子面单) issued for a shipment."""

    number: str  #: 运单号
    carrier_code: str = ""
    label_url: str = ""
    label_data: bytes = b""
    raw: Mapping[str, Any] = field(default_factory=dict)


class TrackingStatus(str, enum.Enum):
    """The kernel's tracking states; couriers map their own codes onto these."""

    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"  #: 签收
    EXCEPTION = "exception"
    RETURNED = "returned"


@dataclass(frozen=True)
class TrackingEvent:
    time: datetime
    status: TrackingStatus
    description: str
    location: str = ""


@dataclass(frozen=True)
class TrackingUpdate:
    """A verified tracking push: the waybill it concerns and its events, newest last."""

    waybill_number: str
    events: Sequence[TrackingEvent]
    response_body: str = '{"result":true,"returnCode":"200","message":"ok"}'
    response_status: int = 200
    response_content_type: str = "application/json"


@dataclass(frozen=True)
class CourierFeatures:
    """What a courier supports; the back office offers only these actions.

    A courier without ``waybills`` has the merchant type the waybill number
    the carrier gave them; one without ``tracking`` shows no timeline.
    """

    waybills: bool = False  #: create_waybill issues electronic waybills (电子面单)
    tracking: bool = False  #: track returns a timeline
    webhooks: bool = False  #: parse_webhook accepts tracking pushes
    #: the customer collects the parcel; no address needed. Checkout asks this courier only when the
    #: customer chose pickup (``ShipmentRequest.destination`` is None) and its quotes carry a ``location``
    pickup: bool = False


@runtime_checkable
class Courier(Protocol):
    """A courier type, registered by ``xtycore_register_couriers``."""

    code: ClassVar[str] | str
    name: ClassVar[str] | str
    settings_schema: ClassVar[type[Schema]] | type[Schema]
    features: CourierFeatures

    def is_eligible(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> bool:
        """Whether this courier can carry the shipment at all."""

    def quote(self, shipment: ShipmentRequest, settings: Mapping[str, Any]) -> Sequence[Quote]:
        """The options and prices offered for the shipment (empty when none)."""

    def create_waybill(
        self, shipment: ShipmentRequest, quote_code: str, settings: Mapping[str, Any]
    ) -> Waybill:
        """Issue a waybill; raise :class:`~xtycore.domain.errors.CourierError` on failure."""

    def track(self, waybill_number: str, settings: Mapping[str, Any]) -> Sequence[TrackingEvent]:
        """The tracking timeline of a waybill, oldest first."""

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> TrackingUpdate:
        """Verify and decode a tracking push; raise :class:`~xtycore.domain.errors.InvalidWebhook`."""
