"""Shipments: an order's courier and waybill number (运单号), entered by staff when it ships.

Revision ID: 0014_shipments
Revises: 0013_report_indexes
Create Date: 2026-11-27 02:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0014_shipments"
down_revision = "0013_report_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xty_shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(length=200), nullable=False),
        sa.Column("waybill_number", sa.String(length=40), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["xty_order.id"],
                                name=op.f("fk_xty_shipment_order_id_xty_order"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_shipment")),
        sa.UniqueConstraint("courier", "waybill_number", name=op.f("uq_xty_shipment_courier")),
    )
    op.create_index(op.f("ix_xty_shipment_order_id"), "xty_shipment", ["order_id"])


def downgrade():
    op.drop_index(op.f("ix_xty_shipment_order_id"), table_name="xty_shipment")
    op.drop_table("xty_shipment")
