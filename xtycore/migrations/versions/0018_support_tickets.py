"""Support tickets (客服工单): tickets, their messages and the files that came with them.

Revision ID: 0018_support_tickets
Revises: 0017_report_speed
Create Date: 2026-11-27 05:00:00

``uq_xty_support_message_inbound`` is a partial unique index over the inbound
messages only: a channel's message id is stored once per channel instance
(re-delivered pushes and concurrent workers add nothing), while the ids a
channel gives delivered replies are only recorded.
"""

from alembic import op
import sqlalchemy as sa


revision = "0018_support_tickets"
down_revision = "0017_report_speed"
branch_labels = None
depends_on = None

INBOUND = "direction = 'inbound'"


def upgrade():
    op.create_table(
        "xty_support_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("channel_instance_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'waiting', 'solved')", name=op.f("ck_xty_support_ticket_status")),
        sa.ForeignKeyConstraint(["channel_instance_id"], ["xty_capability_instance.id"],
                                name=op.f("fk_xty_support_ticket_channel_instance_id_xty_capability_instance"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["xty_customer.id"],
                                name=op.f("fk_xty_support_ticket_customer_id_xty_customer"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["xty_order.id"],
                                name=op.f("fk_xty_support_ticket_order_id_xty_order"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_id"], ["xty_staff.id"],
                                name=op.f("fk_xty_support_ticket_assignee_id_xty_staff"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_support_ticket")),
        sa.UniqueConstraint("reference", name=op.f("uq_xty_support_ticket_reference")),
    )
    for columns in (["channel_instance_id"], ["customer_id"], ["order_id"], ["assignee_id"]):
        op.create_index(op.f(f"ix_xty_support_ticket_{columns[0]}"), "xty_support_ticket", columns)
    op.create_index("ix_xty_support_ticket_updated_at", "xty_support_ticket", ["updated_at", "id"])
    op.create_index("ix_xty_support_ticket_status_updated_at", "xty_support_ticket", ["status", "updated_at"])

    op.create_table(
        "xty_support_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("author", sa.String(length=254), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channel_instance_id", sa.Integer(), nullable=True),
        sa.Column("channel_message_id", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery", sa.String(length=10), nullable=True),
        sa.Column("delivery_detail", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('inbound', 'outbound', 'note')",
                           name=op.f("ck_xty_support_message_direction")),
        sa.CheckConstraint("delivery IS NULL OR delivery IN ('pending', 'delivered', 'failed')",
                           name=op.f("ck_xty_support_message_delivery")),
        sa.ForeignKeyConstraint(["ticket_id"], ["xty_support_ticket.id"],
                                name=op.f("fk_xty_support_message_ticket_id_xty_support_ticket"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["xty_staff.id"],
                                name=op.f("fk_xty_support_message_staff_id_xty_staff"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["channel_instance_id"], ["xty_capability_instance.id"],
                                name=op.f("fk_xty_support_message_channel_instance_id_xty_capability_instance"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_support_message")),
    )
    op.create_index(op.f("ix_xty_support_message_ticket_id"), "xty_support_message", ["ticket_id"])
    op.create_index("uq_xty_support_message_inbound", "xty_support_message",
                    ["channel_instance_id", "channel_message_id"], unique=True,
                    sqlite_where=sa.text(INBOUND), postgresql_where=sa.text(INBOUND))

    op.create_table(
        "xty_support_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["xty_support_message.id"],
                                name=op.f("fk_xty_support_attachment_message_id_xty_support_message"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_support_attachment")),
    )
    op.create_index(op.f("ix_xty_support_attachment_message_id"), "xty_support_attachment", ["message_id"])


def downgrade():
    op.drop_index(op.f("ix_xty_support_attachment_message_id"), table_name="xty_support_attachment")
    op.drop_table("xty_support_attachment")
    op.drop_index("uq_xty_support_message_inbound", table_name="xty_support_message")
    op.drop_index(op.f("ix_xty_support_message_ticket_id"), table_name="xty_support_message")
    op.drop_table("xty_support_message")
    op.drop_index("ix_xty_support_ticket_status_updated_at", table_name="xty_support_ticket")
    op.drop_index("ix_xty_support_ticket_updated_at", table_name="xty_support_ticket")
    for column in ("assignee_id", "order_id", "customer_id", "channel_instance_id"):
        op.drop_index(op.f(f"ix_xty_support_ticket_{column}"), table_name="xty_support_ticket")
    op.drop_table("xty_support_ticket")
