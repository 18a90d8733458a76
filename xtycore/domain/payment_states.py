"""The payment lifecycle: the statuses of a kernel payment and how events move it.

A payment is the kernel's record of one attempt to collect an order's amount
through one configured gateway instance. It starts ``pending``; the gateway's
answer (a verified callback, a query, a staff confirmation) moves it on.

A success is accepted even after a failure or a cancellation: when a gateway
says the money arrived, the money is there, and the shop must record it (and
then refund it if the order can no longer take it) rather than lose it.
"""

from __future__ import annotations

import enum

from xtycore.domain.money import Money
from xtycore.domain.payments import EventKind, TxStatus
from xtycore.domain.states import StateMachine


class PaymentStatus(str, enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_P = PaymentStatus
PAYMENT = StateMachine[PaymentStatus]("payment", {
    (_P.PENDING, "succeed"): _P.SUCCEEDED,
    (_P.PENDING, "fail"): _P.FAILED,
    (_P.PENDING, "cancel"): _P.CANCELLED,
    (_P.FAILED, "succeed"): _P.SUCCEEDED,
    (_P.CANCELLED, "succeed"): _P.SUCCEEDED,
    (_P.SUCCEEDED, "void"): _P.CANCELLED,  # an authorisation released before any capture
})


class LedgerStatus(str, enum.Enum):
    """The status of one entry of the transactions ledger."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: A ledger entry leaves ``pending`` once, to one outcome.
TRANSACTION = StateMachine[LedgerStatus]("payment transaction", {
    (LedgerStatus.PENDING, "succeed"): LedgerStatus.SUCCEEDED,
    (LedgerStatus.PENDING, "fail"): LedgerStatus.FAILED,
})

#: The lifecycle event a verified gateway event asks for (refund events belong to the refunds ledger).
EVENT_FOR_KIND: dict[EventKind, str] = {
    EventKind.PAYMENT_SUCCEEDED: "succeed",
    EventKind.PAYMENT_FAILED: "fail",
    EventKind.PAYMENT_CLOSED: "cancel",
}

#: The lifecycle event a gateway's query answer asks for; ``PENDING`` asks for none.
EVENT_FOR_TX_STATUS: dict[TxStatus, str] = {
    TxStatus.SUCCEEDED: "succeed",
    TxStatus.FAILED: "fail",
}

#: What a verified refund event asks of the pending refund it names.
REFUND_EVENT_FOR_KIND: dict[EventKind, str] = {
    EventKind.REFUND_SUCCEEDED: "succeed",
    EventKind.REFUND_FAILED: "fail",
}


def amount_problem(expected: Money, reported: Money | None) -> str:
    """Why a gateway's reported amount cannot settle a payment of ``expected``; empty when it can."""
    if reported is None:
        return "the gateway reported no amount"
    if reported.currency != expected.currency:
        return f"the gateway reported {reported}, the payment is {expected}: the currency differs"
    if reported != expected:
        return f"the gateway reported {reported}, the payment is {expected}"
    return ""
