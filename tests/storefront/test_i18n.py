"""zh_CN and English: how a request's language is chosen, money in the shop currency, complete catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string

from xtycore.domain.money import Money
from xtycore.i18n import format_money, supported_locale

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "xtycore" / "translations"
CATALOGS = {"zh_CN": "zh_Hans_CN", "en": "en"}


def lang_of(client, url="/", **headers) -> str:
    html = client.get(url, headers=headers).get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("tag, locale", [
    ("zh_CN", "zh_CN"), ("zh-cn", "zh_CN"), ("zh", "zh_CN"), ("zh-Hans-CN", "zh_CN"),
    ("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("fr", None), ("", None), (None, None),
])
def test_language_tags_map_to_the_supported_locales(tag, locale):
    assert supported_locale(tag) == locale


def test_the_shop_locale_is_the_default(xty_make_app):
    assert lang_of(xty_make_app().test_client()) == "zh-CN"
    assert lang_of(xty_make_app(config={"SHOP_LOCALE": "en"}).test_client()) == "en"


def test_the_browser_language_wins_over_the_shop_locale(client):
    assert lang_of(client, **{"Accept-Language": "en-US,en;q=0.9"}) == "en"
    assert lang_of(client, **{"Accept-Language": "fr-FR, zh-CN;q=0.5"}) == "zh-CN"
    assert lang_of(client, **{"Accept-Language": "fr-FR"}) == "zh-CN"


def test_lang_in_the_url_wins_and_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in response.get_data(as_text=True)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("xty_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert lang_of(client, **{"Accept-Language": "zh-CN"}) == "en"  # the cookie beats the browser
    assert lang_of(client, "/?lang=zh_CN") == "zh-CN"
    assert lang_of(client) == "zh-CN"


def test_an_unsupported_lang_changes_nothing(client):
    response = client.get("/?lang=klingon")
    assert "Set-Cookie" not in response.headers or "xty_lang" not in response.headers["Set-Cookie"]
    assert '<html lang="zh-CN">' in response.get_data(as_text=True)


def test_the_signed_in_customers_language_comes_after_the_cookie_and_before_the_browser(app, monkeypatch):
    class Customer:
        locale = "en"

    monkeypatch.setattr("xtycore.security.current_customer", lambda: Customer())
    client = app.test_client()
    assert lang_of(client, **{"Accept-Language": "zh-CN"}) == "en"
    client.get("/?lang=zh_CN")
    assert lang_of(client) == "zh-CN"


def test_the_language_switch_links_this_page_in_each_language(client):
    html = client.get("/search?q=茶").get_data(as_text=True)
    assert 'href="/search?q=%E8%8C%B6&amp;lang=en" lang="en" hreflang="en">English</a>' in html
    assert 'lang="zh-CN" hreflang="zh-CN" aria-current="true">简体中文</a>' in html


def test_pages_are_translated_into_english(client):
    zh = client.get("/search").get_data(as_text=True)
    en = client.get("/search?lang=en").get_data(as_text=True)
    assert "跳到主要内容" in zh and "搜索商品" in zh and "Skip to content" not in zh
    assert "Skip to content" in en and "Search products" in en and "跳到主要内容" not in en


@pytest.mark.parametrize("locale, expected", [("zh_CN", "¥1,299.00"), ("en", "CN¥1,299.00")])
def test_money_is_written_by_babel_in_the_shop_currency(app, locale, expected):
    with app.test_request_context(f"/?lang={locale}"):
        assert format_money(129900) == expected
        assert format_money(Money("1299")) == expected
        rendered = render_template_string("{{ 129900 | money }}|{{ format_money(129900, 'CNY') }}")
        assert rendered == f"{expected}|{expected}"


def test_money_follows_the_shop_currency_setting(xty_make_app):
    app = xty_make_app(config={"SHOP_CURRENCY": "USD", "SHOP_LOCALE": "en"})
    with app.test_request_context("/"):
        assert format_money(129900) == "$1,299.00"
        assert format_money(500, "JPY") == "¥500"


def extracted_messages() -> set[str]:
    method_map = [("xtycore/**.py", "python"), ("xtycore/templates/**.html", "jinja2"),
                  ("themes/**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords,
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_babel_cfg_names_the_same_sources_this_test_extracts():
    text = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    for section in ("[python: xtycore/**.py]", "[jinja2: xtycore/templates/**.html]",
                    "[jinja2: themes/**/templates/**.html]"):
        assert section in text


@pytest.mark.parametrize("locale", list(CATALOGS))
def test_every_message_of_the_code_and_templates_is_translated_in_each_catalog(locale):
    messages = extracted_messages()
    assert len(messages) > 50
    folder = TRANSLATIONS / CATALOGS[locale] / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        mo = read_mo(f)
    for catalog, kind in ((po, "messages.po"), (mo, "messages.mo (run pybabel compile)")):
        translated = {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in catalog if m.id and (m.string if isinstance(m.string, str) else all(m.string))
        }
        missing = sorted(messages - translated)
        assert not missing, f"{locale} {kind} lacks translations of {missing}"


def test_the_chinese_catalog_translates_rather_than_copies():
    with open(TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as f:
        po = read_po(f)
    copied = [m.id for m in po if m.id and isinstance(m.id, str) and m.string == m.id and not m.id.startswith("%")]
    assert not copied, copied
