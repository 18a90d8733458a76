"""The sandbox wire protocol: signed payment links and signed JSON callbacks.

Everything here is a pure function of its arguments (and the clock passed
in), so the protocol is tested without an application.

**Payment link.** ``create_payment`` sends the customer to
``{gateway}/sandbox-pay/{trade_no}?{params}&sign={sign}`` where ``params`` are
``merchant_id, out_trade_no, order_number, subject, amount`` (minor units),
``currency, notify_url, return_url, expires`` (Unix seconds) and ``sign`` is
the hex HMAC-SHA256, keyed with the merchant's secret key, of the parameters
sorted by name and joined as ``name=value`` with ``&`` (values not
URL-encoded). ``trade_no`` is derived from the merchant and ``out_trade_no``,
so asking twice for the same payment gives the same trade.

**Callback.** When the customer pays or declines, the sandbox POSTs a compact
JSON object to ``notify_url``::

    {"event_id": "SBX…:paid", "event": "trade.paid", "merchant_id": "…",
     "trade_no": "SBX…", "out_trade_no": "P…", "amount": 8800, "currency": "CNY",
     "timestamp": 1767225600, "nonce": "9f86d081884c7d65"}

with the header ``X-Sandbox-Signature: <hex HMAC-SHA256 of the raw body>``.
A refund the merchant asked for asynchronously is announced the same way
with ``"event": "refund.succeeded"``, the refund's ``amount``, the merchant's
``refund_id`` and ``event_id`` ``"{trade_no}:refund:{refund_id}"``.
The receiver verifies the signature over the raw bytes, that ``merchant_id``
is its own and that ``timestamp`` is within five minutes of its clock, and
answers ``200`` with ``{"code": "SUCCESS"}``; any other answer is retried
with backoff. ``event_id`` stays the same on every retry (the timestamp and
nonce change), so the receiver applies each event once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.money import CURRENCY_EXPONENTS

SIGNATURE_HEADER = "X-Sandbox-Signature"
#: seconds a callback's timestamp may differ from the receiver's clock
CALLBACK_WINDOW = 300
#: what the receiver answers to acknowledge a callback
ACK = {"code": "SUCCESS"}
LINK_FIELDS = (
    "merchant_id", "out_trade_no", "order_number", "subject", "amount", "currency",
    "notify_url", "return_url", "expires",
)
EVENTS = {"paid": "trade.paid", "declined": "trade.declined", "refunded": "refund.succeeded"}
#: events about a refund carry the merchant's refund id as well
REFUND_EVENTS = frozenset({"refund.succeeded"})
CALLBACK_FIELDS = {
    "event_id": str, "event": str, "merchant_id": str, "trade_no": str, "out_trade_no": str,
    "amount": int, "currency": str, "timestamp": int, "nonce": str,
}


def sign(message: bytes, key: str) -> str:
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def trade_number(merchant_id: str, out_trade_no: str) -> str:
    """The sandbox's own number for a merchant's payment: the same payment, the same trade."""
    digest = hashlib.sha256(f"{merchant_id}\n{out_trade_no}".encode()).hexdigest()
    return "SBX" + digest[:21].upper()


# --------------------------------------------------------------------------
# payment links
# --------------------------------------------------------------------------


def canonical(params: Mapping[str, Any]) -> bytes:
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "sign").encode("utf-8")


def signed_link(base_url: str, params: Mapping[str, Any], key: str) -> str:
    """The hosted page URL for ``params`` (the :data:`LINK_FIELDS`), signed with ``key``."""
    values = {name: str(params[name]) for name in LINK_FIELDS}
    trade_no = trade_number(values["merchant_id"], values["out_trade_no"])
    query = urlencode({**values, "sign": sign(canonical(values), key)})
    return f"{base_url.rstrip('/')}/sandbox-pay/{trade_no}?{query}"


def link_params(query: Mapping[str, str]) -> dict[str, str] | None:
    """The link fields of a request's query string, or None when any is missing."""
    if not all(isinstance(query.get(name), str) for name in (*LINK_FIELDS, "sign")):
        return None
    return {name: query[name] for name in (*LINK_FIELDS, "sign")}


def link_problem(trade_no: str, params: Mapping[str, str], key: str, now: float) -> str:
    """Why a payment link must not open; empty when it may."""
    if not signatures_match(sign(canonical(params), key), params["sign"]):
        return "the link's signature does not verify"
    if trade_number(params["merchant_id"], params["out_trade_no"]) != trade_no:
        return "the link names another trade"
    if not (params["amount"].isdigit() and int(params["amount"]) > 0):
        return "the link's amount is not a positive number of minor units"
    if not params["expires"].isdigit() or int(params["expires"]) < now:
        return "the link has expired"
    if urlsplit(params["return_url"]).scheme not in ("http", "https"):
        return "the link's return URL is not http(s)"
    return ""


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------


def callback(
    trade: Mapping[str, Any], outcome: str, key: str, now: float, *, refund: Mapping[str, Any] | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the callback announcing ``outcome`` ("paid", "declined" or, with the
    ``refund`` row, "refunded") of a trade."""
    payload = {
        "event_id": f"{trade['trade_no']}:{outcome}",
        "event": EVENTS[outcome],
        "merchant_id": trade["merchant_id"],
        "trade_no": trade["trade_no"],
        "out_trade_no": trade["out_trade_no"],
        "amount": trade["amount_minor"],
        "currency": trade["currency"],
        "timestamp": int(now),
        "nonce": secrets.token_hex(8),
    }
    if refund is not None:
        payload.update(event_id=f"{trade['trade_no']}:refund:{refund['refund_id']}", amount=refund["amount_minor"],
                       refund_id=refund["refund_id"])
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return body, {SIGNATURE_HEADER: sign(body, key), "Content-Type": "application/json"}


def verified_callback(body: bytes, signature: str, merchant_id: str, key: str, now: float) -> dict[str, Any]:
    """The payload of a genuine, fresh callback for ``merchant_id``; :class:`InvalidWebhook` otherwise."""
    if not signature or not signatures_match(sign(body, key), signature):
        raise InvalidWebhook("the sandbox signature does not verify")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidWebhook("the callback body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidWebhook("the callback body is not a JSON object")
    for name, kind in CALLBACK_FIELDS.items():
        value = payload.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise InvalidWebhook(f"the callback's {name} is missing or not a {kind.__name__}")
    if payload["merchant_id"] != merchant_id:
        raise InvalidWebhook(f"the callback is for merchant {payload['merchant_id']!r}, not {merchant_id!r}")
    if abs(now - payload["timestamp"]) > CALLBACK_WINDOW:
        raise InvalidWebhook(f"the callback's timestamp is more than {CALLBACK_WINDOW} seconds from now")
    if payload["event"] not in EVENTS.values():
        raise InvalidWebhook(f"unknown sandbox event {payload['event']!r}")
    if payload["event"] in REFUND_EVENTS and not (isinstance(payload.get("refund_id"), str) and payload["refund_id"]):
        raise InvalidWebhook("the refund callback names no refund_id")
    if payload["currency"] not in CURRENCY_EXPONENTS or payload["amount"] <= 0:
        raise InvalidWebhook(f"the callback's amount {payload['amount']} {payload['currency']!r} is not valid")
    return payload
