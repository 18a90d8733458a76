"""Themes are found in folders and through the `xtycore.themes` entry point; broken ones are reported."""

import pytest

from xtycore.kernel import get_kernel
from xtycore.theme_manifest import ManifestError, load_manifest, search_folders
from xtycore.themes import render
from xtycore.web.storefront import PAGE_SAMPLES

from tests.distributions import write_distribution


def test_folders_are_searched_instance_cwd_theme_paths_then_the_checkout(themed_app, theme_dir):
    app = themed_app(config={"THEME_PATHS": ["/first", str(theme_dir)]})
    sources = [source for _folder, source in search_folders(app)]
    assert sources == ["instance", "cwd", "THEME_PATHS", "THEME_PATHS", "checkout"]


def test_a_theme_in_an_earlier_folder_wins_over_one_with_the_same_name_later(themed_app, write_theme, tmp_path):
    write_theme("sunny", templates={"x.html": "from THEME_PATHS"})
    write_theme("sunny", root=tmp_path / "instance" / "themes", templates={"x.html": "from instance"})
    app = themed_app()
    theme = get_kernel(app).themes.get("sunny")
    assert theme.source == "instance"
    with app.test_request_context("/"):
        assert render("x.html", theme="sunny") == "from instance"


def test_the_default_theme_is_found_in_the_source_checkout(xty_app):
    theme = get_kernel(xty_app).themes.get("default")
    assert theme.label == "小甜园 默认主题" and theme.compatible
    assert theme.path.name == "default" and (theme.path / "templates" / "layout.html").is_file()


def test_a_broken_theme_is_reported_with_its_file_and_reason_and_the_shop_still_starts(
    themed_app, write_theme, theme_dir
):
    write_theme("typo", manifest='parent = ["default"]\n')
    (theme_dir / "garbled").mkdir(parents=True)
    (theme_dir / "garbled" / "theme.toml").write_text('name = "garbled"\nversion = ', encoding="utf-8")
    app = themed_app()
    problems = {p.name: p for p in get_kernel(app).themes.problems}
    assert problems["typo"].file == str(theme_dir / "typo" / "theme.toml")
    assert problems["typo"].reason.startswith("unknown key 'parent'")
    assert "not valid TOML" in problems["garbled"].reason
    assert "typo" not in get_kernel(app).themes
    assert app.test_client().get("/").status_code == 200


def test_a_theme_installed_as_a_package_is_found_through_its_entry_point(xty_make_app, tmp_path, monkeypatch):
    site = tmp_path / "site"
    write_distribution(
        site, "xty-theme-fancy",
        entry_points={"xtycore.themes": {"fancy": "xty_theme_fancy"}},
        files={
            "xty_theme_fancy/__init__.py": '"""The fancy theme: files only."""\n',
            "xty_theme_fancy/theme.toml": 'name = "fancy"\nversion = "2.0"\nparents = ["default"]\n',
            "xty_theme_fancy/templates/home.html": '{% extends "default/home.html" %}'
                                                   "{% block title %}Fancy{% endblock %}",
            "xty_theme_fancy/static/fancy.css": "body { color: gold }",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    app = xty_make_app()
    theme = get_kernel(app).themes.get("fancy")
    assert theme.source == "entry point xty-theme-fancy"
    assert theme.path == (site / "xty_theme_fancy").resolve()
    with app.test_request_context("/"):
        html = render("home.html", theme="fancy", **PAGE_SAMPLES["home.html"])
    assert "<title>Fancy</title>" in html and "甜蜜每一天" in html
    with app.test_client().get("/_theme/fancy/fancy.css") as response:
        assert response.get_data(as_text=True) == "body { color: gold }"


def test_an_entry_point_naming_a_missing_module_is_reported(xty_make_app, tmp_path, monkeypatch):
    site = tmp_path / "site"
    write_distribution(site, "xty-theme-ghost", entry_points={"xtycore.themes": {"ghost": "xty_theme_ghost"}})
    monkeypatch.syspath_prepend(str(site))
    app = xty_make_app()
    problems = {p.name: p for p in get_kernel(app).themes.problems}
    assert problems["ghost"].reason == "no module named 'xty_theme_ghost'"


HEAD = 'name = "t"\nversion = "1"\n'


@pytest.mark.parametrize("manifest, message", [
    ('version = "1"', "name must be a non-empty string"),
    ('name = "Big Theme"\nversion = "1"', "name 'Big Theme' is not a slug"),
    ('name = "t"', "version must be a non-empty string"),
    (HEAD + 'parents = "default"', "parents must be a list of names"),
    (HEAD + 'xtycore = "at least 1"', "xtycore: Invalid specifier"),
    (HEAD + '[settings.c]\ntype = "colour"\ndefault = "#000000"', "settings.c.type must be one of"),
    (HEAD + '[settings.c]\ntype = "color"', "settings.c.default is missing"),
    (HEAD + '[settings.c]\ntype = "color"\ndefault = "red"', "settings.c.default: Not a colour"),
    (HEAD + '[settings.n]\ntype = "integer"\ndefault = "3"', "settings.n.default must be a TOML int"),
    (HEAD + '[settings.n]\ntype = "integer"\ndefault = 0\nmin = 1', "settings.n.default: Must be"),
    (HEAD + '[settings.s]\ntype = "choice"\ndefault = "a"', "settings.s.choices must list"),
    (HEAD + '[settings.s]\ntype = "choice"\ndefault = "z"\nchoices = ["a"]', "settings.s.default: Must be one of"),
    (HEAD + '[settings.s]\ntype = "string"\ndefault = ""\nhelpp = "x"', "settings.s.helpp: unknown key"),
])
def test_a_manifest_that_breaks_a_rule_is_refused_with_the_key_named(tmp_path, manifest, message):
    (tmp_path / "theme.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path, "test")
    assert str(caught.value).startswith(message)


def test_a_minimal_manifest_gets_sensible_defaults(tmp_path):
    (tmp_path / "theme.toml").write_text('name = "t"\nversion = "1"', encoding="utf-8")
    theme = load_manifest(tmp_path, "test")
    assert (theme.label, theme.parents, theme.slots, dict(theme.settings)) == ("t", (), (), {})
    assert theme.compatible, "no xtycore specifier means any version"
