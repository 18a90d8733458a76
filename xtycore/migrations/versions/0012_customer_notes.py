"""Back office customers: staff notes (append-only) and tags on customer accounts.

Revision ID: 0012_customer_notes
Revises: 0011_order_pickup
Create Date: 2026-11-27 02:15:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0012_customer_notes"
down_revision = "0011_order_pickup"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xty_customer_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["xty_customer.id"],
                                name=op.f("fk_xty_customer_note_customer_id_xty_customer"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["xty_staff.id"],
                                name=op.f("fk_xty_customer_note_staff_id_xty_staff"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_customer_note")),
    )
    op.create_index(op.f("ix_xty_customer_note_customer_id"), "xty_customer_note", ["customer_id"])
    op.create_table(
        "xty_customer_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["xty_customer.id"],
                                name=op.f("fk_xty_customer_tag_customer_id_xty_customer"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_customer_tag")),
        sa.UniqueConstraint("customer_id", "tag", name=op.f("uq_xty_customer_tag_customer_id")),
    )
    op.create_index(op.f("ix_xty_customer_tag_customer_id"), "xty_customer_tag", ["customer_id"])
    op.create_index(op.f("ix_xty_customer_tag_tag"), "xty_customer_tag", ["tag"])


def downgrade():
    op.drop_index(op.f("ix_xty_customer_tag_tag"), table_name="xty_customer_tag")
    op.drop_index(op.f("ix_xty_customer_tag_customer_id"), table_name="xty_customer_tag")
    op.drop_table("xty_customer_tag")
    op.drop_index(op.f("ix_xty_customer_note_customer_id"), table_name="xty_customer_note")
    op.drop_table("xty_customer_note")
