"""The Alipay open platform protocol ("openapi", ``gateway.do``), as pure functions.

**Requests.** Every call carries the common parameters ``app_id, method,
format=JSON, charset=utf-8, sign_type=RSA2, timestamp`` (``yyyy-MM-dd
HH:mm:ss``, China time), ``version=1.0``, optionally ``notify_url`` and
``return_url``, and the business parameters as one JSON string,
``biz_content``. ``sign`` is the RSA2 signature (SHA256withRSA, base64) of
every non-empty parameter except ``sign`` itself, sorted by name and joined as
``name=value`` with ``&``, values not URL-encoded.

**Answers.** An API call answers ``{"<method>_response": {...}, "sign": "..."}``
where the method's dots become underscores; ``sign`` is the RSA2 signature,
by Alipay's key, of the exact text of the ``<method>_response`` object as it
appears in the body. Only a verified answer is read.

**Notifications** (异步通知) are form-encoded POSTs to ``notify_url``; their
``sign`` covers every parameter except ``sign`` and ``sign_type``, sorted the
same way. The synchronous return (``return_url`` with query parameters) is
signed the same way.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode

from xtycore.domain.money import Money

from xtycore_payment_alipay import keys

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
CHARSET = "utf-8"
SIGN_TYPE = "RSA2"
VERSION = "1.0"
#: Alipay's timestamps are China Standard Time (UTC+8, no daylight saving)
CHINA = timezone(timedelta(hours=8), "CST")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: the answer Alipay expects from notify_url; anything else is retried
NOTIFY_ACK = "success"
SUCCESS_CODE = "10000"
#: yuan with at most two decimals, as Alipay writes amounts
AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$")


class ProtocolError(ValueError):
    """An Alipay message that is malformed or does not verify."""


def china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def parse_china_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)
    except (TypeError, ValueError):
        raise ProtocolError(f"{text!r} is not an Alipay time (yyyy-MM-dd HH:mm:ss)") from None


def yuan(amount: Money) -> str:
    """``total_amount``: the amount in yuan with two decimals (Money is never a float)."""
    if amount.currency != "CNY":
        raise ProtocolError(f"Alipay takes CNY, not {amount.currency}")
    return f"{amount.amount:.2f}"


def money(text: Any) -> Money:
    """An Alipay amount (``"88.00"``) as Money."""
    if not isinstance(text, str) or not AMOUNT.match(text):
        raise ProtocolError(f"{text!r} is not an Alipay amount")
    return Money(Decimal(text), "CNY")


# --------------------------------------------------------------------------
# signing requests
# --------------------------------------------------------------------------


def sign_content(params: Mapping[str, str], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """The string Alipay signs: non-empty parameters but ``exclude``, sorted, ``k=v`` joined by ``&``."""
    return "&".join(f"{name}={params[name]}" for name in sorted(params)
                    if name not in exclude and params[name] not in (None, ""))


def signed_params(
    method: str, biz_content: Mapping[str, Any], settings: Mapping[str, Any], now: datetime,
    **extra: str,
) -> dict[str, str]:
    """The full, signed parameter set of a call of ``method`` (``extra``: notify_url, return_url)."""
    params = {
        "app_id": settings["app_id"],
        "method": method,
        "format": "JSON",
        "charset": CHARSET,
        "sign_type": SIGN_TYPE,
        "timestamp": china_time(now),
        "version": VERSION,
        "biz_content": json.dumps(dict(biz_content), ensure_ascii=False, separators=(",", ":")),
        **{name: value for name, value in extra.items() if value},
    }
    params["sign"] = keys.sign(sign_content(params), settings["app_private_key"], CHARSET)
    return params


def page_url(gateway_url: str, params: Mapping[str, str]) -> str:
    """The GET URL that opens Alipay's cashier page with the signed ``params``."""
    return f"{gateway_url}?{urlencode(params, encoding=CHARSET)}"


def form_action(gateway_url: str) -> str:
    """Where a FORM flow posts the signed parameters (the charset tells Alipay how to read the form)."""
    return f"{gateway_url}?{urlencode({'charset': CHARSET})}"


