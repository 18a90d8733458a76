"""Orders after they are placed: status transitions, payment, expiry, look-ups, guest links.

Every status change goes through :func:`transition`, which applies the
:data:`~xtycore.domain.states.ORDER` state machine to the locked order row,
records an :class:`~xtycore.models.OrderEvent`, returns stock when an order is
cancelled or expires, and queues the matching signal. :func:`transition` and
:func:`mark_paid` work inside the caller's ``with transaction():`` so that a
payment record and the order's new status commit together; the signal is sent
once that transaction commits (and never if it rolls back).

Also here, as before: :func:`new_order_number` and :func:`compute_tax`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, selectinload

from xtycore import signals
from xtycore.domain.contributions import TaxLine
from xtycore.domain.couriers import Address
from xtycore.domain.errors import PluginError, XtyError
from xtycore.domain.promotions import CartLine
from xtycore.domain.states import ORDER, InvalidTransition, OrderStatus
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models import Order, OrderEvent, OrderLine, Variant
from xtycore.models.kernel import utcnow
from xtycore.plugins import FaultPolicy, send_signal

MAX_ORDER_NUMBER = 32

#: Separates guest order links from anything else signed with SECRET_KEY.
ORDER_LINK_SALT = "xtycore.orders.link"

#: What customers read for each status.
STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "待付款",
    OrderStatus.PAID: "待发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.DELIVERED: "已送达",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.REFUNDED: "已退款",
}

#: Statuses an order reaches only by being paid.
PAID_STATUSES = frozenset({
    OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.REFUNDED,
})

#: The signal each event sends, and the keyword arguments it carries unless the caller gives them.
EVENT_SIGNALS: dict[str, tuple[Any, dict[str, Any]]] = {
    "pay": (signals.order_paid, {"payment": None}),
    "cancel": (signals.order_cancelled, {}),
    "expire": (signals.order_cancelled, {}),
    "ship": (signals.order_shipped, {"shipment": None}),
    "deliver": (signals.order_delivered, {"shipment": None}),
    "complete": (signals.order_completed, {}),
    "refund": (signals.order_refunded, {"refund": None, "lines": ()}),
    "record_refund": (signals.order_refunded, {"refund": None, "lines": ()}),
}


class OrderError(XtyError):
    """An order request that cannot be granted."""


class OrderNotFound(OrderError):
    """No such order, or not one the asker may see (the web layer answers 404)."""

    customer_message = "订单不存在"


class AmountMismatch(OrderError):
    """A payment confirmed an amount other than the order's total."""

    customer_message = "支付金额与订单金额不符"


# --------------------------------------------------------------------------
# order numbers and tax (plugin hooks, fail closed)
# --------------------------------------------------------------------------


def new_order_number(order: Mapping[str, Any]) -> str:
    """The number of a new order, from the first plugin that chooses one (fail closed)."""
    number = get_kernel().plugins.first("xtycore_order_number", policy=FaultPolicy.CLOSED, order=order)
    if not isinstance(number, str) or not number or len(number) > MAX_ORDER_NUMBER:
        raise PluginError(f"order number {number!r} is not a string of 1 to {MAX_ORDER_NUMBER} characters")
    return number


def compute_tax(lines: Sequence[CartLine], address: Address | None, currency: str) -> list[TaxLine]:
    """Tax lines from every enabled tax plugin (fail closed: no tax, no order)."""
    taxes = [
        line for _plugin, line in get_kernel().plugins.collect(
            "xtycore_compute_tax", policy=FaultPolicy.CLOSED, lines=lines, address=address, currency=currency
        )
    ]
    for line in taxes:
        if line.amount.currency != currency:
            raise PluginError(f"tax line {line.label!r} is in {line.amount.currency}, the order in {currency}")
        if line.amount.minor < 0:
            raise PluginError(f"tax line {line.label!r} is negative: {line.amount}")
    return taxes


# --------------------------------------------------------------------------
# signals after commit
# --------------------------------------------------------------------------

