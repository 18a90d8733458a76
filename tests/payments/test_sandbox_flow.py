"""The payment lifecycle end to end with the sandbox: hosted page, signed callback, order paid once."""

import json
import time
from urllib.parse import urlsplit

from xtycore.domain.payments import Flow

from xtycore_payment_sandbox import protocol

from .conftest import SANDBOX_SETTINGS, relative


def pay_on_the_hosted_page(shop, order_id, choice="pay"):
    action = shop.start(order_id)
    client = shop.client()
    assert client.get(relative(action.url)).status_code == 200
    return action, client.post(urlsplit(action.url).path, data={"action": choice})


def signed_callback(shop, order_id, *, amount_minor=None, at=None, outcome="paid", key=None):
    """A callback as the sandbox would send it for the order's payment, signed with ``key``."""
    [payment] = shop.payments(order_id)
    trade = {
        "trade_no": protocol.trade_number(SANDBOX_SETTINGS["merchant_id"], payment["reference"]),
        "merchant_id": SANDBOX_SETTINGS["merchant_id"], "out_trade_no": payment["reference"],
        "amount_minor": payment["amount_minor"] if amount_minor is None else amount_minor, "currency": "CNY",
    }
    return protocol.callback(trade, outcome, key or SANDBOX_SETTINGS["secret_key"], time.time() if at is None else at)


def post_callback(shop, body, headers):
    return shop.client().post(f"/webhooks/payment/{shop.sandbox_id}", data=body, headers=headers)


def test_paying_on_the_hosted_page_calls_back_and_marks_the_order_paid_once(shop, callbacks):
    order_id = shop.order()
    action, response = pay_on_the_hosted_page(shop, order_id)
    assert action.flow is Flow.REDIRECT
    [payment] = shop.payments(order_id)
    assert response.headers["Location"] == f"http://shop.test/payments/return/{payment['reference']}"
    assert shop.order_row(order_id)["status"] == "paid" and shop.order_row(order_id)["paid_minor"] == 8800
    assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == ("succeeded", 8800, 0)
    assert payment["gateway_reference"] == protocol.trade_number(SANDBOX_SETTINGS["merchant_id"], payment["reference"])
    assert shop.pay_events(order_id) == 1
    assert shop.succeeded == [(payment["reference"], f"{payment['gateway_reference']}:paid")]
    assert callbacks.answers == [(200, '{"code":"SUCCESS"}', "application/json")]
    [webhook] = shop.webhooks()
    assert (webhook["status"], webhook["instance_id"], webhook["payment_id"]) == ("applied", shop.sandbox_id,
                                                                                  payment["id"])
    assert json.loads(webhook["body"])["out_trade_no"] == payment["reference"]
    assert webhook["headers"]["X-Sandbox-Signature"]
    [event] = shop.events()
    assert (event["outcome"], event["amount_minor"], event["kind"]) == ("applied", 8800, "payment.succeeded")


def test_the_customer_comes_back_to_the_order_page_the_storefront_named(shop, callbacks):
    order_id = shop.order()
    _, response = pay_on_the_hosted_page(shop, order_id)
    back = shop.client().get(urlsplit(response.headers["Location"]).path)
    assert back.status_code == 303 and back.headers["Location"] == "http://shop.test/orders/confirmation"
    assert len(shop.succeeded) == 1 and shop.pay_events(order_id) == 1


def test_declining_leaves_the_order_unpaid_and_fails_the_payment(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id, choice="decline")
    [payment] = shop.payments(order_id)
    assert shop.order_row(order_id) == {**shop.order_row(order_id), "status": "pending_payment", "paid_minor": 0}
    assert payment["status"] == "failed" and payment["captured_minor"] == 0
    assert shop.succeeded == [] and [ref for ref, _ in shop.failed] == [payment["reference"]]
    assert shop.pay_events(order_id) == 0


