"""Store pickup recorded on the order: how it reaches the customer and, when collected, where.

``xty_order.delivery_method`` ('ship' or 'pickup', existing rows 'ship') and
``xty_order.pickup_location`` (the pickup location's snapshot: code, name,
address, hours; NULL for shipped orders). Pickup orders placed before this
revision were recorded without a province (the contact in ``ship_recipient``
and ``ship_mobile``, the location as text in ``ship_street``): they become
'pickup' orders, and their ``pickup_location`` stays NULL since the text is
not split back into fields; their ``ship_street`` keeps that text.

The columns are added with ``ALTER TABLE`` on SQLite too (batch mode without
recreating the table): recreating ``xty_order`` would drop it, and with
foreign keys enforced that deletes its lines and events.

Revision ID: 0011_order_pickup
Revises: 0010_merge_heads
Create Date: 2026-11-27 02:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0011_order_pickup"
down_revision = "0010_merge_heads"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("xty_order", recreate="never") as batch:
        batch.add_column(sa.Column(
            "delivery_method", sa.String(length=10),
            sa.CheckConstraint("delivery_method IN ('ship', 'pickup')", name=op.f("ck_xty_order_delivery_method")),
            nullable=False, server_default="ship",
        ))
        batch.add_column(sa.Column("pickup_location", sa.JSON(), nullable=True))
    op.execute("UPDATE xty_order SET delivery_method = 'pickup' WHERE ship_province = ''")


def downgrade():
    with op.batch_alter_table("xty_order", recreate="never") as batch:
        batch.drop_column("pickup_location")
        batch.drop_column("delivery_method")
