"""Built-in payment job: reconcile payments and refunds the gateways left pending."""

from __future__ import annotations

from xtycore import hookimpl
from xtycore.domain.contributions import Job, Schedule


def reconcile_payments() -> dict:
    """Ask the gateways about payments and refunds pending longer than ``PAYMENT_RECONCILE_AFTER_MINUTES``."""
    from dataclasses import asdict

    from xtycore.services.refunds import reconcile

    return asdict(reconcile())


@hookimpl
def xtycore_register_jobs():
    return [
        Job(
            "xtycore.reconcile_payments",
            reconcile_payments,
            Schedule(minute="*/5"),
            description="Every five minutes: settle pending payments and refunds by asking their gateways.",
        ),
    ]
