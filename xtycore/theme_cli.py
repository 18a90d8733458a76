"""``xty theme``: list, scaffold, check, activate and preview storefront themes.

Commands run with an application context (:class:`flask.cli.AppGroup`); an
:class:`~xtycore.domain.errors.XtyError` such as
:class:`~xtycore.themes.ThemeError` becomes a one-line message through
``xty``'s own group. docs/themes.md shows each command with an example.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

import xtycore
from xtycore.theme_manifest import THEME_NAME, search_folders
from xtycore.themes import (
    activate_theme,
    active_theme_name,
    get_themes,
    render,
    save_theme_settings,
    theme_settings,
)
from xtycore.web.storefront import PAGE_SAMPLES

theme_group = AppGroup("theme", help="Storefront themes: list, new, check, use, preview, settings.")

PREVIEW_PAGES = tuple(Path(template).stem for template in PAGE_SAMPLES)

MANIFEST_TEMPLATE = """\
# Theme manifest; docs/themes.md ("theme.toml reference") explains every key.
name = "{name}"
label = "{name}"
version = "0.1.0"
parents = ["{parent}"]
xtycore = "{xtycore}"
# Slot names your own templates render beyond the standard ones.
slots = []

# Settings the merchant can edit; the parent's settings are inherited. Example:
# [settings.accent_color]
# type = "color"
# default = "#2f6f4e"
# label = "强调色 Accent colour"
"""

README_TEMPLATE = """\
# {name}

A child theme of `{parent}`. Every template and static file not found here
comes from `{parent}` (and its parents), so add only what you change.

- Override a page: copy it from the parent's `templates/` into `templates/`
  here, under the same name, and edit it.
- Extend the parent's version instead of copying it:
  `{{% extends "{parent}/home.html" %}}`, then override only some blocks.
- Static files go in `static/`; link them with `{{{{ theme_static("css/extra.css") }}}}`.

Check, preview and activate:

    xty theme check {name}
    xty theme preview {name} --page home --output /tmp/home.html
    xty theme use {name}

See docs/themes.md for slots, settings and the page context.
"""


@theme_group.command("list")
def theme_list() -> None:
    """Installed themes; `*` marks the active one. Broken theme folders are listed last."""
    manager = get_themes()
    active = active_theme_name()
    click.echo(f"  {'NAME':16} {'VERSION':9} {'PARENTS':16} {'USABLE':6} SOURCE")
    for theme in sorted(manager.themes.values(), key=lambda t: t.name):
        reason = manager.activation_error(theme.name)
        marker = "*" if theme.name == active else " "
        parents = ",".join(theme.parents) or "-"
        click.echo(
            f"{marker} {theme.name:16} {theme.version:9} {parents:16} {'no' if reason else 'yes':6} "
            f"{theme.path} ({theme.source})"
        )
        if reason:
            click.echo(f"    {reason}")
    for problem in manager.problems:
        click.echo(f"BROKEN {problem.name} ({problem.file}): {problem.reason}")


@theme_group.command("new")
@click.argument("name")
@click.option("--parent", required=True, help="The theme to inherit from, e.g. default.")
@click.option(
    "--path", "folder", default=None, type=click.Path(file_okay=False, path_type=Path),
    help="The new theme's folder. Default: <instance>/themes/NAME.",
)
def theme_new(name: str, parent: str, folder: Path | None) -> None:
    """Scaffold a child theme: theme.toml, empty templates/ and static/, a README."""
    if not THEME_NAME.match(name):
        raise click.BadParameter(
            f"{name!r} is not a slug: use lowercase letters, digits and hyphens", param_hint="NAME"
        )
    get_themes().get(parent)
    folder = folder or Path(current_app.instance_path) / "themes" / name
    if folder.exists():
        raise click.ClickException(f"{folder} already exists; not overwriting it")
    major, minor = xtycore.__version__.split(".")[:2]
    values = {"name": name, "parent": parent, "xtycore": f"~={major}.{minor}"}
    (folder / "templates").mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "theme.toml").write_text(MANIFEST_TEMPLATE.format(**values), encoding="utf-8")
    (folder / "README.md").write_text(README_TEMPLATE.format(**values), encoding="utf-8")
    click.echo(f"created theme {name} in {folder}")
    roots = {root.resolve() for root, _source in search_folders(current_app)}
    if folder.resolve().parent not in roots:
        click.echo(f"note: add {folder.resolve().parent} to THEME_PATHS so xtycore finds it")


@theme_group.command("check")
@click.argument("name")
def theme_check(name: str) -> None:
    """Report missing templates, unknown slots, syntax errors and undefined variables."""
    from xtycore.theme_check import check_theme

    problems = check_theme(name)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{name}: {len(problems)} problem(s)")
        click.get_current_context().exit(1)
    click.echo(f"{name}: no problems found")


@theme_group.command("use")
@click.argument("name")
def theme_use(name: str) -> None:
    """Activate a theme for every worker process, without a restart."""
    activate_theme(name)
    click.echo(f"{name} is now the active theme")


@theme_group.command("preview")
@click.argument("name")
@click.option("--page", default="home", show_default=True, type=click.Choice(PREVIEW_PAGES))
@click.option("--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML to this file instead of standard output.")
def theme_preview(name: str, page: str, output: Path | None) -> None:
    """Render a page with a theme without activating it, using the sample page context."""
    get_themes().get(name)
    template = f"{page}.html"
    with current_app.test_request_context("/"):
        html = render(template, theme=name, **PAGE_SAMPLES[template])
    if output is None:
        click.echo(html)
        return
    output.write_text(html, encoding="utf-8")
    click.echo(f"wrote {output}")


@theme_group.command("settings")
@click.argument("name")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="Change a setting (repeatable).")
def theme_settings_command(name: str, pairs: tuple[str, ...]) -> None:
    """Show a theme's settings, or change some with --set (validated against theme.toml)."""
    if pairs:
        values = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
            values[key] = value
        save_theme_settings(name, values)
    for key, value in theme_settings(name).items():
        click.echo(f"{key:20} {json.dumps(value, ensure_ascii=False)}")
