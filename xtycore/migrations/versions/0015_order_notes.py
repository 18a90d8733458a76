"""Staff notes on orders, which the database refuses to change or delete.

Revision ID: 0015_order_notes
Revises: 0014_shipments
Create Date: 2026-11-27 03:00:00

Two triggers keep the notes append-only. An UPDATE is refused unless all it
does is forget the author's account id (the ``ON DELETE SET NULL`` of a deleted
staff account). A DELETE is refused while the note's order exists, so notes go
only with their order (``ON DELETE CASCADE`` runs once the order row is gone).
"""

from alembic import op
import sqlalchemy as sa


revision = "0015_order_notes"
down_revision = "0014_shipments"
branch_labels = None
depends_on = None

UPDATE_REFUSAL = "order notes cannot be changed"
DELETE_REFUSAL = "order notes cannot be deleted while their order exists"
#: true when an UPDATE changes anything but clearing staff_id (SQLite's IS NOT compares NULLs as values)
CHANGED = {
    "sqlite": "NEW.id IS NOT OLD.id OR NEW.order_id IS NOT OLD.order_id OR NEW.staff_email IS NOT OLD.staff_email "
              "OR NEW.body IS NOT OLD.body OR NEW.created_at IS NOT OLD.created_at "
              "OR (NEW.staff_id IS NOT NULL AND NEW.staff_id IS NOT OLD.staff_id)",
    "postgresql": "(NEW.id, NEW.order_id, NEW.staff_email, NEW.body, NEW.created_at) "
                  "IS DISTINCT FROM (OLD.id, OLD.order_id, OLD.staff_email, OLD.body, OLD.created_at) "
                  "OR (NEW.staff_id IS NOT NULL AND NEW.staff_id IS DISTINCT FROM OLD.staff_id)",
}
ORDER_EXISTS = "EXISTS (SELECT 1 FROM xty_order WHERE id = OLD.order_id)"


def upgrade():
    op.create_table(
        "xty_order_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["xty_order.id"],
                                name=op.f("fk_xty_order_note_order_id_xty_order"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["xty_staff.id"],
                                name=op.f("fk_xty_order_note_staff_id_xty_staff"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xty_order_note")),
    )
    op.create_index(op.f("ix_xty_order_note_order_id"), "xty_order_note", ["order_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION xty_order_note_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' THEN IF {CHANGED['postgresql']} THEN RAISE EXCEPTION '{UPDATE_REFUSAL}'; END IF; "
            "RETURN NEW; END IF; "
            f"IF {ORDER_EXISTS} THEN RAISE EXCEPTION '{DELETE_REFUSAL}'; END IF; "
            "RETURN OLD; END $$"
        )
        op.execute(
            "CREATE TRIGGER xty_order_note_immutable BEFORE UPDATE OR DELETE ON xty_order_note "
            "FOR EACH ROW EXECUTE FUNCTION xty_order_note_refuse_change()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER xty_order_note_no_update BEFORE UPDATE ON xty_order_note WHEN {CHANGED['sqlite']} "
            f"BEGIN SELECT RAISE(ABORT, '{UPDATE_REFUSAL}'); END"
        )
        op.execute(
            f"CREATE TRIGGER xty_order_note_no_delete BEFORE DELETE ON xty_order_note WHEN {ORDER_EXISTS} "
            f"BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSAL}'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS xty_order_note_immutable ON xty_order_note")
        op.execute("DROP FUNCTION IF EXISTS xty_order_note_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS xty_order_note_no_update")
        op.execute("DROP TRIGGER IF EXISTS xty_order_note_no_delete")
    op.drop_index(op.f("ix_xty_order_note_order_id"), table_name="xty_order_note")
    op.drop_table("xty_order_note")
