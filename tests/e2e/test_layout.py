"""The customer's own pages at 375 px (a phone) and 1440 px: nothing scrolls sideways, the buttons
that move the order on are on screen and are what a tap at their centre reaches, every input has a
label, keyboard focus shows. The walks go through the cart, every checkout step (shipping and store
pickup), the confirmation, the order list and an order's page; full-page screenshots land in the
test's ``tmp_path``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_shopping import ADDRESS, SHOP, add_to_cart, open_product, search, snap

pytestmark = pytest.mark.e2e

#: True when the page is no wider than the window (no sideways scrolling).
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: The form controls a person fills in that have no label (by <label> or aria-label).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""
#: Whether a tap at the element's centre reaches the element itself (nothing covers it); a link that
#: wraps is tapped at the centre of its first line.
REACHABLE = """el => {
  const box = el.getClientRects()[0];
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return box.width > 0 && box.height > 0 && (hit === el || el.contains(hit));
}"""


def check_page(page: Page, folder: Path, name: str, *buttons: Locator) -> None:
    """The page fits the window, its inputs are labelled, each button is visible and reachable; a screenshot."""
    page.wait_for_load_state()
    assert page.evaluate(FITS), f"{name}: {page.evaluate('document.documentElement.scrollWidth')} px wide"
    assert page.evaluate(UNLABELLED) == [], name
    for button in buttons:
        expect(button).to_be_visible()
        button.scroll_into_view_if_needed()
        assert button.evaluate(REACHABLE), f"{name}: something covers {button}"
    snap(page, folder, name)


def focus_by_keyboard(page: Page, target: Locator, presses: int = 80) -> None:
    """Tab until ``target`` has focus, then check the focus ring is drawn."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"Tab never reached {target}")
    assert target.evaluate("el => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none'")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_customer_walks_from_the_cart_to_the_order_page_without_sideways_scrolling(
    live_shop, shopper, viewport, tmp_path
):
    page = shopper(viewport)
    page.goto(live_shop("/account/register"))
    page.get_by_label("邮箱").fill(f"mei.{viewport}@example.com")
    page.get_by_label("密码", exact=True).fill("longjing-2026-tea")
    page.get_by_label("确认密码").fill("longjing-2026-tea")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(re.compile(r"/account"))

    page.goto(live_shop("/"))
    search(page, "龙井")
    open_product(page, "西湖龙井 明前特级")
    add_to_cart(page)
    search(page, "盖碗")
    open_product(page, "青瓷盖碗")
    add_to_cart(page)
    expect(page.locator("table.lines tbody tr")).to_have_count(2)
    checkout = page.get_by_role("link", name="去结算")
    check_page(page, tmp_path, f"cart-{viewport}", checkout, page.get_by_role("button", name="使用"),
               page.get_by_role("button", name="更新").first)
    focus_by_keyboard(page, checkout)
    checkout.click()

    page.wait_for_url(re.compile(r"/checkout/address$"))
    for label, value in ADDRESS.items():
        page.get_by_label(label, exact=False).fill(value)
    next_step = page.get_by_role("button", name="下一步：配送方式")
    check_page(page, tmp_path, f"address-{viewport}", next_step, page.get_by_role("link", name="到店自提"))
    next_step.click()

    page.wait_for_url(re.compile(r"/checkout/shipping$"))
    page.locator("label.choice", has_text="顺丰标快").click()
    next_step = page.get_by_role("button", name="下一步：支付方式")
    check_page(page, tmp_path, f"shipping-{viewport}", next_step)
    next_step.click()

    page.wait_for_url(re.compile(r"/checkout/payment$"))
    page.locator("label.choice", has_text="货到付款").click()
    next_step = page.get_by_role("button", name="下一步：确认订单")
    check_page(page, tmp_path, f"payment-{viewport}", next_step)
    next_step.click()

    page.wait_for_url(re.compile(r"/checkout/review$"))
    place = page.get_by_role("button", name="提交订单")
    check_page(page, tmp_path, f"review-{viewport}", place)
    place.click()

    page.wait_for_url(re.compile(r"/orders/"))
    number = page.locator("h1").inner_text().removeprefix("订单").strip()
    expect(page.get_by_role("status").filter(has_text="订单已提交")).to_be_visible()
    all_orders = page.get_by_role("link", name="查看我的全部订单")
    check_page(page, tmp_path, f"confirmation-{viewport}", all_orders, page.get_by_role("button", name="取消订单"))
    all_orders.click()

    page.wait_for_url(re.compile(r"/account/orders$"))
    expect(page.locator("table.lines tbody tr")).to_have_count(1)
    link = page.get_by_role("link", name=number)
    check_page(page, tmp_path, f"orders-{viewport}", link)
    link.click()

    page.wait_for_url(re.compile(rf"/account/orders/{number}$"))
    expect(page.locator(".totals")).to_contain_text("订单总额")
    check_page(page, tmp_path, f"order-{viewport}", page.get_by_role("button", name="取消订单"),
               page.get_by_role("link", name="返回我的订单"))


