"""Explicit state machines: a transition is the only way to change a status.

A machine is a table of ``(state, event) -> new state``. Applying an event the
table does not allow raises :class:`InvalidTransition` naming the state, the
event and what is allowed, so a caller (or a person in the back office) sees
exactly why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, Mapping, TypeVar

from xtycore.domain.errors import XtyError

S = TypeVar("S", bound=enum.Enum)


class InvalidTransition(XtyError):
    customer_message = "This action is not possible in the order's current state."


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    name: str
    transitions: Mapping[tuple[S, str], S]

    def allowed(self, state: S) -> list[str]:
        """Events allowed from ``state``, in table order."""
        return [event for (source, event) in self.transitions if source is state]

    def apply(self, state: S, event: str) -> S:
        try:
            return self.transitions[(state, event)]
        except KeyError:
            allowed = ", ".join(self.allowed(state)) or "nothing (final state)"
            raise InvalidTransition(
                f"{self.name}: cannot {event} when {state.value}; allowed: {allowed}"
            ) from None

    def can(self, state: S, event: str) -> bool:
        return (state, event) in self.transitions


class OrderStatus(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


_O = OrderStatus
ORDER = StateMachine[OrderStatus]("order", {
    (_O.PENDING_PAYMENT, "pay"): _O.PAID,
    (_O.PENDING_PAYMENT, "cancel"): _O.CANCELLED,
    (_O.PENDING_PAYMENT, "expire"): _O.CANCELLED,
    (_O.PAID, "ship"): _O.SHIPPED,
    (_O.PAID, "cancel"): _O.CANCELLED,  # before shipping; the money is refunded
    (_O.PAID, "refund"): _O.REFUNDED,
    (_O.SHIPPED, "deliver"): _O.DELIVERED,
    (_O.SHIPPED, "refund"): _O.REFUNDED,
    (_O.DELIVERED, "complete"): _O.COMPLETED,
    (_O.DELIVERED, "refund"): _O.REFUNDED,
    (_O.COMPLETED, "refund"): _O.REFUNDED,
    # money returned while the order keeps its fulfilment status: a partial refund, or any refund of a
    # cancelled order; the financial status (partially_refunded / refunded) is refund_status()
    (_O.PAID, "record_refund"): _O.PAID,
    (_O.SHIPPED, "record_refund"): _O.SHIPPED,
    (_O.DELIVERED, "record_refund"): _O.DELIVERED,
    (_O.COMPLETED, "record_refund"): _O.COMPLETED,
    (_O.CANCELLED, "record_refund"): _O.CANCELLED,
})


class RefundStatus(str, enum.Enum):
    """Money returned on an order, beside its fulfilment status (like Shopify's financial status)."""

    NONE = "none"
    PARTIAL = "partially_refunded"
    FULL = "refunded"


def refund_status(paid_minor: int, refunded_minor: int) -> RefundStatus:
    if not 0 <= refunded_minor <= paid_minor:
        raise ValueError(f"refunded {refunded_minor} must be between 0 and paid {paid_minor}")
    if refunded_minor == 0:
        return RefundStatus.NONE
    return RefundStatus.FULL if refunded_minor == paid_minor else RefundStatus.PARTIAL
