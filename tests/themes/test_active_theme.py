"""The active theme and theme settings live in the database and reach every worker process."""

import pytest
from sqlalchemy import select

from xtycore.domain.errors import InvalidSettings
from xtycore.extensions import db, transaction
from xtycore.models import Setting
from xtycore.state import set_setting
from xtycore.themes import (
    ThemeError,
    activate_theme,
    active_theme_name,
    render,
    save_theme_settings,
    theme_settings,
)

from tests.themes.helpers import LAYOUT

SUNNY_SETTINGS = """
[settings.accent]
type = "color"
default = "#ffcc00"
label = "Accent"

[settings.columns]
type = "integer"
default = 3
min = 1
max = 6

[settings.show_clock]
type = "boolean"
default = false

[settings.style]
type = "choice"
default = "light"
choices = ["light", "dark"]

[settings.logo]
type = "image"
default = ""
"""


@pytest.fixture
def sunny(write_theme):
    write_theme("sunny", manifest=SUNNY_SETTINGS, templates={
        "layout.html": LAYOUT,
        "home.html": "sunny home accent={{ theme.settings.accent }} columns={{ theme.settings.columns }}",
    })


def test_activating_a_theme_is_seen_by_another_app_instance_on_the_same_database(themed_app, sunny):
    worker_one, worker_two = themed_app(), themed_app()
    client_two = worker_two.test_client()
    assert "甜蜜每一天" in client_two.get("/").get_data(as_text=True)
    with worker_one.app_context():
        activate_theme("sunny")
    assert client_two.get("/").get_data(as_text=True).startswith("sunny home")
    with worker_two.app_context():
        assert active_theme_name() == "sunny"


def test_an_incompatible_theme_cannot_be_activated(themed_app, write_theme):
    write_theme("future", manifest='xtycore = ">=99"\n')
    app = themed_app()
    with app.app_context():
        with pytest.raises(ThemeError, match=r"incompatible: supports xtycore>=99 but this is xtycore 0\."):
            activate_theme("future")
        assert active_theme_name() == "default"


def test_a_theme_with_an_incompatible_parent_cannot_be_activated(themed_app, write_theme):
    write_theme("future", manifest='xtycore = ">=99"\n')
    write_theme("kid", parents=("future",))
    app = themed_app()
    with app.app_context(), pytest.raises(ThemeError, match="through its parent future"):
        activate_theme("kid")


def test_an_active_theme_that_is_no_longer_installed_falls_back_to_the_default(themed_app):
    app = themed_app()
    with app.app_context():
        with transaction():
            set_setting("theme.active", "vanished")
        assert active_theme_name() == "default"
    response = app.test_client().get("/")
    assert response.status_code == 200 and "甜蜜每一天" in response.get_data(as_text=True)


def test_settings_fill_in_defaults_and_reach_templates_as_theme_settings(themed_app, sunny):
    app = themed_app()
    with app.app_context():
        assert theme_settings("sunny") == {
            "accent": "#ffcc00", "columns": 3, "show_clock": False, "style": "light", "logo": "",
        }
        saved = save_theme_settings("sunny", {"accent": "#123abc", "columns": "5"})
        assert saved["accent"] == "#123abc" and saved["columns"] == 5 and saved["style"] == "light"
        save_theme_settings("sunny", {"style": "dark"})
        assert theme_settings("sunny")["accent"] == "#123abc", "unnamed settings keep their values"
        activate_theme("sunny")
    assert app.test_client().get("/").get_data(as_text=True) == "sunny home accent=#123abc columns=5"


@pytest.mark.parametrize("values, field", [
    ({"accent": "red"}, "accent"),
    ({"accent": "#12345"}, "accent"),
    ({"columns": 9}, "columns"),
    ({"columns": "many"}, "columns"),
    ({"show_clock": "perhaps"}, "show_clock"),
    ({"style": "neon"}, "style"),
    ({"logo": "../../secret.png"}, "logo"),
    ({"logo": "/etc/logo.png"}, "logo"),
    ({"unknown": 1}, "unknown"),
])
def test_invalid_settings_raise_with_marshmallow_messages_and_write_nothing(themed_app, sunny, values, field):
    app = themed_app()
    with app.app_context():
        with pytest.raises(InvalidSettings) as caught:
            save_theme_settings("sunny", {"columns": 4, **values})
        assert list(caught.value.errors) == [field]
        assert db.session.execute(select(Setting).where(Setting.key == "theme.settings.sunny")).first() is None
        assert theme_settings("sunny")["columns"] == 3


def test_the_default_theme_settings_change_the_css_custom_properties(xty_app):
    with xty_app.app_context():
        save_theme_settings("default", {"primary_color": "#2f6f4e", "corner_style": "square"})
    html = xty_app.test_client().get("/").get_data(as_text=True)
    assert "--primary: #2f6f4e;" in html and "--radius: 0;" in html


def test_a_child_theme_inherits_its_parents_settings_and_may_redeclare_one(themed_app, write_theme):
    write_theme("kid", parents=("default",), manifest='[settings.primary_color]\ntype = "color"\ndefault = "#000000"\n')
    app = themed_app()
    with app.app_context():
        settings = theme_settings("kid")
    assert settings["primary_color"] == "#000000" and settings["show_banner"] is True


def test_a_stored_value_the_theme_no_longer_allows_falls_back_to_its_default(themed_app, sunny):
    app = themed_app()
    with app.app_context():
        with transaction():
            set_setting("theme.settings.sunny", {"style": "retired", "columns": 2, "gone": True})
        assert theme_settings("sunny") == {
            "accent": "#ffcc00", "columns": 2, "show_clock": False, "style": "light", "logo": "",
        }


def test_preview_rendering_with_an_explicit_theme_does_not_change_the_active_one(themed_app, sunny):
    app = themed_app()
    with app.test_request_context("/"):
        assert render("home.html", theme="sunny").startswith("sunny home")
        assert active_theme_name() == "default"
