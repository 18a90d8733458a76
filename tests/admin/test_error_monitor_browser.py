"""The error monitor in headless Chromium, on a phone: find an exception, read its traceback, resolve it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.browser import browser, fits, live_shop, shopper, staff_page, xty_config  # noqa: F401  (fixtures)
from xtycore.extensions import db
from xtycore.models import ErrorEvent
from xtycore.services import errors

MANAGER = "manager@shop.test"
TRACEBACK = "Traceback (most recent call last):\n" + "".join(
    f'  File "/srv/shop/.venv/lib/python3.11/site-packages/xtycore/web/storefront_{n}.py", line {n}, in product\n'
    f"    page = pages.product_page(slug, related_limit=setting('related_products'), customer_id=customer)\n"
    for n in range(30)
) + "KeyError: 'weight_grams_of_the_variant_that_was_deleted_while_the_page_was_rendering'"


def test_a_manager_reads_and_resolves_an_exception_on_a_phone(live_shop, staff_page):  # noqa: F811
    with live_shop.app.app_context():
        group = errors.record(errors.Occurrence(
            "KeyError", "xtycore/web/storefront.py:product", "'weight_grams'", TRACEBACK, method="GET",
            path="/p/" + "xi-hu-long-jing-ming-qian-te-ji-" * 6, endpoint="storefront.product"))
    page = staff_page(MANAGER, "manager", "店长")
    page.get_by_role("link", name="24 小时内未解决的错误").click()
    expect(page.get_by_role("heading", name="错误监控")).to_be_visible()
    assert fits(page)
    page.get_by_role("link", name="KeyError").click()
    expect(page.locator("pre.traceback")).to_contain_text("KeyError: 'weight_grams_of_the_variant")
    assert fits(page)
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.get_by_role("status")).to_contain_text("已标记为已解决")
    expect(page.locator("dd.error-status")).to_contain_text("已由 manager@shop.test")
    with live_shop.app.app_context():
        db.session.remove()
        assert db.session.get(ErrorEvent, group).status == "resolved"
