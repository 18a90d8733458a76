"""Migration 0004_orders creates exactly the tables the models declare, and merges the two kernel heads;
0011_order_pickup adds the delivery method and pickup location."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from tests.schema import schema_differences
from xtycore import database
from xtycore.extensions import db, transaction
from xtycore.models import Order, OrderLine

TABLES = {"xty_cart", "xty_cart_line", "xty_order", "xty_order_line", "xty_order_event"}


def test_the_migrated_database_matches_the_order_models(xty_app):
    with xty_app.app_context():
        diffs = schema_differences(TABLES)
    assert diffs == []


def test_the_orders_revision_merges_the_catalogue_and_accounts_heads(xty_app):
    script = ScriptDirectory.from_config(database.alembic_config(xty_app))
    revision = script.get_revision("0004_orders")
    assert set(revision.down_revision) == {"0002_catalogue", "0003_accounts"}


def _order(number: str, **delivery) -> Order:
    return Order(
        number=number, status="pending_payment", currency="CNY", subtotal_minor=4900, total_minor=4900,
        ship_recipient="李四", ship_mobile="13900139000", courier_quote_code="xihu", courier_label="到店自提",
        checkout_token=number, **delivery,
        lines=[OrderLine(product_name="西湖龙井", variant_label="", sku="LJ-250", unit_price_minor=4900, quantity=1,
                         total_minor=4900)],
    )


def test_0011_marks_the_orders_recorded_without_a_province_as_pickup_and_keeps_their_lines(xty_app):
    """A pickup order of before 0011 (no province, the location as text in ship_street) becomes a pickup
    order without a pickup_location; a shipped one ships; the table is altered, not rebuilt."""
    with xty_app.app_context(), transaction() as session:
        session.add_all([
            _order("OLD-PICKUP", ship_province="", ship_city="", ship_district="",
                   ship_street="西湖门店 · 杭州市西湖区龙井路 1 号 · 09:00–21:00"),
            _order("OLD-SHIP", ship_province="浙江省", ship_city="杭州市", ship_district="西湖区",
                   ship_street="龙井路 1 号"),
        ])
    with xty_app.app_context():
        database.downgrade(xty_app, "0010_merge_heads")
        with db.engine.connect() as conn:
            assert {c["name"] for c in inspect(conn).get_columns("xty_order")}.isdisjoint(
                {"delivery_method", "pickup_location"})
        command.upgrade(database.alembic_config(xty_app), "0011_order_pickup")
        db.session.expire_all()
        found = {o.number: o for o in db.session.execute(select(Order)).scalars()}
        assert (found["OLD-PICKUP"].delivery_method, found["OLD-PICKUP"].pickup_location) == ("pickup", None)
        assert found["OLD-PICKUP"].ship_street.startswith("西湖门店")
        assert (found["OLD-SHIP"].delivery_method, found["OLD-SHIP"].pickup_location) == ("ship", None)
        assert [len(o.lines) for o in found.values()] == [1, 1]
        with pytest.raises(IntegrityError), transaction():
            found["OLD-SHIP"].delivery_method = "courier"
        database.upgrade(xty_app)  # back to every head: later revisions build on 0011 and later tests need them
