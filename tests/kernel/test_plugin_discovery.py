"""Discovery through entry points: compatible plugins load, broken ones are blocked."""

import pytest

import xtycore
from xtycore.cli import main
from xtycore.kernel import get_kernel

GOOD_PLUGIN = """
from xtycore import hookimpl

@hookimpl
def xtycore_template_slot(name, context):
    return "hello from good" if name == "test.slot" else None
"""


def add_plugin(site, dist, ep_name, module, source, requires=()):
    site.add(
        dist,
        requires=requires,
        entry_points={"xtycore": {ep_name: module}},
        files={f"{module}.py": source},
    )


def test_a_compatible_plugin_is_loaded_with_its_distribution_and_version(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-support-good", "good", "good_plugin", GOOD_PLUGIN,
               requires=(f"xtycore>={xtycore.__version__}",))
    app = xty_make_app()
    record = get_kernel(app).plugins.get("good")
    assert record.loaded
    assert record.distribution == "xtycore-support-good"
    assert record.version == "1.0.0"
    assert record.requires_xtycore == f">={xtycore.__version__}"
    assert record.hooks == ["xtycore_template_slot"]


def test_an_installed_plugin_is_disabled_until_the_merchant_enables_it(fake_site, xty_make_app, xty_database_url):
    add_plugin(fake_site, "xtycore-support-good", "good", "good_plugin", GOOD_PLUGIN)
    app = xty_make_app()
    plugins = get_kernel(app).plugins
    with app.app_context():
        assert not plugins.is_enabled("good")
        assert plugins.call("xtycore_template_slot", policy=plugins_open(), name="test.slot", context={}) == []
        runner = app.test_cli_runner()
        assert runner.invoke(main, ["plugins", "enable", "good"]).exit_code == 0
        assert plugins.is_enabled("good")
        assert plugins.call("xtycore_template_slot", policy=plugins_open(), name="test.slot", context={}) == [
            ("good", "hello from good")
        ]


def plugins_open():
    from xtycore.plugins import FaultPolicy

    return FaultPolicy.OPEN


@pytest.mark.parametrize(
    "requires, expected",
    [
        (("xtycore>=99.0",), "requires xtycore>=99.0 but this is xtycore"),
        (("xtycore<0.0.1",), "requires xtycore<0.0.1"),
    ],
)
def test_a_plugin_requiring_another_xtycore_version_is_blocked_and_the_shop_serves(
    fake_site, xty_make_app, requires, expected
):
    add_plugin(fake_site, "xtycore-payment-future", "future", "future_plugin", GOOD_PLUGIN, requires=requires)
    app = xty_make_app()
    record = get_kernel(app).plugins.get("future")
    assert not record.loaded
    assert expected in record.reason
    assert "future_plugin" not in __import__("sys").modules
    assert app.test_client().get("/").status_code == 200


def test_a_plugin_failing_on_import_is_blocked_with_the_error_and_the_shop_serves(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-courier-broken", "broken", "broken_plugin",
               "import module_that_does_not_exist\n")
    app = xty_make_app()
    record = get_kernel(app).plugins.get("broken")
    assert not record.loaded
    assert "failed to import broken_plugin" in record.reason
    assert "module_that_does_not_exist" in record.reason
    assert app.test_client().get("/").status_code == 200


def test_a_plugin_with_a_misspelt_hook_is_blocked_with_a_suggestion(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-promotion-typo", "typo", "typo_plugin", """
        from xtycore import hookimpl

        @hookimpl
        def xtycore_register_promotion_type():
            return []
    """)
    app = xty_make_app()
    record = get_kernel(app).plugins.get("typo")
    assert not record.loaded
    assert "xtycore_register_promotion_type, which matches no xtycore hook" in record.reason
    assert "did you mean xtycore_register_promotion_types?" in record.reason
    assert app.test_client().get("/").status_code == 200


def test_a_plugin_with_a_wrong_hook_signature_is_blocked(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-support-sig", "sig", "sig_plugin", """
        from xtycore import hookimpl

        @hookimpl
        def xtycore_template_slot(name, context, extra_argument):
            return None
    """)
    record = get_kernel(xty_make_app()).plugins.get("sig")
    assert not record.loaded
    assert "extra_argument" in record.reason


def test_a_hook_wrapper_is_refused(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-support-wrap", "wrap", "wrap_plugin", """
        from xtycore import hookimpl

        @hookimpl(wrapper=True)
        def xtycore_template_slot(name, context):
            return (yield)
    """)
    record = get_kernel(xty_make_app()).plugins.get("wrap")
    assert not record.loaded
    assert "hook wrapper" in record.reason


def test_a_plugin_named_in_blocked_plugins_is_not_imported(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-support-good", "good", "good_plugin", GOOD_PLUGIN)
    app = xty_make_app(config={"BLOCKED_PLUGINS": ["good"]})
    record = get_kernel(app).plugins.get("good")
    assert not record.loaded and "BLOCKED_PLUGINS" in record.reason
    assert "good_plugin" not in __import__("sys").modules


def test_blocked_plugins_are_listed_by_the_cli_with_their_reasons(fake_site, xty_make_app):
    add_plugin(fake_site, "xtycore-courier-broken", "broken", "broken_plugin", "raise RuntimeError('boom')\n")
    app = xty_make_app()
    runner = app.test_cli_runner()
    listing = runner.invoke(main, ["plugins", "list"])
    assert "broken" in listing.output and "blocked" in listing.output
    errors = runner.invoke(main, ["plugins", "errors"])
    assert errors.exit_code == 0
    expected = "BLOCKED broken (xtycore-courier-broken): failed to import broken_plugin: RuntimeError: boom"
    assert expected in errors.output
    enable = runner.invoke(main, ["plugins", "enable", "broken"])
    assert enable.exit_code != 0
    assert "broken is blocked and cannot be enabled" in enable.output
