"""Join the kernel branch again: customer language, payment ledger and back office were built side by side.

Revision ID: 0010_merge_heads
Revises: 0007_customer_locale, 0008_payment_ledger, 0009_backoffice
Create Date: 2026-11-27 01:45:00
"""

revision = "0010_merge_heads"
down_revision = ("0007_customer_locale", "0008_payment_ledger", "0009_backoffice")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
