"""slot(): plugins fill named places in templates; strings are escaped, Markup passes, failures fail open."""

import tomllib
from pathlib import Path

from jinja2 import Environment, nodes
from markupsafe import Markup
from sqlalchemy import select

from xtycore import hookimpl
from xtycore.extensions import db
from xtycore.models import PluginFailure
from xtycore.themes import STANDARD_SLOTS

DEFAULT_THEME = Path(__file__).resolve().parents[2] / "themes" / "default"


class FillingPlugin:
    """Marks every slot it is asked for, so a test can see which slots a page renders."""

    def __init__(self) -> None:
        self.context: dict[str, dict] = {}

    @hookimpl
    def xtycore_template_slot(self, name, context):
        self.context[name] = dict(context)
        return Markup(f"<!--slot:{name}-->")


class MixedPlugin:
    @hookimpl
    def xtycore_template_slot(self, name, context):
        if name == "home.top":
            return "<b>plain & simple</b>"
        if name == "home.bottom":
            return Markup("<i>trusted</i>")
        return None


class FailingPlugin:
    @hookimpl
    def xtycore_template_slot(self, name, context):
        if name == "home.top":
            raise RuntimeError("slot service is down")
        return None


def test_a_plain_string_is_escaped_and_markup_passes_through(themed_app):
    app = themed_app(plugins={"mixed": MixedPlugin()})
    html = app.test_client().get("/").get_data(as_text=True)
    assert "&lt;b&gt;plain &amp; simple&lt;/b&gt;" in html
    assert "<b>plain" not in html
    assert "<i>trusted</i>" in html


def test_a_failing_slot_plugin_fails_open_and_the_failure_is_recorded_with_its_name(themed_app):
    app = themed_app(plugins={"flaky": FailingPlugin(), "mixed": MixedPlugin()})
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "<i>trusted</i>" in response.get_data(as_text=True)
    with app.app_context():
        failures = db.session.execute(select(PluginFailure)).scalars().all()
        assert [(f.plugin, f.call, f.policy) for f in failures] == [("flaky", "xtycore_template_slot", "open")]
        assert "slot service is down" in failures[0].message


def test_a_disabled_plugin_fills_no_slot(xty_make_app):
    app = xty_make_app(plugins={"mixed": MixedPlugin()}, enable=False)
    assert "trusted" not in app.test_client().get("/").get_data(as_text=True)


def test_slot_passes_its_keyword_arguments_to_plugins(themed_app):
    plugin = FillingPlugin()
    app = themed_app(plugins={"filler": plugin})
    assert app.test_client().get("/no-such-page").status_code == 404
    assert plugin.context["error.after_message"]["error"].code == 404
    assert plugin.context["head"] == {}


def _slot_names(folder: Path) -> set[str]:
    env = Environment()
    names = set()
    for path in folder.rglob("*.html"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        names |= {
            call.args[0].value for call in tree.find_all(nodes.Call)
            if isinstance(call.node, nodes.Name) and call.node.name == "slot"
        }
    return names


def test_the_default_theme_declares_exactly_the_standard_slots_its_templates_render():
    manifest = tomllib.loads((DEFAULT_THEME / "theme.toml").read_text(encoding="utf-8"))
    rendered = _slot_names(DEFAULT_THEME / "templates")
    declared = set(manifest["slots"])
    assert declared == rendered, (
        f"themes/default/theme.toml `slots` must list exactly what its templates render: "
        f"add {sorted(rendered - declared)}, remove {sorted(declared - rendered)}"
    )
    assert rendered <= set(STANDARD_SLOTS)


LAYOUT_SLOTS = ["head", "body.start", "header.before", "header.after", "nav.after",
                "footer.before", "footer.after", "body.end"]


def test_every_default_page_renders_the_layout_slots_and_its_own_slots(themed_app):
    app = themed_app(plugins={"filler": FillingPlugin()})
    client = app.test_client()
    pages = {"/": ["home.top", "home.bottom"], "/missing": ["error.after_message"]}
    for url, own in pages.items():
        html = client.get(url).get_data(as_text=True)
        missing = [name for name in LAYOUT_SLOTS + own if f"<!--slot:{name}-->" not in html]
        assert missing == [], f"{url} does not render {missing}"
