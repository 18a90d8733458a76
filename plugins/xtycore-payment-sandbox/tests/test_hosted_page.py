"""The hosted test page, the callbacks it sends and the trade verbs, in a real app."""

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from xtycore.domain.errors import PaymentDeclined, PaymentError
from xtycore.domain.money import Money
from xtycore.domain.payments import PaymentRef, TxStatus
from xtycore.domain.webhooks import WebhookRequest
from xtycore.kernel import get_kernel
from xtycore.models.kernel import utcnow

from xtycore_payment_sandbox import protocol, trades

from .conftest import SETTINGS, payment_request, relative

PAYMENT_ID = "P0000000000000000000000001"


def start(sandbox_app, instance, **kwargs):
    with sandbox_app.app_context():
        return instance().call("create_payment", request=payment_request(**kwargs))


def trade(sandbox_app, payment_id=PAYMENT_ID):
    with sandbox_app.app_context():
        found = trades.find(SETTINGS["merchant_id"], payment_id)
        return None if found is None else found.as_dict()


def ref(amount="88.00", payment_id=PAYMENT_ID):
    return PaymentRef(payment_id, Money(amount))


def test_the_installed_plugin_offers_the_sandbox_once_enabled(sandbox_app):
    with sandbox_app.app_context():
        [sandbox] = [t for t in get_kernel(sandbox_app).registry.types("payment") if t.code == "sandbox"]
    assert sandbox.name == "Sandbox (test payments)" and sandbox.plugin == "payment_sandbox"


def test_the_payment_link_opens_a_test_page_showing_the_order_and_amount(sandbox_app, instance):
    action = start(sandbox_app, instance)
    page = sandbox_app.test_client().get(relative(action.url))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "TEST PAYMENT PAGE" in html and "测试支付页面" in html and "No real money moves" in html
    assert "20261127-0001" in html and "88.00 CNY" in html and "测试商户" in html
    assert 'value="pay"' in html and 'value="decline"' in html
    assert trade(sandbox_app)["status"] == "open"
    assert action.gateway_reference == trade(sandbox_app)["trade_no"]


def test_asking_twice_for_the_same_payment_opens_one_trade(sandbox_app, instance):
    client = sandbox_app.test_client()
    first, again = start(sandbox_app, instance), start(sandbox_app, instance)
    assert client.get(relative(first.url)).status_code == 200
    assert client.get(relative(again.url)).status_code == 200
    assert urlsplit(first.url).path == urlsplit(again.url).path


def test_pay_marks_the_trade_paid_sends_a_signed_callback_and_returns_the_browser(
    sandbox_app, instance, fake_shop
):
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    response = client.post(urlsplit(action.url).path, data={"action": "pay"})
    assert response.status_code == 303
    assert response.headers["Location"] == "http://shop.test/payments/return/" + PAYMENT_ID
    assert trade(sandbox_app)["status"] == "paid"
    [callback] = fake_shop.received
    assert str(callback.url) == "http://shop.test/webhooks/payment/1"
    payload = protocol.verified_callback(
        callback.content, callback.headers[protocol.SIGNATURE_HEADER], SETTINGS["merchant_id"],
        SETTINGS["secret_key"], payload_time(callback),
    )
    assert (payload["event"], payload["out_trade_no"], payload["amount"]) == ("trade.paid", PAYMENT_ID, 8800)
    assert trade(sandbox_app)["notify_status"] == "delivered"
    with sandbox_app.app_context():
        event = instance().call("parse_webhook", request=WebhookRequest(callback.content, dict(callback.headers)))
    assert event.payment_id == PAYMENT_ID and event.amount == Money("88.00")


def payload_time(request):
    return json.loads(request.content)["timestamp"]


def test_decline_marks_the_trade_declined_and_says_so_in_the_callback(sandbox_app, instance, fake_shop):
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    response = client.post(urlsplit(action.url).path, data={"action": "decline"})
    assert response.status_code == 303 and response.headers["Location"].endswith(PAYMENT_ID)
    assert trade(sandbox_app)["status"] == "declined"
    assert [p["event"] for p in fake_shop.payloads()] == ["trade.declined"]


