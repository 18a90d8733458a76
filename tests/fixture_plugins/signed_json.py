"""HMAC-SHA256 over a raw JSON body: the callback signing the example plugins share."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Mapping

from xtycore.domain.errors import InvalidWebhook
from xtycore.domain.webhooks import WebhookRequest

SIGNATURE_HEADER = "X-Signature"


def sign(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signed_request(payload: Mapping[str, Any], key: str) -> WebhookRequest:
    """A callback as the remote side sends it: compact JSON and its signature header."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return WebhookRequest(body=body, headers={SIGNATURE_HEADER: sign(body, key), "Content-Type": "application/json"})


def verified_payload(request: WebhookRequest, key: str) -> dict[str, Any]:
    """The JSON object of a callback whose signature verifies; InvalidWebhook otherwise."""
    given = request.header(SIGNATURE_HEADER).encode("utf-8", "replace")
    if not hmac.compare_digest(sign(request.body, key).encode(), given):
        raise InvalidWebhook("the signature does not verify")
    return parse_object(request.body)


def parse_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidWebhook("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidWebhook("the body is not a JSON object")
    return payload
