"""What one process of the multi-process support test does (importable by name: children start afresh).

It builds an application of its own on the shared database, as a gunicorn
worker or another app node would, waits at the barrier for the others,
delivers one push and puts ``(outcome, detail)`` on ``results``.
"""

from __future__ import annotations

import json
from typing import Any


def deliver(config: dict[str, Any], instance_path: str, instance_id: int, body: bytes, headers: dict,
            signal_log: str, barrier: Any, results: Any) -> None:
    """Deliver one push through the inbound service; log every ticket_opened this process sends."""
    try:
        from xtycore import create_app, signals
        from xtycore.domain.webhooks import WebhookRequest
        from xtycore.extensions import db
        from xtycore.models import SupportTicket
        from xtycore.services import support

        def record(sender, ticket, **kwargs):
            with open(signal_log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"ticket": ticket.reference}) + "\n")

        signals.ticket_opened.connect(record)
        app = create_app(config, instance_path=instance_path)
        with app.app_context():  # warm up: configuration, registry, a first connection
            db.session.execute(db.select(SupportTicket.id).limit(1)).all()
            db.session.remove()
        with app.test_request_context():
            barrier.wait(timeout=300)
            reply = support.receive(instance_id, WebhookRequest(body=body, headers=headers))
            results.put(("answered", reply.status, reply.body))
    except BaseException as exc:  # reported: the test fails on it
        results.put(("error", repr(exc), ""))
