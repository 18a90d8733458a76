"""Calls of the Alipay openapi gateway over HTTP (stdlib ``urllib``), answers verified.

As Alipay's own SDKs do, the common parameters travel in the query string and
``biz_content`` in a form-encoded POST body. Any failure to get a verified
answer -- no connection, a timeout, an HTTP error, a body that is not a
signed Alipay answer -- raises :class:`AlipayUnavailable`: the answer is
unknown, never guessed.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlencode

from xtycore.domain.errors import GatewayUnavailable

from xtycore_payment_alipay import protocol

#: answers are small; a larger body is not an Alipay answer
MAX_ANSWER_BYTES = 1024 * 1024


class AlipayUnavailable(GatewayUnavailable):
    """No verified answer from Alipay: the outcome of the call is unknown."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def call(method: str, biz_content: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Call ``method`` and return its verified ``<method>_response`` object (any ``code``)."""
    params = protocol.signed_params(method, biz_content, settings, datetime.now(timezone.utc))
    body = urlencode({"biz_content": params.pop("biz_content")}, encoding=protocol.CHARSET).encode("ascii")
    request = urllib.request.Request(
        f"{settings['gateway_url']}?{urlencode(params, encoding=protocol.CHARSET)}",
        data=body, method="POST",
        headers={"Content-Type": f"application/x-www-form-urlencoded;charset={protocol.CHARSET}",
                 "Accept": "application/json"},
    )
    answer = _post(method, request, settings.get("timeout_seconds", 15))
    try:
        return protocol.verified_response(method, answer, settings["alipay_public_key"])
    except protocol.ProtocolError as exc:
        raise AlipayUnavailable(f"Alipay {method}: {exc}; the answer was not trusted") from None


def _post(method: str, request: urllib.request.Request, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise AlipayUnavailable(f"Alipay {method}: HTTP {exc.code} from the gateway") from None
    except (TimeoutError, socket.timeout) as exc:
        raise AlipayUnavailable(f"Alipay {method}: no answer within {timeout} s ({exc})", timed_out=True) from None
    except urllib.error.URLError as exc:
        timed_out = isinstance(exc.reason, (TimeoutError, socket.timeout))
        raise AlipayUnavailable(f"Alipay {method}: {exc.reason}", timed_out=timed_out) from None
    except OSError as exc:  # a connection reset while reading the answer
        raise AlipayUnavailable(f"Alipay {method}: {exc}") from None
    if len(answer) > MAX_ANSWER_BYTES:
        raise AlipayUnavailable(f"Alipay {method}: an answer of more than {MAX_ANSWER_BYTES} bytes")
    return answer
