"""Migrations 0013_report_indexes and 0017_report_speed add the indexes the reports read through, and the
reports read every figure from them."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import event, inspect

from xtycore import database
from xtycore.extensions import db
from xtycore.services import reports

TABLES = ("xty_order", "xty_customer", "xty_payment_transaction")
PLACED_AT = ("xty_order", "ix_xty_order_placed_at")
MEMBERS = ("xty_customer", "ix_xty_customer_created_at")
SALES = ("xty_order", "ix_xty_order_placed_at_sales")
REFUNDS = ("xty_payment_transaction", "ix_xty_payment_transaction_kind_status_created_at")


def _present(conn) -> set[tuple[str, str]]:
    found = inspect(conn)
    return {(table, ix["name"]) for table in TABLES for ix in found.get_indexes(table)}


def test_the_revisions_add_and_drop_the_report_indexes(xty_app):
    with xty_app.app_context():
        try:
            with db.engine.connect() as conn:
                assert {MEMBERS, SALES, REFUNDS} <= _present(conn)
                assert PLACED_AT not in _present(conn)  # the covering index took its place
            database.downgrade(xty_app, "0016_error_events")
            with db.engine.connect() as conn:
                assert {PLACED_AT, MEMBERS} <= _present(conn)
                assert {SALES, REFUNDS}.isdisjoint(_present(conn))
            database.downgrade(xty_app, "0012_customer_notes")
            with db.engine.connect() as conn:
                assert {PLACED_AT, MEMBERS}.isdisjoint(_present(conn))
            command.upgrade(database.alembic_config(xty_app), "0013_report_indexes")
            with db.engine.connect() as conn:
                assert {PLACED_AT, MEMBERS} <= _present(conn)
        finally:
            database.upgrade(xty_app)  # every head again: later revisions build on 0013 and later tests need them
        with db.engine.connect() as conn:
            assert {MEMBERS, SALES, REFUNDS} <= _present(conn)


def test_every_report_statement_reads_its_rows_from_an_index(xty_app):
    """SQLite's plan of each statement the reports run: the sales report's figures come from covering
    indexes alone, and no table is scanned whole (PostgreSQL's planner may rightly prefer a scan of a
    small table, so its plans are not fixed)."""
    with xty_app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        statements: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            reports.sales_report(date(2026, 1, 1), date(2026, 12, 31), "month")
            for by in ("revenue", "units"):
                reports.top_products(date(2026, 1, 1), date(2026, 12, 31), by)
                reports.top_categories(date(2026, 1, 1), date(2026, 12, 31), by)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        plans = []
        with db.engine.connect() as conn:
            for statement, parameters in statements:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                plans.append(" | ".join(row[-1] for row in rows))
        assert len(plans) == 5  # the sales report in one statement, each top list in one
        for _table, index in (SALES, REFUNDS, MEMBERS):
            assert f"USING COVERING INDEX {index} " in plans[0], plans[0]
        for plan in plans:
            for table in (*TABLES, "xty_order_line"):
                assert f"SCAN {table} " not in plan + " ", plan
        for plan in plans[1:]:
            assert f"USING COVERING INDEX {SALES[1]} " in plan, plan
