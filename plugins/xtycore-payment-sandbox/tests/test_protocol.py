"""The sandbox wire protocol: signed links and signed callbacks, without an app."""

import json
import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from xtycore.domain.errors import InvalidWebhook

from xtycore_payment_sandbox import protocol

KEY = "sandbox-test-key-0123456789abcdefghijklmnop"
NOW = 1_767_225_600.0
LINK = {
    "merchant_id": "M-0001", "out_trade_no": "P0000000000000000000000001", "order_number": "20261127-0001",
    "subject": "小甜园 订单", "amount": 8800, "currency": "CNY", "notify_url": "https://shop.test/webhooks/payment/1",
    "return_url": "https://shop.test/payments/return/P0000000000000000000000001", "expires": int(NOW) + 600,
}
TRADE = {"trade_no": "SBX123", "merchant_id": "M-0001", "out_trade_no": "P1", "amount_minor": 8800, "currency": "CNY"}


def opened(url):
    parts = urlsplit(url)
    return parts.path.rsplit("/", 1)[-1], dict(parse_qsl(parts.query))


def test_a_signed_link_opens_its_own_trade():
    trade_no, query = opened(protocol.signed_link("https://shop.test/", LINK, KEY))
    params = protocol.link_params(query)
    assert trade_no == protocol.trade_number("M-0001", LINK["out_trade_no"])
    assert protocol.link_problem(trade_no, params, KEY, NOW) == ""


def test_the_same_payment_always_gets_the_same_trade_number_and_another_payment_another():
    assert protocol.trade_number("M-0001", "P1") == protocol.trade_number("M-0001", "P1")
    assert protocol.trade_number("M-0001", "P1") != protocol.trade_number("M-0001", "P2")
    assert protocol.trade_number("M-0001", "P1") != protocol.trade_number("M-0002", "P1")


@pytest.mark.parametrize("field, value", [("amount", "1"), ("return_url", "https://evil.test/"),
                                          ("notify_url", "https://evil.test/hook"), ("expires", "9999999999")])
def test_a_link_with_any_parameter_changed_is_refused(field, value):
    trade_no, query = opened(protocol.signed_link("https://shop.test", LINK, KEY))
    params = {**protocol.link_params(query), field: value}
    assert protocol.link_problem(trade_no, params, KEY, NOW) == "the link's signature does not verify"


def test_a_link_signed_with_another_key_is_refused():
    trade_no, query = opened(protocol.signed_link("https://shop.test", LINK, "another-key-" + "x" * 30))
    assert "signature" in protocol.link_problem(trade_no, protocol.link_params(query), KEY, NOW)


def test_an_expired_link_is_refused():
    trade_no, query = opened(protocol.signed_link("https://shop.test", LINK, KEY))
    assert protocol.link_problem(trade_no, protocol.link_params(query), KEY, NOW + 601) == "the link has expired"


def test_a_link_opened_under_another_trade_number_is_refused():
    _, query = opened(protocol.signed_link("https://shop.test", LINK, KEY))
    assert protocol.link_problem("SBXOTHER", protocol.link_params(query), KEY, NOW) == "the link names another trade"


def test_a_link_missing_a_parameter_has_no_params():
    _, query = opened(protocol.signed_link("https://shop.test", LINK, KEY))
    del query["expires"]
    assert protocol.link_params(query) is None


def test_a_callback_verifies_with_its_key_and_carries_the_trade():
    body, headers = protocol.callback(TRADE, "paid", KEY, NOW)
    payload = protocol.verified_callback(body, headers[protocol.SIGNATURE_HEADER], "M-0001", KEY, NOW + 10)
    assert payload["event"] == "trade.paid" and payload["event_id"] == "SBX123:paid"
    assert (payload["out_trade_no"], payload["amount"], payload["currency"]) == ("P1", 8800, "CNY")


def test_retries_of_a_callback_keep_the_event_id_and_change_the_nonce():
    first, _ = protocol.callback(TRADE, "paid", KEY, NOW)
    again, _ = protocol.callback(TRADE, "paid", KEY, NOW + 15)
    first, again = json.loads(first), json.loads(again)
    assert first["event_id"] == again["event_id"]
    assert first["nonce"] != again["nonce"] and first["timestamp"] != again["timestamp"]


def test_a_callback_with_one_byte_changed_is_rejected():
    body, headers = protocol.callback(TRADE, "paid", KEY, NOW)
    forged = body.replace(b"8800", b"8801")
    with pytest.raises(InvalidWebhook, match="signature"):
        protocol.verified_callback(forged, headers[protocol.SIGNATURE_HEADER], "M-0001", KEY, NOW)


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_a_callback_outside_the_five_minute_window_is_rejected(skew):
    body, headers = protocol.callback(TRADE, "paid", KEY, NOW)
    with pytest.raises(InvalidWebhook, match="timestamp"):
        protocol.verified_callback(body, headers[protocol.SIGNATURE_HEADER], "M-0001", KEY, NOW + skew)


def test_a_callback_inside_the_window_is_accepted_either_side():
    body, headers = protocol.callback(TRADE, "paid", KEY, NOW)
    for skew in (-300, 300):
        assert protocol.verified_callback(body, headers[protocol.SIGNATURE_HEADER], "M-0001", KEY, NOW + skew)


def test_a_callback_for_another_merchant_is_rejected_even_when_signed_with_the_same_key():
    body, headers = protocol.callback(TRADE, "paid", KEY, NOW)
    with pytest.raises(InvalidWebhook, match="merchant"):
        protocol.verified_callback(body, headers[protocol.SIGNATURE_HEADER], "M-0002", KEY, NOW)


@pytest.mark.parametrize("payload", [
    {"event": "trade.paid"},
    {**json.loads(protocol.callback(TRADE, "paid", KEY, NOW)[0]), "amount": "8800"},
    {**json.loads(protocol.callback(TRADE, "paid", KEY, NOW)[0]), "amount": True},
    {**json.loads(protocol.callback(TRADE, "paid", KEY, NOW)[0]), "event": "trade.refunded"},
    {**json.loads(protocol.callback(TRADE, "paid", KEY, NOW)[0]), "currency": "XXX"},
    {**json.loads(protocol.callback(TRADE, "paid", KEY, NOW)[0]), "amount": -1},
])
def test_a_signed_callback_missing_or_mistyping_a_field_is_rejected(payload):
    body = json.dumps(payload).encode()
    with pytest.raises(InvalidWebhook):
        protocol.verified_callback(body, protocol.sign(body, KEY), "M-0001", KEY, NOW)


def test_the_callback_timestamp_is_the_senders_clock():
    before = time.time()
    body, _ = protocol.callback(TRADE, "declined", KEY, time.time())
    assert json.loads(body)["timestamp"] >= int(before)
    assert json.loads(body)["event"] == "trade.declined"
