"""Signed calls to the WeChat Pay API v3, whose answers are trusted only when their platform signature verifies."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

import httpx

from xtycore.domain.errors import GatewayUnavailable

from xtycore_payment_wechatpay import protocol

log = logging.getLogger("xtycore_payment_wechatpay")

USER_AGENT = "xtycore-payment-wechatpay/0.1"


@dataclass(frozen=True)
class Answer:
    """A verified answer: its HTTP status and its JSON object (empty for 204 No Content)."""

    status: int
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        """``CODE: message`` of an error answer."""
        return f"{self.data.get('code', self.status)}: {self.data.get('message', 'no message')}"


def platform_keys(settings: Mapping[str, Any]) -> dict[str, Any]:
    return protocol.platform_keys(
        settings.get("platform_public_key_id") or "", settings.get("platform_public_key") or "",
        settings.get("platform_certificates") or {},
    )


def call(
    settings: Mapping[str, Any], method: str, path: str, *, query: Mapping[str, str] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Answer:
    """Send one signed request and return its verified answer.

    Raises :class:`~xtycore.domain.errors.GatewayUnavailable` when there is
    no answer (network, timeout) or when the answer's platform signature does
    not verify or is stale: such an answer is never trusted, whatever it says.
    """
    base = settings["api_base_url"].rstrip("/")
    url = base + path + (f"?{urlencode(query)}" if query else "")
    parts = urlsplit(url)
    signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
    payload = protocol.compact_json(body) if body is not None else b""
    headers = {
        "Authorization": protocol.authorization(
            method, signed_path, payload, mchid=settings["mchid"], serial_no=settings["merchant_serial_no"],
            key=protocol.private_key(settings["merchant_private_key"]), now=time.time(),
        ),
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        with httpx.Client(timeout=settings.get("timeout_seconds", 10)) as client:
            response = client.request(method, url, content=payload, headers=headers)
    except httpx.HTTPError as exc:
        raise GatewayUnavailable(f"WeChat Pay {method} {parts.path}: no answer ({type(exc).__name__}: {exc})") from None
    problem = protocol.signature_problem(
        protocol.lower_headers(response.headers), response.content, platform_keys(settings), time.time()
    )
    if problem:
        log.warning("WeChat Pay %s %s answered %s untrusted: %s", method, parts.path, response.status_code, problem)
        raise GatewayUnavailable(f"WeChat Pay {method} {parts.path} answered {response.status_code}, "
                                 f"not trusted: {problem}")
    return Answer(response.status_code, _json_object(response, method, parts.path))


def _json_object(response: httpx.Response, method: str, path: str) -> Mapping[str, Any]:
    if not response.content:
        return {}
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GatewayUnavailable(f"WeChat Pay {method} {path} answered {response.status_code} without a JSON object")
    return data