def test_a_guest_picks_up_in_store_on_a_phone_and_the_order_link_wraps(live_shop, shopper, tmp_path):
    page = shopper("phone")
    page.goto(live_shop("/"))
    search(page, "铁观音")
    open_product(page, "安溪铁观音 清香型")
    add_to_cart(page)
    page.get_by_role("link", name="去结算").click()

    page.wait_for_url(re.compile(r"/checkout/address$"))
    page.get_by_role("link", name="到店自提").click()
    page.wait_for_url(re.compile(r"method=pickup"))
    expect(page.get_by_label("省份")).to_have_count(0)  # no address for pickup
    page.get_by_label("邮箱").fill("pickup.guest@example.com")
    page.get_by_label("取货人姓名").fill("林小满")
    page.get_by_label("手机号").fill("13800138000")
    next_step = page.get_by_role("button", name="下一步：选择自提门店")
    check_page(page, tmp_path, "pickup-contact-phone", next_step)
    next_step.click()

    page.wait_for_url(re.compile(r"/checkout/shipping$"))
    store = page.locator("label.choice", has_text="西湖门店")
    expect(store).to_contain_text("杭州市西湖区龙井路 1 号")
    expect(store).to_contain_text("09:00–21:00")
    expect(page.locator("label.choice", has_text="顺丰标快")).to_have_count(0)
    store.click()
    next_step = page.get_by_role("button", name="下一步：支付方式")
    check_page(page, tmp_path, "pickup-location-phone", next_step)
    next_step.click()

    page.wait_for_url(re.compile(r"/checkout/payment$"))
    page.locator("label.choice", has_text="货到付款").click()
    page.get_by_role("button", name="下一步：确认订单").click()
    page.wait_for_url(re.compile(r"/checkout/review$"))
    expect(page.locator(".panel", has_text="自提点")).to_contain_text("西湖门店")
    place = page.get_by_role("button", name="提交订单")
    check_page(page, tmp_path, "pickup-review-phone", place)
    place.click()

    page.wait_for_url(re.compile(r"/orders/"))
    pickup = page.locator(".panel", has_text="自提点")
    expect(pickup).to_contain_text("自提点：西湖门店，杭州市西湖区龙井路 1 号")
    expect(pickup).to_contain_text("营业时间：09:00–21:00")
    order_link = page.locator(".long-link a")
    expect(order_link).to_contain_text("/orders/")
    check_page(page, tmp_path, "pickup-confirmation-phone", order_link)
    box = order_link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375  # the long link wraps inside the window


def test_the_cart_reads_in_english_on_a_phone(live_shop, shopper, tmp_path):
    page = shopper("phone")
    page.goto(live_shop("/?lang=en"))
    search(page, "龙井")
    page.locator(".card__link").first.click()
    page.wait_for_url(re.compile(r"/p/"))
    page.locator("[data-buy-button]").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page).to_have_title(f"Cart · {SHOP}")
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    check_page(page, tmp_path, "cart-en-phone", page.get_by_role("link", name="Check out"))
