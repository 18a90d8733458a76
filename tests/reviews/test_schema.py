"""Migration 0006 builds the review, rating and staff tables exactly as the models declare them."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from tests.schema import schema_differences
from xtycore import database

TABLES = {"xty_product_review", "xty_product_rating", "xty_staff"}


def test_the_models_and_the_migration_agree(xty_db):
    assert schema_differences(TABLES) == []


def test_0006_follows_the_payments_revision_on_the_kernel_branch(xty_app):
    scripts = ScriptDirectory.from_config(database.alembic_config(xty_app))
    assert scripts.get_revision("0006_reviews_staff").down_revision == "0005_payments"
