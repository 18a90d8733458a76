"""Customers' language: the storefront and their emails follow it once they choose one.

Revision ID: 0007_customer_locale
Revises: 0006_reviews_staff
Create Date: 2026-11-27 01:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0007_customer_locale"
down_revision = "0006_reviews_staff"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("xty_customer") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("xty_customer") as batch:
        batch.drop_column("locale")
