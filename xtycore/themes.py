"""Themes: discovery, the template lookup chain, slots, static files, settings.

A theme is a folder holding ``theme.toml`` (see :mod:`xtycore.theme_manifest`),
``templates/`` and ``static/``. Themes are discovered once per process when the
app starts and never change while it runs; which theme is active, and the
merchant's values for its settings, live in the database (:mod:`xtycore.state`),
so every worker process switches on its next request without a restart.

Templates resolve through a chain: the theme, its parents (depth first, in
order), the template folders of registered blueprints (plugins), then the
kernel's fallback templates in ``xtycore/templates``. Each theme gets its own
Jinja environment, an overlay of ``app.jinja_env``, so filters and globals are
shared while compiled templates are cached per theme. docs/themes.md is the
designer's guide to all of this.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, abort, current_app, g, has_request_context, request, send_from_directory, url_for
from flask.signals import before_render_template, template_rendered
from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, PrefixLoader, Template
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from marshmallow import Schema, ValidationError
from werkzeug.security import safe_join

from xtycore.domain.errors import ConfigurationError, InvalidSettings
from xtycore.kernel import get_kernel
from xtycore.theme_manifest import SettingSpec, Theme, ThemeProblem, find_themes, settings_schema

log = logging.getLogger("xtycore.themes")

ACTIVE_THEME_KEY = "theme.active"
#: ``flask.g`` key of the theme a staff member previews in this request
PREVIEW_THEME_KEY = "xty_preview_theme"
SETTINGS_KEY_PREFIX = "theme.settings."
STATIC_ENDPOINT = "theme_static"
#: Seconds browsers may cache theme static files; URLs carry ?v=<theme version>.
STATIC_MAX_AGE = 3600
#: Page templates every theme must provide through its chain (``xty theme check``).
REQUIRED_TEMPLATES = ("layout.html", "home.html", "404.html", "500.html")

#: The slots themes render and plugins fill; docs/themes.md lists them with their context.
STANDARD_SLOTS: dict[str, str] = {
    "head": "End of `<head>`: meta tags, stylesheets, analytics snippets.",
    "body.start": "First thing inside `<body>`, before the skip link.",
    "header.before": "Before the site header: announcement bars.",
    "header.after": "After the site header, before the main content.",
    "nav.after": "Inside the main navigation, after the theme's own links.",
    "home.top": "Top of the home page's main content.",
    "home.bottom": "Bottom of the home page's main content.",
    "category.before_products": "Category and search pages, above the product list; context: category.",
    "category.after_products": "Category and search pages, below the product list; context: category.",
    "product.before_title": "Product page, above the product name; context: product.",
    "product.after_price": "Product page, below the price: badges, instalments; context: product.",
    "product.after_add_to_cart": "Product page, below the add-to-cart button; context: product.",
    "product.tabs": "Product page, extra sections after the description, each a `<section>`; context: product.",
    "product.bottom": "End of the product page: recommendations, reviews; context: product.",
    "cart.after_lines": "Cart page, below the cart lines; context: cart.",
    "cart.after_totals": "Cart page, below the totals: coupon hints, trust badges; context: cart.",
    "checkout.after_summary": "Checkout page, below the order summary; context: checkout.",
    "order.confirmation": "Order confirmation page, below the order details; context: order.",
    "account.menu": "Customer account menu, extra links (each an `<li>`); context: customer.",
    "account.dashboard": "Customer account overview, extra panels; context: customer.",
    "error.after_message": "404 and 500 pages, below the message; context: error.",
    "footer.before": "Before the site footer.",
    "footer.after": "After the site footer.",
    "body.end": "Last thing before `</body>`: deferred scripts.",
}


class ThemeError(ConfigurationError):
    """A theme cannot be used: unknown, incompatible, or its parents are missing or form a cycle."""


@dataclass(frozen=True)
class ThemeView:
    """What templates see as ``theme``: the rendering theme and its effective settings."""

    name: str
    label: str
    version: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class ShopView:
    """What templates see as ``shop``."""

    name: str
    locale: str
    #: the locale as an HTML ``lang`` value (zh_CN -> zh-CN)
    lang: str
    currency: str


# --------------------------------------------------------------------------
# the lookup chain
# --------------------------------------------------------------------------


def resolve_chain(name: str, themes: Mapping[str, Theme]) -> tuple[Theme, ...]:
    """The theme and its ancestors, depth first in the order parents are listed, no repeats.

    :raises ThemeError: a theme is unknown, or the parents form a cycle.
    """
    order: list[Theme] = []
    seen: set[str] = set()

    def visit(current: str, stack: tuple[str, ...]) -> None:
        if current in stack:
            raise ThemeError(f"theme parents form a cycle: {' -> '.join((*stack, current))}")
        if current in seen:
            return
        theme = themes.get(current)
        if theme is None:
            if stack:
                raise ThemeError(f"theme {stack[-1]!r} names parent {current!r}, which is not installed")
            raise ThemeError(f"no theme named {current!r} (installed: {', '.join(sorted(themes)) or 'none'})")
        seen.add(current)
        order.append(theme)
        for parent in theme.parents:
            visit(parent, (*stack, current))

    visit(name, ())
    return tuple(order)


class ThemeManager:
    """The themes of one app, their chains, and one lazily built Jinja environment per theme."""

    def __init__(self, app: Flask, themes: Mapping[str, Theme], problems: list[ThemeProblem]) -> None:
        self.app = app
        self.themes = dict(themes)
        self.problems = list(problems)
        #: name -> its chain, or why it has none (kept as text: a fresh error is raised each time)
        self._chains: dict[str, tuple[Theme, ...] | str] = {}
        for name in self.themes:
            try:
                self._chains[name] = resolve_chain(name, self.themes)
            except ThemeError as exc:
                self._chains[name] = str(exc)
        self._environments: dict[str, Environment] = {}
        self._schemas: dict[str, type[Schema]] = {}
        #: (kernel generation, theme) -> its validated settings: every change raises the generation
        self.settings_memo: dict[tuple[int, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._reported: set[str] = set()

    def __contains__(self, name: object) -> bool:
        return name in self.themes

    def get(self, name: str) -> Theme:
        if name not in self.themes:
            known = ", ".join(sorted(self.themes)) or "none"
            raise ThemeError(f"no theme named {name!r} (installed: {known}); `xty theme list` shows them")
        return self.themes[name]

    def chain(self, name: str) -> tuple[Theme, ...]:
        """The theme and its ancestors; :class:`ThemeError` if one is missing or they form a cycle."""
        self.get(name)
        result = self._chains[name]
        if isinstance(result, str):
            raise ThemeError(result)
        return result

    def activation_error(self, name: str) -> str:
        """Why the theme cannot be made active; empty when it can."""
        try:
            chain = self.chain(name)
        except ThemeError as exc:
            return str(exc)
        for theme in chain:
            if not theme.compatible:
                owner = "" if theme.name == name else f" (through its parent {theme.name})"
                return f"theme {name!r} is incompatible{owner}: {theme.incompatibility}"
        return ""

    def template_folders(self, name: str) -> list[Path]:
        return [theme.templates_dir for theme in self.chain(name)]

    def static_folders(self, name: str) -> list[Path]:
        """Theme chain, then blueprint static folders, then the kernel's static folder."""
        folders = [theme.static_dir for theme in self.chain(name)]
        folders += [Path(bp.static_folder) for bp in self.app.iter_blueprints() if bp.static_folder]
        if self.app.static_folder:
            folders.append(Path(self.app.static_folder))
        return folders

    def settings_specs(self, name: str) -> dict[str, SettingSpec]:
        """Settings declared by the theme and its ancestors; a child's declaration wins."""
        specs: dict[str, SettingSpec] = {}
        for theme in reversed(self.chain(name)):
            specs.update(theme.settings)
        return specs

    def settings_schema(self, name: str) -> type[Schema]:
        """The marshmallow schema class of the theme's settings (the admin renders its form)."""
        schema = self._schemas.get(name)
        if schema is None:
            with self._lock:
                schema = self._schemas.setdefault(name, settings_schema(self.settings_specs(name), name))
        return schema

    def declared_slots(self, name: str) -> frozenset[str]:
        return frozenset(slot for theme in self.chain(name) for slot in theme.slots)

    def environment(self, name: str) -> Environment:
        """The theme's Jinja environment, built on first use (after every blueprint is registered)."""
        env = self._environments.get(name)  # the lock only guards the first build
        if env is None:
            with self._lock:
                env = self._environments.get(name)
                if env is None:
                    env = self._environments[name] = self._build_environment(name)
        return env

    def _build_environment(self, name: str) -> Environment:
        chain = self.chain(name)
        prefixes = PrefixLoader(
            {theme.name: FileSystemLoader(self.template_folders(theme.name)) for theme in chain}
        )
        plugins = [bp.jinja_loader for bp in self.app.iter_blueprints() if bp.jinja_loader is not None]
        loaders = [prefixes, FileSystemLoader(self.template_folders(name)), *plugins]
        if self.app.jinja_loader is not None:
            loaders.append(self.app.jinja_loader)
        return self.app.jinja_env.overlay(loader=ChoiceLoader(loaders))

    def report_once(self, key: str, message: str) -> None:
        """Log a per-request problem once per process instead of on every request."""
        if key not in self._reported:
            self._reported.add(key)
            log.error(message)


