"""Sandbox refunds get a status: asynchronous refunds are processing until the refund job finishes them.

Revision ID: sandbox_0002
Revises: sandbox_0001
Create Date: 2026-11-28 01:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "sandbox_0002"
down_revision = "sandbox_0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE xty_sandbox_refund ADD COLUMN status VARCHAR(20) DEFAULT 'succeeded' NOT NULL "
            "CONSTRAINT ck_xty_sandbox_refund_status CHECK (status IN ('processing', 'succeeded'))"
        )
        return
    op.add_column(
        "xty_sandbox_refund", sa.Column("status", sa.String(length=20), nullable=False, server_default="succeeded")
    )
    op.create_check_constraint(
        op.f("ck_xty_sandbox_refund_status"), "xty_sandbox_refund", "status IN ('processing', 'succeeded')"
    )


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_xty_sandbox_refund_status"), "xty_sandbox_refund", type_="check")
    op.drop_column("xty_sandbox_refund", "status")
