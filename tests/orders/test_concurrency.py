"""The last units of a variant, bought by many processes at once: never oversold.

Each buyer is an OS process with its own application and connection pool on
the shared test database, as gunicorn workers or app nodes would be. On
PostgreSQL this is the proof that the conditional ``UPDATE … WHERE stock >= n``
inside the order transaction cannot oversell; on SQLite it shows that
``BEGIN IMMEDIATE`` with the busy timeout queues the writers so that every
loser gets the sold-out answer and nothing else.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.orders.buyers import buy
from tests.orders.helpers import PAYMENT_PLUGIN, cart_with, make_product, ready_to_place, stock_of
from tests.processes import child_processes
from xtycore.extensions import db
from xtycore.models import Order, OrderLine
from xtycore.testing import base_config

BUYERS = 20
UNITS = 5


class StockWatcher(threading.Thread):
    """Reads the variant's stock over and over on its own connection; remembers every value seen."""

    def __init__(self, url: str, variant_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.variant_id = variant_id
        self.seen: set[int] = set()
        self.done = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.is_set():
                self.seen.add(conn.execute(text("SELECT stock FROM xty_variant WHERE id = :id"),
                                           {"id": self.variant_id}).scalar_one())
                conn.rollback()
                time.sleep(0.005)

    def stop(self) -> set[int]:
        self.done.set()
        self.join(10)
        self.engine.dispose()
        return self.seen


@pytest.mark.slow
def test_twenty_processes_buying_the_last_five_units_make_exactly_five_orders(
    shop, xty_database_url, xty_config, tmp_path
):
    with shop.app.app_context():
        _, tea = make_product("明前龙井 · 限量", stock=UNITS)
        buyers = []
        for _ in range(BUYERS):
            cart = cart_with((tea, 1))
            buyers.append((cart.id, ready_to_place(shop, cart.id)))
        db.session.remove()

    config = {**base_config(xty_database_url), **xty_config, "EXTRA_PLUGINS": {"bank": PAYMENT_PLUGIN}}
    children = child_processes()
    barrier = children.Barrier(BUYERS)
    results = children.Queue()
    processes = [
        children.Process(target=buy, args=(config, str(tmp_path / "instance"), cart_id, token, barrier, results))
        for cart_id, token in buyers
    ]
    watcher = StockWatcher(xty_database_url, tea)
    watcher.start()
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(60)
    seen = watcher.stop()

    errors = [o for o in outcomes if o[1] == "error"]
    assert errors == []
    placed = [o for o in outcomes if o[1] == "placed"]
    sold_out = [o for o in outcomes if o[1] == "sold_out"]
    assert (len(placed), len(sold_out)) == (UNITS, BUYERS - UNITS)
    assert all("明前龙井 · 限量" in message for _, _, message in sold_out)
    assert min(seen) >= 0
    with shop.app.app_context():
        assert stock_of(tea) == 0
        assert db.session.execute(select(func.count()).select_from(Order)).scalar_one() == UNITS
        assert db.session.execute(select(func.sum(OrderLine.quantity))).scalar_one() == UNITS
        assert sorted(db.session.execute(select(Order.number)).scalars()) == sorted(o[2] for o in placed)
