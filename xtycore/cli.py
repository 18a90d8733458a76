"""The ``xty`` command line: Flask's CLI (run, shell, routes) plus xtycore's commands."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, NoAppException
from sqlalchemy import select

from xtycore import config as xconfig
from xtycore.domain.errors import XtyError
from xtycore.kernel import get_kernel


def _create_app():
    from xtycore.app import create_app

    try:
        return create_app()
    except XtyError as exc:
        raise NoAppException(str(exc)) from None


class XtyGroup(FlaskGroup):
    """Turns xtycore's own errors into a one-line message instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except XtyError as exc:
            raise click.ClickException(str(exc)) from None


main = XtyGroup(
    name="xty",
    create_app=_create_app,
    load_dotenv=False,
    help="xtycore (小甜园): run and manage a shop. Needs an instance folder: `xty init`.",
)


# --------------------------------------------------------------------------
# init and demo
# --------------------------------------------------------------------------

CONFIG_TEMPLATE = '''"""Configuration of this xtycore instance; see docs/configuration.md.

This file holds secrets: keep it out of version control.
"""

SECRET_KEY = {secret!r}
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://user@127.0.0.1:5432/shop"
# SHOP_NAME = "小甜园"
'''


def init_instance(instance: Path, *, force: bool = False) -> bool:
    """Create the instance folder and its config.py with a fresh secret; False if it exists."""
    config_file = instance / "config.py"
    if config_file.exists() and not force:
        return False
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "themes").mkdir(exist_ok=True)
    (instance / "uploads").mkdir(exist_ok=True)
    config_file.write_text(CONFIG_TEMPLATE.format(secret=secrets.token_urlsafe(48)), encoding="utf-8")
    config_file.chmod(0o600)
    return True


def migrate_instance() -> None:
    from xtycore import create_app, database

    app = create_app()
    with app.app_context():
        for target in database.upgrade(app):
            click.echo(f"  migrated {target}")


@click.command("init")
@click.option("--force", is_flag=True, help="Write a new config.py (and secret key) even if one exists.")
@click.option("--owner", "owner_email", default=None, metavar="EMAIL",
              help="Also create the first staff owner (back office /admin) and print its password once.")
def init_command(force: bool, owner_email: str | None) -> None:
    """Create the instance folder: config.py with a generated secret key, and the database."""
    instance = xconfig.instance_path_from_env()
    if init_instance(instance, force=force):
        click.echo(f"created instance folder {instance} with a new secret key")
    else:
        click.echo(f"instance folder {instance} already has config.py (use --force to replace it)")
    migrate_instance()
    click.echo("database ready")
    if owner_email:
        from xtycore.staff_cli import create_first_owner

        create_first_owner(owner_email)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo shop but do not start the server.")
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create an instance if needed, migrate, seed demo data and serve the demo shop."""
    from xtycore import create_app
    from xtycore.services import demo

    instance = xconfig.instance_path_from_env()
    if init_instance(instance):
        click.echo(f"created instance folder {instance}")
    migrate_instance()
    app = create_app()
    with app.app_context():
        for line in demo.seed(progress=click.echo):
            click.echo(line)
    if no_serve:
        return
    click.echo(f"serving the demo shop on http://{host}:{port}/  (Ctrl+C stops it)")
    from werkzeug.serving import run_simple

    # the development server is enough for a demo; production runs gunicorn (docs/configuration.md)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


main.add_command(init_command)
main.add_command(demo_command)


# --------------------------------------------------------------------------
# db
# --------------------------------------------------------------------------

db_group = AppGroup("db", help="Database migrations: the kernel's branch and every plugin's.")
main.add_command(db_group)


@db_group.command("upgrade")
@click.option("--plugin", "plugins", multiple=True, help="Only this plugin's branch (repeatable).")
def db_upgrade(plugins: tuple[str, ...]) -> None:
    """Bring the kernel and every enabled plugin to head."""
    from xtycore import database

    for target in database.upgrade(current_app, plugins or None):
        click.echo(f"at {target}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade to REVISION (e.g. `acme_pay@base` removes a plugin's tables)."""
    from xtycore import database

    database.downgrade(current_app, revision)


@db_group.command("heads")
def db_heads() -> None:
    """Show the head revision of every branch."""
    from xtycore import database

    for rev in database.current_heads(current_app):
        click.echo(rev)


@db_group.command("current")
def db_current() -> None:
    """Show the revisions the database is at."""
    from alembic.runtime.migration import MigrationContext

    from xtycore.extensions import db

    with db.engine.connect() as conn:
        for rev in MigrationContext.configure(conn).get_current_heads():
            click.echo(rev)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--plugin", default=None, help="Write into this plugin's branch instead of the kernel's.")
@click.option("--empty", is_flag=True, help="Do not compare models with the database.")
def db_revision(message: str, plugin: str | None, empty: bool) -> None:
    """Write a new migration revision."""
    from xtycore import database

    rev = database.revision(current_app, message, plugin=plugin, autogenerate=not empty)
    click.echo(f"wrote revision {rev}")


