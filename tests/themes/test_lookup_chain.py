"""Templates resolve: theme -> parents (depth first) -> plugin blueprints -> kernel fallback."""

import pytest

from xtycore.kernel import get_kernel
from xtycore.themes import ThemeError, activate_theme, render

from tests.themes.helpers import LAYOUT, BlueprintPlugin, write_files

BASE_HOME = '{% extends "layout.html" %}{% block main %}base home {% block greeting %}hello{% endblock %}{% endblock %}'


@pytest.fixture
def base_and_kid(write_theme):
    write_theme("base", templates={"layout.html": "BASE[" + LAYOUT + "]", "home.html": BASE_HOME})
    write_theme("kid", parents=("base",), templates={
        "home.html": '{% extends "layout.html" %}{% block main %}kid home{% endblock %}',
    })


def test_a_child_template_wins_and_the_layout_it_lacks_comes_from_its_parent(themed_app, base_and_kid):
    app = themed_app()
    with app.test_request_context("/"):
        html = render("home.html", theme="kid")
        assert html.startswith("BASE[") and "<main>kid home</main>" in html
        assert "base home" in render("home.html", theme="base")


def test_a_child_extends_its_parents_version_of_a_page_through_the_theme_name_prefix(themed_app, write_theme):
    write_theme("base", templates={"layout.html": LAYOUT, "home.html": BASE_HOME})
    write_theme("kid", parents=("base",), templates={
        "home.html": '{% extends "base/home.html" %}{% block greeting %}hi from kid{% endblock %}',
    })
    app = themed_app()
    with app.test_request_context("/"):
        assert "<main>base home hi from kid</main>" in render("home.html", theme="kid")


def test_parents_are_searched_depth_first_in_the_order_listed_without_repeats(themed_app, write_theme):
    write_theme("a", parents=("b", "c"))
    write_theme("b", parents=("d",))
    write_theme("c", parents=("d",), templates={"x.html": "from c"})
    write_theme("d", templates={"x.html": "from d"})
    app = themed_app()
    manager = get_kernel(app).themes
    assert [t.name for t in manager.chain("a")] == ["a", "b", "d", "c"]
    with app.test_request_context("/"):
        assert render("x.html", theme="a") == "from d"
        assert render("x.html", theme="c") == "from c"


def test_parents_that_form_a_cycle_are_named_in_a_clear_error_and_cannot_be_activated(themed_app, write_theme):
    write_theme("a", parents=("b",))
    write_theme("b", parents=("a",))
    app = themed_app()
    manager = get_kernel(app).themes
    with pytest.raises(ThemeError, match="cycle: a -> b -> a"):
        manager.chain("a")
    with app.app_context(), pytest.raises(ThemeError, match="cycle: b -> a -> b"):
        activate_theme("b")


def test_a_missing_parent_is_named(themed_app, write_theme):
    write_theme("orphan", parents=("nowhere",))
    app = themed_app()
    with pytest.raises(ThemeError, match="'orphan' names parent 'nowhere', which is not installed"):
        get_kernel(app).themes.chain("orphan")


def test_a_plugin_template_beats_the_kernel_fallback_and_a_theme_template_beats_the_plugin(
    themed_app, write_theme, tmp_path
):
    write_theme("bare", templates={"layout.html": LAYOUT, "home.html": "bare home"})
    plugin_templates = write_files(tmp_path / "acme_templates", {
        "404.html": "plugin 404", "home.html": "plugin home", "acme/widget.html": "plugin widget",
    })
    app = themed_app(plugins={"acme": BlueprintPlugin("acme", templates=plugin_templates)})
    with app.test_request_context("/"):
        assert render("404.html", theme="bare") == "plugin 404"
        assert render("home.html", theme="bare") == "bare home"
        assert render("acme/widget.html", theme="bare") == "plugin widget"
        assert "页面未找到" in render("404.html", theme="default", error=None)


def test_the_kernel_fallback_page_is_used_inside_the_themes_layout_when_nobody_else_has_it(
    themed_app, write_theme
):
    write_theme("bare", templates={"layout.html": LAYOUT, "home.html": "bare home"})
    app = themed_app()
    with app.test_request_context("/"):
        html = render("404.html", theme="bare", error=None)
    assert html.startswith("<title>页面未找到") and "<main>" in html


def test_each_theme_has_its_own_environment_sharing_the_apps_globals_and_filters(themed_app, base_and_kid):
    app = themed_app()
    manager = get_kernel(app).themes
    kid, base = manager.environment("kid"), manager.environment("base")
    assert kid is not base and kid is manager.environment("kid")
    assert kid.globals is app.jinja_env.globals and kid.filters is app.jinja_env.filters
    assert "slot" in kid.globals and "theme_static" in kid.globals
    with app.test_request_context("/"):
        # the same name compiled twice: one cache entry per theme
        assert "kid home" in render("home.html", theme="kid")
        assert "base home" in render("home.html", theme="base")


def test_html_templates_are_autoescaped(themed_app, write_theme):
    write_theme("plain", templates={"echo.html": "{{ value }}", "echo.txt": "{{ value }}"})
    app = themed_app()
    with app.test_request_context("/"):
        assert render("echo.html", theme="plain", value="<script>") == "&lt;script&gt;"
        assert render("echo.txt", theme="plain", value="<script>") == "<script>"


def test_render_sends_flasks_template_rendered_signal(themed_app, base_and_kid):
    from flask import template_rendered

    app = themed_app()
    seen = []

    def record(sender, template, context, **extra):
        seen.append((template.name, context["theme"].name))

    with template_rendered.connected_to(record, app), app.test_request_context("/"):
        render("home.html", theme="kid")
    assert seen == [("home.html", "kid")]
