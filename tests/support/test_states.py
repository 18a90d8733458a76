"""The ticket lifecycle: who a ticket waits for, moved only by the state machine."""

import pytest

from xtycore.domain.states import InvalidTransition
from xtycore.domain.support_states import DELIVERY, TICKET, Delivery, TicketStatus


def test_a_reply_hands_the_ticket_to_the_customer_and_their_answer_hands_it_back():
    status = TICKET.apply(TicketStatus.OPEN, "reply")
    assert status is TicketStatus.WAITING
    assert TICKET.apply(status, "receive") is TicketStatus.OPEN


@pytest.mark.parametrize("status", [TicketStatus.WAITING, TicketStatus.SOLVED])
def test_a_customers_message_reopens_a_waiting_or_solved_ticket(status):
    assert TICKET.apply(status, "receive") is TicketStatus.OPEN


def test_staff_solve_and_reopen():
    assert TICKET.apply(TicketStatus.OPEN, "solve") is TicketStatus.SOLVED
    assert TICKET.apply(TicketStatus.WAITING, "solve") is TicketStatus.SOLVED
    assert TICKET.apply(TicketStatus.SOLVED, "reopen") is TicketStatus.OPEN


def test_solving_a_solved_ticket_or_reopening_an_unsolved_one_is_refused_with_the_reason():
    with pytest.raises(InvalidTransition, match="ticket: cannot solve when solved; allowed: receive, reply, reopen"):
        TICKET.apply(TicketStatus.SOLVED, "solve")
    for status in (TicketStatus.OPEN, TicketStatus.WAITING):
        with pytest.raises(InvalidTransition, match=f"cannot reopen when {status.value}"):
            TICKET.apply(status, "reopen")


def test_only_a_failed_reply_is_tried_again():
    assert DELIVERY.apply(Delivery.FAILED, "retry") is Delivery.PENDING
    for status in (Delivery.PENDING, Delivery.DELIVERED):
        assert not DELIVERY.can(status, "retry")
