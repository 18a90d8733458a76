"""The back office in headless Chromium: staff signed in on a page of the live shop.

Builds on the end-to-end fixtures (tests/e2e/conftest.py): ``live_shop`` serves
the shop with the first-party plugins over HTTP, ``browser`` is the system's
Chromium (``/usr/bin/chromium``, never downloaded), ``shopper`` opens pages at a
named viewport ("phone" is 375 px wide) in Chinese. A test module imports what
it uses from here::

    from tests.admin.browser import browser, fits, live_shop, shopper, staff_page, xty_config  # noqa: F401
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.admin.conftest import CHEAP, PASSWORD
from tests.e2e.conftest import browser, live_shop, shopper  # noqa: F401  (fixtures)
from xtycore.services import staff as staff_service

#: The settings of a browser test: CSRF checked, URLs of the host the browser asked for, the shop's default
#: language (Chinese).
BROWSER_CONFIG = {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, **CHEAP}


@pytest.fixture
def xty_config():
    """CSRF checked, URLs of the host the browser asked for, the shop's default language (Chinese)."""
    return BROWSER_CONFIG


@pytest.fixture
def staff_page(live_shop, shopper) -> Callable[..., Any]:  # noqa: F811
    """``staff_page(email, role, display_name="", viewport="phone")`` -> a new page signed in to the back office
    as a new active account of ``role``, on the page the sign-in leads to."""

    def open_as(email: str, role: str, display_name: str = "", viewport: str = "phone"):
        with live_shop.app.app_context():
            staff_service.create_staff(email, PASSWORD, role=role, display_name=display_name)
        page = shopper(viewport)
        page.goto(live_shop("/admin/"))
        page.get_by_label("邮箱").fill(email)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        # signed in once the browser has left the sign-in page: a test's next page.goto must not cancel the
        # sign-in's response (and its session cookie) while it is still on its way
        page.wait_for_url(lambda url: "/admin/login" not in url)
        return page

    return open_as


def fits(page) -> bool:
    """The page needs no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
