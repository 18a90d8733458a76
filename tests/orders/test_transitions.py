"""Order status changes only through transitions: recorded, refused when not allowed, announced after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.orders.helpers import make_product, place, stock_of
from xtycore import signals
from xtycore.domain.states import InvalidTransition
from xtycore.extensions import db, transaction
from xtycore.models import Order, Product
from xtycore.services import orders


@pytest.fixture
def received():
    """Every order signal sent during the test, as (signal name, order number, kwargs)."""
    seen: list[tuple[str, str, dict]] = []
    watched = [signals.order_paid, signals.order_cancelled, signals.order_shipped, signals.order_delivered,
               signals.order_completed, signals.order_refunded]
    handlers = []
    for signal in watched:
        def handler(sender, order, _name=signal.name, **kwargs):
            seen.append((_name, order.number, kwargs))
        signal.connect(handler)
        handlers.append((signal, handler))
    yield seen
    for signal, handler in handlers:
        signal.disconnect(handler)


def fresh(order_id: int) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_a_transition_changes_the_status_records_an_event_and_signals_after_commit(ctx, received):
    _, tea = make_product()
    order = place(ctx, (tea, 1)).order
    with transaction():
        orders.transition(order.id, "pay", actor="payment:2", note="支付宝 trade 2026…")
        assert received == []  # not before the commit
    order = fresh(order.id)
    assert order.status == "paid" and order.expires_at is None
    assert [(e.from_status, e.to_status, e.event, e.actor, e.note) for e in order.events][1:] == [
        ("pending_payment", "paid", "pay", "payment:2", "支付宝 trade 2026…")]
    assert received == [("order-paid", order.number, {"payment": None})]


def test_each_event_sends_its_own_signal_with_the_arguments_given(ctx, received):
    _, tea = make_product()
    order = place(ctx, (tea, 1)).order
    shipment = object()
    for event, extra in (("pay", {}), ("ship", {"shipment": shipment}), ("deliver", {"shipment": shipment}),
                         ("complete", {}), ("refund", {"refund": "R1", "lines": ("all",)})):
        with transaction():
            orders.transition(order.id, event, actor="staff:1", **extra)
    assert [(name, kwargs) for name, _number, kwargs in received] == [
        ("order-paid", {"payment": None}),
        ("order-shipped", {"shipment": shipment}),
        ("order-delivered", {"shipment": shipment}),
        ("order-completed", {}),
        ("order-refunded", {"refund": "R1", "lines": ("all",)}),
    ]
    assert fresh(order.id).status == "refunded"


@pytest.mark.parametrize("event", ["ship", "deliver", "complete", "refund", "no-such-event"])
def test_an_event_the_state_machine_does_not_allow_changes_nothing(ctx, received, event):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with pytest.raises(InvalidTransition, match=f"cannot {event} when pending_payment"):
        with transaction():
            orders.transition(order.id, event, actor="staff:1")
    order = fresh(order.id)
    assert order.status == "pending_payment" and len(order.events) == 1
    assert stock_of(tea) == 4 and received == []


def test_a_shipped_order_can_no_longer_be_cancelled(ctx):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    for event in ("pay", "ship"):
        with transaction():
            orders.transition(order.id, event, actor="staff:1")
    with pytest.raises(InvalidTransition):
        orders.cancel(order.id, actor="customer:1")
    assert fresh(order.id).status == "shipped" and stock_of(tea) == 4


def test_cancelling_returns_the_stock_once(ctx, received):
    _, tea = make_product(stock=5)
    _, cups = make_product(stock=5)
    order = place(ctx, (tea, 2), (cups, 1)).order
    assert (stock_of(tea), stock_of(cups)) == (3, 4)
    orders.cancel(order.id, actor="customer:7", reason="买错了")
    assert (stock_of(tea), stock_of(cups)) == (5, 5)
    with pytest.raises(InvalidTransition):
        orders.cancel(order.id, actor="customer:7")
    assert (stock_of(tea), stock_of(cups)) == (5, 5)
    assert received == [("order-cancelled", order.number, {"reason": "买错了", "actor": "customer:7"})]


def test_stock_of_a_deleted_variant_is_not_returned_and_the_snapshot_stays(ctx):
    product, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with transaction():
        db.session.delete(db.session.get(Product, product))
    orders.cancel(order.id, actor="staff:1")
    order = fresh(order.id)
    assert order.status == "cancelled"
    assert (order.lines[0].variant_id, order.lines[0].product_name) == (None, "西湖龙井")


def test_no_signal_is_sent_when_the_callers_transaction_rolls_back(ctx, received):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with pytest.raises(RuntimeError):
        with transaction():
            orders.transition(order.id, "cancel", actor="staff:1")
            raise RuntimeError("the refund record could not be written")
    assert fresh(order.id).status == "pending_payment" and stock_of(tea) == 4
    with transaction():
        pass  # a later commit does not send the dropped signal either
    assert received == []


def test_a_signal_queued_in_a_rolled_back_savepoint_is_dropped_with_it(ctx, received):
    _, tea = make_product(stock=5)
    first = place(ctx, (tea, 1)).order
    second = place(ctx, (tea, 1)).order
    with transaction():
        orders.transition(first.id, "pay", actor="staff:1")
        savepoint = db.session.begin_nested()
        orders.transition(second.id, "cancel", actor="staff:1")
        savepoint.rollback()
    assert [(name, number) for name, number, _ in received] == [("order-paid", first.number)]
    assert fresh(second.id).status == "pending_payment"


def test_mark_paid_pays_once_and_answers_false_to_a_repeated_notice(ctx, received):
    product, tea = make_product(stock=5)
    order = place(ctx, (tea, 2)).order
    with transaction():
        assert orders.mark_paid(order.id, order.total_minor, actor="payment:1") is True
    with transaction():
        assert orders.mark_paid(order.id, order.total_minor, actor="payment:1") is False
    order = fresh(order.id)
    assert (order.status, order.paid_minor) == ("paid", order.total_minor)
    assert [e.event for e in order.events] == ["place", "pay"]
    assert len(received) == 1
    assert db.session.execute(select(Product.sales_count).where(Product.id == product)).scalar_one() == 2


def test_mark_paid_refuses_an_amount_other_than_the_total(ctx):
    _, tea = make_product()
    order = place(ctx, (tea, 1)).order
    with pytest.raises(orders.AmountMismatch):
        with transaction():
            orders.mark_paid(order.id, order.total_minor - 1, actor="payment:1")
    order = fresh(order.id)
    assert (order.status, order.paid_minor) == ("pending_payment", 0)


def test_money_for_an_order_that_expired_is_refused_so_it_can_be_refunded(ctx):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with transaction():
        orders.transition(order.id, "expire", actor="system")
    with pytest.raises(InvalidTransition, match="refund the payment"):
        with transaction():
            orders.mark_paid(order.id, order.total_minor, actor="payment:1")
    assert fresh(order.id).paid_minor == 0 and stock_of(tea) == 5


def test_an_unknown_order_is_not_found(ctx):
    with pytest.raises(orders.OrderNotFound):
        with transaction():
            orders.transition(424242, "pay", actor="staff:1")
