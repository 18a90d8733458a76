"""The payment transactions ledger; authorised and refund-pending amounts on payments.

Revision ID: 0008_payment_ledger
Revises: 0006_reviews_staff
Create Date: 2026-11-28 01:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0008_payment_ledger"
down_revision = "0006_reviews_staff"
branch_labels = None
depends_on = None

LEDGER_CHECK = (
    "refund_pending_minor >= 0 AND refunded_minor + refund_pending_minor <= captured_minor "
    "AND captured_minor <= authorized_minor AND authorized_minor <= amount_minor"
)
LIVE = "kind != 'refund' AND status != 'failed'"


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("xty_payment", sa.Column("authorized_minor", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "xty_payment", sa.Column("paid_order", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # every payment that succeeded so far was captured at once; it paid its order unless it was flagged
    op.execute("UPDATE xty_payment SET authorized_minor = captured_minor")
    op.execute(sa.text(
        "UPDATE xty_payment SET paid_order = :yes WHERE status = 'succeeded' AND attention = ''"
    ).bindparams(yes=True))
    if sqlite:
        # SQLite adds a column with its CHECK (tested against every existing row) but cannot add a table CHECK
        op.execute(
            "ALTER TABLE xty_payment ADD COLUMN refund_pending_minor INTEGER DEFAULT 0 NOT NULL "
            f"CONSTRAINT ck_xty_payment_ledger CHECK ({LEDGER_CHECK})"
        )
    else:
        op.add_column(
            "xty_payment", sa.Column("refund_pending_minor", sa.Integer(), nullable=False, server_default="0")
        )
        op.create_check_constraint(op.f("ck_xty_payment_ledger"), "xty_payment", LEDGER_CHECK)
    op.create_table(
        "xty_payment_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("gateway_reference", sa.String(length=128), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("includes_shipping", sa.Boolean(), nullable=False),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('authorization', 'capture', 'void', 'refund')", name=op.f("ck_xty_payment_transaction_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_xty_payment_transaction_status")
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_xty_payment_transaction_amount")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["xty_payment.id"], name=op.f("fk_xty_payment_transaction_payment_id_xty_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_payment_transaction")),
        sa.UniqueConstraint("payment_id", "idempotency_key", name="uq_xty_payment_transaction_payment_key"),
    )
    op.create_index(
        op.f("ix_xty_payment_transaction_payment_id"), "xty_payment_transaction", ["payment_id"], unique=False
    )
    op.create_index(
        "ix_xty_payment_transaction_status_created_at", "xty_payment_transaction", ["status", "created_at"]
    )
    op.create_index(
        "uq_xty_payment_transaction_one_live", "xty_payment_transaction", ["payment_id", "kind"], unique=True,
        sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
    )


def downgrade():
    op.drop_index("uq_xty_payment_transaction_one_live", table_name="xty_payment_transaction")
    op.drop_index("ix_xty_payment_transaction_status_created_at", table_name="xty_payment_transaction")
    op.drop_index(op.f("ix_xty_payment_transaction_payment_id"), table_name="xty_payment_transaction")
    op.drop_table("xty_payment_transaction")
    if op.get_bind().dialect.name == "sqlite":
        for column in ("refund_pending_minor", "paid_order", "authorized_minor"):  # the CHECK goes first
            op.execute(f"ALTER TABLE xty_payment DROP COLUMN {column}")
        return
    op.drop_constraint(op.f("ck_xty_payment_ledger"), "xty_payment", type_="check")
    op.drop_column("xty_payment", "refund_pending_minor")
    op.drop_column("xty_payment", "paid_order")
    op.drop_column("xty_payment", "authorized_minor")
