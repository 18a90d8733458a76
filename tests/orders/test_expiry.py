"""Unpaid orders hold stock for ORDER_PAYMENT_TIMEOUT_MINUTES; then the expiry job cancels them and returns it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from tests.orders.helpers import make_product, make_shop, place, stock_of
from xtycore.domain.contributions import Schedule
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Order
from xtycore.models.kernel import utcnow
from xtycore.services import orders


def status(order_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Order, order_id).status


def test_an_unpaid_order_past_its_deadline_is_cancelled_and_its_stock_returned(ctx):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 2)).order
    placed_at = orders.aware(order.placed_at)
    assert stock_of(tea) == 3

    assert orders.expire_unpaid_orders(now=placed_at + timedelta(minutes=29)) == 0
    assert status(order.id) == "pending_payment" and stock_of(tea) == 3

    assert orders.expire_unpaid_orders(now=placed_at + timedelta(minutes=30)) == 1
    assert status(order.id) == "cancelled" and stock_of(tea) == 5
    event = db.session.get(Order, order.id).events[-1]
    assert (event.event, event.actor, event.note) == ("expire", "system", "未在30分钟内付款，订单自动取消")


def test_expiring_twice_changes_nothing_the_second_time(ctx):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    later = orders.aware(order.placed_at) + timedelta(hours=1)
    assert orders.expire_unpaid_orders(now=later) == 1
    assert orders.expire_unpaid_orders(now=later) == 0
    assert stock_of(tea) == 5 and len(db.session.get(Order, order.id).events) == 2


def test_paid_orders_never_expire(ctx):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with transaction():
        orders.mark_paid(order.id, order.total_minor, actor="payment:1")
    assert orders.expire_unpaid_orders(now=utcnow() + timedelta(days=1)) == 0
    assert status(order.id) == "paid" and stock_of(tea) == 4


def test_a_payment_that_lands_between_the_look_up_and_the_lock_wins(ctx, monkeypatch):
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order

    @contextmanager
    def paid_just_before_the_transaction():
        with db.engine.begin() as other:
            other.execute(Order.__table__.update().where(Order.id == order.id)
                          .values(status="paid", paid_minor=Order.total_minor, expires_at=None))
        with transaction() as session:
            yield session

    monkeypatch.setattr(orders, "transaction", paid_just_before_the_transaction)
    assert orders.expire_unpaid_orders(now=utcnow() + timedelta(hours=1)) == 0
    assert status(order.id) == "paid" and stock_of(tea) == 4


def test_the_timeout_is_configurable(xty_make_app):
    shop = make_shop(xty_make_app, config={"ORDER_PAYMENT_TIMEOUT_MINUTES": 5})
    with shop.app.app_context():
        _, tea = make_product()
        order = place(shop, (tea, 1)).order
        assert orders.aware(order.expires_at) - orders.aware(order.placed_at) == timedelta(minutes=5)


def test_the_expiry_job_runs_every_minute_and_expires_orders(ctx):
    jobs = get_kernel().jobs
    registered = jobs.registered["xtycore.expire_unpaid_orders"]
    assert (registered.plugin, registered.job.schedule) == ("xtycore.order_jobs", Schedule())
    _, tea = make_product(stock=5)
    order = place(ctx, (tea, 1)).order
    with transaction():
        db.session.get(Order, order.id).expires_at = utcnow() - timedelta(seconds=1)
    assert jobs.run_now("xtycore.expire_unpaid_orders") == 1
    assert status(order.id) == "cancelled" and stock_of(tea) == 5


def test_abandoned_carts_are_pruned_by_a_nightly_job(ctx):
    registered = get_kernel().jobs.registered["xtycore.prune_abandoned_carts"]
    assert registered.job.schedule == Schedule(minute="41", hour="3")
    assert get_kernel().jobs.run_now("xtycore.prune_abandoned_carts") == 0
