"""Shipments: the parcel an order left in, with its courier and waybill number (运单号).

Written only by :func:`xtycore.services.shipments.ship`, together with the
order's move to ``shipped``. A waybill number is unique per courier; a pickup
order's shipment has no waybill (``waybill_number`` NULL, which the unique
constraint does not compare).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from xtycore.extensions import db
from xtycore.models.kernel import utcnow

COURIER_MAX_LENGTH = 200
WAYBILL_MAX_LENGTH = 40
NOTE_MAX_LENGTH = 500


class Shipment(db.Model):
    __tablename__ = "xty_shipment"
    __table_args__ = (UniqueConstraint("courier", "waybill_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("xty_order.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the courier's name as the customer reads it (a courier instance's display name, or what staff typed)
    courier: Mapped[str] = mapped_column(String(COURIER_MAX_LENGTH), nullable=False)
    #: 运单号; None for an order the customer collects
    waybill_number: Mapped[str | None] = mapped_column(String(WAYBILL_MAX_LENGTH), nullable=True)
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: the staff actor, "staff:<email>"
    shipped_by: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    #: ``order.shipments``: the order's shipments, oldest first (the customer's order page lists them)
    order = relationship("Order", backref=backref("shipments", order_by="Shipment.id", passive_deletes=True))
