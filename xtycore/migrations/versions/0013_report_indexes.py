"""Indexes the back-office reports need: orders by when they were placed, customers by when they registered.

The reports add up orders in a date range (``xty_order.placed_at``; the
existing index starts with ``customer_id``) and count customer accounts created
in a range (``xty_customer.created_at``). Refunds are read through the existing
``ix_xty_payment_transaction_status_created_at`` and order lines through
``xty_order_line.order_id``.

Revision ID: 0013_report_indexes
Revises: 0012_customer_notes
Create Date: 2026-11-27 02:20:00
"""

from alembic import op


revision = "0013_report_indexes"
down_revision = "0012_customer_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_xty_order_placed_at", "xty_order", ["placed_at"])
    op.create_index("ix_xty_customer_created_at", "xty_customer", ["created_at"])


def downgrade():
    op.drop_index("ix_xty_customer_created_at", table_name="xty_customer")
    op.drop_index("ix_xty_order_placed_at", table_name="xty_order")
