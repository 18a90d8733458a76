"""The error monitor in headless Chromium, on a phone: find an exception, read its traceback, resolve it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import CHEAP, PASSWORD
from tests.e2e.conftest import browser, live_shop, shopper  # noqa: F401  (fixtures)
from xtycore.extensions import db
from xtycore.models import ErrorEvent
from xtycore.services import errors
from xtycore.services import staff as staff_service

MANAGER = "manager@shop.test"
TRACEBACK = "Traceback (most recent call last):\n" + "".join(
    f'  File "/srv/shop/.venv/lib/python3.11/site-packages/xtycore/web/storefront_{n}.py", line {n}, in product\n'
    f"    page = pages.product_page(slug, related_limit=setting('related_products'), customer_id=customer)\n"
    for n in range(30)
) + "KeyError: 'weight_grams_of_the_variant_that_was_deleted_while_the_page_was_rendering'"


@pytest.fixture
def xty_config():
    """CSRF checked, URLs of the host the browser asked for, the shop's default language (Chinese)."""
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, **CHEAP}


def test_a_manager_reads_and_resolves_an_exception_on_a_phone(live_shop, shopper):  # noqa: F811
    with live_shop.app.app_context():
        staff_service.create_staff(MANAGER, PASSWORD, role="manager", display_name="店长")
        group = errors.record(errors.Occurrence(
            "KeyError", "xtycore/web/storefront.py:product", "'weight_grams'", TRACEBACK, method="GET",
            path="/p/" + "xi-hu-long-jing-ming-qian-te-ji-" * 6, endpoint="storefront.product"))
    page = shopper("phone")
    page.goto(live_shop("/admin/"))
    page.get_by_label("邮箱").fill(MANAGER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="24 小时内未解决的错误").click()
    expect(page.get_by_role("heading", name="错误监控")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="KeyError").click()
    expect(page.locator("pre.traceback")).to_contain_text("KeyError: 'weight_grams_of_the_variant")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.get_by_role("status")).to_contain_text("已标记为已解决")
    expect(page.locator("dd.error-status")).to_contain_text("已由 manager@shop.test")
    with live_shop.app.app_context():
        db.session.remove()
        assert db.session.get(ErrorEvent, group).status == "resolved"