# --------------------------------------------------------------------------
# plugins
# --------------------------------------------------------------------------

plugins_group = AppGroup("plugins", help="Installed plugins: list, inspect, enable, disable, errors.")
main.add_command(plugins_group)


def _plugin_rows():
    kernel = get_kernel()
    rows = []
    for record in sorted(kernel.plugins.records.values(), key=lambda r: (not r.builtin, r.name)):
        if record.builtin:
            state = "built-in"
        elif not record.loaded:
            state = "blocked"
        else:
            state = "enabled" if kernel.plugins.is_enabled(record.name) else "disabled"
        rows.append((record, state))
    return rows


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_list(as_json: bool) -> None:
    """Every installed plugin with its version, state and supported xtycore versions."""
    rows = _plugin_rows()
    if as_json:
        click.echo(json.dumps([dict(r.as_dict(), state=s) for r, s in rows], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'NAME':28} {'VERSION':10} {'STATE':9} {'XTYCORE':12} DISTRIBUTION")
    for record, state in rows:
        click.echo(
            f"{record.name:28} {record.version or '-':10} {state:9} "
            f"{record.requires_xtycore or 'any':12} {record.distribution or '-'}"
        )
        if record.reason:
            click.echo(f"    blocked: {record.reason}")


@plugins_group.command("info")
@click.argument("name")
def plugins_info(name: str) -> None:
    """Details of one plugin: distribution, hooks, capabilities, state."""
    kernel = get_kernel()
    record = kernel.plugins.get(name)
    if record is None:
        raise click.ClickException(f"no plugin named {name!r}; `xty plugins list` shows them")
    state = dict(_plugin_rows())[record]
    for key, value in record.as_dict().items():
        if key != "hooks":
            click.echo(f"{key:17} {value}")
    click.echo(f"{'state':17} {state}")
    click.echo(f"{'hooks':17} {', '.join(record.hooks) or '-'}")
    from xtycore.registry import KINDS

    for kind in KINDS:
        codes = [t.code for t in kernel.registry.all_types(kind) if t.plugin == name]
        if codes:
            click.echo(f"{kind + ' types':17} {', '.join(codes)}")


@plugins_group.command("enable")
@click.argument("name")
def plugins_enable(name: str) -> None:
    """Enable an installed plugin (migrates its tables first)."""
    from xtycore.services.plugins import set_enabled

    changed = set_enabled(name, True)
    click.echo(f"enabled {name}" if changed else f"{name} was already enabled")


@plugins_group.command("disable")
@click.argument("name")
def plugins_disable(name: str) -> None:
    """Disable a plugin: its hooks, routes and capabilities stop; its data stays."""
    from xtycore.services.plugins import set_enabled

    changed = set_enabled(name, False)
    click.echo(f"disabled {name}" if changed else f"{name} was already disabled")


@plugins_group.command("errors")
@click.option("--limit", default=20, show_default=True, help="How many recent failures to show.")
@click.option("--plugin", default=None, help="Only this plugin's failures.")
def plugins_errors(limit: int, plugin: str | None) -> None:
    """Blocked plugins and the most recent plugin failures."""
    from xtycore.extensions import db
    from xtycore.models import PluginFailure

    blocked = [r for r in get_kernel().plugins.blocked() if plugin in (None, r.name)]
    for record in blocked:
        click.echo(f"BLOCKED {record.name} ({record.distribution or record.module}): {record.reason}")
    query = select(PluginFailure).order_by(PluginFailure.id.desc()).limit(limit)
    if plugin:
        query = query.where(PluginFailure.plugin == plugin)
    failures = db.session.execute(query).scalars().all()
    for f in failures:
        when = f.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{when} {f.plugin} {f.call} (fail {f.policy}) {f.error_type}: {f.message}")
    if not blocked and not failures:
        click.echo("no plugin errors")


# --------------------------------------------------------------------------
# capabilities
# --------------------------------------------------------------------------

cap_group = AppGroup("capabilities", help="Capability types and their configured instances.")
main.add_command(cap_group)


def _parse_settings(pairs: tuple[str, ...]) -> dict:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        settings[key] = xconfig.parse_env_value(value)
    return settings


@cap_group.command("list")
def capabilities_list() -> None:
    """Types offered by enabled plugins, and configured instances (secrets masked)."""
    from xtycore.registry import KINDS

    registry = get_kernel().registry
    for kind in KINDS:
        for ctype in registry.types(kind):
            click.echo(f"type     {kind:9} {ctype.code:20} {ctype.name} [{ctype.plugin}]")
        for inst in registry.instances(kind, include_disabled=True):
            state = "enabled" if inst.row.enabled else "disabled"
            settings = json.dumps(inst.masked_settings(), ensure_ascii=False, sort_keys=True)
            click.echo(f"instance {kind:9} #{inst.id:<4} {inst.type.code:15} {inst.display_name} ({state}) {settings}")


@cap_group.command("add")
@click.argument("kind")
@click.argument("type_code")
@click.option("--name", "display_name", required=True, help="The name customers and staff see.")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="A setting (repeatable).")
@click.option("--disabled", is_flag=True)
@click.option("--sort-order", default=0, type=int)
def capabilities_add(kind, type_code, display_name, pairs, disabled, sort_order) -> None:
    """Configure an instance of a capability type: `xty capabilities add payment cod --name 货到付款`."""
    from xtycore.services.capabilities import create_instance

    instance_id = create_instance(
        kind, type_code, display_name=display_name, settings=_parse_settings(pairs),
        enabled=not disabled, sort_order=sort_order,
    )
    click.echo(f"created {kind} instance #{instance_id}")