def discover(app: Flask) -> ThemeManager:
    """Find every theme once, at start-up; broken ones are logged and left out."""
    return ThemeManager(app, *find_themes(app))


def get_themes(app: Flask | None = None) -> ThemeManager:
    return get_kernel(app).themes


# --------------------------------------------------------------------------
# the active theme and its settings
# --------------------------------------------------------------------------


def active_theme_name() -> str:
    """The active theme, or ``DEFAULT_THEME`` when the stored one cannot be used here."""
    from xtycore.state import snapshot

    default = current_app.config["DEFAULT_THEME"]
    # a staff member's signed preview (xtycore.admin.preview) wins, for that browser only
    name = (has_request_context() and g.get(PREVIEW_THEME_KEY)) or snapshot().setting(ACTIVE_THEME_KEY, default)
    if name != default:
        manager = get_themes()
        reason = manager.activation_error(name)
        if reason:
            manager.report_once(f"active:{name}", f"active theme unusable, using {default!r}: {reason}")
            return default
    return name


def activate_theme(name: str) -> None:
    """Make ``name`` the active theme in every worker process.

    :raises ThemeError: the theme is unknown, incompatible, or its chain is broken.
    """
    from xtycore.extensions import transaction
    from xtycore.state import set_setting

    reason = get_themes().activation_error(name)
    if reason:
        raise ThemeError(reason)
    with transaction():
        set_setting(ACTIVE_THEME_KEY, name)


