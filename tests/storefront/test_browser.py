"""The storefront in headless Chromium: phone and desktop widths, keyboard focus, the variant picker."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.storefront.helpers import make_product, make_products, variant

WIDTHS = {"phone": 375, "desktop": 1440}


@pytest.fixture
def shop(xty_make_app) -> Iterator[str]:
    """The storefront served on a free port, with a few products; yields its base URL."""
    app = xty_make_app(config={"SERVER_NAME": None})
    with app.app_context():
        make_products(6)
        make_product("西湖龙井", images=3, variants=[
            variant("128.00", stock=20, 规格="250g", 等级="特级"), variant("239.00", stock=0, 规格="500g", 等级="特级"),
            variant("98.00", stock=4, 规格="250g", 等级="一级"),
        ])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(chromium, url: str, width: int, *, javascript: bool = True):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                   java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, errors


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_no_page_scrolls_sideways(chromium, shop, width):
    for path in ("/", "/c/cha-ye", "/search?q=茶", "/p/xi-hu-long-jing"):
        page, errors = open_page(chromium, shop + path, width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        assert errors == [], path
        page.context.close()


def test_the_product_grid_has_two_columns_on_a_phone_and_four_on_a_desktop(chromium, shop):
    for width, columns in ((375, 2), (1440, 4)):
        page, _ = open_page(chromium, shop + "/c/cha-ye", width)
        tops = page.eval_on_selector_all(".product-grid__item", "items => items.map(i => i.offsetTop)")
        assert tops.count(tops[0]) == columns, width
        page.context.close()


def test_the_first_tab_reaches_the_skip_link_and_shows_where_focus_is(chromium, shop):
    page, _ = open_page(chromium, shop + "/p/xi-hu-long-jing", 375)
    page.keyboard.press("Tab")
    focused = page.evaluate("({cls: document.activeElement.className,"
                            " outline: getComputedStyle(document.activeElement).outlineStyle})")
    assert focused == {"cls": "skip-link", "outline": "solid"}
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


def test_the_variant_picker_shows_price_and_stock_of_the_chosen_options(chromium, shop):
    page, errors = open_page(chromium, shop + "/p/xi-hu-long-jing", 1440)
    assert page.is_visible("[data-option-picker]") and not page.is_visible("[data-variant-field]")
    assert page.inner_text("[data-price-now]") == "¥128.00"
    page.click("label.option__value:has-text('500g')")
    assert page.inner_text("[data-price-now]") == "¥239.00"
    assert page.inner_text("[data-stock]") == "已售罄" and page.is_disabled("[data-buy-button]")
    page.click("label.option__value:has-text('250g')")
    page.click("label.option__value:has-text('一级')")
    assert page.inner_text("[data-price-now]") == "¥98.00" and page.inner_text("[data-stock]") == "仅剩 4 件"
    assert not page.is_disabled("[data-buy-button]")
    assert page.input_value("[data-variant-select]") == page.evaluate(
        "JSON.parse(document.querySelector('[data-variants]').textContent)[2].id.toString()")
    page.click("label.option__value:has-text('500g')")  # 500g 一级 does not exist
    assert page.inner_text("[data-stock]") == "该规格组合暂不可售。" and page.is_disabled("[data-buy-button]")
    assert errors == []
    page.context.close()


def test_without_javascript_the_select_picks_the_variant_and_the_buttons_stay_hidden(chromium, shop):
    page, _ = open_page(chromium, shop + "/p/xi-hu-long-jing", 375, javascript=False)
    assert page.is_visible("select[name=variant_id]") and not page.is_visible("[data-option-picker]")
    page.context.close()


def test_thumbnails_show_their_image_in_the_gallery(chromium, shop):
    page, errors = open_page(chromium, shop + "/p/xi-hu-long-jing", 375)
    thumbs = page.locator("[data-gallery-thumb]")
    thumbs.nth(2).click()
    assert page.get_attribute("[data-gallery-main]", "alt") == "西湖龙井 图3"
    assert thumbs.nth(2).get_attribute("aria-current") == "true" and thumbs.nth(0).get_attribute("aria-current") is None
    assert page.url.endswith("/p/xi-hu-long-jing") and errors == []
    page.context.close()
