"""Support tickets (客服工单): what customers write in through a support channel, and staff answers.

The kernel owns tickets, their threads, assignment and status
(:data:`~xtycore.domain.support_states.TICKET`); a support channel plugin
only verifies and decodes pushes (``parse_inbound``, fail closed) and sends
replies (``send``, fail open), always through
:meth:`~xtycore.registry.ConfiguredCapability.call`.

- :func:`receive` takes a channel's push: each message is stored once (the
  partial unique index on the instance and the channel's message id is the
  backstop for pushes delivered twice or to two workers at once); a message
  naming the reference of a ticket of the same instance is appended to it and
  reopens it, any other opens a new ticket. Attachments are written under
  ``<instance>/uploads/support/`` before the transaction and removed again
  when it does not commit.
- :func:`reply` stores a staff reply (``pending``) and moves the ticket in one
  transaction, then hands it to the channel after the commit: no database
  transaction is open while a channel works. What the channel answered is
  recorded (``delivered`` or ``failed`` with its reason); :func:`retry` sends
  a failed reply again.
- Notes, assignment, solving, reopening and linking an order change only the
  database.

Signals (:mod:`xtycore.signals`) are sent after the commit: ``ticket_opened``,
``ticket_message_received``, ``ticket_replied``.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xtycore import signals
from xtycore.builtin.order_numbers import random_code
from xtycore.domain.errors import CapabilityUnavailable, InvalidWebhook, UnknownCapability, XtyError
from xtycore.domain.staff import StaffRole, permissions_of
from xtycore.domain.support import InboundMessage, OutboundMessage, SendResult
from xtycore.domain.support_states import DELIVERY, TICKET, Delivery, MessageDirection, TicketStatus
from xtycore.domain.webhooks import WebhookRequest
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Customer, Order, Staff
from xtycore.models.kernel import utcnow
from xtycore.models.support import (
    BODY_MAX_LENGTH, CONTACT_MAX_LENGTH, FILENAME_MAX_LENGTH, SUBJECT_MAX_LENGTH, SupportTicket, TicketAttachment,
    TicketMessage,
)
from xtycore.registry import ConfiguredCapability
from xtycore.services.images import uploads_root
from xtycore.services.orders import send_after_commit

log = logging.getLogger("xtycore.support")

#: The permission a staff member needs to be given a ticket (xtycore.domain.staff.ROLE_PERMISSIONS).
REPLY_PERMISSION = "support.reply"
#: A new ticket's subject when the message has none: the start of its first line, this long at most.
SUBJECT_FROM_BODY = 80
#: What a failed ``send`` that raised something other than a ChannelError leaves as the reason.
PLUGIN_FAILED = "the support channel plugin failed; its error is listed under Errors, plugin failures"


class TicketError(XtyError):
    """A staff request on a ticket that cannot be granted; nothing was changed. The message is for staff."""


class UnknownTicket(TicketError):
    """No ticket (or no message of the ticket) answers to what was asked for."""


# --------------------------------------------------------------------------
# receiving a channel's push
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundReply:
    """What the inbound route answers the channel: a status and a short JSON or text body."""

    status: int
    body: str
    content_type: str = "text/plain"


REPLY_UNKNOWN_INSTANCE = InboundReply(404, "no such support channel")
REPLY_INVALID = InboundReply(400, "invalid push")
REPLY_UNAVAILABLE = InboundReply(503, "try again later")


def receive(instance_id: int, request: WebhookRequest) -> InboundReply:
    """Verify a push with the enabled support instance ``instance_id`` and store its messages once each.

    Answers 200 with ``{"stored": n, "duplicates": m}``; 404 for an unknown or
    disabled instance; 400 when the channel refuses the push (a bad signature,
    a malformed body), 503 when its plugin fails. Nothing is stored unless the
    push verifies.
    """
    try:
        instance = get_kernel().registry.instance(instance_id, kind="support")
    except UnknownCapability:
        return REPLY_UNKNOWN_INSTANCE
    try:
        messages = _checked(instance, instance.call("parse_inbound", request=request))
    except InvalidWebhook as exc:
        log.warning("support push for %r rejected: %s", instance, exc)
        return REPLY_INVALID
    except CapabilityUnavailable:
        return REPLY_UNAVAILABLE
    stored = [message_id for message_id in (_store(instance, m) for m in messages) if message_id is not None]
    body = f'{{"stored": {len(stored)}, "duplicates": {len(messages) - len(stored)}}}'
    return InboundReply(200, body, "application/json")


def _checked(instance: ConfiguredCapability, messages: Any) -> list[InboundMessage]:
    """The channel's messages, or CapabilityUnavailable (logged) when the plugin returned something else."""
    problem = None
    if not isinstance(messages, (list, tuple)) or not all(isinstance(m, InboundMessage) for m in messages):
        problem = f"parse_inbound returned {type(messages).__name__}, not a list of InboundMessage"
    elif any(not m.channel_message_id or not m.sender.strip() for m in messages):
        problem = "parse_inbound returned a message without a channel_message_id or a sender"
    elif not all(_is_file(item) for m in messages for item in m.attachments):
        problem = "parse_inbound returned an attachment that is not (name, bytes, content type)"
    if problem:
        log.error("support push for %r: %s", instance, problem)
        raise CapabilityUnavailable(problem)
    return list(messages)


