"""The product editor in headless Chromium: on a 375 px phone a catalogue editor creates a product with an image.

Uses the end-to-end fixtures (tests/e2e/conftest.py): a shop served over HTTP
with the first-party plugins, and the system's Chromium, in Chinese.
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image
from playwright.sync_api import expect

from tests.admin.browser import browser, fits, live_shop, shopper, staff_page, xty_config  # noqa: F401  (fixtures)
from xtycore.extensions import db
from xtycore.models import Product

EDITOR = "editor@shop.test"


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (120, 90), "#3a7d44").save(out, "PNG")
    return out.getvalue()


def test_a_catalogue_editor_creates_a_product_with_two_variants_and_an_image_on_a_phone(
        live_shop, staff_page):  # noqa: F811
    page = staff_page(EDITOR, "catalogue_editor", "小王")
    page.goto(live_shop("/admin/products"))
    page.get_by_role("link", name="新建商品").click()
    expect(page.get_by_role("heading", name="新建商品")).to_be_visible()
    assert fits(page)
    page.locator("#f-title").fill("狮峰龙井 礼盒")
    for index, (sku, options, price, stock) in enumerate([("SF-250", "规格=250g", "268.00", "12"),
                                                          ("SF-500", "规格=500g", "498.00", "6")]):
        page.locator(f"#f-variants-{index}-sku").fill(sku)
        page.locator(f"#f-variants-{index}-options").fill(options)
        page.locator(f"#f-variants-{index}-price").fill(price)
        page.locator(f"#f-variants-{index}-stock").fill(stock)
    page.get_by_label("添加图片").set_input_files([{"name": "box.png", "mimeType": "image/png", "buffer": png()}])
    page.get_by_role("button", name="保存商品").click()
    expect(page.get_by_role("status").first).to_contain_text("狮峰龙井 礼盒 已保存。")
    expect(page.locator(".product-image img")).to_have_count(1)
    assert fits(page)
    page.get_by_role("link", name="← 商品").click()
    expect(page.get_by_role("link", name="狮峰龙井 礼盒")).to_be_visible()
    assert fits(page)
    with live_shop.app.app_context():
        db.session.remove()
        saved = Product.query.filter_by(title="狮峰龙井 礼盒").one()
        assert [(v.sku, v.options, v.price_minor, v.stock) for v in saved.variants] == [
            ("SF-250", {"规格": "250g"}, 26800, 12), ("SF-500", {"规格": "500g"}, 49800, 6)]
        assert len(saved.images) == 1 and saved.status == "draft"
