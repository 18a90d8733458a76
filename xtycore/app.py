"""The application factory: a flat checklist of ``configure_*`` steps."""

from __future__ import annotations

import functools
import logging
import traceback
from pathlib import Path
from typing import Any, Mapping

import click
from flask import Flask, abort, g, has_app_context, request
from werkzeug.utils import import_string
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from xtycore import config as xconfig
from xtycore.domain.errors import ConfigurationError
from xtycore.extensions import configure_sqlite, csrf, db
from xtycore.kernel import Kernel, get_kernel
from xtycore.plugins import FaultPolicy, Plugins
from xtycore.registry import Registry
from xtycore.state import StateCache

log = logging.getLogger("xtycore")

KERNEL_ROOT = Path(__file__).resolve().parent


def create_app(config: Mapping[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build an xtycore application.

    :param config: configuration applied last, over defaults, ``instance/config.py``
        and ``XTY_*`` environment variables.
    :param instance_path: the instance folder; default ``$XTY_INSTANCE_PATH`` or ``./instance``.
    """
    instance = xconfig.instance_path_from_env(instance_path)
    app = Flask(
        "xtycore",
        instance_path=str(instance),
        instance_relative_config=True,
        root_path=str(KERNEL_ROOT),
        static_folder="static",
        static_url_path="/_kernel/static",
        template_folder="templates",
    )
    configure_config(app, config)
    configure_database(app)
    configure_plugins(app)
    configure_security(app)
    configure_blueprints(app)
    configure_themes(app)
    configure_jobs(app)
    configure_commands(app)
    configure_error_monitor(app)
    return app


def configure_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_object(xconfig.DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(xconfig.from_environment())
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = xconfig.default_database_uri(Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        raise ConfigurationError(
            f"no SECRET_KEY: run `xty init` to create the instance folder {app.instance_path} "
            "with a generated key, or set XTY_SECRET_KEY"
        )


def configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def configure_plugins(app: Flask) -> None:
    plugins = Plugins(blocked_names=app.config["BLOCKED_PLUGINS"])
    state = StateCache()
    plugins.enabled_names = lambda: set(state.current().enabled_plugins)
    plugins.failure_sink = _queue_failure
    plugins.load_builtins()
    plugins.discover()
    for name, plugin in app.config["EXTRA_PLUGINS"].items():
        plugins.register(import_string(plugin) if isinstance(plugin, str) else plugin, name)
    plugins.check_pending()
    registry = Registry(plugins)
    registry.build()
    app.extensions["xtycore"] = Kernel(plugins=plugins, registry=registry, state=state, blueprint_owners={})
    app.teardown_appcontext(_flush_failures)


def _queue_failure(plugin: str, call: str, policy: FaultPolicy, exc: BaseException) -> None:
    failure = {
        "plugin": plugin,
        "call": call[:200],
        "policy": policy.value,
        "error_type": f"{type(exc).__module__}.{type(exc).__qualname__}"[:200],
        "message": str(exc)[:4000] or repr(exc),
        "traceback": "".join(traceback.format_exception(exc))[-20000:],
    }
    if has_app_context():
        g.setdefault("_xty_failures", []).append(failure)


def _flush_failures(exc: BaseException | None) -> None:
    """Write queued plugin failures in their own transaction, after the request's."""
    failures = g.pop("_xty_failures", None)
    if not failures:
        return
    from xtycore.models import PluginFailure

    db.session.remove()
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(PluginFailure), failures)
    except SQLAlchemyError:
        log.exception("could not record %d plugin failure(s)", len(failures))


def configure_security(app: Flask) -> None:
    from xtycore import security

    csrf.init_app(app)
    security.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from xtycore import admin
    from xtycore.web import account, cart, orders, payments, reviews, seo, storefront, support

    for module in (storefront, seo, account, cart, orders, payments, support, reviews, admin):
        app.register_blueprint(module.bp)
    kernel = get_kernel(app)
    for plugin, blueprint in kernel.plugins.collect(
        "xtycore_register_blueprints", policy=FaultPolicy.OPEN, include_disabled=True, app=app
    ):
        app.register_blueprint(blueprint)
        kernel.blueprint_owners[blueprint.name] = plugin

    @app.before_request
    def _gate_disabled_plugins():
        owners = kernel.blueprint_owners
        for name in request.blueprints:
            plugin = owners.get(name)
            if plugin is not None and not kernel.plugins.is_enabled(plugin):
                abort(404)


def configure_themes(app: Flask) -> None:
    from xtycore import caching, i18n, themes

    i18n.init_app(app)
    caching.init_app(app)
    themes.init_app(app)


def configure_jobs(app: Flask) -> None:
    from xtycore import jobs

    jobs.init_app(app)


def configure_error_monitor(app: Flask) -> None:
    from xtycore.services import errors

    errors.init_app(app)


def configure_commands(app: Flask) -> None:
    kernel = get_kernel(app)
    for plugin, command in kernel.plugins.collect(
        "xtycore_register_commands", policy=FaultPolicy.OPEN, include_disabled=True
    ):
        app.cli.add_command(only_when_enabled(plugin, command))


def only_when_enabled(plugin: str, command: click.Command) -> click.Command:
    """Make a plugin's command refuse to run, with the fix, while the plugin is disabled."""
    callback = command.callback
    if callback is None or getattr(callback, "xtycore_guarded", False):
        return command

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not get_kernel().plugins.is_enabled(plugin):
            raise click.ClickException(f"plugin {plugin} is disabled: `xty plugins enable {plugin}` first")
        return callback(*args, **kwargs)

    guarded.xtycore_guarded = True
    command.callback = guarded
    return command
