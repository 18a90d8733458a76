"""What an asynchronous notification (异步通知) must be to be believed, and the event it becomes."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from xtycore.domain.errors import GatewayUnavailable, InvalidWebhook
from xtycore.domain.money import Money
from xtycore.domain.payments import EventKind
from xtycore.domain.webhooks import WebhookRequest

from xtycore_payment_alipay.gateway import AlipayGateway

from .conftest import FORM_HEADERS, PAYMENT_ID, as_request, loaded, notify_fields, sdk_signed

gateway = AlipayGateway()


def now() -> datetime:
    """The time each test runs at (a module-level constant would age while a long suite runs)."""
    return datetime.now(timezone.utc)


def parse(settings, alipay_keys, **fields_kwargs):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00"), **fields_kwargs), alipay_keys)
    return gateway.parse_webhook(as_request(fields), loaded(settings))


@pytest.mark.parametrize("age", [timedelta(0), timedelta(minutes=30), timedelta(minutes=59)])
def test_notifications_sent_within_the_last_hour_are_accepted(settings, alipay_keys, age):
    assert parse(settings, alipay_keys, sent_at=now() - age).kind is EventKind.PAYMENT_SUCCEEDED


@pytest.mark.parametrize("offset, words", [
    (-timedelta(hours=1, minutes=1), "a replay"),
    (-timedelta(days=1), "a replay"),
    (timedelta(minutes=6), "in the future"),
])
def test_a_notification_outside_the_window_is_refused(settings, alipay_keys, offset, words):
    with pytest.raises(InvalidWebhook, match=words):
        parse(settings, alipay_keys, sent_at=now() + offset)


def test_the_window_is_a_setting(settings, alipay_keys):
    wider = {**settings, "notify_window_hours": 3}
    assert parse(wider, alipay_keys, sent_at=now() - timedelta(hours=2)).payment_id == PAYMENT_ID
    with pytest.raises(InvalidWebhook, match="a replay"):
        parse(wider, alipay_keys, sent_at=now() - timedelta(hours=3, minutes=1))


def test_a_retry_of_the_same_notification_is_the_same_event(settings, alipay_keys):
    first = parse(settings, alipay_keys, notify_id="N-retried", sent_at=now() - timedelta(minutes=14))
    retry = parse(settings, alipay_keys, notify_id="N-retried", sent_at=now())
    assert first.event_id == retry.event_id == "N-retried:TRADE_SUCCESS"


def test_a_notification_for_another_app_or_seller_is_refused(settings, alipay_keys):
    with pytest.raises(InvalidWebhook, match="for app 2021000122600009"):
        parse(settings, alipay_keys, app_id="2021000122600009")
    with pytest.raises(InvalidWebhook, match="for seller '2088102000000009'"):
        parse(settings, alipay_keys, seller_id="2088102000000009")
    unchecked = {**settings, "seller_id": ""}
    assert parse(unchecked, alipay_keys, seller_id="2088102000000009").payment_id == PAYMENT_ID


def test_a_finished_trade_succeeds_and_a_closed_one_closes(settings, alipay_keys):
    finished = parse(settings, alipay_keys, trade_status="TRADE_FINISHED", notify_id="N1")
    closed = parse(settings, alipay_keys, trade_status="TRADE_CLOSED", notify_id="N2")
    assert (finished.kind, finished.event_id) == (EventKind.PAYMENT_SUCCEEDED, "N1:TRADE_FINISHED")
    assert (closed.kind, closed.amount) == (EventKind.PAYMENT_CLOSED, Money("88.00"))


def test_a_refund_notification_names_the_refund_and_the_amount_alipay_confirms_for_it(
    api_settings, alipay_keys, fake_alipay
):
    trade = fake_alipay.add_trade(PAYMENT_ID, "88.00")
    trade.refunds.update({"R-0001": Decimal("30.00"), "R-0002": Decimal("20.00")})
    # refund_fee is the trade's total refunded so far: 50.00 after the second partial refund
    event = parse(api_settings, alipay_keys, notify_id="N3", refund_fee="50.00",
                  gmt_refund="2026-11-27 10:00:00.123", out_biz_no="R-0002")
    assert (event.kind, event.amount, event.refund_id) == (EventKind.REFUND_SUCCEEDED, Money("20.00"), "R-0002")
    assert event.event_id == "N3:REFUND" and event.response_body == "success"
    assert fake_alipay.calls[-1][0] == "alipay.trade.fastpay.refund.query"


@pytest.mark.parametrize("out_biz_no, words", [("R-0009", "does not confirm refund 'R-0009'"),
                                               (None, "without out_biz_no")])
def test_a_refund_notification_alipay_does_not_confirm_is_refused(
    api_settings, alipay_keys, fake_alipay, out_biz_no, words
):
    fake_alipay.add_trade(PAYMENT_ID, "88.00")
    with pytest.raises(InvalidWebhook, match=words):
        parse(api_settings, alipay_keys, refund_fee="10.00", gmt_refund="2026-11-27 10:00:00.123",
              out_biz_no=out_biz_no)


def test_a_refund_notification_is_answered_later_when_alipay_cannot_be_asked(api_settings, alipay_keys, fake_alipay):
    fake_alipay.stop()
    with pytest.raises(GatewayUnavailable):  # the kernel answers 503: Alipay sends it again
        parse(api_settings, alipay_keys, refund_fee="10.00", gmt_refund="2026-11-27 10:00:00.123",
              out_biz_no="R-0001")


def test_a_waiting_trade_is_not_an_outcome(settings, alipay_keys):
    with pytest.raises(InvalidWebhook, match="WAIT_BUYER_PAY"):
        parse(settings, alipay_keys, trade_status="WAIT_BUYER_PAY")


@pytest.mark.parametrize("change, words", [
    ({"sign_type": "RSA"}, "sign_type"),
    ({"charset": "gbk"}, "charset"),
    ({"notify_time": "27/11/2026"}, "not an Alipay time"),
    ({"total_amount": "88.001"}, "not an Alipay amount"),
    ({"notify_id": None}, "missing notify_id"),
])
def test_malformed_notifications_are_refused_even_when_signed(settings, alipay_keys, change, words):
    changed = {**notify_fields(PAYMENT_ID, Money("88.00")), **change}
    fields = sdk_signed({name: value for name, value in changed.items() if value is not None}, alipay_keys)
    with pytest.raises(InvalidWebhook, match=words):
        gateway.parse_webhook(as_request(fields), loaded(settings))


def test_a_parameter_sent_twice_is_refused(settings, alipay_keys):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), alipay_keys)
    body = urlencode(fields) + "&total_amount=0.01"
    with pytest.raises(InvalidWebhook, match="repeats"):
        gateway.parse_webhook(WebhookRequest(body=body.encode(), headers=FORM_HEADERS), loaded(settings))


def test_a_decoded_form_that_differs_from_the_signed_body_is_refused(settings, alipay_keys):
    fields = sdk_signed(notify_fields(PAYMENT_ID, Money("88.00")), alipay_keys)
    body = urlencode(fields).encode()
    assert gateway.parse_webhook(WebhookRequest(body=body, headers=FORM_HEADERS, form=fields),
                                 loaded(settings)).amount == Money("88.00")
    with pytest.raises(InvalidWebhook, match="differs from the raw body"):
        gateway.parse_webhook(WebhookRequest(body=body, headers=FORM_HEADERS, form={**fields, "total_amount": "0.01"}),
                              loaded(settings))
