"""Migration 0004_orders creates exactly the tables the models declare, and merges the two kernel heads."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from xtycore import database
from xtycore.extensions import db

TABLES = {"xty_cart", "xty_cart_line", "xty_order", "xty_order_line", "xty_order_event"}


def _named(name, type_, parent_names) -> bool:
    if type_ == "schema":
        return True
    return name in TABLES if type_ == "table" else parent_names.get("table_name") in TABLES


def _declared(obj, name, type_, reflected, compare_to) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", None) in TABLES


def test_the_migrated_database_matches_the_order_models(xty_app):
    opts = {"compare_type": True, "include_name": _named, "include_object": _declared}
    with xty_app.app_context(), db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    assert diffs == []


def test_the_orders_revision_merges_the_catalogue_and_accounts_heads(xty_app):
    script = ScriptDirectory.from_config(database.alembic_config(xty_app))
    revision = script.get_revision("0004_orders")
    assert set(revision.down_revision) == {"0002_catalogue", "0003_accounts"}
