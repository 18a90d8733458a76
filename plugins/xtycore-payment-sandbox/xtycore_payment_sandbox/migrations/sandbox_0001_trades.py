"""Sandbox trades and refunds.

Revision ID: sandbox_0001
Revises:
Create Date: 2026-11-27 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "sandbox_0001"
down_revision = None
branch_labels = ("payment_sandbox",)
depends_on = None


def upgrade():
    op.create_table(
        "xty_sandbox_trade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trade_no", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("out_trade_no", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("refunded_minor", sa.Integer(), nullable=False),
        sa.Column("notify_url", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notify_status", sa.String(length=20), nullable=False),
        sa.Column("notify_attempts", sa.Integer(), nullable=False),
        sa.Column("next_notify_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_notify_error", sa.Text(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_xty_sandbox_trade_amount")),
        sa.CheckConstraint(
            "notify_status IN ('none', 'pending', 'delivered', 'failed')",
            name=op.f("ck_xty_sandbox_trade_notify_status"),
        ),
        sa.CheckConstraint(
            "0 <= refunded_minor AND refunded_minor <= amount_minor", name=op.f("ck_xty_sandbox_trade_refunded")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'paid', 'declined', 'closed')", name=op.f("ck_xty_sandbox_trade_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_sandbox_trade")),
        sa.UniqueConstraint("merchant_id", "out_trade_no", name="uq_xty_sandbox_trade_merchant_out_trade_no"),
        sa.UniqueConstraint("trade_no", name=op.f("uq_xty_sandbox_trade_trade_no")),
    )
    op.create_index(
        op.f("ix_xty_sandbox_trade_next_notify_at"), "xty_sandbox_trade", ["next_notify_at"], unique=False
    )
    op.create_table(
        "xty_sandbox_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trade_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_xty_sandbox_refund_amount")),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["xty_sandbox_trade.id"], name=op.f("fk_xty_sandbox_refund_trade_id_xty_sandbox_trade")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_sandbox_refund")),
        sa.UniqueConstraint("trade_id", "refund_id", name="uq_xty_sandbox_refund_trade_refund"),
    )
    op.create_index(op.f("ix_xty_sandbox_refund_trade_id"), "xty_sandbox_refund", ["trade_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_xty_sandbox_refund_trade_id"), table_name="xty_sandbox_refund")
    op.drop_table("xty_sandbox_refund")
    op.drop_index(op.f("ix_xty_sandbox_trade_next_notify_at"), table_name="xty_sandbox_trade")
    op.drop_table("xty_sandbox_trade")
