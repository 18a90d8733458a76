"""The add-to-cart-to-order flow, driven like a browser: one guest visitor per flow.

A flow opens a product page, adds a variant to the cart, walks the four
checkout steps and places the order, following every redirect with a GET as
a browser does. Forms are read from the pages the server sends (CSRF token,
shipping option, payment method, checkout token, expected total), so the
flow exercises exactly what a shopper's browser would, CSRF checks included.

Standard library only: ``http.client`` connections kept alive per visitor
(gunicorn's sync workers close them after each response; ``http.client``
reopens transparently), a dict of cookies, and regular expressions over the
HTML of the default theme.
"""

from __future__ import annotations

import html
import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence
from urllib.parse import urlencode, urlsplit

from loadstats import LoadResult, summarise

#: The address every benchmark order ships to.
ADDRESS = {
    "email": "bench@xty.example",
    "recipient": "压测",
    "mobile": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "龙井路1号",
    "postcode": "310013",
}
#: Preferred payment method: one that needs no gateway round trip.
OFFLINE_PAYMENT = "货到付款"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SHIPPING = re.compile(r'name="option" value="([^"]+)"')
_PAYMENT = re.compile(r'name="payment_instance_id" value="(\d+)"[^>]*>\s*<span><strong>([^<]*)</strong>')
_CHECKOUT_TOKEN = re.compile(r'name="checkout_token" value="([^"]+)"')
_EXPECTED_TOTAL = re.compile(r'name="expected_total_minor" value="(\d+)"')


class FlowError(Exception):
    """A step answered something a browser could not go on from."""


@dataclass(frozen=True)
class Item:
    """What a flow buys: the product page it starts on and the variant it adds."""

    slug: str
    variant_id: int


@dataclass
class Visitor:
    """One browser: a keep-alive connection and its cookies."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Send one request; returns (status, Location header, body)."""
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "xtycore-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Flask-WTF checks the referrer only over HTTPS; a browser sends one anyway
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (http.client.HTTPException, OSError):
            self.conn.close()  # a stale keep-alive socket: retry once on a fresh one
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        self.requests += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text

    def browse(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[str, str]:
        """A request and every redirect after it, as a browser follows them; returns (final path, body)."""
        status, location, text = self.request(method, path, form)
        hops = 0
        while status in (301, 302, 303, 307, 308):
            hops += 1
            if hops > 5:
                raise FlowError(f"too many redirects from {path}")
            path = _local(location)
            status, location, text = self.request("GET", path)
        if status != 200:
            raise FlowError(f"{method} {path} answered {status}")
        return path, text


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _one(pattern: re.Pattern[str], text: str, what: str, path: str) -> str:
    found = pattern.search(text)
    if found is None:
        raise FlowError(f"no {what} on {path}")
    return html.unescape(found.group(1))


def place_order(visitor: Visitor, item: Item) -> str:
    """Run one flow; returns the path of the page the shopper lands on after placing the order."""
    path, page = visitor.browse("GET", f"/p/{item.slug}")
    csrf = _one(_CSRF, page, "CSRF token", path)
    visitor.browse("POST", "/cart/add", {"csrf_token": csrf, "variant_id": str(item.variant_id), "quantity": "1"})
    path, page = visitor.browse("GET", "/checkout")
    if not path.startswith("/checkout/address"):
        raise FlowError(f"/checkout sent a new visitor to {path}, not to the address step")
    path, page = visitor.browse("POST", "/checkout/address", {"csrf_token": csrf, **ADDRESS})
    option = _one(_SHIPPING, page, "shipping option", path)
    path, page = visitor.browse("POST", "/checkout/shipping", {"csrf_token": csrf, "option": option})
    methods = [(pid, html.unescape(name)) for pid, name in _PAYMENT.findall(page)]
    if not methods:
        raise FlowError(f"no payment method on {path}")
    payment = next((pid for pid, name in methods if OFFLINE_PAYMENT in name), methods[0][0])
    path, page = visitor.browse("POST", "/checkout/payment", {"csrf_token": csrf, "payment_instance_id": payment})
    form = {
        "csrf_token": csrf,
        "checkout_token": _one(_CHECKOUT_TOKEN, page, "checkout token", path),
        "expected_total_minor": _one(_EXPECTED_TOTAL, page, "expected total", path),
    }
    path, page = visitor.browse("POST", "/checkout/place", form)
    if path.startswith("/checkout") or path.startswith("/cart"):
        raise FlowError(f"placing the order went back to {path}")
    return path


@dataclass
class FlowRun:
    """What :func:`run_flows` measured."""

    result: LoadResult
    #: HTTP requests per completed flow, redirects included
    requests_per_flow: float
    #: the first few distinct failure messages
    failures: list[str]


def run_flows(host: str, port: int, items: Sequence[Item], *, seconds: float, concurrency: int) -> FlowRun:
    """Run flows from ``concurrency`` threads for ``seconds``; each flow is a new visitor."""
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    counts = {"errors": 0, "requests": 0, "next": 0}
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                item = items[counts["next"] % len(items)]
                counts["next"] += 1
            visitor = Visitor(host, port)
            started = time.perf_counter()
            try:
                place_order(visitor, item)
            except (FlowError, http.client.HTTPException, OSError) as exc:
                with lock:
                    counts["errors"] += 1
                    if len(failures) < 5 and str(exc) not in failures:
                        failures.append(str(exc))
            else:
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    counts["requests"] += visitor.requests
            finally:
                visitor.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    per_flow = counts["requests"] / len(latencies) if latencies else 0.0
    return FlowRun(summarise(latencies, counts["errors"], elapsed), per_flow, failures)