@cap_group.command("set")
@click.argument("instance_id", type=int)
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", required=True)
def capabilities_set(instance_id: int, pairs: tuple[str, ...]) -> None:
    """Change settings of an instance; settings not named keep their values."""
    from xtycore.registry import KINDS
    from xtycore.services.capabilities import update_instance

    registry = get_kernel().registry
    current = next(
        (i for k in KINDS for i in registry.instances(k, include_disabled=True) if i.id == instance_id),
        None,
    )
    if current is None:
        raise click.ClickException(f"no capability instance #{instance_id}")
    update_instance(instance_id, settings={**current.settings, **_parse_settings(pairs)})
    click.echo(f"updated instance #{instance_id}")


@cap_group.command("enable")
@click.argument("instance_id", type=int)
def capabilities_enable(instance_id: int) -> None:
    from xtycore.services.capabilities import set_instance_enabled

    set_instance_enabled(instance_id, True)
    click.echo(f"enabled instance #{instance_id}")


@cap_group.command("disable")
@click.argument("instance_id", type=int)
def capabilities_disable(instance_id: int) -> None:
    from xtycore.services.capabilities import set_instance_enabled

    set_instance_enabled(instance_id, False)
    click.echo(f"disabled instance #{instance_id}")


# --------------------------------------------------------------------------
# jobs and worker
# --------------------------------------------------------------------------

jobs_group = AppGroup("jobs", help="Background jobs declared by the kernel and plugins.")
main.add_command(jobs_group)


@jobs_group.command("list")
def jobs_list() -> None:
    """Every registered job, its plugin and schedule."""
    for name, reg in sorted(get_kernel().jobs.registered.items()):
        s = reg.job.schedule
        when = f"{s.minute} {s.hour} {s.day} {s.month} {s.day_of_week} (UTC)" if s else "on demand"
        click.echo(f"{name:40} {reg.plugin:28} {when}")


@jobs_group.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run a job now, in this process."""
    result = get_kernel().jobs.run_now(name)
    click.echo(f"{name} finished: {result!r}")


@main.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker_command(workers: int) -> None:
    """Run background jobs (and scheduled ones) until stopped."""
    from huey.consumer import Consumer

    click.echo(f"xty worker: {len(get_kernel().jobs.registered)} jobs, {workers} threads")
    Consumer(get_kernel().jobs.huey, workers=workers, worker_type="thread").run()


# --------------------------------------------------------------------------
# docs
# --------------------------------------------------------------------------


@main.command("docs-hooks", with_appcontext=False)
@click.option("--check", is_flag=True, help="Exit 1 if docs/hooks.md is out of date instead of writing it.")
@click.option("--output", default="docs/hooks.md", show_default=True, type=click.Path(dir_okay=False))
def docs_hooks(check: bool, output: str) -> None:
    """Generate the hook reference from xtycore/hookspecs.py."""
    from xtycore.hookdocs import render

    text = render()
    path = Path(output)
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            click.echo(f"{output} is stale: run `xty docs-hooks`", err=True)
            sys.exit(1)
        click.echo(f"{output} is up to date")
        return
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


from xtycore.theme_cli import theme_group  # noqa: E402

main.add_command(theme_group)

from xtycore.catalog_cli import catalog_group  # noqa: E402
main.add_command(catalog_group)

from xtycore.scaffold import plugin_group  # noqa: E402
main.add_command(plugin_group)

from xtycore.payments_cli import payments_group  # noqa: E402
main.add_command(payments_group)

from xtycore.staff_cli import staff_group  # noqa: E402
main.add_command(staff_group)
from xtycore.reviews_cli import reviews_group  # noqa: E402
main.add_command(reviews_group)
from xtycore.backup import backup_command, restore_command  # noqa: E402
main.add_command(backup_command), main.add_command(restore_command)
from xtycore.transfer_cli import export_command, import_command  # noqa: E402
main.add_command(export_command), main.add_command(import_command)

if __name__ == "__main__":  # python -m xtycore.cli
    main()
