"""Twenty identical callbacks at once, over real HTTP: one paid transition, one signal."""

import threading
from collections import Counter

import httpx
import pytest
from werkzeug.serving import make_server

from .test_sandbox_flow import signed_callback

PARALLEL = 20


@pytest.fixture
def served(shop):
    """The shop's app behind a threaded HTTP server on a free local port."""
    server = make_server("127.0.0.1", 0, shop.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.mark.slow
def test_twenty_identical_callbacks_in_parallel_pay_the_order_once_and_signal_once(shop, served):
    order_id = shop.order()
    shop.start(order_id)
    body, headers = signed_callback(shop, order_id)
    barrier = threading.Barrier(PARALLEL)
    answers, errors = [], []

    def send():
        with httpx.Client(base_url=served, headers={"Host": "shop.test"}, timeout=60) as client:
            barrier.wait()
            try:
                response = client.post(f"/webhooks/payment/{shop.sandbox_id}", content=body, headers=headers)
            except httpx.HTTPError as exc:  # collected and asserted below: every request must be answered
                errors.append(exc)
                return
            answers.append((response.status_code, response.text, response.headers["Content-Type"]))

    threads = [threading.Thread(target=send) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert answers == [(200, '{"code":"SUCCESS"}', "application/json")] * PARALLEL
    assert shop.pay_events(order_id) == 1
    assert len(shop.succeeded) == 1
    assert len(shop.events()) == 1
    assert Counter(w["status"] for w in shop.webhooks()) == {"applied": 1, "duplicate": PARALLEL - 1}
    assert shop.order_row(order_id)["paid_minor"] == 8800
    assert shop.payments(order_id)[0]["captured_minor"] == 8800
