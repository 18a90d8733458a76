"""Migration 0006 builds the review, rating and staff tables exactly as the models declare them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from xtycore import database
from xtycore.extensions import db

TABLES = {"xty_product_review", "xty_product_rating", "xty_staff"}


def only_these_tables(name, type_, parent_names):
    if type_ == "schema":
        return True
    return (name if type_ == "table" else parent_names.get("table_name")) in TABLES


def only_their_objects(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", None) in TABLES


def test_the_models_and_the_migration_agree(xty_db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_name": only_these_tables, "include_object": only_their_objects,
        })
        assert compare_metadata(context, db.metadata) == []


def test_0006_follows_the_payments_revision_on_the_kernel_branch(xty_app):
    scripts = ScriptDirectory.from_config(database.alembic_config(xty_app))
    assert scripts.get_revision("0006_reviews_staff").down_revision == "0005_payments"
