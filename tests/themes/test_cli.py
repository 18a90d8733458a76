"""`xty theme list | new | check | use | preview | settings`."""

import pytest

from xtycore.cli import main
from xtycore.kernel import get_kernel
from xtycore.themes import active_theme_name

from tests.themes.helpers import LAYOUT

MAIN = '{% extends "layout.html" %}{% block main %}'


def invoke(app, *args):
    return app.test_cli_runner().invoke(main, ["theme", *args])


def test_new_then_override_home_then_use_renders_the_override_inside_the_default_layout(xty_make_app):
    app = xty_make_app()
    result = invoke(app, "new", "mytheme", "--parent", "default")
    assert result.exit_code == 0, result.output
    folder = app.instance_path + "/themes/mytheme"
    assert f"created theme mytheme in {folder}" in result.output
    from pathlib import Path

    theme = Path(folder)
    assert sorted(p.name for p in theme.iterdir()) == ["README.md", "static", "templates", "theme.toml"]
    assert 'parents = ["default"]' in (theme / "theme.toml").read_text(encoding="utf-8")
    (theme / "templates" / "home.html").write_text(MAIN + "<p>我的主题首页</p>{% endblock %}", encoding="utf-8")

    worker = xty_make_app()  # a new process discovers the new theme
    result = invoke(worker, "use", "mytheme")
    assert result.exit_code == 0, result.output
    assert "mytheme is now the active theme" in result.output
    html = worker.test_client().get("/").get_data(as_text=True)
    assert "<p>我的主题首页</p>" in html
    assert 'class="skip-link"' in html, "the layout comes from default"
    assert "/_theme/mytheme/css/theme.css" in html
    assert invoke(worker, "check", "mytheme").exit_code == 0


def test_new_refuses_a_name_that_is_not_a_slug_an_unknown_parent_and_an_existing_folder(xty_app, tmp_path):
    bad = invoke(xty_app, "new", "My Theme", "--parent", "default")
    assert bad.exit_code == 2 and "not a slug" in bad.output
    unknown = invoke(xty_app, "new", "kid", "--parent", "nope")
    assert unknown.exit_code == 1 and "no theme named 'nope'" in unknown.output
    target = tmp_path / "elsewhere" / "kid"
    assert invoke(xty_app, "new", "kid", "--parent", "default", "--path", str(target)).exit_code == 0
    (target / "templates" / "home.html").write_text("mine", encoding="utf-8")
    again = invoke(xty_app, "new", "kid", "--parent", "default", "--path", str(target))
    assert again.exit_code == 1 and "already exists" in again.output
    assert (target / "templates" / "home.html").read_text(encoding="utf-8") == "mine"


def test_new_outside_the_search_folders_says_how_to_make_it_found(xty_app, tmp_path):
    result = invoke(xty_app, "new", "kid", "--parent", "default", "--path", str(tmp_path / "elsewhere" / "kid"))
    assert f"add {tmp_path / 'elsewhere'} to THEME_PATHS" in result.output


