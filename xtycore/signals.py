"""Domain events, as blinker signals: fire and forget.

Every signal is sent with the Flask application as sender and keyword
arguments as documented beside it; receivers must accept ``**kwargs`` so the
kernel can add arguments later. Receivers are notified after the change has
been committed; a failing receiver is logged and never undoes the change (see
:func:`xtycore.plugins.send_signal`). To *decide* something, implement a hook
in :mod:`xtycore.hookspecs` instead.
"""

from blinker import Namespace

_signals = Namespace()

# orders ----------------------------------------------------------------------
#: An order was placed. kwargs: ``order`` (the Order row).
order_placed = _signals.signal("order-placed", doc="An order was placed. kwargs: order")
#: An order was paid in full. kwargs: ``order``, ``payment``.
order_paid = _signals.signal("order-paid", doc="An order was paid. kwargs: order, payment")
#: An order was cancelled. kwargs: ``order``, ``reason``, ``actor``.
order_cancelled = _signals.signal(
    "order-cancelled", doc="An order was cancelled. kwargs: order, reason, actor"
)
#: An order's first shipment left. kwargs: ``order``, ``shipment``.
order_shipped = _signals.signal("order-shipped", doc="An order was shipped. kwargs: order, shipment")
#: A shipment of the order was signed for (签收). kwargs: ``order``, ``shipment``.
order_delivered = _signals.signal(
    "order-delivered", doc="An order was delivered. kwargs: order, shipment"
)
#: The customer confirmed receipt (确认收货) or the confirmation period ended. kwargs: ``order``.
order_completed = _signals.signal("order-completed", doc="An order was completed. kwargs: order")
#: Money was refunded on an order (fully or partly). kwargs: ``order``, ``refund``, ``lines``.
order_refunded = _signals.signal(
    "order-refunded", doc="An order was refunded, fully or partly. kwargs: order, refund, lines"
)

# payments --------------------------------------------------------------------
#: A gateway confirmed a payment. kwargs: ``payment``, ``event`` (the verified WebhookEvent or None).
payment_succeeded = _signals.signal(
    "payment-succeeded", doc="A payment succeeded. kwargs: payment, event"
)
#: A payment failed or was declined. kwargs: ``payment``, ``reason``.
payment_failed = _signals.signal("payment-failed", doc="A payment failed. kwargs: payment, reason")
#: An authorised payment was captured (gateways with delayed capture). kwargs: ``payment``, ``amount`` (Money).
payment_captured = _signals.signal(
    "payment-captured", doc="An authorised payment was captured. kwargs: payment, amount"
)
#: A refund went through. kwargs: ``order``, ``payment``, ``amount`` (Money), ``lines`` (the refunded
#: order lines: ``{"order_line_id", "sku", "quantity", "amount_minor"}``), ``transaction`` (the ledger row).
refund_succeeded = _signals.signal(
    "refund-succeeded", doc="A refund succeeded. kwargs: order, payment, amount, lines, transaction"
)
#: A refund was refused by the gateway. kwargs: ``order``, ``payment``, ``amount``, ``reason``, ``transaction``.
refund_failed = _signals.signal(
    "refund-failed", doc="A refund failed. kwargs: order, payment, amount, reason, transaction"
)

# shipping --------------------------------------------------------------------
#: New tracking events arrived for a shipment. kwargs: ``shipment``, ``events``.
shipment_updated = _signals.signal(
    "shipment-updated", doc="A shipment's tracking changed. kwargs: shipment, events"
)

# support ---------------------------------------------------------------------
#: A customer's message opened a support ticket. kwargs: ``ticket`` (SupportTicket), ``channel`` (the
#: ConfiguredCapability it came through); ``ticket_message_received`` follows for the message itself.
ticket_opened = _signals.signal("ticket-opened", doc="A ticket was opened. kwargs: ticket, channel")
#: A customer's message was stored on a ticket, new or not. kwargs: ``ticket``, ``message`` (TicketMessage),
#: ``channel``.
ticket_message_received = _signals.signal(
    "ticket-message-received", doc="A customer's message was added to a ticket. kwargs: ticket, message, channel"
)
#: Staff replied on a ticket; the reply is stored and the channel is asked to send it next. kwargs: ``ticket``,
#: ``message`` (TicketMessage), ``author`` ("staff:<email>").
ticket_replied = _signals.signal(
    "ticket-replied", doc="Staff replied on a ticket. kwargs: ticket, message, author"
)

# members ---------------------------------------------------------------------
#: A customer registered. kwargs: ``customer``.
member_registered = _signals.signal(
    "member-registered", doc="A customer registered. kwargs: customer"
)
#: A member's points balance changed. kwargs: ``customer``, ``delta`` (int), ``balance``, ``reason``.
points_changed = _signals.signal(
    "points-changed", doc="Points changed. kwargs: customer, delta, balance, reason"
)

# catalogue -------------------------------------------------------------------
#: A customer's product review (评价) passed screening. kwargs: ``review``, ``product``.
product_reviewed = _signals.signal(
    "product-reviewed", doc="A product review was published. kwargs: review, product"
)

# kernel ----------------------------------------------------------------------
#: A plugin was enabled or disabled. kwargs: ``plugin`` (name), ``enabled`` (bool), ``actor``.
plugin_toggled = _signals.signal(
    "plugin-toggled", doc="A plugin was enabled or disabled. kwargs: plugin, enabled, actor"
)

#: Every signal above, by name: the documented domain events.
ALL = {name: sig for name, sig in _signals.items()}
