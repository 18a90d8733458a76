"""Support tickets (客服工单): a conversation with one contact through one support channel instance.

Persistence only: :mod:`xtycore.services.support` receives messages, stores
staff replies and moves a ticket through :data:`~xtycore.domain.support_states.TICKET`.

A ticket's messages are the thread: what the customer wrote (``inbound``),
staff replies (``outbound``, with where their delivery stands) and internal
notes (``note``, never sent). An inbound message is stored once per channel
instance and channel message id (a partial unique index), so a push the
channel delivers again, or two workers receiving it at once, add nothing.
Inbound attachments are files under ``<instance>/uploads/support/``; the row
keeps the path relative to ``<instance>/uploads``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xtycore.domain.support_states import Delivery, MessageDirection, TicketStatus
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

REFERENCE_MAX_LENGTH = 32
CONTACT_MAX_LENGTH = 254
SUBJECT_MAX_LENGTH = 200
#: Longest message body, in characters: a staff reply or note longer is refused, an inbound one is cut.
BODY_MAX_LENGTH = 10_000
FILENAME_MAX_LENGTH = 200
_STATUSES = ", ".join(f"'{s.value}'" for s in TicketStatus)
_DIRECTIONS = ", ".join(f"'{d.value}'" for d in MessageDirection)
_DELIVERIES = ", ".join(f"'{d.value}'" for d in Delivery)
_INBOUND = f"direction = '{MessageDirection.INBOUND.value}'"


class SupportTicket(db.Model):
    __tablename__ = "xty_support_ticket"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        # the inbox: newest activity first, within a status or across all of them
        Index("ix_xty_support_ticket_updated_at", "updated_at", "id"),
        Index("ix_xty_support_ticket_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: what staff and customers quote, ``TK20261127-7K3Q9X``: the shop-local date and six random characters
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX_LENGTH), nullable=False, unique=True)
    #: the support channel instance the ticket came through, and replies go out through
    channel_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_capability_instance.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: the customer's address in the channel's own terms (email, openid, mobile)
    contact: Mapped[str] = mapped_column(String(CONTACT_MAX_LENGTH), nullable=False)
    #: the customer whose email or mobile number the contact is, when there was one
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: the order the conversation is about (after-sales, 售后), linked by staff
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_order.id", ondelete="SET NULL"), nullable=True, index=True
    )
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX_LENGTH), nullable=False, default="")
    #: a :class:`~xtycore.domain.support_states.TicketStatus` value, changed only through TICKET
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=TicketStatus.OPEN.value)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_staff.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: the last time anything happened to the ticket (a message, a note, an assignment, a status)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_outbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    channel = relationship("CapabilityInstance", lazy="raise")
    customer = relationship("Customer", lazy="raise")
    order = relationship("Order", lazy="raise")
    assignee = relationship("Staff", lazy="raise")
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", passive_deletes=True, lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<SupportTicket {self.reference} {self.status}>"


class TicketMessage(db.Model):
    __tablename__ = "xty_support_message"
    __table_args__ = (
        CheckConstraint(f"direction IN ({_DIRECTIONS})", name="direction"),
        CheckConstraint(f"delivery IS NULL OR delivery IN ({_DELIVERIES})", name="delivery"),
        # a channel's message is stored once: a re-delivered push, or two workers receiving it at once, add nothing
        Index("uq_xty_support_message_inbound", "channel_instance_id", "channel_message_id", unique=True,
              sqlite_where=text(_INBOUND), postgresql_where=text(_INBOUND)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("xty_support_ticket.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: a :class:`~xtycore.domain.support_states.MessageDirection` value
    direction: Mapped[str] = mapped_column(String(10), nullable=False)
    #: the sender's address for an inbound message; the staff member's email for a reply or a note
    author: Mapped[str] = mapped_column(String(CONTACT_MAX_LENGTH), nullable=False)
    #: who wrote a reply or a note; None for inbound messages and once that staff account is gone
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("xty_staff.id", ondelete="SET NULL"), nullable=True)
    #: plain text, at most BODY_MAX_LENGTH characters; the page escapes it
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: the instance the message came in or went out through (the ticket's, when it was written)
    channel_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("xty_capability_instance.id", ondelete="SET NULL"), nullable=True
    )
    #: the channel's id of the message: from the push for inbound, from ``send`` for a delivered reply
    channel_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: when the channel says the customer sent it (inbound)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: a reply's :class:`~xtycore.domain.support_states.Delivery` value; None for inbound messages and notes
    delivery: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: why the last attempt failed (the channel's words), or what the channel said when it delivered
    delivery_detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: how many times the reply was handed to the channel
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    ticket: Mapped[SupportTicket] = relationship(back_populates="messages")
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="message", order_by="TicketAttachment.id", passive_deletes=True, lazy="raise"
    )


class TicketAttachment(db.Model):
    """A file that came with an inbound message; ``path`` is empty when it was over the size cap."""

    __tablename__ = "xty_support_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("xty_support_message.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: the sender's file name, cleaned of folders and control characters (downloads are offered under it)
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX_LENGTH), nullable=False)
    #: what the channel said the file is; downloads are always sent as application/octet-stream
    content_type: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    #: relative to ``<instance>/uploads``, a generated name; "" when the file was not kept
    path: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")
