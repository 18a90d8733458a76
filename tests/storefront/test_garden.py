"""The garden theme: a child of default with its own settings, banner, stylesheet and logo."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from xtycore.theme_check import check_theme
from xtycore.themes import activate_theme, get_themes, save_theme_settings, theme_settings

from tests.storefront.helpers import make_product

GARDEN = Path(__file__).resolve().parents[2] / "themes" / "garden"


@pytest.fixture
def garden(app):
    with app.app_context():
        activate_theme("garden")
        make_product("龙井", tags=["精选"], sales=5)
        make_product("蛋糕", category="甜品")
    return app.test_client()


@pytest.mark.parametrize("theme", ["default", "garden"])
def test_the_theme_check_passes(app, theme):
    with app.app_context():
        assert [str(p) for p in check_theme(theme)] == []


def test_garden_inherits_from_default_and_keeps_the_default_settings_it_does_not_redeclare(app):
    with app.app_context():
        assert [t.name for t in get_themes().chain("garden")] == ["garden", "default"]
        settings = theme_settings("garden")
    assert settings["primary_color"] == "#2f6f4e" and settings["accent_color"] == "#e9a23b"
    assert settings["logo_image"] == "img/garden-logo.svg"
    assert settings["products_per_page"] == 24 and settings["tagline"] == "新鲜水果与甜品，每天送到家。"


def test_garden_pages_wear_its_colours_logo_stylesheet_and_banner(garden):
    html = garden.get("/").get_data(as_text=True)
    assert "--primary: #2f6f4e;" in html and "--accent: #e9a23b;" in html
    assert '<link rel="stylesheet" href="/_theme/garden/css/theme.css?v=0.1.0">' in html  # default's file
    assert '<link rel="stylesheet" href="/_theme/garden/css/garden.css?v=0.1.0">' in html
    assert '<img class="brand__logo" src="/_theme/garden/img/garden-logo.svg?v=0.1.0" alt="小甜园">' in html
    assert 'class="banner garden-banner"' in html and "春茶上新" in html and "园中四季，新鲜到家" in html
    with garden.get("/_theme/garden/css/theme.css") as inherited:
        assert inherited.status_code == 200 and b"--primary" in inherited.data
    with garden.get("/_theme/garden/img/garden-logo.svg") as logo:
        assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"


def test_garden_orders_its_home_sections_by_its_own_setting(garden):
    html = garden.get("/").get_data(as_text=True)
    order = re.findall(r'aria-labelledby="(banner-title|home-[a-z_]+)"', html)
    assert order == ["banner-title", "home-new", "home-featured", "home-categories"]


def test_the_merchant_changes_garden_settings_without_touching_default(app, garden):
    with app.app_context():
        save_theme_settings("garden", {"home_sections": "featured", "season_note": "", "accent_color": "#123456"})
        assert theme_settings("default")["home_sections"] == "banner,categories,featured,new,best_selling"
    html = garden.get("/").get_data(as_text=True)
    assert re.findall(r'aria-labelledby="(banner-title|home-[a-z_]+)"', html) == ["home-featured"]
    assert "--accent: #123456;" in html and "春茶上新" not in html


def test_every_storefront_page_renders_with_garden(app, garden):
    for url in ("/c/cha-ye", "/search?q=茶", "/p/long-jing", "/no-such-page", "/?lang=en"):
        response = garden.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 404)
        assert "/_theme/garden/css/garden.css" in html and 'class="skip-link"' in html, url
    product = garden.get("/p/long-jing").get_data(as_text=True)
    assert '<form class="buy" method="post"' in product


def test_garden_assets_are_local():
    external = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
    for path in GARDEN.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".css", ".js"}:
            text = path.read_text(encoding="utf-8")
            assert not external.search(text) and "@import" not in text and "@font-face" not in text, path


def test_garden_declares_only_settings_its_templates_or_the_defaults_use():
    manifest = tomllib.loads((GARDEN / "theme.toml").read_text(encoding="utf-8"))
    assert manifest["parents"] == ["default"]
    templates = " ".join(p.read_text(encoding="utf-8") for p in (GARDEN / "templates").rglob("*.html"))
    own = {"accent_color", "background_color", "season_note"}
    for key in own:
        assert f"theme.settings.{key}" in templates, key