def theme_settings(name: str | None = None) -> dict[str, Any]:
    """The theme's settings: the merchant's stored values over the manifest defaults.

    A stored value the manifest no longer allows (the theme was upgraded) is
    replaced by its default rather than breaking the page. Validated once per
    kernel generation and process (every settings change raises the generation);
    callers get a copy of their own.
    """
    from xtycore.state import snapshot

    name = name or active_theme_name()
    manager = get_themes()
    snap = snapshot()
    memo_key = (snap.generation, name)
    settings = manager.settings_memo.get(memo_key)
    if settings is None:
        specs = manager.settings_specs(name)
        stored = snap.setting(SETTINGS_KEY_PREFIX + name)
        values = {k: v for k, v in stored.items() if k in specs} if isinstance(stored, dict) else {}
        defaults = {key: spec.default for key, spec in specs.items()}
        try:
            settings = {**defaults, **manager.settings_schema(name)().load(values)}
        except ValidationError as exc:
            manager.report_once(f"settings:{name}", f"theme {name} settings invalid, using defaults: {exc.messages}")
            settings = {**defaults, **(exc.valid_data or {})}
        if len(manager.settings_memo) > 64:  # generations only grow: drop the old ones
            manager.settings_memo.clear()
        manager.settings_memo[memo_key] = settings
    return dict(settings)