# --------------------------------------------------------------------------
# answers of API calls
# --------------------------------------------------------------------------


def response_node(method: str) -> str:
    return method.replace(".", "_") + "_response"


def top_level_members(text: str) -> dict[str, tuple[Any, str]]:
    """Each top-level member of a JSON object text: ``name -> (value, exact source text of the value)``."""
    decoder = json.JSONDecoder()
    members: dict[str, tuple[Any, str]] = {}
    position = _skip(text, 0)
    if not text.startswith("{", position):
        raise ProtocolError("the answer is not a JSON object")
    position = _skip(text, position + 1)
    if text.startswith("}", position):
        return members
    while True:
        try:
            name, position = decoder.raw_decode(text, position)
            position = _skip(text, position)
            if not isinstance(name, str) or not text.startswith(":", position):
                raise ProtocolError("the answer is not a JSON object")
            start = _skip(text, position + 1)
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            raise ProtocolError("the answer is not valid JSON") from None
        if name in members:
            raise ProtocolError(f"the answer has {name!r} twice")
        members[name] = (value, text[start:end])
        position = _skip(text, end)
        if text.startswith(",", position):
            position = _skip(text, position + 1)
            continue
        if text.startswith("}", position) and not text[position + 1:].strip():
            return members
        raise ProtocolError("the answer is not a single JSON object")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def verified_response(method: str, body: bytes, alipay_public_key: str) -> dict[str, Any]:
    """The ``<method>_response`` object of an answer whose signature verifies; :class:`ProtocolError` otherwise."""
    try:
        text = body.decode(CHARSET)
    except UnicodeDecodeError:
        raise ProtocolError("the answer is not UTF-8") from None
    members = top_level_members(text)
    name = response_node(method)
    if name not in members and "error_response" in members:
        name = "error_response"  # Alipay's answer to a call it could not route (an unknown method)
    if name not in members or not isinstance(members[name][0], dict):
        raise ProtocolError(f"the answer has no {response_node(method)} object")
    node, source = members[name]
    signature = members.get("sign", (None, ""))[0]
    if not isinstance(signature, str) or not signature:
        raise ProtocolError(f"the answer is not signed (code {node.get('code')!r}, {describe(node)})")
    if not keys.verify(source, signature, alipay_public_key, CHARSET):
        raise ProtocolError("the answer's signature does not verify with the Alipay public key")
    return node


def describe(node: Mapping[str, Any]) -> str:
    """Alipay's own words for an answer: ``sub_code: sub_msg`` or ``code: msg``."""
    if node.get("sub_code"):
        return f"{node['sub_code']}: {node.get('sub_msg', '')}".strip()
    return f"{node.get('code', '?')}: {node.get('msg', '')}".strip()


# --------------------------------------------------------------------------
# notifications and returns
# --------------------------------------------------------------------------


def form_fields(body: bytes) -> dict[str, str]:
    """The parameters of a form-encoded body; :class:`ProtocolError` for anything else."""
    try:
        text = body.decode("ascii")  # URL-encoded: any byte above 127 is not a form
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding=CHARSET, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("the body is not a URL-encoded form") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise ProtocolError("the form repeats a parameter")
    return fields


def verified_fields(fields: Mapping[str, str], alipay_public_key: str) -> dict[str, str]:
    """Notification or return parameters whose RSA2 signature verifies; :class:`ProtocolError` otherwise."""
    if fields.get("sign_type") != SIGN_TYPE:
        raise ProtocolError(f"sign_type is {fields.get('sign_type')!r}, not {SIGN_TYPE}")
    if fields.get("charset", CHARSET).lower() != CHARSET:
        raise ProtocolError(f"charset is {fields.get('charset')!r}, not {CHARSET}")
    signature = fields.get("sign") or ""
    content = sign_content(fields, exclude=("sign", "sign_type"))
    if not signature or not keys.verify(content, signature, alipay_public_key, CHARSET):
        raise ProtocolError("the signature does not verify with the Alipay public key")
    return dict(fields)
