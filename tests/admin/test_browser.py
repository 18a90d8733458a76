"""The back office in headless Chromium: an owner edits a payment method and sees its secret masked; a phone fits.

Uses the end-to-end fixtures (tests/e2e/conftest.py): a shop served over HTTP
with the first-party plugins and their demo instances, and the system's
Chromium. Screenshots land in the test's tmp_path (the phone one is also
written to ``$XTY_SCREENSHOTS`` when that names a folder) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.admin.browser import browser, live_shop, shopper, staff_page, xty_config  # noqa: F401  (fixtures)
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.models import CapabilityInstance
from xtycore.services import taxonomy

OWNER = "owner@shop.test"
SCREENS = ("/admin/", "/admin/plugins", "/admin/capabilities", "/admin/themes", "/admin/themes/settings",
           "/admin/staff", "/admin/audit", "/admin/password", "/admin/products", "/admin/products/new",
           "/admin/categories", "/admin/brands", "/admin/orders", "/admin/customers", "/admin/transfer",
           "/admin/errors", "/admin/reports", "/admin/review-queue", "/admin/tickets")


@pytest.fixture
def owner_page(staff_page):  # noqa: F811
    def open_as(viewport: str):
        page = staff_page(OWNER, "owner", "店主", viewport)
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        return page

    return open_as


def sandbox_instance(app) -> tuple[int, str]:
    with app.app_context():
        [instance] = [i for i in get_kernel().registry.instances("payment") if i.type.code == "sandbox"]
        return instance.id, instance.settings["secret_key"]


def test_an_owner_edits_a_payment_method_and_its_secret_stays_masked(live_shop, owner_page, tmp_path):  # noqa: F811
    instance_id, secret = sandbox_instance(live_shop.app)
    page = owner_page("desktop")
    page.get_by_role("link", name="支付、配送、促销、客服").click()
    page.locator(f"#instance-{instance_id} a").click()
    secret_input = page.locator("#f-secret_key")
    expect(secret_input).to_have_value("••••" + secret[-4:])
    expect(page.locator("#f-secret_key-stored")).to_have_text("••••" + secret[-4:])
    assert secret not in page.content()
    page.locator("#f-merchant_id").fill("SANDBOX-SHOP-2")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.locator("#f-secret_key")).to_have_value("••••" + secret[-4:])
    expect(page.locator("#f-merchant_id")).to_have_value("SANDBOX-SHOP-2")
    assert secret not in page.content()
    page.screenshot(path=tmp_path / "payment-method.png", full_page=True)
    with live_shop.app.app_context():
        db.session.remove()
        configured = get_kernel().registry.instance(instance_id)
        assert configured.settings == {**configured.settings, "merchant_id": "SANDBOX-SHOP-2", "secret_key": secret}
        assert db.session.get(CapabilityInstance, instance_id).settings["secret_key"].startswith("enc:v1:")


def test_the_back_office_fits_a_375_pixel_phone_and_its_menu_opens(live_shop, owner_page, tmp_path):  # noqa: F811
    with live_shop.app.app_context():  # rows wider than the phone: their tables scroll inside the page, not it
        herbal = taxonomy.create_category(
            taxonomy.CategoryInput(name="花草茶", name_en="Herbal and flower teas from every province"))
        taxonomy.create_category(
            taxonomy.CategoryInput(name="菊花茶", name_en="Chrysanthemum tea of Tongxiang", parent_id=herbal.id))
        db.session.remove()
    page = owner_page("phone")
    widths = {}
    for path in SCREENS:
        page.goto(live_shop(path))
        widths[path] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert {path: w for path, w in widths.items() if w[0] > w[1]} == {}
    page.goto(live_shop("/admin/"))
    menu = page.get_by_role("button", name="菜单")
    nav = page.locator("#admin-nav")
    expect(nav).to_be_hidden()
    menu.click()
    expect(nav).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    shot = tmp_path / "admin-phone.png"
    page.screenshot(path=shot, full_page=True)
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    page.goto(live_shop("/admin/capabilities"))
    page.screenshot(path=tmp_path / "capabilities-phone.png", full_page=True)
    folder = os.environ.get("XTY_SCREENSHOTS")
    if folder:
        for name in ("admin-phone.png", "capabilities-phone.png"):
            Path(folder, name).write_bytes((tmp_path / name).read_bytes())


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_content(live_shop, owner_page):  # noqa: F811
    page = owner_page("desktop")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0, "the focused link is visible"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
