"""Several processes on one PostgreSQL database: captures, refunds and callbacks racing each other.

Each process is an application of its own with its own connection pool, as
gunicorn workers or app nodes are. The row lock on the payment (``SELECT …
FOR UPDATE``), the one-live-capture index and the ledger CHECK are what keep
the outcomes exact; these tests are the proof.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.processes import child_processes
from xtycore.testing import base_config

from . import fake_gateways, workers
from .test_ledger import authorised, captured
from .test_sandbox_flow import signed_callback

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture
def processes(xty_database_url, xty_config, tmp_path):
    """Run ``target(config, instance_path, *args, barrier, results)`` in N child processes; their outcomes."""
    if not xty_database_url.startswith("postgresql"):
        pytest.skip("needs XTY_TEST_DATABASE_URL pointing at PostgreSQL")
    config = {**base_config(xty_database_url), **xty_config,
              "EXTRA_PLUGINS": {"test_cards": "tests.payments.fake_gateways"}}
    context = child_processes()

    def run(count: int, target, *args) -> list[tuple[str, str]]:
        barrier, results = context.Barrier(count), context.Queue()
        children = [
            context.Process(target=target, args=(config, str(tmp_path / "instance"), *args, barrier, results))
            for _ in range(count)
        ]
        for child in children:
            child.start()
        outcomes = [results.get(timeout=600) for _ in children]
        for child in children:
            child.join(60)
        return outcomes

    return run


def test_five_processes_capturing_one_payment_make_one_gateway_capture(card, processes):
    order_id, payment_id = authorised(card)
    outcomes = processes(5, workers.capture, payment_id)
    assert [o for o in outcomes if o[0] == "error"] == []
    assert Counter(o[0] for o in outcomes) == {"created": 1, "found": 4}
    assert len(fake_gateways.calls(card.calls_file, "capture")) == 1
    assert card.payments(order_id)[0]["captured_minor"] == 8800
    assert [e for e in card.ledger(order_id) if e[0] == "capture"] == [("capture", "succeeded", 8800)]


def test_two_partial_refunds_that_together_exceed_the_capture_one_is_refused(card, processes):
    order_id, payment_id = captured(card)
    outcomes = processes(2, workers.refund, payment_id, 6000)
    assert sorted(o[0] for o in outcomes) == ["refunded", "refused"]
    [message] = [o[1] for o in outcomes if o[0] == "refused"]
    assert message.startswith("refund of 60.00 CNY refused: ")
    assert "28.00 CNY of the 88.00 CNY captured" in message or "60.00 CNY pending" in message
    [payment] = card.payments(order_id)
    assert (payment["refunded_minor"], payment["refund_pending_minor"]) == (6000, 0)
    assert len(fake_gateways.calls(card.calls_file, "refund")) == 1


def test_twenty_processes_delivering_one_callback_pay_the_order_once_with_one_signal(shop, processes, tmp_path):
    order_id = shop.order()
    shop.start(order_id)
    body, headers = signed_callback(shop, order_id)
    log = tmp_path / "payment_succeeded.jsonl"
    outcomes = processes(20, workers.callback, shop.sandbox_id, body, headers, str(log))
    assert outcomes == [("answered", 200)] * 20
    assert shop.pay_events(order_id) == 1 and shop.order_row(order_id)["paid_minor"] == 8800
    sent = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sent == [{"payment": shop.payments(order_id)[0]["reference"]}]
    assert Counter(w["status"] for w in shop.webhooks()) == {"applied": 1, "duplicate": 19}
