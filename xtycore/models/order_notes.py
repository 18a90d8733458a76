"""Staff notes on an order: who wrote what, and when; never changed afterwards.

A note records its author (staff id, and the email at the time) and the moment
it was written. Notes are append-only, like the customer notes and the audit
log: the ORM refuses an update or a delete (:class:`NoteImmutable`), and the
migration adds database triggers that refuse them too, on SQLite and
PostgreSQL, so a bulk statement cannot rewrite history either. The database
allows two things only: forgetting the author's account id when that account
is deleted (``ON DELETE SET NULL``; the email stays), and removing the notes
together with their order (``ON DELETE CASCADE``, once the order row is gone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from xtycore.extensions import db
from xtycore.models.customer_notes import NOTE_MAX_LENGTH, NoteImmutable
from xtycore.models.kernel import utcnow

__all__ = ["NOTE_MAX_LENGTH", "NoteImmutable", "OrderNote"]


class OrderNote(db.Model):
    __tablename__ = "xty_order_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("xty_order.id", ondelete="CASCADE"), nullable=False, index=True)
    #: who wrote it; None once that staff account is gone (the email stays)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("xty_staff.id", ondelete="SET NULL"), nullable=True)
    staff_email: Mapped[str] = mapped_column(String(254), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    #: ``order.notes``: oldest first; the database removes them with the order, the ORM never does
    order = relationship("Order", backref=backref("notes", order_by="OrderNote.id", passive_deletes="all"))


@event.listens_for(OrderNote, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: OrderNote) -> None:
    raise NoteImmutable(f"order note {target.id} cannot be changed")


@event.listens_for(OrderNote, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: OrderNote) -> None:
    raise NoteImmutable(f"order note {target.id} cannot be deleted")
