"""Helpers of the account tests: sign up and sign in through the pages, read CSRF tokens."""

from __future__ import annotations

import re
import socket

PASSWORD = "correct horse 42"
ADDRESS = {
    "recipient": "张三",
    "mobile": "13800138000",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "street": "科技园南区高新南一道8号",
    "postcode": "518057",
}


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def register(client, email="mei@example.cn", password=PASSWORD, **fields):
    form = {"email": email, "password": password, "password_confirm": password, **fields}
    return client.post("/account/register", data=form)


def login(client, identifier="mei@example.cn", password=PASSWORD, environ_base=None, **fields):
    form = {"identifier": identifier, "password": password, **fields}
    return client.post("/account/login", data=form, environ_base=environ_base or {})


def signed_up(client, email="mei@example.cn", **fields):
    """Register through the page (which signs the new customer in) and check it worked."""
    response = register(client, email=email, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)
