"""Customer product reviews, product rating aggregates, staff accounts.

Revision ID: 0006_reviews_staff
Revises: 0005_payments
Create Date: 2026-11-27 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_reviews_staff"
down_revision = "0005_payments"
branch_labels = None
depends_on = None

REVIEW_STATUSES = "'pending_moderation', 'published', 'rejected'"
STAFF_ROLES = "'owner', 'manager', 'catalogue_editor', 'order_clerk', 'support_agent', 'finance', 'read_only'"


def upgrade():
    op.create_table(
        "xty_product_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=50), nullable=False),
        sa.Column("variant_label", sa.String(length=200), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hold_reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by", sa.String(length=200), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_xty_product_review_rating")),
        sa.CheckConstraint(f"status IN ({REVIEW_STATUSES})", name=op.f("ck_xty_product_review_status")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"],
            name=op.f("fk_xty_product_review_product_id_xty_product"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["xty_order_line.id"],
            name=op.f("fk_xty_product_review_order_line_id_xty_order_line"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["xty_customer.id"],
            name=op.f("fk_xty_product_review_customer_id_xty_customer"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_product_review")),
        sa.UniqueConstraint("order_line_id", name=op.f("uq_xty_product_review_order_line_id")),
    )
    op.create_index(op.f("ix_xty_product_review_customer_id"), "xty_product_review", ["customer_id"])
    op.create_index(
        "ix_xty_product_review_product_id_status_published_at", "xty_product_review",
        ["product_id", "status", "published_at"],
    )
    op.create_index("ix_xty_product_review_status_created_at", "xty_product_review", ["status", "created_at"])

    op.create_table(
        "xty_product_rating",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("rating_total", sa.Integer(), nullable=False),
        sa.CheckConstraint("review_count >= 0 AND rating_total >= 0", name=op.f("ck_xty_product_rating_counts")),
        sa.CheckConstraint(
            "rating_total BETWEEN 1 * review_count AND 5 * review_count",
            name=op.f("ck_xty_product_rating_total_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["xty_product.id"],
            name=op.f("fk_xty_product_rating_product_id_xty_product"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_xty_product_rating")),
    )

    op.create_table(
        "xty_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_xty_staff_email_lower_case")),
        sa.CheckConstraint(f"role IN ({STAFF_ROLES})", name=op.f("ck_xty_staff_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_xty_staff_email")),
    )


def downgrade():
    op.drop_table("xty_staff")
    op.drop_table("xty_product_rating")
    op.drop_index("ix_xty_product_review_status_created_at", table_name="xty_product_review")
    op.drop_index("ix_xty_product_review_product_id_status_published_at", table_name="xty_product_review")
    op.drop_index(op.f("ix_xty_product_review_customer_id"), table_name="xty_product_review")
    op.drop_table("xty_product_review")
