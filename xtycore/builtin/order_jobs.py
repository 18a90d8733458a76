"""Built-in order jobs: cancel unpaid orders when their time is up, forget abandoned visitor carts."""

from __future__ import annotations

from xtycore import hookimpl
from xtycore.domain.contributions import Job, Schedule


def expire_unpaid_orders() -> int:
    """Cancel unpaid orders past ``ORDER_PAYMENT_TIMEOUT_MINUTES`` and return their stock."""
    from xtycore.services.orders import expire_unpaid_orders as expire

    return expire()


def prune_abandoned_carts() -> int:
    """Delete visitor carts unchanged for ``CART_RETENTION_DAYS``."""
    from xtycore.services.cart import prune_abandoned_carts as prune

    return prune()


@hookimpl
def xtycore_register_jobs():
    return [
        Job(
            "xtycore.expire_unpaid_orders",
            expire_unpaid_orders,
            Schedule(),
            description="Every minute: cancel unpaid orders past their payment deadline and return their stock.",
        ),
        Job(
            "xtycore.prune_abandoned_carts",
            prune_abandoned_carts,
            Schedule(minute="41", hour="3"),
            description="Nightly: delete visitor carts unchanged for CART_RETENTION_DAYS.",
        ),
    ]