def test_list_shows_the_active_marker_version_parents_usability_and_source(themed_app, write_theme, theme_dir):
    write_theme("kid", parents=("default",))
    write_theme("future", manifest='xtycore = ">=99"\n')
    (theme_dir / "broken").mkdir()
    (theme_dir / "broken" / "theme.toml").write_text("name = [", encoding="utf-8")
    result = invoke(themed_app(), "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    default = next(line for line in lines if " default " in line)
    assert default.startswith("* default") and "0.1.0" in default and "yes" in default
    kid = next(line for line in lines if " kid " in line)
    assert kid.startswith("  kid") and " default " in kid and f"{theme_dir / 'kid'} (THEME_PATHS)" in kid
    future = lines.index(next(line for line in lines if " future " in line))
    assert " no " in lines[future] and "supports xtycore>=99" in lines[future + 1]
    assert any(line.startswith("BROKEN broken") and "not valid TOML" in line for line in lines)


def test_use_refuses_an_unknown_or_incompatible_theme_with_a_clear_message(themed_app, write_theme):
    write_theme("future", manifest='xtycore = ">=99"\n')
    app = themed_app()
    unknown = invoke(app, "use", "nope")
    assert unknown.exit_code == 1 and "no theme named 'nope' (installed: default, future, garden)" in unknown.output
    incompatible = invoke(app, "use", "future")
    assert incompatible.exit_code == 1 and "theme 'future' is incompatible" in incompatible.output
    with app.app_context():
        assert active_theme_name() == "default"


def test_check_passes_for_the_default_theme(xty_app):
    result = invoke(xty_app, "check", "default")
    assert result.exit_code == 0, result.output
    assert "default: no problems found" in result.output


def test_check_finds_slot_calls_in_the_syntax_tree_not_in_comments_or_strings(themed_app, write_theme):
    write_theme("kid", parents=("default",), manifest='slots = ["home.sidebar"]\n', templates={
        "home.html": MAIN + '{# slot("not.a.slot") #}{{ "slot(\'nor.this\')" }}'
                            '{{ slot("home.sidebar") }}{% endblock %}',
    })
    result = invoke(themed_app(), "check", "kid")
    assert result.exit_code == 0, result.output


def check_output(themed_app, write_theme, name="kid", parents=("default",), **theme):
    folder = write_theme(name, parents=parents, **theme)
    result = invoke(themed_app(), "check", name)
    assert result.exit_code == 1, result.output
    return result.output, folder


def test_check_names_a_required_page_template_missing_from_the_chain(themed_app, write_theme):
    output, _ = check_output(themed_app, write_theme, "lonely", parents=(), templates={"layout.html": LAYOUT})
    assert "home.html: required page template missing: add templates/home.html to lonely" in output
    assert "layout.html: required" not in output
    assert "lonely: 1 problem(s)" in output


def test_check_names_the_file_and_line_of_an_unknown_slot(themed_app, write_theme):
    output, folder = check_output(themed_app, write_theme, templates={
        "home.html": MAIN + '\n<p>hi</p>\n{{ slot("home.sidebar") }}{% endblock %}',
    })
    assert f"{folder / 'templates' / 'home.html'}:3: unknown slot 'home.sidebar'" in output


def test_check_rejects_a_slot_name_that_is_not_a_literal(themed_app, write_theme):
    output, folder = check_output(themed_app, write_theme, templates={
        "home.html": MAIN + '{% set where = "home.top" %}{{ slot(where) }}{% endblock %}',
    })
    assert f"{folder / 'templates' / 'home.html'}:1: slot() needs the slot name as a quoted string" in output


def test_check_names_the_file_and_line_of_a_template_that_does_not_compile(themed_app, write_theme):
    output, folder = check_output(themed_app, write_theme, templates={
        "partials/card.html": "<div>\n{% if product %}\n{{ product.name }}\n{% endfor %}\n</div>",
        "home.html": MAIN + "{{ value | no_such_filter }}{% endblock %}",
    })
    card = folder / "templates" / "partials" / "card.html"
    assert f"{card}:4: does not compile: Encountered unknown tag 'endfor'" in output
    assert f"{folder / 'templates' / 'home.html'}:1: does not compile: No filter named 'no_such_filter'" in output


def test_check_names_the_file_and_line_of_an_undefined_variable(themed_app, write_theme):
    output, folder = check_output(themed_app, write_theme, templates={
        "home.html": MAIN + "\n<h2>{{ shop.name }}</h2>\n<p>{{ featured_products | length }}</p>\n{% endblock %}",
    })
    assert f"{folder / 'templates' / 'home.html'}:3: undefined variable when rendering home.html" in output
    assert "'featured_products' is undefined" in output


def test_check_reports_a_cycle_of_parents(themed_app, write_theme):
    write_theme("b", parents=("kid",))
    output, folder = check_output(themed_app, write_theme, parents=("b",))
    assert f"{folder / 'theme.toml'}: theme parents form a cycle: kid -> b -> kid" in output


def test_check_of_an_unknown_theme_fails_with_a_clear_message(xty_app):
    result = invoke(xty_app, "check", "nope")
    assert result.exit_code == 1 and "no theme named 'nope'" in result.output


def test_preview_renders_a_page_without_activating_the_theme(themed_app, write_theme, tmp_path):
    write_theme("kid", parents=("default",), templates={"home.html": MAIN + "kid preview{% endblock %}"})
    app = themed_app()
    result = invoke(app, "preview", "kid")
    assert result.exit_code == 0, result.output
    assert "kid preview" in result.output and "/_theme/kid/css/theme.css" in result.output
    output = tmp_path / "404.html"
    result = invoke(app, "preview", "kid", "--page", "404", "--output", str(output))
    assert result.exit_code == 0 and f"wrote {output}" in result.output
    assert "页面未找到" in output.read_text(encoding="utf-8")
    with app.app_context():
        assert active_theme_name() == "default"
    assert "kid preview" not in app.test_client().get("/").get_data(as_text=True)


def test_settings_command_shows_and_changes_validated_settings(xty_app):
    result = invoke(xty_app, "settings", "default", "--set", "primary_color=#112233", "--set", "show_banner=false")
    assert result.exit_code == 0, result.output
    assert 'primary_color        "#112233"' in result.output and "show_banner          false" in result.output
    bad = invoke(xty_app, "settings", "default", "--set", "primary_color=pink")
    assert bad.exit_code == 1 and "Not a colour in the form #rrggbb" in bad.output


@pytest.mark.parametrize("command", ["list", "new", "check", "use", "preview", "settings"])
def test_every_theme_command_has_help(xty_app, command):
    result = invoke(xty_app, command, "--help")
    assert result.exit_code == 0 and get_kernel(xty_app) is not None
    assert result.output.startswith(f"Usage: xty theme {command}")
