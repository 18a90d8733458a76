"""The storefront's pages and error pages render through the active theme."""

import re
from pathlib import Path

from flask import Blueprint

from xtycore import hookimpl
from xtycore.themes import activate_theme

from tests.themes.helpers import LAYOUT

DEFAULT_THEME = Path(__file__).resolve().parents[2] / "themes" / "default"


class CrashingRoutes:
    @hookimpl
    def xtycore_register_blueprints(self, app):
        bp = Blueprint("crash", __name__)

        @bp.route("/crash")
        def crash():
            raise RuntimeError("the database fell over")

        return [bp]


def test_home_page_uses_the_shop_name_and_locale_from_the_config(xty_make_app):
    app = xty_make_app(config={"SHOP_NAME": "测试小店", "SHOP_LOCALE": "en"})
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<title>测试小店</title>" in html and "Welcome to 测试小店" in html


def test_the_default_layout_has_the_accessibility_and_seo_basics(xty_client):
    html = xty_client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<meta name="description" content="新鲜水果与甜品，每天送到家。">' in html
    assert '<link rel="canonical" href="http://shop.test/">' in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert 'aria-current="page"' in html and html.count("<h1") == 1


def test_an_unknown_url_gets_the_themes_404_page_without_a_canonical_link(xty_client):
    response = xty_client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面未找到" in html and 'class="skip-link"' in html
    assert 'rel="canonical"' not in html and '<meta name="robots" content="noindex">' in html


def test_a_server_error_renders_the_themes_500_page(xty_make_app):
    app = xty_make_app(plugins={"crash": CrashingRoutes()}, config={"PROPAGATE_EXCEPTIONS": False})
    response = app.test_client().get("/crash")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器出错了" in html and 'class="skip-link"' in html
    assert "the database fell over" not in html


def test_a_500_still_renders_a_plain_kernel_page_when_the_theme_itself_fails(themed_app, write_theme):
    write_theme("fragile", templates={
        "layout.html": LAYOUT, "home.html": "home", "500.html": "{{ 1 // 0 }}",
    })
    app = themed_app(plugins={"crash": CrashingRoutes()}, config={"PROPAGATE_EXCEPTIONS": False})
    with app.app_context():
        activate_theme("fragile")
    response = app.test_client().get("/crash")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert html.startswith("<!doctype html>") and "服务器出错了" in html and "500 Internal Server Error" in html


def test_a_broken_404_template_still_answers_with_the_plain_500_page(themed_app, write_theme):
    write_theme("fragile", templates={"layout.html": LAYOUT, "404.html": "{% include 'missing.html' %}",
                                      "500.html": "{% include 'missing.html' %}"})
    app = themed_app(config={"PROPAGATE_EXCEPTIONS": False})
    with app.app_context():
        activate_theme("fragile")
    response = app.test_client().get("/nowhere")
    assert response.status_code == 500 and "服务器出错了" in response.get_data(as_text=True)


def test_every_asset_of_the_default_theme_is_local():
    external = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
    for path in DEFAULT_THEME.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".css", ".js"}:
            text = path.read_text(encoding="utf-8")
            assert not external.search(text), f"{path} loads something from another host"
            assert "@import" not in text and "@font-face" not in text, f"{path} loads fonts or CSS"


def test_the_default_stylesheet_takes_its_colours_and_sizes_from_custom_properties():
    css = (DEFAULT_THEME / "static" / "css" / "theme.css").read_text(encoding="utf-8")
    for name in ("--primary", "--content-width", "--radius"):
        assert f"var({name})" in css
    assert ":focus-visible" in css and "@media (min-width: 48em)" in css
