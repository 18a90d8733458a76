"""Covering indexes for the back-office reports: a year of 100,000 orders is added up from indexes alone.

The sales report adds up, per period, the paid orders placed in it and the
succeeded refunds asked for in it (``xtycore/services/reports.py``). These
indexes hold every column those sums read, so the database answers from the
index without visiting the table rows:

- ``ix_xty_order_placed_at_sales`` (placed_at, id, paid_minor, currency,
  total_minor) replaces ``ix_xty_order_placed_at`` (placed_at) of
  ``0013_report_indexes``: it serves the same ranges and the order lists'
  newest-first order (placed_at, id) as well;
- ``ix_xty_payment_transaction_kind_status_created_at`` (kind, status,
  created_at, currency, amount_minor): refunds only, where
  ``ix_xty_payment_transaction_status_created_at`` also walks every capture.

Revision ID: 0017_report_speed
Revises: 0016_error_events
Create Date: 2026-11-27 04:10:00
"""

from alembic import op


revision = "0017_report_speed"
down_revision = "0016_error_events"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_xty_order_placed_at_sales", "xty_order",
                    ["placed_at", "id", "paid_minor", "currency", "total_minor"])
    op.drop_index("ix_xty_order_placed_at", table_name="xty_order")
    op.create_index("ix_xty_payment_transaction_kind_status_created_at", "xty_payment_transaction",
                    ["kind", "status", "created_at", "currency", "amount_minor"])


def downgrade():
    op.drop_index("ix_xty_payment_transaction_kind_status_created_at", table_name="xty_payment_transaction")
    op.create_index("ix_xty_order_placed_at", "xty_order", ["placed_at"])
    op.drop_index("ix_xty_order_placed_at_sales", table_name="xty_order")
