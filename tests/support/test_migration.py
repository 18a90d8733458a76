"""Migration 0018_support_tickets builds the ticket tables as the models declare them."""

from __future__ import annotations

from tests.schema import schema_differences

TICKET_TABLES = {"xty_support_ticket", "xty_support_message", "xty_support_attachment"}


def test_migration_0018_builds_the_ticket_tables_as_the_models_declare_them(xty_db):
    assert schema_differences(TICKET_TABLES) == []
