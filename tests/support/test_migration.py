"""Migration 0018_support_tickets builds the ticket tables as the models declare them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xtycore.extensions import db

TICKET_TABLES = {"xty_support_ticket", "xty_support_message", "xty_support_attachment"}


def test_migration_0018_builds_the_ticket_tables_as_the_models_declare_them(xty_db):
    def table_of(obj, type_):
        return getattr(obj if type_ == "table" else getattr(obj, "table", None), "name", None)

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: type_ == "schema" or (
                name if type_ == "table" else parents.get("table_name")) in TICKET_TABLES,
            "include_object": lambda obj, name, type_, reflected, other: table_of(obj, type_) in TICKET_TABLES,
        })
        assert compare_metadata(context, db.metadata) == []
