"""The support ticket lifecycle: who the ticket waits for, and how messages and staff move it.

A ticket is ``open`` while it waits for the shop: a customer wrote and nobody
has answered yet. A staff reply hands it to the customer (``waiting``); the
customer's next message hands it back (``open``). Staff mark it ``solved``
when there is nothing left to do, and may reopen it; a customer writing to a
solved ticket reopens it too, so no message is ever left unseen.
"""

from __future__ import annotations

import enum

from xtycore.domain.states import StateMachine


class TicketStatus(str, enum.Enum):
    OPEN = "open"  #: waiting for the shop
    WAITING = "waiting"  #: waiting on the customer, after a staff reply
    SOLVED = "solved"


_T = TicketStatus
TICKET = StateMachine[TicketStatus]("ticket", {
    (_T.OPEN, "receive"): _T.OPEN,
    (_T.OPEN, "reply"): _T.WAITING,
    (_T.OPEN, "solve"): _T.SOLVED,
    (_T.WAITING, "receive"): _T.OPEN,
    (_T.WAITING, "reply"): _T.WAITING,
    (_T.WAITING, "solve"): _T.SOLVED,
    (_T.SOLVED, "receive"): _T.OPEN,
    (_T.SOLVED, "reply"): _T.WAITING,  # a follow-up after solving asks the customer again
    (_T.SOLVED, "reopen"): _T.OPEN,
})

#: The events staff apply by hand from a ticket's page (a reply moves the ticket as it is sent).
STAFF_EVENTS = ("solve", "reopen")


class MessageDirection(str, enum.Enum):
    INBOUND = "inbound"  #: from the customer, through the ticket's channel
    OUTBOUND = "outbound"  #: a staff reply, sent through the ticket's channel
    NOTE = "note"  #: an internal note: staff only, never sent


class Delivery(str, enum.Enum):
    """Where a staff reply stands with its channel."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


#: A reply leaves ``pending`` once per attempt; a failed one may be tried again.
DELIVERY = StateMachine[Delivery]("reply delivery", {
    (Delivery.PENDING, "deliver"): Delivery.DELIVERED,
    (Delivery.PENDING, "fail"): Delivery.FAILED,
    (Delivery.FAILED, "retry"): Delivery.PENDING,
})
