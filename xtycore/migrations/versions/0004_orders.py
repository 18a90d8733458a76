"""Carts, orders, order lines and order events; merges the catalogue and accounts heads.

Revision ID: 0004_orders
Revises: 0002_catalogue, 0003_accounts
Create Date: 2026-11-27 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0004_orders"
down_revision = ("0002_catalogue", "0003_accounts")
branch_labels = None
depends_on = None

ORDER_STATUSES = "'pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'refunded'"


def _fk(table, column, target, ondelete):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade():
    op.create_table(
        "xty_cart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("coupon_codes", sa.JSON(), nullable=False),
        sa.Column("checkout", sa.JSON(), nullable=False),
        sa.Column("checkout_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("xty_cart", "customer_id", "xty_customer", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_cart")),
        sa.UniqueConstraint("token", name=op.f("uq_xty_cart_token")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_xty_cart_customer_id")),
    )
    op.create_index(op.f("ix_xty_cart_updated_at"), "xty_cart", ["updated_at"])

    op.create_table(
        "xty_cart_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_xty_cart_line_quantity")),
        _fk("xty_cart_line", "cart_id", "xty_cart", "CASCADE"),
        _fk("xty_cart_line", "variant_id", "xty_variant", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_cart_line")),
        sa.UniqueConstraint("cart_id", "variant_id", name=op.f("uq_xty_cart_line_cart_id")),
    )
    op.create_index(op.f("ix_xty_cart_line_variant_id"), "xty_cart_line", ["variant_id"])

    op.create_table(
        "xty_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("shipping_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("paid_minor", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("ship_recipient", sa.String(length=50), nullable=False),
        sa.Column("ship_mobile", sa.String(length=11), nullable=False),
        sa.Column("ship_province", sa.String(length=20), nullable=False),
        sa.Column("ship_city", sa.String(length=30), nullable=False),
        sa.Column("ship_district", sa.String(length=30), nullable=False),
        sa.Column("ship_street", sa.String(length=200), nullable=False),
        sa.Column("ship_postcode", sa.String(length=6), nullable=False),
        sa.Column("courier_instance_id", sa.Integer(), nullable=True),
        sa.Column("courier_quote_code", sa.String(length=64), nullable=False),
        sa.Column("courier_label", sa.String(length=200), nullable=False),
        sa.Column("payment_instance_id", sa.Integer(), nullable=True),
        sa.Column("payment_label", sa.String(length=200), nullable=False),
        sa.Column("tax_lines", sa.JSON(), nullable=False),
        sa.Column("promotions", sa.JSON(), nullable=False),
        sa.Column("checkout_token", sa.String(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({ORDER_STATUSES})", name=op.f("ck_xty_order_status")),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND discount_minor >= 0 AND discount_minor <= subtotal_minor "
            "AND shipping_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0",
            name=op.f("ck_xty_order_amounts"),
        ),
        sa.CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= paid_minor AND paid_minor <= total_minor",
            name=op.f("ck_xty_order_paid_refunded"),
        ),
        _fk("xty_order", "customer_id", "xty_customer", "SET NULL"),
        _fk("xty_order", "courier_instance_id", "xty_capability_instance", "SET NULL"),
        _fk("xty_order", "payment_instance_id", "xty_capability_instance", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_order")),
        sa.UniqueConstraint("number", name=op.f("uq_xty_order_number")),
        sa.UniqueConstraint("checkout_token", name=op.f("uq_xty_order_checkout_token")),
    )
    op.create_index("ix_xty_order_status_expires_at", "xty_order", ["status", "expires_at"])
    op.create_index("ix_xty_order_customer_id_placed_at", "xty_order", ["customer_id", "placed_at"])

    op.create_table(
        "xty_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("variant_label", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_xty_order_line_quantity")),
        sa.CheckConstraint(
            "unit_price_minor >= 0 AND discount_minor >= 0 "
            "AND total_minor = unit_price_minor * quantity - discount_minor AND total_minor >= 0",
            name=op.f("ck_xty_order_line_amounts"),
        ),
        _fk("xty_order_line", "order_id", "xty_order", "CASCADE"),
        _fk("xty_order_line", "variant_id", "xty_variant", "SET NULL"),
        _fk("xty_order_line", "product_id", "xty_product", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_order_line")),
    )
    for column in ("order_id", "variant_id", "product_id"):
        op.create_index(op.f(f"ix_xty_order_line_{column}"), "xty_order_line", [column])

    op.create_table(
        "xty_order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("xty_order_event", "order_id", "xty_order", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_order_event")),
    )
    op.create_index(op.f("ix_xty_order_event_order_id"), "xty_order_event", ["order_id"])


def downgrade():
    op.drop_index(op.f("ix_xty_order_event_order_id"), table_name="xty_order_event")
    op.drop_table("xty_order_event")
    for column in ("order_id", "variant_id", "product_id"):
        op.drop_index(op.f(f"ix_xty_order_line_{column}"), table_name="xty_order_line")
    op.drop_table("xty_order_line")
    op.drop_index("ix_xty_order_customer_id_placed_at", table_name="xty_order")
    op.drop_index("ix_xty_order_status_expires_at", table_name="xty_order")
    op.drop_table("xty_order")
    op.drop_index(op.f("ix_xty_cart_line_variant_id"), table_name="xty_cart_line")
    op.drop_table("xty_cart_line")
    op.drop_index(op.f("ix_xty_cart_updated_at"), table_name="xty_cart")
    op.drop_table("xty_cart")
