"""Payments, the payment webhook inbox and the gateway events applied.

Revision ID: 0005_payments
Revises: 0004_orders
Create Date: 2026-11-27 15:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0005_payments"
down_revision = "0004_orders"
branch_labels = None
depends_on = None

PAYMENT_STATUSES = "'pending', 'succeeded', 'failed', 'cancelled'"
WEBHOOK_STATUSES = "'received', 'applied', 'duplicate', 'ignored', 'rejected', 'error'"


def upgrade():
    op.create_table(
        "xty_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("gateway_code", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("captured_minor", sa.Integer(), nullable=False),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("gateway_reference", sa.String(length=128), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("qr_content", sa.Text(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("attention", sa.Text(), nullable=False),
        sa.Column("responses", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name=op.f("ck_xty_payment_status")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_xty_payment_amount")),
        sa.CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= captured_minor AND captured_minor <= amount_minor",
            name=op.f("ck_xty_payment_captured_refunded"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["xty_order.id"], name=op.f("fk_xty_payment_order_id_xty_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_payment")),
        sa.UniqueConstraint("reference", name=op.f("uq_xty_payment_reference")),
    )
    op.create_index(op.f("ix_xty_payment_order_id"), "xty_payment", ["order_id"], unique=False)
    op.create_index(op.f("ix_xty_payment_instance_id"), "xty_payment", ["instance_id"], unique=False)
    op.create_index(
        "uq_xty_payment_one_pending", "xty_payment", ["order_id", "instance_id"], unique=True,
        sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "xty_payment_webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"status IN ({WEBHOOK_STATUSES})", name=op.f("ck_xty_payment_webhook_status")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["xty_payment.id"], name=op.f("fk_xty_payment_webhook_payment_id_xty_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_payment_webhook")),
    )
    op.create_index(op.f("ix_xty_payment_webhook_instance_id"), "xty_payment_webhook", ["instance_id"], unique=False)
    op.create_index(op.f("ix_xty_payment_webhook_received_at"), "xty_payment_webhook", ["received_at"], unique=False)
    op.create_index(op.f("ix_xty_payment_webhook_payment_id"), "xty_payment_webhook", ["payment_id"], unique=False)
    op.create_table(
        "xty_payment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("response_content_type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["xty_payment.id"], name=op.f("fk_xty_payment_event_payment_id_xty_payment")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["xty_payment_webhook.id"],
            name=op.f("fk_xty_payment_event_webhook_id_xty_payment_webhook"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_payment_event")),
        sa.UniqueConstraint("instance_id", "event_id", name="uq_xty_payment_event_instance_event"),
    )
    op.create_index(op.f("ix_xty_payment_event_payment_id"), "xty_payment_event", ["payment_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_xty_payment_event_payment_id"), table_name="xty_payment_event")
    op.drop_table("xty_payment_event")
    op.drop_index(op.f("ix_xty_payment_webhook_payment_id"), table_name="xty_payment_webhook")
    op.drop_index(op.f("ix_xty_payment_webhook_received_at"), table_name="xty_payment_webhook")
    op.drop_index(op.f("ix_xty_payment_webhook_instance_id"), table_name="xty_payment_webhook")
    op.drop_table("xty_payment_webhook")
    op.drop_index("uq_xty_payment_one_pending", table_name="xty_payment")
    op.drop_index(op.f("ix_xty_payment_instance_id"), table_name="xty_payment")
    op.drop_index(op.f("ix_xty_payment_order_id"), table_name="xty_payment")
    op.drop_table("xty_payment")