def test_after_a_decline_paying_again_starts_a_new_payment_and_pays_the_order(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id, choice="decline")
    pay_on_the_hosted_page(shop, order_id, choice="pay")
    first, second = shop.payments(order_id)
    assert first["reference"] != second["reference"]
    assert (first["status"], second["status"]) == ("failed", "succeeded")
    assert shop.order_row(order_id)["status"] == "paid"


def test_a_duplicate_callback_is_applied_once_and_gets_the_same_answer(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    [(_path, body, headers)] = callbacks.sent
    again = post_callback(shop, body, headers)
    assert (again.status_code, again.get_data(as_text=True), again.content_type) == callbacks.answers[0]
    assert [w["status"] for w in shop.webhooks()] == ["applied", "duplicate"]
    assert len(shop.events()) == 1 and len(shop.succeeded) == 1 and shop.pay_events(order_id) == 1


def test_a_retried_callback_with_a_fresh_signature_is_the_same_event(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    body, headers = signed_callback(shop, order_id)
    assert post_callback(shop, body, headers).get_data(as_text=True) == '{"code":"SUCCESS"}'
    assert [w["status"] for w in shop.webhooks()] == ["applied", "duplicate"]
    assert len(shop.succeeded) == 1


def test_a_callback_with_a_tampered_signature_is_rejected_and_stored(shop):
    order_id = shop.order()
    shop.start(order_id)
    body, headers = signed_callback(shop, order_id)
    headers[protocol.SIGNATURE_HEADER] = "0" * 64
    response = post_callback(shop, body, headers)
    assert response.status_code == 400
    [webhook] = shop.webhooks()
    assert webhook["status"] == "rejected" and "signature does not verify" in webhook["reason"]
    assert webhook["body"] == body
    assert shop.order_row(order_id)["status"] == "pending_payment" and shop.events() == []


def test_a_callback_signed_with_another_key_is_rejected(shop):
    order_id = shop.order()
    shop.start(order_id)
    response = post_callback(shop, *signed_callback(shop, order_id, key="an-attackers-key-" + "x" * 30))
    assert response.status_code == 400 and shop.order_row(order_id)["status"] == "pending_payment"


def test_a_genuine_callback_for_the_wrong_amount_is_rejected_and_logged(shop, caplog):
    order_id = shop.order()
    shop.start(order_id)
    response = post_callback(shop, *signed_callback(shop, order_id, amount_minor=100))
    assert response.status_code == 400
    [webhook] = shop.webhooks()
    assert webhook["status"] == "rejected"
    assert webhook["reason"] == "the gateway reported 1.00 CNY, the payment is 88.00 CNY"
    assert "the gateway reported 1.00 CNY, the payment is 88.00 CNY" in caplog.text
    assert shop.payments(order_id)[0]["status"] == "pending" and shop.events() == []
    assert shop.order_row(order_id)["paid_minor"] == 0


def test_a_replayed_callback_outside_the_five_minute_window_is_rejected(shop):
    order_id = shop.order()
    shop.start(order_id)
    response = post_callback(shop, *signed_callback(shop, order_id, at=time.time() - 301))
    assert response.status_code == 400
    assert "timestamp" in shop.webhooks()[0]["reason"]
    assert shop.order_row(order_id)["status"] == "pending_payment"


def test_a_callback_for_a_payment_through_another_instance_is_rejected(shop):
    order_id = shop.order(instance_id=shop.cod_id)
    shop.start(order_id)
    [payment] = shop.payments(order_id)
    trade = {"trade_no": "SBX1", "merchant_id": SANDBOX_SETTINGS["merchant_id"], "out_trade_no": payment["reference"],
             "amount_minor": 8800, "currency": "CNY"}
    response = post_callback(shop, *protocol.callback(trade, "paid", SANDBOX_SETTINGS["secret_key"], time.time()))
    assert response.status_code == 400 and "through this instance" in shop.webhooks()[0]["reason"]
    assert shop.order_row(order_id)["status"] == "pending_payment"


def test_a_callback_to_an_unknown_instance_is_stored_and_answered_not_found(shop):
    response = shop.client().post("/webhooks/payment/9999", data=b'{"x":1}')
    assert response.status_code == 404
    [webhook] = shop.webhooks()
    assert (webhook["instance_id"], webhook["status"], webhook["body"]) == (9999, "rejected", b'{"x":1}')


def test_the_return_endpoint_settles_through_query_when_the_callback_is_late(shop, callbacks):
    callbacks.drop = True
    order_id = shop.order()
    _, response = pay_on_the_hosted_page(shop, order_id)
    assert shop.order_row(order_id)["status"] == "pending_payment", "the callback did not arrive"
    back = shop.client().get(urlsplit(response.headers["Location"]).path)
    assert back.status_code == 303 and back.headers["Location"] == "http://shop.test/orders/confirmation"
    [payment] = shop.payments(order_id)
    assert payment["status"] == "succeeded" and shop.order_row(order_id)["status"] == "paid"
    assert shop.succeeded == [(payment["reference"], None)]
    assert [r["verb"] for r in payment["responses"]] == ["create_payment", "query"]
    # the callback arrives at last: it is recorded, changes nothing and sends no second signal
    callbacks.drop = False
    [(_path, body, headers)] = callbacks.sent
    assert post_callback(shop, body, headers).status_code == 200
    assert shop.events()[0]["outcome"] == "no_change"
    assert len(shop.succeeded) == 1 and shop.pay_events(order_id) == 1


def test_the_return_endpoint_never_trusts_the_query_string(shop, callbacks):
    order_id = shop.order()
    shop.start(order_id)
    [payment] = shop.payments(order_id)
    back = shop.client().get(f"/payments/return/{payment['reference']}?trade_status=TRADE_SUCCESS&status=paid")
    assert back.status_code == 303
    assert shop.payments(order_id)[0]["status"] == "pending" and shop.order_row(order_id)["paid_minor"] == 0


def test_the_return_endpoint_answers_not_found_for_an_unknown_reference(shop):
    assert shop.client().get("/payments/return/P000000000000000000000000X").status_code == 404
    assert shop.client().get("/payments/return/not-a-reference").status_code == 404


def test_the_return_endpoint_shows_the_payment_page_when_no_order_page_was_named(shop, callbacks):
    order_id = shop.order()
    action = shop.start(order_id, return_url="")
    client = shop.client()
    client.get(relative(action.url))
    client.post(urlsplit(action.url).path, data={"action": "pay"})
    reference = shop.payments(order_id)[0]["reference"]
    back = client.get(f"/payments/return/{reference}")
    assert back.headers["Location"] == f"/payments/{reference}"
    page = client.get(f"/payments/{reference}").get_data(as_text=True)
    assert "支付成功" in page and shop.order_row(order_id)["number"] in page and "88.00 CNY" in page
    assert client.get(f"/payments/{reference}/status.json").get_json() == {"reference": reference,
                                                                           "status": "succeeded"}


def test_the_gateway_answers_are_kept_on_the_payment_with_secrets_masked(shop, callbacks):
    order_id = shop.order()
    pay_on_the_hosted_page(shop, order_id)
    [payment] = shop.payments(order_id)
    kept = json.dumps(payment["responses"], ensure_ascii=False)
    assert SANDBOX_SETTINGS["secret_key"] not in kept
    assert payment["responses"][0]["verb"] == "create_payment"
    assert payment["responses"][0]["data"]["flow"] == "redirect"


def test_a_callback_larger_than_256_kib_is_refused_unread_and_unstored(shop):
    response = shop.client().post(f"/webhooks/payment/{shop.sandbox_id}", data=b"x" * (256 * 1024 + 1))
    assert response.status_code == 413 and shop.webhooks() == []
