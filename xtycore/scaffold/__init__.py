"""``xty plugin new``: write an installable plugin distribution of any capability kind.

It needs no application or instance folder: the generated folder is a
complete distribution (packaging, the plugin module, a working capability,
tests against a local server speaking its protocol, a README), ready for
``pip install -e``. The names it derives are in :class:`generate.PluginSpec`.
"""

from __future__ import annotations

from pathlib import Path

import click

from xtycore.scaffold.generate import KIND_TEMPLATES, PluginSpec, ScaffoldError, generate

__all__ = ["plugin_group"]


@click.group("plugin", help="Write new plugins (`xty plugins` manages installed ones).")
def plugin_group() -> None:
    pass


@plugin_group.command("new")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(sorted(KIND_TEMPLATES)), help="The capability it provides.")
@click.option(
    "--output", default=".", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Folder to write the distribution folder into.",
)
def new_command(name: str, kind: str, output: Path) -> None:
    """Scaffold plugin NAME (e.g. acme-pay) as the folder xtycore-KIND-NAME."""
    try:
        spec = PluginSpec(name, kind)
    except ScaffoldError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    try:
        folder = generate(spec, output)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {folder}")
    click.echo("next:")
    click.echo(f"  pip install -e '{folder}[test]'")
    click.echo(f"  (cd '{folder}' && python -m pytest)")
    click.echo(f"  xty plugins enable {spec.code}")