def test_a_decided_trade_cannot_be_decided_again(sandbox_app, instance, fake_shop):
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    client.post(urlsplit(action.url).path, data={"action": "decline"})
    client.post(urlsplit(action.url).path, data={"action": "pay"})
    assert trade(sandbox_app)["status"] == "declined"
    assert len(fake_shop.received) == 1
    page = client.get(urlsplit(action.url).path).get_data(as_text=True)
    assert "was declined" in page and 'value="pay"' not in page


@pytest.mark.parametrize("field, value, status", [
    ("amount", "1", 400), ("return_url", "https://evil.test/", 400), ("sign", "0" * 64, 400),
])
def test_a_tampered_link_is_refused_and_opens_no_trade(sandbox_app, instance, field, value, status):
    action = start(sandbox_app, instance)
    parts = urlsplit(action.url)
    query = {**dict(parse_qsl(parts.query)), field: value}
    page = sandbox_app.test_client().get(f"{parts.path}?{urlencode(query)}")
    assert page.status_code == status and "signature does not verify" in page.get_data(as_text=True)
    assert trade(sandbox_app) is None


def test_an_expired_link_is_refused(sandbox_app, instance, monkeypatch):
    action = start(sandbox_app, instance)
    monkeypatch.setattr("xtycore_payment_sandbox.web.time.time", lambda: 4_000_000_000)
    page = sandbox_app.test_client().get(relative(action.url))
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)


def test_an_unknown_trade_without_a_link_is_not_found(sandbox_app, instance):
    assert sandbox_app.test_client().get("/sandbox-pay/SBXNOTHING").status_code == 404
    assert sandbox_app.test_client().post("/sandbox-pay/SBXNOTHING", data={"action": "pay"}).status_code == 404


def test_the_pay_form_is_csrf_protected(xty_make_app):
    from .conftest import clear_sandbox_tables
    from xtycore.services.capabilities import create_instance

    app = xty_make_app(plugins={"payment_sandbox": None}, config={"WTF_CSRF_ENABLED": True})
    try:
        with app.app_context():
            iid = create_instance("payment", "sandbox", display_name="测试商户", settings=SETTINGS)
            action = get_kernel(app).registry.instance(iid).call("create_payment", request=payment_request())
        client = app.test_client()
        page = client.get(relative(action.url)).get_data(as_text=True)
        assert 'name="csrf_token"' in page
        forged = client.post(urlsplit(action.url).path, data={"action": "pay"})
        assert forged.status_code == 400
        with app.app_context():
            assert trades.find(SETTINGS["merchant_id"], PAYMENT_ID).status == "open"
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        genuine = client.post(urlsplit(action.url).path, data={"action": "decline", "csrf_token": token})
        assert genuine.status_code == 303
    finally:
        clear_sandbox_tables(app)


def test_an_unacknowledged_callback_is_retried_with_growing_delays_until_acknowledged(
    sandbox_app, instance, fake_shop
):
    fake_shop.answers = [httpx.Response(500, text="busy"), httpx.ConnectError("refused"),
                         httpx.Response(200, text="success")]
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    client.post(urlsplit(action.url).path, data={"action": "pay"})
    first = trade(sandbox_app)
    assert (first["notify_status"], first["notify_attempts"]) == ("pending", 1)
    assert "HTTP 500" in first["last_notify_error"]
    with sandbox_app.app_context():
        now = utcnow()
        assert trades.redeliver_due(now) == {}, "not due before its delay"
        assert trades.redeliver_due(now + timedelta(seconds=16)) == {first["trade_no"]: "pending"}  # refused
        assert trades.redeliver_due(now + timedelta(seconds=30)) == {}, "the second delay has not passed"
        # "success" as plain text is not the sandbox's acknowledgement
        assert trades.redeliver_due(now + timedelta(seconds=32)) == {first["trade_no"]: "pending"}
        assert trades.redeliver_due(now + timedelta(seconds=61)) == {}, "the third delay (30 s) has not passed"
        assert trades.redeliver_due(now + timedelta(seconds=63)) == {first["trade_no"]: "delivered"}
        assert trades.redeliver_due(now + timedelta(days=1)) == {}
    payloads = fake_shop.payloads()
    assert len(payloads) == 4 and len({p["event_id"] for p in payloads}) == 1
    assert len({p["nonce"] for p in payloads}) == 4


