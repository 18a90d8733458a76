"""The customers screens in headless Chromium: with real CSRF tokens, a note and disabling; a phone fits."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.browser import browser, fits, live_shop, shopper, staff_page, xty_config  # noqa: F401  (fixtures)
from tests.admin.conftest import PASSWORD
from xtycore.extensions import db
from xtycore.models import Customer
from xtycore.services import accounts

AGENT = "agent@shop.test"


def test_a_support_agent_notes_and_disables_a_customer_on_a_phone(live_shop, staff_page):  # noqa: F811
    with live_shop.app.app_context():
        mei = accounts.register(email="mei@example.cn", password=PASSWORD, display_name="王美丽",
                                mobile="13800138001").id
    page = staff_page(AGENT, "support_agent", "客服小李")
    page.goto(live_shop("/admin/customers"))
    page.get_by_label("邮箱、手机号或姓名").fill("美丽")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name="mei@example.cn").click()
    expect(page.get_by_role("heading", name="客户 mei@example.cn")).to_be_visible()
    assert fits(page)
    page.get_by_label("添加备注（添加后不能修改）").fill("来电询问发票")
    page.get_by_role("button", name="添加备注").click()
    expect(page.get_by_role("status")).to_contain_text("备注已添加")
    expect(page.locator(".note-body")).to_have_text("来电询问发票")
    page.get_by_role("button", name="停用账户").click()
    expect(page.get_by_role("status")).to_contain_text("账号已停用")
    expect(page.locator(".customer-state")).to_have_text("已停用")
    with live_shop.app.app_context():
        db.session.remove()
        assert db.session.get(Customer, mei).is_active is False
