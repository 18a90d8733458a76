"""The error monitor: unhandled exceptions of requests, one row per group with its count.

Revision ID: 0016_error_events
Revises: 0015_order_notes
Create Date: 2026-11-27 03:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0016_error_events"
down_revision = "0015_order_notes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xty_error_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("culprit", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=254), nullable=False),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_xty_error_event_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_error_event")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_xty_error_event_fingerprint")),
    )
    op.create_index(op.f("ix_xty_error_event_last_seen"), "xty_error_event", ["last_seen"])
    op.create_index("ix_xty_error_event_status_last_seen", "xty_error_event", ["status", "last_seen"])


def downgrade():
    op.drop_index("ix_xty_error_event_status_last_seen", table_name="xty_error_event")
    op.drop_index(op.f("ix_xty_error_event_last_seen"), table_name="xty_error_event")
    op.drop_table("xty_error_event")
