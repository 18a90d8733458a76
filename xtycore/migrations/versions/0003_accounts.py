"""Customer accounts and their address books.

Revision ID: 0003_accounts
Revises: 2859f45fc163
Create Date: 2026-11-27 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0003_accounts"
down_revision = "2859f45fc163"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xty_customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_xty_customer_email_lower_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_customer")),
        sa.UniqueConstraint("email", name=op.f("uq_xty_customer_email")),
        sa.UniqueConstraint("mobile", name=op.f("uq_xty_customer_mobile")),
    )
    op.create_table(
        "xty_customer_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("province", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=30), nullable=False),
        sa.Column("district", sa.String(length=30), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["xty_customer.id"],
            name=op.f("fk_xty_customer_address_customer_id_xty_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_customer_address")),
    )
    op.create_index(
        op.f("ix_xty_customer_address_customer_id"), "xty_customer_address", ["customer_id"], unique=False
    )
    op.create_index(
        "uq_xty_customer_address_one_default", "xty_customer_address", ["customer_id"], unique=True,
        sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default"),
    )


def downgrade():
    op.drop_index("uq_xty_customer_address_one_default", table_name="xty_customer_address")
    op.drop_index(op.f("ix_xty_customer_address_customer_id"), table_name="xty_customer_address")
    op.drop_table("xty_customer_address")
    op.drop_table("xty_customer")