def save_theme_settings(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and store some of a theme's settings; the others keep their values.

    :raises InvalidSettings: with marshmallow's messages; nothing is written.
    :returns: the effective settings after the change.
    """
    from xtycore.extensions import db, transaction
    from xtycore.models import Setting
    from xtycore.state import set_setting

    manager = get_themes()
    specs = manager.settings_specs(name)
    try:
        loaded = manager.settings_schema(name)().load(dict(values), partial=True)
    except ValidationError as exc:
        raise InvalidSettings(exc.messages, f"invalid settings for theme {name}: {exc.messages}") from exc
    key = SETTINGS_KEY_PREFIX + name
    with transaction():
        row = db.session.get(Setting, key)
        stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        set_setting(key, {**{k: v for k, v in stored.items() if k in specs}, **loaded})
    return theme_settings(name)


# --------------------------------------------------------------------------
# rendering: render(), slot(), theme_static()
# --------------------------------------------------------------------------


def page_context(theme: str, template_name: str) -> dict[str, Any]:
    """What every themed page gets (docs/themes.md, "The page context")."""
    from xtycore.i18n import current_locale

    config = current_app.config
    manifest = get_themes().get(theme)
    locale = current_locale()  # the request's language (xtycore.i18n), SHOP_LOCALE by default
    return {
        "theme": ThemeView(manifest.name, manifest.label, manifest.version, theme_settings(theme)),
        "shop": ShopView(
            name=config["SHOP_NAME"],
            locale=locale,
            lang=locale.replace("_", "-"),
            currency=config["SHOP_CURRENCY"],
        ),
        "page": Path(template_name).stem,
        "canonical_url": request.base_url if has_request_context() else None,
    }


def render(template_name: str, theme: str | None = None, **context: Any) -> str:
    """Render a template through the active theme's chain, like :func:`flask.render_template`.

    :param theme: render with this theme instead of the active one (previews).
    :param context: page variables; they override the common page context.
    """
    name = theme or active_theme_name()
    return render_in(get_themes().environment(name), name, template_name, context)


def render_in(env: Environment, theme: str, template_name: str, context: Mapping[str, Any]) -> str:
    """Render with a given environment of ``theme`` (the checker passes a strict one)."""
    app = current_app._get_current_object()
    template = env.get_template(template_name)
    full = {**page_context(theme, template_name), **context}
    return _render(app, template, full)


def _render(app: Flask, template: Template, context: dict[str, Any]) -> str:
    # the same steps as flask.templating._render, which is private
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    text = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return text


def slot(name: str, **context: Any) -> Markup:
    """Template global: what enabled plugins put into slot ``name``; plain strings are escaped."""
    from xtycore.plugins import FaultPolicy

    results = get_kernel().plugins.call(
        "xtycore_template_slot", policy=FaultPolicy.OPEN, name=name, context=context
    )
    return Markup("").join(value for _plugin, value in results)


@pass_context
def theme_static(ctx: Context, filename: str) -> str:
    """Template global: the URL of a static file, resolved through the rendering theme's chain."""
    view = ctx.get("theme")
    if isinstance(view, ThemeView):
        name, version = view.name, view.version
    else:  # a template rendered outside render(), e.g. by flask.render_template
        name = active_theme_name()
        version = get_themes().get(name).version
    return url_for(STATIC_ENDPOINT, theme=name, filename=filename, v=version)


def serve_static(theme: str, filename: str):
    """``/_theme/<theme>/<path:filename>``: the first folder of the chain that has the file."""
    manager = get_themes()
    try:
        folders = manager.static_folders(theme)
    except ThemeError:
        abort(404)
    for folder in folders:
        path = safe_join(str(folder), filename)
        if path is not None and os.path.isfile(path):
            max_age = 0 if current_app.debug else STATIC_MAX_AGE
            return send_from_directory(folder, filename, max_age=max_age)
    abort(404)


def use_bytecode_cache(app: Flask) -> None:
    """Keep compiled templates in ``TEMPLATE_BYTECODE_CACHE`` (relative to the instance folder; empty: off).

    Compiling a template is the costly part of its first render; with the cache, a new worker process or
    a restart loads what an earlier one compiled. Entries are keyed by the template's file and checked
    against its source, so an edited template is compiled again; files are written atomically, so several
    workers can share the folder. Every theme environment is an overlay and shares the cache.
    """
    setting = app.config.get("TEMPLATE_BYTECODE_CACHE")
    if not setting:
        return
    folder = Path(app.instance_path, setting)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.warning("template bytecode cache off: cannot create %s (%s); set TEMPLATE_BYTECODE_CACHE to a "
                    "writable folder, or to an empty value to silence this", folder, error)
        return
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(folder))


def init_app(app: Flask) -> None:
    """Discover themes, register the template globals and the static route."""
    use_bytecode_cache(app)
    get_kernel(app).themes = discover(app)
    app.add_template_global(slot, "slot")
    app.add_template_global(theme_static, "theme_static")
    app.add_url_rule("/_theme/<theme>/<path:filename>", endpoint=STATIC_ENDPOINT, view_func=serve_static)
