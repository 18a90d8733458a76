"""What one process of the multi-process payment tests does (importable by name: children start in a fresh process).

Each builds an application of its own on the shared database, as a gunicorn
worker or another app node would, waits at the barrier for the others, does
one thing and puts ``(outcome, detail)`` on ``results``.
"""

from __future__ import annotations

import json
from typing import Any


def _app(config: dict[str, Any], instance_path: str):
    from xtycore import create_app
    from xtycore.extensions import db
    from xtycore.models import Payment

    app = create_app(config, instance_path=instance_path)
    with app.app_context():  # warm up: configuration, registry, a first connection
        db.session.execute(db.select(Payment.id).limit(1)).all()
        db.session.remove()
    return app


def capture(config: dict[str, Any], instance_path: str, payment_id: int, barrier: Any, results: Any) -> None:
    try:
        from xtycore.services import refunds

        app = _app(config, instance_path)
        with app.test_request_context():
            barrier.wait(timeout=300)
            result = refunds.capture(payment_id, actor="staff:worker")
            results.put(("created" if result.created else "found", result.status.value))
    except BaseException as exc:  # reported: the test fails on it
        results.put(("error", repr(exc)))


def refund(config: dict[str, Any], instance_path: str, payment_id: int, amount_minor: int, barrier: Any,
           results: Any) -> None:
    try:
        from xtycore.domain.money import Money
        from xtycore.services import refunds

        app = _app(config, instance_path)
        with app.test_request_context():
            barrier.wait(timeout=300)
            try:
                result = refunds.refund(payment_id, amount=Money.from_minor(amount_minor, "CNY"), reason="退货",
                                        actor="staff:worker")
            except refunds.RefundRefused as exc:
                results.put(("refused", str(exc)))
            else:
                results.put(("refunded", result.status.value))
    except BaseException as exc:
        results.put(("error", repr(exc)))


def callback(config: dict[str, Any], instance_path: str, instance_id: int, body: bytes, headers: dict,
             signal_log: str, barrier: Any, results: Any) -> None:
    """Deliver one callback through the webhook inbox; log every payment_succeeded this process sends."""
    try:
        from xtycore import signals
        from xtycore.domain.webhooks import WebhookRequest
        from xtycore.services import payments

        def record(sender, payment, event, **kwargs):
            with open(signal_log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"payment": payment.reference}) + "\n")

        signals.payment_succeeded.connect(record)
        app = _app(config, instance_path)
        with app.test_request_context():
            barrier.wait(timeout=300)
            reply = payments.apply_webhook(instance_id, WebhookRequest(body=body, headers=headers))
            results.put(("answered", reply.status))
    except BaseException as exc:
        results.put(("error", repr(exc)))
