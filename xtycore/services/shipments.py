"""Shipping an order: the courier and waybill number (运单号) staff enter, and the order's move to ``shipped``.

:func:`ship` inserts the :class:`~xtycore.models.Shipment` and applies the
order's ``ship`` event (:func:`xtycore.services.orders.apply_event`) in one
transaction, so the shipment, the order's status and its
:class:`~xtycore.models.OrderEvent` commit together or not at all; the
``order_shipped`` signal (with ``shipment=``) is sent after the commit. An
order ships once: a second shipment for a shipped order is refused.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore.domain.errors import XtyError
from xtycore.domain.states import ORDER, OrderStatus
from xtycore.extensions import db, transaction
from xtycore.models import CapabilityInstance, Shipment
from xtycore.models.orders import SHIP
from xtycore.models.shipments import COURIER_MAX_LENGTH, NOTE_MAX_LENGTH
from xtycore.services.orders import apply_event, locked_order

#: What a waybill number may be: 6 to 40 letters, digits and hyphens.
WAYBILL = re.compile(r"[A-Za-z0-9-]{6,40}")
#: The courier of an order the customer collects, when staff name none.
PICKUP_COURIER = "到店自提"


class ShipmentError(XtyError):
    """A shipment that cannot be recorded; nothing was written. The message is for staff."""


def courier_choices() -> list[str]:
    """The display names of the enabled courier instances, in their configured order."""
    return list(db.session.execute(
        select(CapabilityInstance.display_name)
        .where(CapabilityInstance.kind == "courier", CapabilityInstance.enabled.is_(True))
        .order_by(CapabilityInstance.sort_order, CapabilityInstance.id)
    ).scalars())


def order_shipments(order_id: int) -> list[Shipment]:
    return list(db.session.execute(
        select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
    ).scalars())


def ship(order_id: int, *, courier: str, waybill_number: str, actor: str, note: str = "") -> Shipment:
    """Record the order's shipment and mark it shipped, in one transaction of its own.

    A delivery order needs a waybill number; a pickup order needs none (its
    courier defaults to :data:`PICKUP_COURIER`).

    :raises ShipmentError: bad input, an order that is not paid (or already
        shipped, or refunded in full), or a waybill number this courier has used; nothing is written.
    :raises xtycore.services.orders.OrderNotFound: no order has this id.
    """
    courier, waybill_number, note = courier.strip(), waybill_number.strip(), note.strip()
    if len(courier) > COURIER_MAX_LENGTH:
        raise ShipmentError(_("The courier's name is at most %(count)d characters.", count=COURIER_MAX_LENGTH))
    if len(note) > NOTE_MAX_LENGTH:
        raise ShipmentError(_("The note is at most %(count)d characters.", count=NOTE_MAX_LENGTH))
    if waybill_number and not WAYBILL.fullmatch(waybill_number):
        raise ShipmentError(_("A waybill number is 6 to 40 letters, digits or hyphens."))
    try:
        with transaction():
            order = locked_order(order_id)
            if not ORDER.can(OrderStatus(order.status), "ship") or order.refunded_minor >= order.paid_minor:
                raise ShipmentError(_("Only a paid order that has not shipped yet can be shipped."))
            if order.delivery_method == SHIP:
                if not courier:
                    raise ShipmentError(_("Choose or enter the courier."))
                if not waybill_number:
                    raise ShipmentError(_("Enter the waybill number."))
            courier = courier or PICKUP_COURIER
            if waybill_number and db.session.execute(
                select(Shipment.id).where(Shipment.courier == courier, Shipment.waybill_number == waybill_number)
            ).first() is not None:
                raise _duplicate(courier, waybill_number)
            shipment = Shipment(order_id=order.id, courier=courier, waybill_number=waybill_number or None,
                                shipped_by=actor[:200], note=note)
            db.session.add(shipment)
            db.session.flush()
            # the event's note is the customer's too (their order history): courier and waybill, not the staff note
            apply_event(order, "ship", actor=actor, note=f"{courier} {waybill_number}".strip(), shipment=shipment)
            return shipment
    except IntegrityError:  # the same waybill recorded at the same moment by someone else
        raise _duplicate(courier, waybill_number) from None


def _duplicate(courier: str, waybill_number: str) -> ShipmentError:
    return ShipmentError(_("%(courier)s waybill %(number)s is already recorded for another shipment.",
                           courier=courier, number=waybill_number))
