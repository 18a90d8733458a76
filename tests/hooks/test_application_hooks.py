"""Blueprints, commands, jobs, menu entries and migrations contributed by plugins."""

import os
import textwrap

import click
from flask import Blueprint
from sqlalchemy import inspect

from xtycore import hookimpl
from xtycore.cli import main
from xtycore.domain.contributions import Job, MenuEntry
from xtycore.extensions import db
from xtycore.kernel import get_kernel
from xtycore.services.backoffice import admin_menu


class RoutesPlugin:
    def __init__(self):
        self.bp = Blueprint("acme_routes", __name__, url_prefix="/acme")
        self.bp.add_url_rule("/hello", "hello", lambda: "hello from acme")

    @hookimpl
    def xtycore_register_blueprints(self, app):
        return [self.bp]


def test_xtycore_register_blueprints_serves_routes_only_while_the_plugin_is_enabled(xty_make_app):
    from xtycore.services.plugins import set_enabled

    app = xty_make_app(plugins={"acme": RoutesPlugin()})
    client = app.test_client()
    assert client.get("/acme/hello").get_data(as_text=True) == "hello from acme"
    with app.app_context():
        set_enabled("acme", False)
    assert client.get("/acme/hello").status_code == 404


@click.command("acme-sync")
def acme_sync():
    click.echo(f"synchronised {get_kernel().plugins.get('acme').name}")


class CommandsPlugin:
    @hookimpl
    def xtycore_register_commands(self):
        return [acme_sync]


def test_xtycore_register_commands_adds_a_command_that_runs_in_the_app_context(xty_make_app):
    app = xty_make_app(plugins={"acme": CommandsPlugin()})
    result = app.test_cli_runner().invoke(main, ["acme-sync"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "synchronised acme"


ran = []


def record_run(value):
    ran.append(value)
    return value * 2


def failing_job():
    raise RuntimeError("warehouse unreachable")


class JobsPlugin:
    @hookimpl
    def xtycore_register_jobs(self):
        return [Job("acme.double", record_run), Job("acme.fail", failing_job)]


def test_xtycore_register_jobs_runs_enqueued_jobs_and_records_failures(xty_make_app):
    from sqlalchemy import select

    from xtycore.models import PluginFailure

    app = xty_make_app(plugins={"acme": JobsPlugin()})
    jobs = get_kernel(app).jobs
    ran.clear()
    assert jobs.enqueue("acme.double", value=21)() == 42
    assert ran == [21]
    result = app.test_cli_runner().invoke(main, ["jobs", "list"])
    assert "acme.double" in result.output and "on demand" in result.output
    failed = app.test_cli_runner().invoke(main, ["jobs", "run", "acme.fail"])
    assert failed.exit_code != 0
    assert "plugin acme failed in job:acme.fail" in failed.output
    with app.app_context():
        rows = db.session.execute(select(PluginFailure)).scalars().all()
        assert [(r.plugin, r.call, r.message) for r in rows] == [("acme", "job:acme.fail", "warehouse unreachable")]


def test_xtycore_register_jobs_skips_jobs_of_a_disabled_plugin(xty_make_app):
    app = xty_make_app(plugins={"acme": JobsPlugin()}, enable=False)
    ran.clear()
    assert get_kernel(app).jobs.run_now("acme.double", value=1) is None
    assert ran == []


class MenuPlugin:
    @hookimpl
    def xtycore_admin_menu_entries(self):
        return [
            MenuEntry("Zeta", "acme.z", section="reports", order=5),
            MenuEntry("Alpha", "acme.a", section="reports", order=5),
            MenuEntry("Secret", "acme.s", section="settings", permission="acme.admin"),
        ]


def test_xtycore_admin_menu_entries_are_sorted_by_section_and_filtered_by_permission(xty_make_app):
    app = xty_make_app(plugins={"acme": MenuPlugin()})
    with app.app_context():
        menu = admin_menu(permissions=set())
        assert [e.label for e in menu["reports"]] == ["Alpha", "Zeta"]
        assert "settings" not in menu
        assert [e.label for e in admin_menu(permissions={"acme.admin"})["settings"]] == ["Secret"]


MIGRATION = '''
revision = "acme0001"
down_revision = None
branch_labels = ("acme",)
depends_on = None

from alembic import op
import sqlalchemy as sa


def upgrade():
    op.create_table("acme_widget", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("acme_widget")
'''


class MigrationsPlugin:
    def __init__(self, path):
        self.path = path

    @hookimpl
    def xtycore_migrations_directory(self):
        return self.path


def test_xtycore_migrations_directory_branch_is_upgraded_when_the_plugin_is_enabled(xty_make_app, tmp_path):
    from xtycore import database

    versions = tmp_path / "acme_migrations"
    versions.mkdir()
    (versions / "acme0001_widgets.py").write_text(textwrap.dedent(MIGRATION))
    app = xty_make_app(plugins={"acme": MigrationsPlugin(str(versions))}, enable=False)
    try:
        with app.app_context():
            assert "acme_widget" not in inspect(db.engine).get_table_names()
            result = app.test_cli_runner().invoke(main, ["plugins", "enable", "acme"])
            assert result.exit_code == 0, result.output
            assert "acme_widget" in inspect(db.engine).get_table_names()
            assert "acme0001" in database.current_heads(app)
            upgrade = app.test_cli_runner().invoke(main, ["db", "upgrade"])
            assert upgrade.exit_code == 0 and "at acme@head" in upgrade.output
    finally:
        with app.app_context():
            database.downgrade(app, "acme@base")
            assert "acme_widget" not in inspect(db.engine).get_table_names()
    assert os.path.isdir(versions)


def test_xtycore_register_commands_refuses_to_run_while_the_plugin_is_disabled(xty_make_app):
    app = xty_make_app(plugins={"acme": CommandsPlugin()}, enable=False)
    result = app.test_cli_runner().invoke(main, ["acme-sync"])
    assert result.exit_code != 0
    assert "plugin acme is disabled: `xty plugins enable acme` first" in result.output
