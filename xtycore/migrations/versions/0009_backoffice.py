"""Back office: the audit log, whose rows no UPDATE may change.

Revision ID: 0009_backoffice
Revises: 0006_reviews_staff
Create Date: 2026-11-28 01:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0009_backoffice"
down_revision = "0006_reviews_staff"
branch_labels = None
depends_on = None

REFUSAL = "audit entries cannot be changed"


def upgrade():
    op.create_table(
        "xty_audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["xty_staff.id"], name=op.f("fk_xty_audit_entry_staff_id_xty_staff"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_audit_entry")),
    )
    op.create_index(op.f("ix_xty_audit_entry_occurred_at"), "xty_audit_entry", ["occurred_at"])
    op.create_index(op.f("ix_xty_audit_entry_staff_id"), "xty_audit_entry", ["staff_id"])
    op.create_index(op.f("ix_xty_audit_entry_object_type"), "xty_audit_entry", ["object_type"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION xty_audit_entry_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER xty_audit_entry_no_update BEFORE UPDATE ON xty_audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION xty_audit_entry_refuse_update()"
        )
    else:
        op.execute(
            "CREATE TRIGGER xty_audit_entry_no_update BEFORE UPDATE ON xty_audit_entry "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS xty_audit_entry_no_update" + (
        " ON xty_audit_entry" if op.get_bind().dialect.name == "postgresql" else ""
    ))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS xty_audit_entry_refuse_update()")
    op.drop_index(op.f("ix_xty_audit_entry_object_type"), table_name="xty_audit_entry")
    op.drop_index(op.f("ix_xty_audit_entry_staff_id"), table_name="xty_audit_entry")
    op.drop_index(op.f("ix_xty_audit_entry_occurred_at"), table_name="xty_audit_entry")
    op.drop_table("xty_audit_entry")
