"""`xty theme check` renders the storefront pages a theme provides with their sample context."""

from __future__ import annotations

from xtycore.theme_check import check_theme
from xtycore.web.storefront import PAGE_SAMPLES


def write_child(root, templates):
    folder = root / "kid"
    (folder / "templates").mkdir(parents=True)
    (folder / "theme.toml").write_text('name = "kid"\nversion = "1.0"\nparents = ["default"]\n', encoding="utf-8")
    for name, text in templates.items():
        (folder / "templates" / name).write_text(text, encoding="utf-8")


def test_an_undefined_variable_in_a_product_page_is_reported_with_its_line(xty_make_app, tmp_path):
    write_child(tmp_path, {"product.html": '{% extends "default/product.html" %}\n'
                                           "{% block main %}\n{{ product.title }}{{ reviews | length }}{% endblock %}"})
    app = xty_make_app(config={"THEME_PATHS": [str(tmp_path)]})
    with app.app_context():
        problems = [str(p) for p in check_theme("kid")]
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'kid' / 'templates' / 'product.html'}:3: undefined variable")
    assert "'reviews' is undefined" in problems[0]


def test_a_child_using_only_documented_variables_passes(xty_make_app, tmp_path):
    write_child(tmp_path, {
        "category.html": '{% extends "default/category.html" %}{% block title %}{{ category.name }} '
                         "({{ listing.total }}){% endblock %}",
        "search.html": '{% extends "default/search.html" %}{% block title %}{{ q }}{% endblock %}',
    })
    app = xty_make_app(config={"THEME_PATHS": [str(tmp_path)]})
    with app.app_context():
        assert check_theme("kid") == []


def test_the_samples_cover_every_storefront_page():
    assert {"home.html", "category.html", "search.html", "product.html"} <= set(PAGE_SAMPLES)
    assert PAGE_SAMPLES["product.html"]["product"].variants and PAGE_SAMPLES["category.html"]["listing"].items