def test_a_callback_never_acknowledged_is_given_up_after_the_last_retry(sandbox_app, instance, fake_shop):
    fake_shop.answers = [httpx.Response(503)] * (len(trades.RETRY_DELAYS) + 1)
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    client.post(urlsplit(action.url).path, data={"action": "pay"})
    with sandbox_app.app_context():
        later = utcnow() + timedelta(days=2)
        for _ in trades.RETRY_DELAYS:
            trades.redeliver_due(later)
            later += timedelta(days=1)
    final = trade(sandbox_app)
    assert (final["notify_status"], final["notify_attempts"]) == ("failed", len(trades.RETRY_DELAYS) + 1)
    assert len(fake_shop.received) == len(trades.RETRY_DELAYS) + 1


def paid_trade(sandbox_app, instance, fake_shop):
    action = start(sandbox_app, instance)
    client = sandbox_app.test_client()
    client.get(relative(action.url))
    client.post(urlsplit(action.url).path, data={"action": "pay"})


def test_query_reads_the_trade(sandbox_app, instance, fake_shop):
    with sandbox_app.app_context():
        assert instance().call("query", payment=ref()).status is TxStatus.PENDING
    paid_trade(sandbox_app, instance, fake_shop)
    with sandbox_app.app_context():
        result = instance().call("query", payment=ref())
    assert result.status is TxStatus.SUCCEEDED and result.amount == Money("88.00")
    assert result.gateway_reference == trade(sandbox_app)["trade_no"]


def test_partial_refunds_add_up_and_never_exceed_what_was_paid(sandbox_app, instance, fake_shop):
    paid_trade(sandbox_app, instance, fake_shop)
    with sandbox_app.app_context():
        gateway = instance()
        assert gateway.call("refund", payment=ref(), amount=Money("30.00"), refund_id="R1").status is TxStatus.SUCCEEDED
        gateway.call("refund", payment=ref(), amount=Money("30.00"), refund_id="R1")  # the same refund again
        assert gateway.call("refund", payment=ref(), amount=Money("50.00"), refund_id="R2").amount == Money("50.00")
        with pytest.raises(PaymentDeclined, match="800 of 8800 remains refundable"):
            gateway.call("refund", payment=ref(), amount=Money("8.01"), refund_id="R3")
        with pytest.raises(PaymentError, match="already made for 3000"):
            gateway.call("refund", payment=ref(), amount=Money("10.00"), refund_id="R1")
    assert trade(sandbox_app)["refunded_minor"] == 8000


def test_an_unpaid_trade_cannot_be_refunded(sandbox_app, instance):
    start(sandbox_app, instance)
    with sandbox_app.app_context(), pytest.raises(PaymentError, match="not paid"):
        instance().call("refund", payment=ref(), amount=Money("1.00"), refund_id="R1")


def test_void_closes_an_unpaid_trade_so_its_link_can_no_longer_pay(sandbox_app, instance, fake_shop):
    action = start(sandbox_app, instance)
    with sandbox_app.app_context():
        result = instance().call("void", payment=ref())
    assert result.status is TxStatus.FAILED and trade(sandbox_app)["status"] == "closed"
    client = sandbox_app.test_client()
    assert "was closed" in client.get(relative(action.url)).get_data(as_text=True)
    client.post(urlsplit(action.url).path, data={"action": "pay"})
    assert trade(sandbox_app)["status"] == "closed" and fake_shop.received == []


def test_a_paid_trade_is_refunded_not_voided_and_capture_confirms_the_full_amount(sandbox_app, instance, fake_shop):
    paid_trade(sandbox_app, instance, fake_shop)
    with sandbox_app.app_context():
        with pytest.raises(PaymentError, match="refund it instead"):
            instance().call("void", payment=ref())
        assert instance().call("capture", payment=ref(), amount=Money("88.00")).status is TxStatus.SUCCEEDED
        with pytest.raises(PaymentError, match="full amount"):
            instance().call("capture", payment=ref(), amount=Money("80.00"))
