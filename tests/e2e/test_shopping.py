"""A shopper in a real browser: search in Chinese, pick a variant, check out, pay on the sandbox's page.

Each test drives headless Chromium against the shop served by ``live_shop``
(tests/e2e/conftest.py) and checks what the shopper sees on every page, then
what the database recorded. Full-page screenshots of the main pages land in
the test's ``tmp_path`` (``--basetemp`` keeps them somewhere to look at).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from xtycore.extensions import db
from xtycore.models import Order, Payment
from xtycore_payment_sandbox.models import SandboxTrade

pytestmark = pytest.mark.e2e

SHOP = "小甜园"
ADDRESS = {
    "收货人": "林小满", "手机号": "13800138000", "省份": "浙江省", "城市": "杭州市", "区/县": "西湖区",
    "详细地址": "龙井路1号 小甜园茶舍", "邮政编码": "310013",
}

#: What a shopper back from a declined payment must be told, in some wording.
DECLINED_MESSAGE = re.compile(r"支付(未成功|失败|被拒绝|已拒绝)|付款(未成功|失败)")


# --------------------------------------------------------------------------
# steps of a walk through the shop
# --------------------------------------------------------------------------


def search(page: Page, words: str) -> None:
    """Search from the header's search box, as a shopper does from any page."""
    box = page.locator("#site-search-q")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page).to_have_title(re.compile(f"{words}.*{SHOP}"))
    expect(page.locator("h1")).to_contain_text(words)


def open_product(page: Page, title: str) -> None:
    page.locator(".card__link", has_text=title).click()
    page.wait_for_url(re.compile(r"/p/"))
    expect(page).to_have_title(re.compile(f"{title}.*{SHOP}"))
    expect(page.locator("h1.product__title")).to_have_text(title)


def add_to_cart(page: Page) -> None:
    page.locator("[data-buy-button]").click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page).to_have_title(f"购物车 · {SHOP}")
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()


def fill_address(page: Page, email: str | None = None) -> None:
    # the live shop offers store pickup too, so the first step is "收货方式" (delivery or pickup)
    expect(page).to_have_title(f"收货方式 · 结算 · {SHOP}")
    if email is not None:
        page.get_by_label("邮箱").fill(email)
    for label, value in ADDRESS.items():
        page.get_by_label(label, exact=False).fill(value)
    page.get_by_role("button", name="下一步：配送方式").click()
    page.wait_for_url(re.compile(r"/checkout/shipping$"))


def choose(page: Page, option: str, next_step: str, url: str) -> None:
    """Pick the radio choice whose label mentions ``option`` and go on to the next step."""
    page.locator("label.choice", has_text=option).click()
    expect(page.locator("label.choice", has_text=option).get_by_role("radio")).to_be_checked()
    page.get_by_role("button", name=next_step).click()
    page.wait_for_url(re.compile(url))


def place_order(page: Page, payment: str) -> str:
    """On the review page: check the payment method, place the order; returns the grand total shown."""
    expect(page).to_have_title(f"确认订单 · {SHOP}")
    expect(page.locator(".panel", has_text="支付：")).to_contain_text(payment)
    total = page.locator("dd.totals__grand").inner_text().strip()
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url(re.compile(r"/sandbox-pay/"))
    return total


def on_sandbox_page(page: Page, total: str) -> str:
    """The sandbox's hosted page says it is a test and shows the amount due; returns the order number."""
    expect(page.get_by_role("note")).to_contain_text("测试支付页面")
    amount = total.replace("¥", "").replace(",", "")
    expect(page.locator("dd.amount")).to_have_text(f"{amount} CNY")
    number = page.locator("dt:has-text('订单') + dd").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z-]{6,}", number), number
    expect(page).to_have_title(re.compile(re.escape(number)))
    return number


