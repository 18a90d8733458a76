import pytest

from xtycore.domain.states import ORDER, InvalidTransition, OrderStatus, RefundStatus, refund_status


def test_an_order_moves_from_payment_to_completion_only_in_order():
    status = OrderStatus.PENDING_PAYMENT
    for event in ("pay", "ship", "deliver", "complete"):
        status = ORDER.apply(status, event)
    assert status is OrderStatus.COMPLETED


def test_a_shipped_order_cannot_be_cancelled_and_the_error_names_what_is_allowed():
    with pytest.raises(InvalidTransition, match="cannot cancel when shipped; allowed: deliver, refund"):
        ORDER.apply(OrderStatus.SHIPPED, "cancel")


def test_final_states_allow_nothing_but_recording_a_refund():
    # a cancelled order that had been paid gives its money back: the refund is recorded, the status stays
    assert ORDER.allowed(OrderStatus.CANCELLED) == ["record_refund"]
    assert ORDER.apply(OrderStatus.CANCELLED, "record_refund") is OrderStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="nothing"):
        ORDER.apply(OrderStatus.REFUNDED, "pay")


@pytest.mark.parametrize("paid, refunded, expected", [
    (1000, 0, RefundStatus.NONE), (1000, 1, RefundStatus.PARTIAL), (1000, 1000, RefundStatus.FULL),
])
def test_refund_status_follows_the_refunded_amount(paid, refunded, expected):
    assert refund_status(paid, refunded) is expected


def test_refunding_more_than_was_paid_is_impossible():
    with pytest.raises(ValueError):
        refund_status(1000, 1001)
