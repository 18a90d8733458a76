"""What one buyer process of the concurrency test does (importable by name: children start in a fresh process)."""

from __future__ import annotations

from typing import Any


def buy(config: dict[str, Any], instance_path: str, cart_id: int, token: str, barrier: Any, results: Any) -> None:
    """Build an app of its own on the shared database, wait for every buyer, then place the order.

    Puts ``(cart_id, outcome, detail)`` on ``results``: ``placed``, ``sold_out`` or ``error``.
    """
    try:
        from xtycore import create_app
        from xtycore.extensions import db
        from xtycore.models import Cart
        from xtycore.services import cart as carts
        from xtycore.services import checkout

        app = create_app(config, instance_path=instance_path)
        with app.app_context():
            carts.view_cart(db.session.get(Cart, cart_id), None)  # warm up: configuration, registry, statements
            db.session.commit()
            barrier.wait(timeout=300)
            try:
                placement = checkout.place_order(cart_id, token, customer_id=None)
            except checkout.SoldOut as exc:
                results.put((cart_id, "sold_out", exc.customer_message))
            else:
                results.put((cart_id, "placed", placement.order.number))
    except BaseException as exc:  # report anything else: the test fails on it
        results.put((cart_id, "error", repr(exc)))
