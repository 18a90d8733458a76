"""What staff keep about a customer: notes (append-only) and tags.

A note records who wrote it (staff id, and the email at the time) and when;
notes are never edited or deleted (the ORM refuses), so the history of what
staff knew stays whole. Tags are short labels ("VIP", "批发") a customer
holds at most once each. Both go with the customer's account when it is
deleted (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.domain.errors import XtyError
from xtycore.extensions import db
from xtycore.models.kernel import utcnow

#: Longest note and tag staff may store.
NOTE_MAX_LENGTH = 2000
TAG_MAX_LENGTH = 40


class NoteImmutable(XtyError):
    """A staff note may be written once and read; never changed or deleted on its own."""


class CustomerNote(db.Model):
    __tablename__ = "xty_customer_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: who wrote it; None once that staff account is gone (the email stays)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("xty_staff.id", ondelete="SET NULL"), nullable=True)
    staff_email: Mapped[str] = mapped_column(String(254), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class CustomerTag(db.Model):
    __tablename__ = "xty_customer_tag"
    __table_args__ = (UniqueConstraint("customer_id", "tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("xty_customer.id", ondelete="CASCADE"), nullable=False, index=True
    )
    tag: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


@event.listens_for(CustomerNote, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: CustomerNote) -> None:
    raise NoteImmutable(f"customer note {target.id} cannot be changed")


@event.listens_for(CustomerNote, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: CustomerNote) -> None:
    raise NoteImmutable(f"customer note {target.id} cannot be deleted")
