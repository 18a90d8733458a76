"""Migration 0013_report_indexes adds the indexes the reports read through, and the reports use them."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import event, inspect

from xtycore import database
from xtycore.extensions import db
from xtycore.services import reports

INDEXES = {("xty_order", "ix_xty_order_placed_at"), ("xty_customer", "ix_xty_customer_created_at")}


def _present(conn) -> set[tuple[str, str]]:
    found = inspect(conn)
    return {(table, ix["name"]) for table in ("xty_order", "xty_customer") for ix in found.get_indexes(table)}


def test_the_revision_adds_and_drops_the_report_indexes(xty_app):
    with xty_app.app_context():
        with db.engine.connect() as conn:
            assert INDEXES <= _present(conn)
        try:
            database.downgrade(xty_app, "0012_customer_notes")
            with db.engine.connect() as conn:
                assert INDEXES.isdisjoint(_present(conn))
            command.upgrade(database.alembic_config(xty_app), "0013_report_indexes")
            with db.engine.connect() as conn:
                assert INDEXES <= _present(conn)
        finally:
            database.upgrade(xty_app)  # every head again: later revisions build on 0013 and later tests need them


def test_every_report_query_reads_its_rows_through_an_index(xty_app):
    """SQLite's plan of each statement the reports run: no table is scanned whole (PostgreSQL's planner
    may rightly prefer a scan of a small table, so its plans are not fixed)."""
    with xty_app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        statements: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
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
        assert len(plans) == 7
        assert "ix_xty_order_placed_at" in plans[0]
        assert "ix_xty_payment_transaction_status_created_at" in plans[1]
        assert "ix_xty_customer_created_at" in plans[2]
        for plan in plans:
            assert "SCAN xty_order " not in plan + " " and "SCAN xty_order_line" not in plan, plan
            assert "ix_xty_order_placed_at" in plan or "xty_order " not in plan + " ", plan
