"""What the sandbox gateway does with its trades: open, pay, decline, close, refund, notify.

Refunds are instant by default; with the setting ``refund_mode = "async"``
a refund is ``processing`` until the job ``payment_sandbox.finish_refund``
completes it and sends a signed ``refund.succeeded`` callback, as real
gateways do with their 退款通知.

Each write is one kernel :func:`~xtycore.extensions.transaction`. The
callback announcing the customer's decision is delivered by the job
``payment_sandbox.notify`` right after the decision, and retried by the
periodic job ``payment_sandbox.redeliver`` with growing delays, as a real
gateway retries its 异步通知 until the shop acknowledges it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import httpx
from sqlalchemy import select

from xtycore.domain.errors import PaymentDeclined, PaymentError
from xtycore.extensions import db, transaction
from xtycore.kernel import get_kernel
from xtycore.models.kernel import utcnow

from xtycore_payment_sandbox import protocol
from xtycore_payment_sandbox.models import SandboxRefund, SandboxTrade

log = logging.getLogger("xtycore_payment_sandbox")

GATEWAY_CODE = "sandbox"
#: seconds to wait before each retry of a callback the shop did not acknowledge
RETRY_DELAYS = (15, 15, 30, 180, 600, 1200, 1800, 3600, 10800, 21600)
HTTP_TIMEOUT = 10.0


class TradeError(PaymentError):
    """A trade cannot do what was asked (unknown, already decided, amount mismatch)."""


def http_client() -> httpx.Client:
    """The client callbacks are sent with (tests swap in a transport that reaches the app)."""
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)


# --------------------------------------------------------------------------
# merchants: the configured sandbox instances
# --------------------------------------------------------------------------


def merchant(merchant_id: str):
    """The enabled sandbox instance with this merchant id, or None."""
    for instance in get_kernel().registry.instances("payment"):
        if instance.type.code == GATEWAY_CODE and instance.settings.get("merchant_id") == merchant_id:
            return instance
    return None


# --------------------------------------------------------------------------
# trades
# --------------------------------------------------------------------------


def find(merchant_id: str, out_trade_no: str) -> SandboxTrade | None:
    return db.session.execute(
        select(SandboxTrade).where(SandboxTrade.merchant_id == merchant_id, SandboxTrade.out_trade_no == out_trade_no)
    ).scalar_one_or_none()


def by_number(trade_no: str) -> SandboxTrade | None:
    return db.session.execute(select(SandboxTrade).where(SandboxTrade.trade_no == trade_no)).scalar_one_or_none()


def _locked(trade_no: str) -> SandboxTrade | None:
    return db.session.execute(
        select(SandboxTrade).where(SandboxTrade.trade_no == trade_no).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def open_trade(params: Mapping[str, str]) -> SandboxTrade:
    """The trade a verified payment link describes, created on its first visit."""
    trade_no = protocol.trade_number(params["merchant_id"], params["out_trade_no"])
    with transaction() as session:
        trade = _locked(trade_no)
        if trade is None:
            trade = SandboxTrade(
                trade_no=trade_no, merchant_id=params["merchant_id"], out_trade_no=params["out_trade_no"],
                order_number=params["order_number"][:64], subject=params["subject"][:200],
                amount_minor=int(params["amount"]), currency=params["currency"], status="open",
                notify_url=params["notify_url"], return_url=params["return_url"],
                refunded_minor=0, notify_status="none", notify_attempts=0, last_notify_error="",
            )
            session.add(trade)
            session.flush()
        elif (trade.amount_minor, trade.currency) != (int(params["amount"]), params["currency"]):
            raise TradeError(f"trade {trade_no} is for {trade.amount_minor} {trade.currency}, not this link's amount")
        elif trade.status == "open":  # a fresh link may carry new URLs (the shop moved); keep the latest
            trade.notify_url, trade.return_url = params["notify_url"], params["return_url"]
        return trade


def decide(trade_no: str, outcome: str) -> tuple[SandboxTrade, bool]:
    """The customer pays ("paid") or declines ("declined") an open trade; returns (trade, changed)."""
    if outcome not in protocol.EVENTS:
        raise ValueError(f"unknown outcome {outcome!r}")
    with transaction():
        trade = _locked(trade_no)
        if trade is None:
            raise TradeError(f"no sandbox trade {trade_no}")
        if trade.status != "open":
            return trade, False
        trade.status = outcome
        trade.decided_at = utcnow()
        trade.notify_status = "pending" if trade.notify_url else "none"
        trade.next_notify_at = utcnow()
        return trade, True


def close(merchant_id: str, out_trade_no: str, amount_minor: int, currency: str) -> SandboxTrade:
    """Close an unpaid trade (void); one never opened is recorded closed, so its link cannot pay."""
    trade_no = protocol.trade_number(merchant_id, out_trade_no)
    with transaction() as session:
        trade = _locked(trade_no)
        if trade is None:
            trade = SandboxTrade(
                trade_no=trade_no, merchant_id=merchant_id, out_trade_no=out_trade_no, amount_minor=amount_minor,
                currency=currency, status="open", refunded_minor=0, notify_status="none", notify_attempts=0,
                order_number="", subject="", notify_url="", return_url="", last_notify_error="",
            )
            session.add(trade)
        if trade.status == "paid":
            raise TradeError(f"trade {trade_no} is paid: refund it instead of voiding it")
        if trade.status == "open":
            trade.status, trade.decided_at = "closed", utcnow()
        session.flush()
        return trade


def refund(
    merchant_id: str, out_trade_no: str, amount_minor: int, currency: str, refund_id: str, *, instant: bool = True
) -> tuple[SandboxTrade, SandboxRefund]:
    """Refund part or all of a paid trade, once per ``refund_id``; never more than was paid.

    ``instant=False`` leaves the refund ``processing`` (the refund job finishes it).
    """
    trade_no = protocol.trade_number(merchant_id, out_trade_no)
    with transaction() as session:
        trade = _locked(trade_no)
        if trade is None or trade.status != "paid":
            raise TradeError(f"trade {trade_no} is not paid, so nothing can be refunded")
        if currency != trade.currency:
            raise TradeError(f"trade {trade_no} is in {trade.currency}, the refund in {currency}")
        done = session.execute(
            select(SandboxRefund).where(SandboxRefund.trade_id == trade.id, SandboxRefund.refund_id == refund_id)
        ).scalar_one_or_none()
        if done is not None:
            if done.amount_minor != amount_minor:
                raise TradeError(f"refund {refund_id} was already made for {done.amount_minor}, not {amount_minor}")
            return trade, done
        if amount_minor <= 0:
            raise TradeError("a refund must be a positive amount")
        if trade.refunded_minor + amount_minor > trade.amount_minor:
            raise PaymentDeclined(
                f"refund of {amount_minor} refused: {trade.amount_minor - trade.refunded_minor} of "
                f"{trade.amount_minor} remains refundable on {trade_no}"
            )
        made = SandboxRefund(trade_id=trade.id, refund_id=refund_id, amount_minor=amount_minor,
                             status="succeeded" if instant else "processing")
        session.add(made)
        trade.refunded_minor += amount_minor
        session.flush()
        return trade, made


def find_refund(merchant_id: str, out_trade_no: str, refund_id: str) -> tuple[SandboxTrade, SandboxRefund] | None:
    """A trade's refund by the merchant's refund id, or None."""
    row = db.session.execute(
        select(SandboxTrade, SandboxRefund).join(SandboxRefund, SandboxRefund.trade_id == SandboxTrade.id).where(
            SandboxTrade.merchant_id == merchant_id, SandboxTrade.out_trade_no == out_trade_no,
            SandboxRefund.refund_id == refund_id,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def finish_refund(refund_row_id: int) -> str:
    """Complete a processing refund and send its signed callback once; returns what happened.

    A callback the shop does not acknowledge is not retried: the shop asks
    with ``query_refund`` (reconciliation) instead.
    """
    with transaction():
        made = db.session.execute(
            select(SandboxRefund).where(SandboxRefund.id == refund_row_id).with_for_update()
        ).scalar_one_or_none()
        if made is None or made.status != "processing":
            return "nothing to do"
        made.status = "succeeded"
        trade = db.session.get(SandboxTrade, made.trade_id)
        trade_data, refund_data = trade.as_dict(), made.as_dict()
    instance = merchant(trade_data["merchant_id"])
    if instance is None or not trade_data["notify_url"]:
        return "refunded; no callback address"
    body, headers = protocol.callback(trade_data, "refunded", instance.settings["secret_key"], time.time(),
                                      refund=refund_data)
    try:
        with http_client() as client:
            response = client.post(trade_data["notify_url"], content=body, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("sandbox refund callback for %s failed: %s", refund_data["refund_id"], exc)
        return "refunded; callback failed"
    return "refunded; callback acknowledged" if _json(response) == protocol.ACK else "refunded; callback refused"


# --------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------


def deliver(trade_no: str, *, now: datetime | None = None) -> str:
    """Send the trade's pending callback once; on failure schedule the next try. Returns the notify status."""
    trade = by_number(trade_no)
    if trade is None or trade.notify_status != "pending":
        return trade.notify_status if trade is not None else "none"
    instance = merchant(trade.merchant_id)
    if instance is None:
        return _after_attempt(trade_no, False, "no enabled sandbox instance has this merchant id", now)
    body, headers = protocol.callback(trade.as_dict(), trade.status, instance.settings["secret_key"], time.time())
    try:
        with http_client() as client:
            response = client.post(trade.notify_url, content=body, headers=headers)
        acknowledged = response.status_code == 200 and _json(response) == protocol.ACK
        error = "" if acknowledged else f"HTTP {response.status_code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        acknowledged, error = False, f"{type(exc).__name__}: {exc}"
    return _after_attempt(trade_no, acknowledged, error, now)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _after_attempt(trade_no: str, acknowledged: bool, error: str, now: datetime | None) -> str:
    now = now or utcnow()
    with transaction():
        trade = _locked(trade_no)
        if trade.notify_status != "pending":
            return trade.notify_status
        trade.notify_attempts += 1
        if acknowledged:
            trade.notify_status, trade.next_notify_at, trade.last_notify_error = "delivered", None, ""
        elif trade.notify_attempts > len(RETRY_DELAYS):
            trade.notify_status, trade.next_notify_at, trade.last_notify_error = "failed", None, error[:2000]
            log.warning("sandbox callback for %s given up after %d attempts: %s",
                        trade_no, trade.notify_attempts, error)
        else:
            delay = RETRY_DELAYS[trade.notify_attempts - 1]
            trade.next_notify_at = now + timedelta(seconds=delay)
            trade.last_notify_error = error[:2000]
        return trade.notify_status


def due(now: datetime | None = None) -> list[str]:
    """Trade numbers whose callback should be tried again now."""
    now = now or utcnow()
    rows = db.session.execute(
        select(SandboxTrade.trade_no, SandboxTrade.next_notify_at).where(SandboxTrade.notify_status == "pending")
    ).all()
    return [trade_no for trade_no, at in rows if at is None or _aware(at) <= now]


def redeliver_due(now: datetime | None = None) -> dict[str, str]:
    """Try every due callback once; returns trade number -> notify status."""
    return {trade_no: deliver(trade_no, now=now) for trade_no in due(now)}


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