def snap(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot, to look at when a layout is in doubt."""
    page.screenshot(path=folder / f"{name}.png", full_page=True)


def order_in_database(live_shop, number: str) -> tuple[str, int, int, list[tuple[str, str]]]:
    """The order's status, amounts paid and due, and its payments as (gateway, status)."""
    with live_shop.app.app_context():
        order = db.session.execute(select(Order).where(Order.number == number)).scalar_one()
        payments = db.session.execute(select(Payment).where(Payment.order_id == order.id)).scalars().all()
        return order.status, order.paid_minor, order.total_minor, [(p.gateway_code, p.status) for p in payments]


def sandbox_callback_status(live_shop, number: str) -> str:
    """Whether the sandbox's signed callback for the order's trade was acknowledged by the shop."""
    with live_shop.app.app_context():
        return db.session.execute(
            select(SandboxTrade.notify_status).where(SandboxTrade.order_number == number)
        ).scalar_one()


# --------------------------------------------------------------------------
# the walks
# --------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_new_customer_finds_tea_by_a_chinese_search_pays_in_the_sandbox_and_sees_the_order_paid(
    live_shop, shopper, viewport, tmp_path
):
    page = shopper(viewport)

    page.goto(live_shop("/"))
    expect(page).to_have_title(SHOP)
    expect(page.locator(".card").first).to_contain_text("¥")

    search(page, "龙井")
    expect(page.locator(".card")).to_have_count(1)
    card = page.locator(".card", has_text="西湖龙井 明前特级")
    expect(card.locator(".card__price")).to_contain_text("¥68.00")

    open_product(page, "西湖龙井 明前特级")
    price = page.locator("[data-price-now]")
    expect(price).to_have_text("¥68.00")
    expect(page.locator("[data-variant-field]")).to_be_hidden()  # the script's buttons replace the <select>
    page.locator("label.option__value", has_text="250克").click()
    expect(price).to_have_text("¥298.00")
    snap(page, tmp_path, f"product-{viewport}")

    add_to_cart(page)
    line = page.locator("table.lines tbody tr")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("西湖龙井 明前特级")
    expect(line).to_contain_text("250克")
    expect(line).to_contain_text("¥298.00")
    snap(page, tmp_path, f"cart-{viewport}")

    page.get_by_role("link", name="去结算").click()
    page.wait_for_url(re.compile(r"/checkout/address$"))
    # a visitor may sign up on the way: the login link keeps the checkout as where to come back to
    page.get_by_role("link", name="登录", exact=True).click()
    page.get_by_role("link", name="注册新账户").click()
    expect(page).to_have_title(f"注册 · {SHOP}")
    email = f"lin.{viewport}@example.com"
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("昵称").fill("林小满")
    page.get_by_label("密码", exact=True).fill("longjing-2026-tea")
    page.get_by_label("确认密码").fill("longjing-2026-tea")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(re.compile(r"/checkout/address$"))
    expect(page.get_by_role("status").filter(has_text="注册成功")).to_be_visible()

    fill_address(page)
    expect(page).to_have_title(f"配送方式 · 结算 · {SHOP}")
    expect(page.locator(".panel").first).to_contain_text("林小满 13800138000")
    choose(page, "顺丰标快", "下一步：支付方式", r"/checkout/payment$")
    expect(page).to_have_title(f"支付方式 · 结算 · {SHOP}")
    choose(page, "Sandbox", "下一步：确认订单", r"/checkout/review$")

    total = place_order(page, "Sandbox")
    assert total == "¥298.00"  # over ¥99: 顺丰标快 ships free
    number = on_sandbox_page(page, total)
    snap(page, tmp_path, f"sandbox-{viewport}")

    page.get_by_role("button", name="支付 Pay").click()
    page.wait_for_url(re.compile(r"/orders/"))
    expect(page).to_have_title(f"订单 {number} · {SHOP}")
    expect(page.locator("h1")).to_have_text(f"订单 {number}")
    expect(page.locator(".order-status")).to_have_text("待发货")
    expect(page.locator(".totals")).to_contain_text("已付")
    expect(page.get_by_role("button", name="去支付")).to_have_count(0)
    snap(page, tmp_path, f"confirmation-{viewport}")

    page.get_by_role("link", name="查看我的全部订单").click()
    page.wait_for_url(re.compile(r"/account/orders$"))
    expect(page).to_have_title(f"我的订单 · {SHOP}")
    row = page.locator("table.lines tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("西湖龙井 明前特级")
    expect(row).to_contain_text("待发货")
    expect(row).to_contain_text("¥298.00")
    snap(page, tmp_path, f"orders-{viewport}")

    assert order_in_database(live_shop, number) == ("paid", 29800, 29800, [("sandbox", "succeeded")])
    assert sandbox_callback_status(live_shop, number) == "delivered"  # the signed callback reached the shop


def test_a_declined_sandbox_payment_leaves_the_order_unpaid_and_tells_the_guest(live_shop, shopper, tmp_path):
    page = shopper("phone")
    page.goto(live_shop("/"))
    search(page, "盖碗")
    open_product(page, "青瓷盖碗")
    expect(page.locator("[data-price-now]")).to_have_text("¥45.00")
    add_to_cart(page)
    page.get_by_role("link", name="去结算").click()
    page.wait_for_url(re.compile(r"/checkout/address$"))

    fill_address(page, email="guest@example.com")
    choose(page, "顺丰标快", "下一步：支付方式", r"/checkout/payment$")
    choose(page, "Sandbox", "下一步：确认订单", r"/checkout/review$")
    total = place_order(page, "Sandbox")
    assert total == "¥57.00"  # ¥45.00 and ¥12.00 shipping
    number = on_sandbox_page(page, total)

    page.get_by_role("button", name="拒绝 Decline").click()
    page.wait_for_url(re.compile(r"/orders/"))
    expect(page).to_have_title(f"订单 {number} · {SHOP}")
    expect(page.locator(".order-status")).to_have_text("待付款")
    expect(page.get_by_role("button", name="去支付")).to_be_visible()  # the guest may try again
    expect(page.locator(".totals")).not_to_contain_text("已付")
    snap(page, tmp_path, "declined-phone")

    status, paid, total_minor, payments = order_in_database(live_shop, number)
    assert (status, paid, total_minor) == ("pending_payment", 0, 5700)
    assert payments == [("sandbox", "failed")]
    assert sandbox_callback_status(live_shop, number) == "delivered"

    declined = page.get_by_role("alert").or_(page.get_by_role("status")).filter(has_text=DECLINED_MESSAGE)
    expect(declined).to_be_visible()
