"""The customer's own pages in zh_CN and English: cart, checkout, orders, account, reviews, payments, mails.

Every customer-visible sentence of these templates goes through Flask-Babel
with an English msgid (no Chinese written directly in them), each msgid is
translated in the zh_Hans_CN catalog, and the same page, flash message and
validation error read in the language of the request.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from tests.orders.helpers import (
    ADDRESS_FORM, PASSWORD, log_in, make_customer, make_product, make_shop, place,
)
from xtycore.themes import render

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "themes" / "default" / "templates"
TRANSLATIONS = ROOT / "xtycore" / "translations"
#: The templates of the customer's own pages, and their mails.
PAGES = sorted(
    [TEMPLATES / "cart.html"]
    + [p for folder in ("checkout", "orders", "account", "reviews", "payments")
       for p in (TEMPLATES / folder).rglob("*") if p.suffix in (".html", ".txt")]
)
HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
GETTEXT_NAMES = {"_", "gettext", "ngettext"}
FAST_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1}


@pytest.fixture
def shop(xty_make_app):
    return make_shop(xty_make_app, config=FAST_HASHING)


def text(response) -> str:
    return response.get_data(as_text=True)


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


# --------------------------------------------------------------------------
# the templates and the catalogs
# --------------------------------------------------------------------------


def untranslated_text(source: str) -> list[str]:
    """Chinese written in a template outside ``_()``: in its text, or in a string not passed to gettext."""
    found = []
    tokens = list(Environment(extensions=["jinja2.ext.i18n"]).lex(source))
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == "data" and HAN.search(value):
            found.append(value.strip())
        elif kind == "string" and HAN.search(value):
            before = [v for _, k, v in tokens[max(0, index - 3):index] if k not in ("whitespace",)]
            if not (len(before) >= 2 and before[-1] == "(" and before[-2] in GETTEXT_NAMES):
                found.append(value)
    return found


def test_the_page_list_covers_every_folder_and_the_mails():
    names = {p.relative_to(TEMPLATES).as_posix() for p in PAGES}
    assert {"cart.html", "checkout/address.html", "orders/confirmation.html", "account/login.html",
            "reviews/form.html", "payments/payment.html", "account/email/reset_password.txt"} <= names


@pytest.mark.parametrize("template", PAGES, ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_no_chinese_is_written_directly_in_the_customer_templates(template):
    assert untranslated_text(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_chinese_outside_gettext():
    assert untranslated_text('<p>购物车</p>{{ _("Cart") }}{{ x | join("；") }}{{ _("例如 北京市") }}') == [
        "<p>购物车</p>", '"；"']


def catalog(locale_folder: str):
    folder = TRANSLATIONS / locale_folder / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        mo = read_mo(f)
    return po, mo


def page_messages() -> set[str]:
    """The msgids of the customer templates and mails, extracted as babel.cfg says (.txt mails included)."""
    method_map = [("cart.html", "jinja2"), ("checkout/**.html", "jinja2"), ("orders/**.html", "jinja2"),
                  ("account/**.html", "jinja2"), ("account/email/**.txt", "jinja2"),
                  ("reviews/**.html", "jinja2"), ("payments/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    return {m if isinstance(m, str) else m[0]
            for _f, _l, m, _c, _x in extract_from_dir(str(TEMPLATES), method_map=method_map, keywords=keywords)}


def test_babel_cfg_extracts_the_mail_templates():
    assert "[jinja2: themes/**/templates/**.txt]" in (ROOT / "babel.cfg").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", ["zh_Hans_CN", "en"])
def test_every_message_of_these_pages_is_translated_compiled_and_not_fuzzy(folder):
    messages = page_messages()
    assert len(messages) > 200 and "[%(shop)s] Reset your password" in messages
    po, mo = catalog(folder)
    assert not [m.id for m in po if m.id and m.fuzzy]
    for compiled in (po, mo):
        done = {m.id if isinstance(m.id, str) else m.id[0] for m in compiled
                if m.id and (m.string if isinstance(m.string, str) else all(m.string))}
        assert sorted(messages - done) == []


def test_the_chinese_translations_keep_every_placeholder():
    po, _mo = catalog("zh_Hans_CN")
    for message in po:
        if message.id and isinstance(message.id, str):
            placeholders = set(re.findall(r"%\(\w+\)s", message.id))
            assert placeholders == set(re.findall(r"%\(\w+\)s", message.string)), message.id


# --------------------------------------------------------------------------
# the pages in each language
# --------------------------------------------------------------------------


def test_the_cart_and_its_flash_in_each_language(shop):
    with shop.app.app_context():
        _, tea = make_product("西湖龙井", price="49.00")
    client = shop.app.test_client()
    empty_zh, empty_en = text(client.get("/cart")), text(client.get("/cart?lang=en"))
    assert title(empty_zh).startswith("购物车 · ") and "购物车是空的。" in empty_zh
    assert title(empty_en).startswith("Cart · ") and "Your cart is empty." in empty_en and "购物车" not in empty_en

    client.get("/cart?lang=zh_CN")
    zh = text(client.get(client.post("/cart/add", data={"variant_id": tea}).headers["Location"]))
    assert "已加入购物车。" in zh and "去结算" in zh and "单价" in zh and "Check out" not in zh
    client.get("/cart?lang=en")  # the choice is kept in a cookie
    en = text(client.get(client.post("/cart/add", data={"variant_id": tea}).headers["Location"]))
    assert "Added to your cart." in en and "Check out" in en and "Unit price" in en
    assert "已加入" not in en and "去结算" not in en and "西湖龙井" in en  # the product name is the merchant's


def test_checkout_validation_errors_in_each_language(shop):
    with shop.app.app_context():
        _, tea = make_product()
    client = shop.app.test_client()
    client.post("/cart/add", data={"variant_id": tea})
    bad = {**ADDRESS_FORM, "recipient": "", "mobile": "123", "province": "火星", "email": "guest@example.cn"}
    zh = client.post("/checkout/address", data=bad)
    en = client.post("/checkout/address?lang=en", data=bad)
    assert zh.status_code == en.status_code == 422
    assert "请填写收货人" in text(zh) and "请输入11位手机号" in text(zh) and "请选择省、直辖市或自治区" in text(zh)
    assert title(text(zh)).startswith("收货地址 · 结算")
    english = text(en)
    assert "Please enter the recipient&#39;s name" in english and "Please enter an 11-digit mobile number" in english
    assert "Please enter a province, municipality or autonomous region" in english
    assert title(english).startswith("Shipping address · Checkout") and "请填写" not in english


def test_the_checkout_steps_and_the_review_in_english(shop):
    with shop.app.app_context():
        _, tea = make_product(price="49.00")
    client = shop.app.test_client()
    client.get("/?lang=en")
    client.post("/cart/add", data={"variant_id": tea})
    client.post("/checkout/address", data={**ADDRESS_FORM, "email": "guest@example.cn"})
    shipping = text(client.get("/checkout/shipping"))
    assert title(shipping).startswith("Delivery · Checkout") and "Next: payment" in shipping
    assert "Ship to: 张三 13800138000" in shipping
    client.post("/checkout/shipping", data={"option": f"{shop.courier_id}:standard"})
    client.post("/checkout/payment", data={"payment_instance_id": shop.payment_id})
    review = text(client.get("/checkout/review"))
    assert "Review order" in review and "Amount due" in review and "Place order" in review
    assert "Payment: 对公转账" in review and "应付" not in review


def test_order_pages_and_cancelling_in_each_language(shop):
    with shop.app.app_context():
        customer = make_customer()
        _, tea = make_product("西湖龙井", stock=5)
        number = place(shop, (tea, 1), customer_id=customer).order.number
    client = shop.app.test_client()
    log_in(client)
    zh = text(client.get("/account/orders"))
    en = text(client.get("/account/orders?lang=en"))
    assert title(zh).startswith("我的订单") and "待付款" in zh and "订单号" in zh
    assert title(en).startswith("My orders") and "Awaiting payment" in en and "Order number" in en
    detail = text(client.get(f"/account/orders/{number}"))  # still English: the cookie
    assert f"Order {number}" in detail and "Cancel order" in detail and "Order history" in detail
    cancelled = client.post(f"/account/orders/{number}/cancel")
    after = text(client.get(cancelled.headers["Location"]))
    assert "The order has been cancelled." in after and "Cancelled" in after and "订单已取消" not in after


def test_account_pages_flashes_and_errors_in_each_language(shop):
    client = shop.app.test_client()
    zh = text(client.get("/account/register"))
    en = text(client.get("/account/register?lang=en"))
    assert title(zh).startswith("注册") and "确认密码" in zh
    assert title(en).startswith("Register") and "Confirm password" in en and "确认密码" not in en
    refused = client.post("/account/register", data={"email": "nope", "password": "short",
                                                     "password_confirm": "other"})
    html = text(refused)
    assert refused.status_code == 422
    assert "Please enter a valid email address" in html and "A password has 8 to 128 characters" in html
    registered = client.post("/account/register", data={"email": "new@example.cn", "password": PASSWORD,
                                                        "password_confirm": PASSWORD})
    assert "Welcome! Your account has been created." in text(client.get(registered.headers["Location"]))
    client.get("/account?lang=zh_CN")
    book = client.post("/account/addresses/new", data={**ADDRESS_FORM, "mobile": "1"})
    assert book.status_code == 422 and "请输入11位手机号" in text(book)
    english = client.post("/account/addresses/new?lang=en", data={**ADDRESS_FORM, "mobile": "1"})
    assert "Please enter an 11-digit mobile number" in text(english)


@pytest.mark.parametrize("lang, subject, greeting", [
    ("zh_CN", "【小甜园】重置密码", "林小满，您好："),
    ("en", "[小甜园] Reset your password", "Hello 林小满,"),
])
def test_the_reset_mail_is_written_in_the_request_language(shop, lang, subject, greeting):
    customer = SimpleNamespace(display_name="林小满", email="lin@example.cn")
    with shop.app.test_request_context(f"/account/reset?lang={lang}"):
        shop.app.preprocess_request()
        mail = render("account/email/reset_password.txt", customer=customer, reset_url="https://shop.test/r/abc",
                      max_age_minutes=30)
    shop_name = shop.app.config.get("SHOP_NAME")
    head, _, body = mail.partition("\n\n")
    assert head == f"Subject: {subject.replace('小甜园', shop_name)}" and body.startswith(greeting)
    assert "30" in body and "https://shop.test/r/abc" in body


def test_service_errors_written_in_one_language_reach_the_customer_in_theirs(shop):
    with shop.app.app_context():
        make_customer()
    client = shop.app.test_client()
    wrong = {"identifier": "mei@example.cn", "password": "not the password"}
    assert "账号或密码不正确" in text(client.post("/account/login", data=wrong))
    english = text(client.post("/account/login?lang=en", data=wrong))
    assert "Wrong account or password." in english and "账号或密码不正确" not in english
    taken = text(client.post("/account/register", data={"email": "mei@example.cn", "password": PASSWORD,
                                                        "password_confirm": PASSWORD}))
    assert "This email is already registered. Sign in or reset your password." in taken


def test_an_error_raised_with_its_own_message_keeps_it_and_a_subclass_message_is_not_replaced(shop):
    from xtycore.domain.errors import PaymentDeclined, PaymentError
    from xtycore.web.orders import customer_text

    class Refused(PaymentError):
        customer_message = "Refused by the test bank."

    with shop.app.test_request_context("/?lang=zh_CN"):
        shop.app.preprocess_request()
        assert customer_text(PaymentDeclined("declined")) == "支付被拒绝。"
        assert customer_text(PaymentDeclined("declined", customer_message="余额不足")) == "余额不足"
        assert customer_text(Refused("no")) == "Refused by the test bank."