_PENDING = "xty_signals_pending"
_READY = "xty_signals_ready"
_SAVEPOINTS = "xty_signals_savepoints"


def send_after_commit(signal: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits; drop it if the transaction does not.

    Receivers run after the commit is complete, with the session free for
    their own reads and ``with transaction():`` blocks. A signal queued inside
    a savepoint (``begin_nested()``) that rolls back is dropped with it.
    """
    db.session().info.setdefault(_PENDING, []).append((signal, kwargs))


@event.listens_for(Session, "after_transaction_create")
def _began(session: Session, trans: Any) -> None:
    if trans.nested:
        session.info.setdefault(_SAVEPOINTS, {})[id(trans)] = [len(session.info.get(_PENDING, ())), False]


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is not None:  # a savepoint was released; the real commit is still to come
        mark = session.info.get(_SAVEPOINTS, {}).get(id(nested))
        if mark is not None:
            mark[1] = True
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, trans: Any) -> None:
    if trans.nested:
        mark = session.info.get(_SAVEPOINTS, {}).pop(id(trans), None)
        if mark is not None and not mark[1] and _PENDING in session.info:
            del session.info[_PENDING][mark[0]:]  # the savepoint rolled back: so do its signals
        return
    if trans.parent is not None:
        return
    session.info.pop(_PENDING, None)  # never committed: rolled back or closed
    session.info.pop(_SAVEPOINTS, None)
    ready = session.info.pop(_READY, None)
    if ready:
        app = current_app._get_current_object()
        for signal, kwargs in ready:
            send_signal(signal, app, **kwargs)


# --------------------------------------------------------------------------
# transitions (inside the caller's transaction)
# --------------------------------------------------------------------------


def locked_order(order_id: int) -> Order:
    """The order row, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL;
    SQLite's ``BEGIN IMMEDIATE`` already serialises writers), read afresh.

    :raises OrderNotFound: no order has this id.
    """
    order = db.session.execute(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound(f"no order with id {order_id}")
    return order


def transition(order_id: int, event: str, *, actor: str, note: str = "", **signal_kwargs: Any) -> Order:
    """Apply ``event`` to the order inside the caller's ``with transaction():``.

    Records an :class:`OrderEvent`; on ``cancel`` or ``expire`` puts the
    ordered quantities back in stock; on ``pay`` counts the units sold. After
    the caller's transaction commits, sends the event's signal
    (:data:`EVENT_SIGNALS`) with ``order`` and ``signal_kwargs`` (for example
    ``shipment=`` for ``ship``).

    :raises OrderNotFound: no order has this id.
    :raises InvalidTransition: the state machine does not allow ``event`` now;
        nothing is changed.
    """
    return apply_event(locked_order(order_id), event, actor=actor, note=note, **signal_kwargs)


def apply_event(order: Order, event: str, *, actor: str, note: str = "", **signal_kwargs: Any) -> Order:
    """:func:`transition` for an order row the caller has already locked."""
    source = OrderStatus(order.status)
    target = ORDER.apply(source, event)
    order.status = target.value
    order.updated_at = utcnow()
    if target is not OrderStatus.PENDING_PAYMENT:
        order.expires_at = None
    db.session.add(OrderEvent(
        order_id=order.id, from_status=source.value, to_status=target.value, event=event,
        actor=actor[:200], note=note,
    ))
    if target is OrderStatus.CANCELLED and source is not OrderStatus.CANCELLED:
        return_stock(order.id)
    if event == "pay":
        _count_sales(order.id)
    db.session.flush()
    signal, defaults = EVENT_SIGNALS.get(event, (None, {}))
    if signal is not None:
        kwargs = dict(defaults)
        if signal is signals.order_cancelled:
            kwargs.update(reason=note or event, actor=actor)
        kwargs.update(signal_kwargs)
        send_after_commit(signal, order=order, **kwargs)
    return order


def return_stock(order_id: int) -> None:
    """Put an order's quantities back on its variants (those that still exist), one
    ``UPDATE … SET stock = stock + n`` per line, in variant order so that
    concurrent writers lock rows in the same order."""
    lines = db.session.execute(
        select(OrderLine.variant_id, func.sum(OrderLine.quantity))
        .where(OrderLine.order_id == order_id, OrderLine.variant_id.is_not(None))
        .group_by(OrderLine.variant_id)
        .order_by(OrderLine.variant_id)
    ).all()
    for variant_id, quantity in lines:
        db.session.execute(
            update(Variant).where(Variant.id == variant_id).values(stock=Variant.stock + quantity)
            .execution_options(synchronize_session=False)
        )


def _count_sales(order_id: int) -> None:
    from xtycore.services.catalog import add_sales

    rows = db.session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity))
        .where(OrderLine.order_id == order_id, OrderLine.product_id.is_not(None))
        .group_by(OrderLine.product_id)
        .order_by(OrderLine.product_id)
    ).all()
    for product_id, quantity in rows:
        add_sales(product_id, int(quantity))


def mark_paid(order_id: int, amount_minor: int, *, actor: str, payment: Any = None) -> bool:
    """Record that the order's total was paid, inside the caller's ``with transaction():``.

    Idempotent: returns False, changing nothing, when the order is already
    paid (a repeated gateway notice); True when this call paid it.

    :raises AmountMismatch: ``amount_minor`` is not the order's ``total_minor``.
    :raises InvalidTransition: the order cannot be paid any more (it expired or
        was cancelled unpaid): the payment must be refunded.
    :raises OrderNotFound: no order has this id.
    """
    order = locked_order(order_id)
    if order.paid_minor > 0 or OrderStatus(order.status) in PAID_STATUSES:
        return False
    if amount_minor != order.total_minor:
        raise AmountMismatch(
            f"order {order.number} totals {order.total_minor} but {amount_minor} was paid"
        )
    if not ORDER.can(OrderStatus(order.status), "pay"):
        raise InvalidTransition(
            f"order {order.number} is {order.status} and cannot be paid; refund the payment",
            customer_message="订单已取消，款项将原路退回",
        )
    order.paid_minor = amount_minor
    apply_event(order, "pay", actor=actor, payment=payment)
    return True


# --------------------------------------------------------------------------
# use cases with their own transaction
# --------------------------------------------------------------------------


def cancel(order_id: int, *, actor: str, reason: str = "") -> Order:
    """Cancel an order before it ships, in its own transaction; its stock goes back.

    A paid order's money is refunded by whoever handles ``order_cancelled``
    (the payments module): the signal carries the order with its ``paid_minor``.

    :raises InvalidTransition: the order has shipped, or is already cancelled.
    """
    with transaction():
        return transition(order_id, "cancel", actor=actor, note=reason)


def expire_unpaid_orders(now: datetime | None = None, *, batch: int = 500) -> int:
    """Cancel every unpaid order past its ``expires_at``, returning its stock; returns how many.

    Each order is expired in its own transaction on the locked row, so a
    payment confirmed at the same moment either wins (the order stays paid)
    or finds the order cancelled. Running it twice changes nothing the
    second time.
    """
    now = now or utcnow()
    minutes = current_app.config["ORDER_PAYMENT_TIMEOUT_MINUTES"]
    due = db.session.execute(
        select(Order.id)
        .where(Order.status == OrderStatus.PENDING_PAYMENT.value, Order.expires_at <= now)
        .order_by(Order.expires_at, Order.id)
        .limit(batch)
    ).scalars().all()
    expired = 0
    for order_id in due:
        with transaction():
            order = locked_order(order_id)
            if order.status != OrderStatus.PENDING_PAYMENT.value or order.expires_at is None:
                continue
            if aware(order.expires_at) > now:
                continue
            apply_event(order, "expire", actor="system", note=f"未在{minutes}分钟内付款，订单自动取消")
            expired += 1
    return expired


# --------------------------------------------------------------------------
# look-ups
# --------------------------------------------------------------------------


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def customer_orders(customer_id: int, *, page: int = 1, per_page: int = 20) -> tuple[list[Order], int]:
    """A page of the customer's orders, newest first, and how many they have in all."""
    page = max(page, 1)
    total = db.session.execute(
        select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
    ).scalar_one()
    orders = db.session.execute(
        select(Order).where(Order.customer_id == customer_id)
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return list(orders), total


def customer_order_figures():
    """Per customer: how many orders they placed and what they paid net of refunds.

    A subquery of ``customer_id``, ``order_count`` and ``spent_minor`` (minor units of ``SHOP_CURRENCY``),
    grouped in SQL, to outer-join on the customers (who have no row here until they order).
    """
    return (
        select(Order.customer_id.label("customer_id"), func.count(Order.id).label("order_count"),
               func.sum(Order.paid_minor - Order.refunded_minor).label("spent_minor"))
        .where(Order.customer_id.is_not(None))
        .group_by(Order.customer_id)
        .subquery()
    )


def customer_order(customer_id: int, number: str) -> Order:
    """One of the customer's orders by number.

    :raises OrderNotFound: no such order, or it is someone else's: the same answer for both.
    """
    order = db.session.execute(
        select(Order).where(Order.number == number, Order.customer_id == customer_id)
        .options(selectinload(Order.lines), selectinload(Order.events))
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound(f"customer {customer_id} has no order {number!r}")
    return order


def order_by_token(checkout_token: str) -> Order | None:
    """The order placed with this checkout token, if any."""
    return db.session.execute(
        select(Order).where(Order.checkout_token == checkout_token)
    ).scalar_one_or_none()


def bought_quantities(customer_id: int, product_ids: Sequence[int]) -> dict[int, int]:
    """Units of each product in the customer's orders that were not cancelled (for 限购)."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.customer_id == customer_id,
            Order.status != OrderStatus.CANCELLED.value,
            OrderLine.product_id.in_(list(product_ids)),
        )
        .group_by(OrderLine.product_id)
    ).all()
    return {product_id: int(quantity) for product_id, quantity in rows}


def can_cancel(order: Order) -> bool:
    """Whether the order may still be cancelled (before it ships)."""
    return ORDER.can(OrderStatus(order.status), "cancel")


def status_label(status: str) -> str:
    return STATUS_LABELS[OrderStatus(status)]


def payment_deadline(order: Order) -> datetime | None:
    return aware(order.expires_at) if order.expires_at is not None else None


def payment_timeout() -> timedelta:
    return timedelta(minutes=int(current_app.config["ORDER_PAYMENT_TIMEOUT_MINUTES"]))


# --------------------------------------------------------------------------
# guest links
# --------------------------------------------------------------------------


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=ORDER_LINK_SALT)


def order_link_token(order: Order) -> str:
    """A signed token that opens this order without an account (the guest's link)."""
    return _link_serializer().dumps({"id": order.id, "n": order.number})


def order_for_link(token: str) -> Order:
    """The order a signed link names, if the signature holds and the link is recent enough.

    :raises OrderNotFound: forged, malformed, older than ``ORDER_LINK_MAX_AGE_DAYS`` or no such order.
    """
    max_age = int(current_app.config["ORDER_LINK_MAX_AGE_DAYS"]) * 86400
    try:
        data = _link_serializer().loads(token, max_age=max_age)
    except BadSignature as exc:  # SignatureExpired is a BadSignature
        raise OrderNotFound("order link is invalid or expired") from exc
    if not (isinstance(data, dict) and isinstance(data.get("id"), int) and isinstance(data.get("n"), str)):
        raise OrderNotFound("order link payload is malformed")
    order = db.session.execute(
        select(Order).where(Order.id == data["id"], Order.number == data["n"])
        .options(selectinload(Order.lines), selectinload(Order.events))
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound(f"order link names order {data['id']} which does not exist")
    return order