def _is_file(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str) and \
        isinstance(item[1], bytes) and isinstance(item[2], str)


def _known(instance_id: int, channel_message_id: str) -> bool:
    return db.session.execute(select(TicketMessage.id).where(
        TicketMessage.channel_instance_id == instance_id, TicketMessage.channel_message_id == channel_message_id,
        TicketMessage.direction == MessageDirection.INBOUND.value,
    )).first() is not None


def _store(instance: ConfiguredCapability, inbound: InboundMessage) -> int | None:
    """Store one inbound message in a transaction of its own: its id, or None when it was stored before."""
    message_id = inbound.channel_message_id[:200]
    if _known(instance.id, message_id):
        return None
    files = save_attachments(inbound.attachments)
    try:
        with transaction() as session:
            if _known(instance.id, message_id):  # stored since the first look (SQLite: writers take turns)
                files.remove()
                return None
            now = utcnow()
            ticket, opened = _ticket_for(instance, inbound, now)
            message = TicketMessage(
                ticket_id=ticket.id, direction=MessageDirection.INBOUND.value,
                author=inbound.sender.strip()[:CONTACT_MAX_LENGTH], body=inbound.body[:BODY_MAX_LENGTH],
                channel_instance_id=instance.id, channel_message_id=message_id, received_at=_utc(inbound.received_at),
                created_at=now,
            )
            session.add(message)
            session.flush()
            session.add_all(TicketAttachment(message_id=message.id, **saved) for saved in files.rows)
            stored = message.id
            if opened:
                send_after_commit(signals.ticket_opened, ticket=ticket, channel=instance)
            send_after_commit(signals.ticket_message_received, ticket=ticket, message=message, channel=instance)
        return stored
    except IntegrityError:
        files.remove()
        db.session.rollback()
        if _known(instance.id, message_id):  # another worker stored the same message at the same moment
            return None
        raise
    except BaseException:
        files.remove()
        raise


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc) if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _ticket_for(instance: ConfiguredCapability, inbound: InboundMessage, now: datetime) -> tuple[SupportTicket, bool]:
    """The ticket of the same instance the message names (locked, reopened), or a new one: (ticket, opened)."""
    ticket = None
    if inbound.ticket_reference.strip():
        ticket = db.session.execute(
            select(SupportTicket).where(SupportTicket.reference == inbound.ticket_reference.strip().upper(),
                                        SupportTicket.channel_instance_id == instance.id)
            .with_for_update().execution_options(populate_existing=True)
        ).scalar_one_or_none()
    if ticket is not None:
        ticket.status = TICKET.apply(TicketStatus(ticket.status), "receive").value
        ticket.last_inbound_at = ticket.updated_at = now
        return ticket, False
    contact = inbound.sender.strip()[:CONTACT_MAX_LENGTH]
    ticket = SupportTicket(
        reference=_new_reference(now), channel_instance_id=instance.id, contact=contact,
        customer_id=customer_of(contact), subject=_subject(inbound), status=TicketStatus.OPEN.value,
        created_at=now, updated_at=now, last_inbound_at=now,
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket, True


def _new_reference(now: datetime) -> str:
    """``TK20261127-7K3Q9X``: the shop-local date and six random characters, not used before."""
    day = now.astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"]))
    while True:
        reference = f"TK{day:%Y%m%d}-{random_code(6)}"
        if db.session.execute(select(SupportTicket.id).where(SupportTicket.reference == reference)).first() is None:
            return reference


def _subject(inbound: InboundMessage) -> str:
    if inbound.subject.strip():
        return " ".join(inbound.subject.split())[:SUBJECT_MAX_LENGTH]
    first = next((line.strip() for line in inbound.body.splitlines() if line.strip()), "")
    return first[:SUBJECT_FROM_BODY]


def customer_of(contact: str) -> int | None:
    """The customer whose email or mobile number ``contact`` is, or None."""
    address = contact.strip()
    digits = "".join(ch for ch in address if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:  # +86 138 0013 8000
        digits = digits[2:]
    if "@" in address:
        condition = Customer.email == address.lower()
    elif len(digits) == 11:
        condition = Customer.mobile == digits
    else:
        return None  # an openid or a handle: no customer to match
    return db.session.execute(select(Customer.id).where(condition)).scalar_one_or_none()


# --------------------------------------------------------------------------
# attachments
# --------------------------------------------------------------------------


@dataclass
class SavedFiles:
    """Attachments written to disk: the rows to insert, and the files to remove if they are not inserted."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def remove(self) -> None:
        for file in self.files:
            file.unlink(missing_ok=True)
        self.files.clear()


def save_attachments(items: Sequence[tuple[str, bytes, str]]) -> SavedFiles:
    """Write each file under a generated name; one over ``SUPPORT_ATTACHMENT_MAX_BYTES`` is listed, not kept."""
    saved = SavedFiles()
    cap = current_app.config["SUPPORT_ATTACHMENT_MAX_BYTES"]
    folder = f"support/{utcnow():%Y/%m}"
    try:
        for name, data, content_type in items:
            path = ""
            if len(data) <= cap:
                path = f"{folder}/{secrets.token_hex(16)}"
                target = uploads_root() / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                saved.files.append(target)
            saved.rows.append({"filename": clean_filename(name), "content_type": content_type.strip()[:100],
                               "size": len(data), "path": path})
    except OSError:
        saved.remove()
        raise
    return saved


def clean_filename(name: str) -> str:
    """The sender's file name without folders, control characters or leading dots, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if len(base) > FILENAME_MAX_LENGTH:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[:FILENAME_MAX_LENGTH - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 16 \
            else base[:FILENAME_MAX_LENGTH]
    return base or "attachment"


def attachment_file(attachment: TicketAttachment) -> Path | None:
    """Where a kept attachment is on disk, or None when it was not kept (or has gone)."""
    if not attachment.path:
        return None
    root = uploads_root().resolve()
    target = (root / attachment.path).resolve()
    if root not in target.parents or not target.is_file():
        return None
    return target


# --------------------------------------------------------------------------
# what staff do
# --------------------------------------------------------------------------


def locked_ticket(reference: str) -> SupportTicket:
    """The ticket, locked until the transaction ends and read afresh; UnknownTicket when there is none."""
    ticket = db.session.execute(
        select(SupportTicket).where(SupportTicket.reference == reference)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if ticket is None:
        raise UnknownTicket(f"no ticket {reference}")
    return ticket


def message_text(body: str) -> str:
    """A reply or note as typed, checked: TicketError when it is empty or too long."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(_("Write the message first."))
    if len(text) > BODY_MAX_LENGTH:
        raise TicketError(_("A message holds at most %(count)d characters.", count=BODY_MAX_LENGTH))
    return text


@dataclass(frozen=True)
class _Outgoing:
    """A reply as the channel gets it, read inside the transaction that stored it."""

    message_id: int
    instance_id: int
    message: OutboundMessage


def _outgoing(ticket: SupportTicket, message: TicketMessage) -> _Outgoing:
    if ticket.channel_instance_id is None:
        raise TicketError(_("The ticket's support channel was deleted, so no reply can reach the customer. "
                            "Add a note instead."))
    message.channel_instance_id = ticket.channel_instance_id
    return _Outgoing(message.id, ticket.channel_instance_id, OutboundMessage(
        ticket_reference=ticket.reference, recipient=ticket.contact, subject=ticket.subject or ticket.reference,
        body=message.body,
    ))


def reply(reference: str, body: str, *, staff: Staff) -> TicketMessage:
    """Store a staff reply and move the ticket to ``waiting``, then send it through the ticket's channel.

    :raises TicketError: an empty or too long body, or a ticket whose channel was deleted; nothing is stored.
    :raises UnknownTicket: no ticket has this reference.
    :returns: the reply, ``delivered`` or ``failed`` (with the reason) once the channel has answered.
    """
    text = message_text(body)
    with transaction() as session:
        ticket = locked_ticket(reference)
        message = TicketMessage(ticket_id=ticket.id, direction=MessageDirection.OUTBOUND.value, author=staff.email,
                                staff_id=staff.id, body=text, delivery=Delivery.PENDING.value)
        session.add(message)
        session.flush()
        outgoing = _outgoing(ticket, message)
        _touch(ticket, "reply")
        send_after_commit(signals.ticket_replied, ticket=ticket, message=message, author=f"staff:{staff.email}")
    return _deliver(outgoing)


def retry(reference: str, message_id: int) -> TicketMessage:
    """Send a reply whose delivery failed again, through the ticket's channel.

    :raises UnknownTicket: no such ticket, or no reply of it with this id.
    :raises TicketError: the reply is not failed (delivered, or being sent now), or the channel was deleted.
    """
    with transaction() as session:
        ticket = locked_ticket(reference)
        message = session.get(TicketMessage, message_id, with_for_update=True, populate_existing=True)
        if message is None or message.ticket_id != ticket.id or message.direction != MessageDirection.OUTBOUND.value:
            raise UnknownTicket(f"ticket {reference} has no reply {message_id}")
        if not DELIVERY.can(Delivery(message.delivery), "retry"):
            raise TicketError(_("Only a reply whose delivery failed can be sent again."))
        outgoing = _outgoing(ticket, message)
        message.delivery = DELIVERY.apply(Delivery.FAILED, "retry").value
    return _deliver(outgoing)


def _deliver(outgoing: _Outgoing) -> TicketMessage:
    """Hand a pending reply to its channel (no transaction open), then record what the channel answered."""
    try:
        instance = get_kernel().registry.instance(outgoing.instance_id, kind="support")
    except UnknownCapability:
        answer = SendResult(False, detail="the support channel is disabled, or its plugin is not enabled")
    else:
        try:
            answer = instance.call("send", message=outgoing.message)
        except XtyError as exc:  # the channel's own refusal (ChannelError), logged by the fault policy
            answer = SendResult(False, detail=str(exc))
        if answer is None:  # fail open: the plugin raised, and its failure is recorded
            answer = SendResult(False, detail=PLUGIN_FAILED)
        elif not isinstance(answer, SendResult):
            answer = SendResult(False, detail=f"send returned {type(answer).__name__}, not a SendResult")
    with transaction() as session:
        message = session.get(TicketMessage, outgoing.message_id, with_for_update=True, populate_existing=True)
        if message is None or message.delivery != Delivery.PENDING.value:
            return message  # recorded by another request meanwhile, or deleted with its ticket
        now = utcnow()
        event = "deliver" if answer.delivered else "fail"
        message.delivery = DELIVERY.apply(Delivery.PENDING, event).value
        message.delivery_detail = (answer.detail or "")[:4000]
        message.attempts += 1
        if answer.delivered:
            message.channel_message_id = answer.channel_message_id[:200] or None
            message.sent_at = now
            ticket = session.get(SupportTicket, message.ticket_id)
            ticket.last_outbound_at = now
        else:
            log.warning("support reply %s not delivered: %s", message.id, message.delivery_detail)
    return message


def add_note(reference: str, body: str, *, staff: Staff) -> TicketMessage:
    """Add an internal note to the ticket: staff only, never sent, no change of status."""
    text = message_text(body)
    with transaction() as session:
        ticket = locked_ticket(reference)
        note = TicketMessage(ticket_id=ticket.id, direction=MessageDirection.NOTE.value, author=staff.email,
                             staff_id=staff.id, body=text)
        session.add(note)
        ticket.updated_at = utcnow()
    return note


def assignable_staff() -> list[Staff]:
    """Active staff whose role lets them reply to tickets, by name."""
    roles = [role.value for role in StaffRole if REPLY_PERMISSION in permissions_of(role)]
    return list(db.session.execute(
        select(Staff).where(Staff.is_active.is_(True), Staff.role.in_(roles)).order_by(Staff.display_name, Staff.email)
    ).scalars())


def assign(reference: str, staff_id: int | None) -> SupportTicket:
    """Give the ticket to an active staff member who may reply to it, or to nobody (``None``).

    :raises TicketError: the staff member cannot take tickets, or already has this one.
    """
    with transaction() as session:
        ticket = locked_ticket(reference)
        if staff_id is not None:
            who = session.get(Staff, staff_id)
            if who is None or not who.is_active or REPLY_PERMISSION not in permissions_of(who.role):
                raise TicketError(_("A ticket can be given only to an active staff member who may reply to tickets."))
        if ticket.assignee_id == staff_id:
            raise TicketError(_("The ticket is assigned to them already.") if staff_id is not None
                              else _("Nobody is assigned to the ticket."))
        ticket.assignee_id = staff_id
        ticket.updated_at = utcnow()
    return ticket


def change_status(reference: str, event: str) -> SupportTicket:
    """Apply a staff event (``solve``, ``reopen``) to the ticket.

    :raises xtycore.domain.states.InvalidTransition: the ticket's status does not allow it; nothing changes.
    """
    with transaction():
        ticket = locked_ticket(reference)
        _touch(ticket, event)
    return ticket


def _touch(ticket: SupportTicket, event: str) -> None:
    ticket.status = TICKET.apply(TicketStatus(ticket.status), event).value
    ticket.updated_at = utcnow()


def link_order(reference: str, number: str) -> SupportTicket:
    """Link the order numbered ``number`` to the ticket (after-sales, 售后).

    :raises TicketError: no such order, one of another customer than the ticket's, or the one linked already.
    """
    number = number.strip().upper()
    if not number:
        raise TicketError(_("Enter the order number."))
    with transaction() as session:
        ticket = locked_ticket(reference)
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None:
            raise TicketError(_("There is no order %(number)s.", number=number))
        if ticket.customer_id is not None and order.customer_id != ticket.customer_id:
            raise TicketError(_("Order %(number)s is not this customer's: a ticket links only its customer's orders.",
                                number=number))
        if ticket.order_id == order.id:
            raise TicketError(_("Order %(number)s is linked already.", number=number))
        ticket.order_id = order.id
        ticket.updated_at = utcnow()
    return ticket
